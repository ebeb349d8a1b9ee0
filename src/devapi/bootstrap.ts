// What a fresh cluster has: the four system namespaces and the `default/kubernetes` Service with
// Endpoints and EndpointSlice pointing at the API server's advertised address (written by
// kube-apiserver's own endpoint reconciler, bypassing validation, as here).
import { randomUUID } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { JsonObject } from './json.ts';
import { nowTime, type ApiContext } from './rest-common.ts';
import { create } from './rest-write.ts';
import type { Registry } from './registry.ts';

function must(reg: Registry, group: string, plural: string): NonNullable<ReturnType<Registry['find']>> {
  const rt = reg.find(group, 'v1', plural);
  if (rt === undefined) throw new Error(`bootstrap: ${plural} not registered`);
  return rt;
}

function systemMeta(name: string, labels: Record<string, string>, generation?: number): JsonObject {
  return { name, namespace: 'default', uid: randomUUID(), creationTimestamp: nowTime(), ...(generation === undefined ? {} : { generation }), labels };
}

export function bootstrap(ctx: ApiContext, advertiseAddress: string, port: number): void {
  const reg = ctx.registry;
  const nsType = must(reg, '', 'namespaces');
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    create(ctx, nsType, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, false);
  }
  const labels = { component: 'apiserver', provider: 'kubernetes' };
  create(
    ctx,
    must(reg, '', 'services'),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default', labels },
      spec: { type: 'ClusterIP', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }] },
    },
    false,
  );
  ctx.store.create('endpoints', {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: systemMeta('kubernetes', { 'endpointslice.kubernetes.io/skip-mirror': 'true' }),
    subsets: [{ addresses: [{ ip: advertiseAddress }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
  });
  ctx.store.create('endpointslices.discovery.k8s.io', {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: systemMeta('kubernetes', { 'kubernetes.io/service-name': 'kubernetes' }, 1),
    addressType: isIPv6(advertiseAddress) ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [advertiseAddress], conditions: { ready: true } }],
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  });
}
