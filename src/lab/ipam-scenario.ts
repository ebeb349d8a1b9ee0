// The objects the lab creates to show LB IPAM at work: nodes, pools and Services that each
// exercise one rule (documentation addresses only, RFC 5737 / RFC 3849).
import type { V1Node, V1Service } from '@kubernetes/client-node';
import type { IPPool } from '../api/generated/ippools.ts';

export const LAB_NAMESPACE = 'demo';

export function labNodes(): V1Node[] {
  return ['node-a', 'node-b', 'node-c'].map((name, i) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(i === 2 ? { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } : {}) } },
    status: {
      addresses: [
        { type: 'InternalIP', address: `192.0.2.${11 + i}` },
        { type: 'InternalIP', address: `2001:db8::${11 + i}` },
        { type: 'Hostname', address: name },
      ],
    },
  }));
}

export function labPools(): IPPool[] {
  const pool = (name: string, spec: IPPool['spec']): IPPool => ({ apiVersion: 'herald.dev/v1alpha1', kind: 'IPPool', metadata: { name }, spec });
  return [
    // Sorted first by name, but selects only team=red Services.
    pool('dedicated-red', { blocks: [{ start: '198.51.100.10', stop: '198.51.100.12' }], serviceSelector: { matchLabels: { team: 'red' } } }),
    // 192.0.2.11-13 are node addresses inside this pool: never handed out.
    pool('general', { blocks: [{ cidr: '192.0.2.0/28' }, { cidr: '2001:db8:b::/64' }], allowFirstLastIPs: 'No' }),
    // Overlaps general and is newer: marked Conflict, gives nothing.
    pool('late-overlap', { blocks: [{ cidr: '192.0.2.12/30' }] }),
  ];
}

function svc(name: string, spec: Partial<NonNullable<V1Service['spec']>>, annotations: Record<string, string> = {}, labels: Record<string, string> = {}): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: LAB_NAMESPACE, annotations, labels },
    spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80, protocol: 'TCP' }], ...spec },
  };
}

/** [Service, what it shows] in creation order. */
export function labServices(): [V1Service, string][] {
  return [
    [svc('web', {}), 'plain IPv4 from the first pool'],
    [svc('dual', { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] }), 'RequireDualStack: one address per family'],
    [svc('dns-tcp', { selector: { app: 'dns' }, ports: [{ port: 53, protocol: 'TCP' }] }, { 'herald.dev/sharing-key': 'dns' }), 'sharing key "dns" (TCP/53)'],
    [svc('dns-udp', { selector: { app: 'dns' }, ports: [{ port: 53, protocol: 'UDP' }] }, { 'herald.dev/sharing-key': 'dns' }), 'same key, other protocol: same address'],
    [svc('red-app', {}, {}, { team: 'red' }), 'label team=red: the only pool that selects it'],
    [svc('wants-node-ip', {}, { 'herald.dev/ips': '192.0.2.11' }), "asks for node-a's address: refused"],
    [svc('pinned', {}, { 'herald.dev/ips': '192.0.2.5' }), 'asks for a free address: gets exactly it'],
    [svc('node-ipam', { loadBalancerClass: 'herald.dev/node-ipam' }), 'node IPAM: node addresses, excluded node left out'],
    [svc('other-lb', { loadBalancerClass: 'example.com/other' }), 'a foreign loadBalancerClass: never touched'],
  ];
}
