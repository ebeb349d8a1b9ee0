// The objects the L2 lab creates (issue #3, "The lab"): Nodes with the lab hosts' addresses, one
// IPPool that never holds a node address, the default L2AnnouncementPolicy, Services and the
// EndpointSlices that stand in for kube-controller-manager's. Pure: values in, objects out.
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import type { IPPool } from '../api/generated/ippools.ts';
import type { L2AnnouncementPolicy } from '../api/generated/l2announcementpolicies.ts';
import { LABEL_SERVICE_NAME } from '../api/names.ts';

export const L2_LAB_NAMESPACE = 'demo';
export const SPEAKER_NAMESPACE = 'herald-system';
export const LAB_POOL = { v4: { start: '192.0.2.200', stop: '192.0.2.220' }, v6: { start: '2001:db8::200', stop: '2001:db8::220' } } as const;
/** A Service with this label is left out of the default policy, so a test can give it a policy of its own. */
export const LABEL_OWN_POLICY = 'lab.herald.dev/policy';
export const LABEL_EXCLUDE = 'node.kubernetes.io/exclude-from-external-load-balancers';
export const DEFAULT_POLICY = 'lab-all-nodes';

export interface NodeAddresses {
  readonly name: string;
  readonly ipv4: string;
  readonly ipv6: string | null;
}

export function labNode(n: NodeAddresses): V1Node {
  const now = new Date();
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux' } },
    status: {
      addresses: [
        { type: 'InternalIP', address: n.ipv4 },
        ...(n.ipv6 === null ? [] : [{ type: 'InternalIP', address: n.ipv6 }]),
        { type: 'Hostname', address: n.name },
      ],
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'herald lab: the namespace is up', lastHeartbeatTime: now, lastTransitionTime: now }],
    },
  };
}

export function labPool(): IPPool {
  return { apiVersion: 'herald.dev/v1alpha1', kind: 'IPPool', metadata: { name: 'lab-l2' }, spec: { blocks: [LAB_POOL.v4, LAB_POOL.v6] } };
}

export function labPolicy(name: string, spec: L2AnnouncementPolicy['spec']): L2AnnouncementPolicy {
  return { apiVersion: 'herald.dev/v1alpha1', kind: 'L2AnnouncementPolicy', metadata: { name }, spec };
}

/** Every node, every Service but those that asked for a policy of their own, on eth0. */
export function defaultPolicy(): L2AnnouncementPolicy {
  return labPolicy(DEFAULT_POLICY, { serviceSelector: { matchExpressions: [{ key: LABEL_OWN_POLICY, operator: 'DoesNotExist' }] }, interfaces: ['eth0'] });
}

export interface ServiceOptions {
  readonly ipFamilyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  readonly externalTrafficPolicy?: 'Cluster' | 'Local';
  readonly labels?: Readonly<Record<string, string>>;
  /** e.g. herald.dev/bgp for a Service only BGP announces. */
  readonly loadBalancerClass?: string;
}

export function labService(name: string, opts: ServiceOptions = {}): V1Service {
  const dual = opts.ipFamilyPolicy === 'RequireDualStack' || opts.ipFamilyPolicy === 'PreferDualStack';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: L2_LAB_NAMESPACE, labels: { ...opts.labels } },
    spec: {
      type: 'LoadBalancer',
      selector: { app: name },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      ipFamilyPolicy: opts.ipFamilyPolicy ?? 'SingleStack',
      ipFamilies: dual ? ['IPv4', 'IPv6'] : ['IPv4'],
      externalTrafficPolicy: opts.externalTrafficPolicy ?? 'Cluster',
      ...(opts.loadBalancerClass === undefined ? {} : { loadBalancerClass: opts.loadBalancerClass }),
    },
  };
}

/** One slice per Service, `<service>-lab`, with one ready endpoint (a made-up pod) on each node. */
export function labEndpointSlice(service: string, nodes: readonly string[]): V1EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-lab`, namespace: L2_LAB_NAMESPACE, labels: { [LABEL_SERVICE_NAME]: service, 'endpointslice.kubernetes.io/managed-by': 'lab.herald.dev' } },
    addressType: 'IPv4',
    endpoints: nodes.map((nodeName, i) => ({ addresses: [`198.18.128.${i + 1}`], conditions: { ready: true, serving: true, terminating: false }, nodeName })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}
