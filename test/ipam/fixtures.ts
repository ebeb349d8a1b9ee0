// Builders for allocator tests: terse pools and Services with sensible defaults.
import type { BlockSpec, PoolView } from '../../src/ipam/types.ts';
import type { ServiceView } from '../../src/api/service.ts';

export function pool(name: string, blocks: readonly (string | BlockSpec)[], extra: Partial<PoolView> = {}): PoolView {
  return {
    name,
    createdAt: 0,
    blocks: blocks.map((b) => {
      if (typeof b !== 'string') return b;
      if (b.includes('/')) return { cidr: b };
      const [start = '', stop] = b.split('-');
      return stop === undefined ? { start } : { start, stop };
    }),
    allowFirstLastIPs: true,
    disabled: false,
    serviceSelector: null,
    ...extra,
  };
}

export function svc(key: string, extra: Partial<ServiceView> = {}): ServiceView {
  const [namespace = '', name = ''] = key.split('/');
  return {
    key,
    namespace,
    name,
    createdAt: 0,
    labels: {},
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    requestedIPs: [],
    sharing: null,
    ports: [{ protocol: 'TCP', port: 80 }],
    externalTrafficPolicy: 'Cluster',
    selector: { app: name },
    currentIPs: [],
    ...extra,
  };
}

/** A Service in a sharing group. */
export function shared(key: string, sharingKey: string, port: number, extra: Partial<ServiceView> = {}): ServiceView {
  return svc(key, { sharing: { key: sharingKey, crossNamespaces: [] }, ports: [{ protocol: 'TCP', port }], selector: { app: 'shared' }, ...extra });
}
