// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// The controller's Service cache (issue #10, bench/README.md IPAM Finding 6): listed a page at a
// time on the lean path, every object kept slim — and the controller decides exactly as it would
// on the whole object.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { V1Service } from '@kubernetes/client-node';
import { pino } from 'pino';
import { watchResource } from '../../src/kube/informer.ts';
import type { WatchedCache } from '../../src/kube/informer.ts';
import { classifyService, readsAnnotation } from '../../src/api/service.ts';
import type { AdapterOptions } from '../../src/api/service.ts';
import { isService } from '../../src/controller/service-cache.ts';
import { slimService } from '../../src/api/slim.ts';
import { startApiSuite } from '../support/api-suite.ts';
import type { ApiSuite } from '../support/api-suite.ts';
import { eventually } from './harness.ts';

const NS = 'cache';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const OPTS: AdapterOptions = { defaultServiceIpam: 'pool', acceptAnnotations: new Set(['metallb']) };

function service(name: string, annotations: Record<string, string>): V1Service {
  return {
    metadata: { name, namespace: NS, labels: { app: name }, annotations },
    spec: { type: 'LoadBalancer', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'], ports: [{ port: 80, protocol: 'TCP' }], selector: { app: name }, allocateLoadBalancerNodePorts: false },
  };
}

describe('slimService', () => {
  it('keeps what the controller reads and drops managedFields, unread annotations, kind and apiVersion', () => {
    const full: V1Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'web', namespace: 'apps', uid: 'u1', resourceVersion: '7', generation: 2, creationTimestamp: new Date('2026-01-01T00:00:00Z'),
        labels: { app: 'web' },
        annotations: { 'herald.dev/ips': '192.0.2.1', 'metallb.io/allow-shared-ip': 'k', [LAST_APPLIED]: '{"big":"json"}', 'example.com/other': 'x' },
        managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }],
        ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'x' }],
      },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.1', ipMode: 'VIP' }] }, conditions: [{ type: 'other.io/Ready', status: 'True', reason: 'R', message: '', lastTransitionTime: new Date(0) }] },
    };
    const slim = slimService(full);
    assert.deepEqual(slim.metadata?.annotations, { 'herald.dev/ips': '192.0.2.1', 'metallb.io/allow-shared-ip': 'k' });
    assert.equal(slim.metadata?.managedFields, undefined);
    assert.equal(slim.metadata?.ownerReferences, undefined);
    assert.deepEqual([slim.kind, slim.apiVersion], [undefined, undefined]);
    assert.deepEqual([slim.metadata?.uid, slim.metadata?.resourceVersion, slim.metadata?.generation], ['u1', '7', 2]);
    // spec and status whole: a merge patch writes other controllers' conditions back as they are.
    assert.equal(slim.spec, full.spec);
    assert.equal(slim.status, full.status);
    for (const accept of [[], ['metallb'], ['cilium'], ['metallb', 'cilium']] as const) {
      const o: AdapterOptions = { defaultServiceIpam: 'pool', acceptAnnotations: new Set(accept) };
      assert.deepEqual(classifyService(slim, o), classifyService(full, o));
    }
  });

  it('no annotation Herald reads: no annotations object', () => {
    assert.equal(slimService({ metadata: { name: 'a', annotations: { [LAST_APPLIED]: '{}' } } }).metadata?.annotations, undefined);
  });

  it('readsAnnotation: Herald\'s own and every foreign name --accept-annotations may read', () => {
    for (const n of ['herald.dev/ips', 'herald.dev/sharing-key', 'herald.dev/node-ipam-match-labels', 'metallb.universe.tf/loadBalancerIPs', 'metallb.io/allow-shared-ip', 'lbipam.cilium.io/ips', 'lbipam.cilium.io/sharing-cross-namespace']) {
      assert.ok(readsAnnotation(n), n);
    }
    for (const n of [LAST_APPLIED, 'metallb.io/address-pool', 'example.com/x']) assert.ok(!readsAnnotation(n), n);
  });

  it('isService wants an object with a metadata object', () => {
    assert.deepEqual([isService({ metadata: {} }), isService({}), isService(null), isService({ metadata: null }), isService('x')], [true, false, false, false, false]);
  });
});

describe('the controller\'s Service informer (lean paged list, slim objects) against an API server', () => {
  let suite: ApiSuite;
  let cache: WatchedCache<V1Service> | undefined;
  before(async () => {
    suite = await startApiSuite({ namespaces: [NS] });
  });
  after(async () => {
    await cache?.stop();
    await suite.close();
  });

  it('regression (bench/README.md IPAM Finding 6): lists in pages of 3, keeps slim objects from the list and from the watch, decides as on the whole object', async () => {
    const big = 'x'.repeat(4_000);
    // 7 Services in pages of 3: three pages, the last one short.
    for (let i = 0; i < 7; i++) await suite.admin.core.createNamespacedService({ namespace: NS, body: service(`s${i}`, { [LAST_APPLIED]: big, 'herald.dev/sharing-key': `k${i}` }) });
    const events: string[] = [];
    const list = (keep?: (svc: V1Service) => V1Service) => suite.controller.http.list('/api/v1/services', isService, { keep, limit: 3 });
    cache = watchResource<V1Service>({ kc: suite.controller.kc, path: '/api/v1/services', list, transform: slimService, log: pino({ level: 'silent' }), onEvent: (e, o) => events.push(`${e} ${o.metadata?.name ?? ''}`) });
    await cache.synced;
    const mine = (): V1Service[] => (cache?.list() ?? []).filter((s) => s.metadata?.namespace === NS);
    assert.equal(mine().length, 7);
    for (const s of mine()) {
      assert.equal(s.metadata?.managedFields, undefined);
      assert.deepEqual(Object.keys(s.metadata?.annotations ?? {}), ['herald.dev/sharing-key']);
    }
    // A change arrives through the watch: slim too, and classified as the whole object is.
    await suite.admin.core.patchNamespacedService({ name: 's3', namespace: NS, body: { metadata: { labels: { tier: 'front' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const changed = await eventually('the watch to bring the change', async () => {
      const s = cache?.get('s3', NS);
      return s?.metadata?.labels?.['tier'] === 'front' ? s : undefined;
    });
    assert.equal(changed.metadata?.managedFields, undefined);
    assert.equal(changed.metadata?.annotations?.[LAST_APPLIED], undefined);
    const whole = await suite.admin.core.readNamespacedService({ name: 's3', namespace: NS });
    assert.ok(suite.kind === 'dev' || (whole.metadata?.managedFields?.length ?? 0) > 0, 'the real server keeps managedFields on the whole object');
    assert.deepEqual(classifyService(changed, OPTS), classifyService(whole, OPTS));
    assert.ok(events.includes('update s3'), events.join(', '));
  });
});
