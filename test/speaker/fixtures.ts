// Builders of Kubernetes objects for the speaker's desired-state tests (documentation addresses only).
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import type { LocalInterface } from '../../src/speaker/interfaces.ts';
import type { PolicyView } from '../../src/api/l2-policy.ts';
import { compileInterfacePattern } from '../../src/api/l2-policy.ts';

export interface NodeOpts {
  labels?: Record<string, string>;
  ready?: 'True' | 'False' | 'Unknown' | null;
  networkUnavailable?: boolean;
  unschedulable?: boolean;
  taints?: string[];
  addresses?: string[];
  deleting?: boolean;
}

export function node(name: string, o: NodeOpts = {}): V1Node {
  const conditions = [];
  if (o.ready !== null) conditions.push({ type: 'Ready', status: o.ready ?? 'True' });
  if (o.networkUnavailable !== undefined) conditions.push({ type: 'NetworkUnavailable', status: o.networkUnavailable ? 'True' : 'False' });
  return {
    metadata: { name, labels: o.labels ?? {}, ...(o.deleting === true ? { deletionTimestamp: new Date(0) } : {}) },
    spec: { unschedulable: o.unschedulable ?? false, taints: (o.taints ?? []).map((key) => ({ key, effect: 'NoSchedule' })) },
    status: { conditions, addresses: (o.addresses ?? []).map((address) => ({ type: 'InternalIP', address })) },
  };
}

export interface SvcOpts {
  cls?: string;
  type?: string;
  ingress?: string[];
  externalIPs?: string[];
  local?: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function svc(key: string, o: SvcOpts = {}): V1Service {
  const [namespace = '', name = ''] = key.split('/');
  return {
    metadata: { namespace, name, labels: o.labels ?? {}, annotations: o.annotations ?? {} },
    spec: {
      type: o.type ?? 'LoadBalancer',
      ...(o.cls === undefined ? {} : { loadBalancerClass: o.cls }),
      ...(o.externalIPs === undefined ? {} : { externalIPs: o.externalIPs }),
      externalTrafficPolicy: o.local === true ? 'Local' : 'Cluster',
      ipFamilies: ['IPv4'],
      ports: [{ port: 80, protocol: 'TCP' }],
    },
    status: { loadBalancer: { ingress: (o.ingress ?? []).map((ip) => ({ ip })) } },
  };
}

/** An EndpointSlice of a Service with endpoints on the given nodes (ready unless listed in `notReady`). */
export function slice(key: string, nodes: string[], notReady: string[] = []): V1EndpointSlice {
  const [namespace = '', name = ''] = key.split('/');
  return {
    addressType: 'IPv4',
    metadata: { namespace, name: `${name}-x`, labels: { 'kubernetes.io/service-name': name } },
    endpoints: [...nodes, ...notReady].map((n, i) => ({ addresses: [`198.18.0.${i + 1}`], nodeName: n, conditions: { ready: !notReady.includes(n) } })),
  };
}

export function policy(name: string, o: Partial<Omit<PolicyView, 'interfaces'>> & { interfaces?: string[] } = {}): PolicyView {
  const interfaces = (o.interfaces ?? []).map((p) => {
    const r = compileInterfacePattern(p);
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  });
  return { name, serviceSelector: o.serviceSelector ?? null, nodeSelector: o.nodeSelector ?? null, loadBalancerIPs: o.loadBalancerIPs ?? true, externalIPs: o.externalIPs ?? false, interfaces };
}

export function iface(name: string, o: Partial<LocalInterface> = {}): LocalInterface {
  return { name, up: true, broadcast: true, noarp: false, loopback: false, master: null, addresses: [], ...o };
}

/** A typical node: a NIC, a loopback, a bond with a slave, a down NIC, an ARP-less tunnel. */
export const IFACES: LocalInterface[] = [
  iface('lo', { loopback: true, broadcast: false, addresses: ['127.0.0.1', '::1'] }),
  iface('eth0', { addresses: ['203.0.113.5'] }),
  iface('eth1', { master: 'bond0' }),
  iface('bond0'),
  iface('eth2', { up: false }),
  iface('wg0', { noarp: true, broadcast: false }),
];
