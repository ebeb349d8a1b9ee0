// The real @kubernetes/client-node 2.x against the stand-in: typed APIs, errors as ApiException,
// patch content types chosen by middleware, and an informer (ListWatch) across watch drops and 410.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  EventsV1Api,
  KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type V1Service,
} from '@kubernetes/client-node';
import type { DevApiServer } from '../../src/devapi/server.ts';
import { startTestServer } from './helpers.ts';

function service(name: string, labels: Record<string, string> = {}): V1Service {
  return { metadata: { name, labels }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } };
}

/** Resolves when `pred` holds; re-checked after every informer callback. */
function waitFor(check: { waiters: (() => void)[] }, pred: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const tick = (): void => {
      if (pred()) resolve();
      else check.waiters.push(tick);
    };
    tick();
  });
}

describe('devapi with @kubernetes/client-node', () => {
  let s: DevApiServer;
  let kc: KubeConfig;
  before(async () => {
    s = await startTestServer({ historyLimit: 3 });
    kc = new KubeConfig();
    kc.loadFromString(s.kubeconfigYaml());
  });
  after(() => s.close());

  it('CoreV1Api create/read/replace; a stale replace surfaces as ApiException 409', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const created = await core.createNamespacedService({ namespace: 'default', body: service('cn1') });
    assert.equal(created.spec?.type, 'LoadBalancer');
    assert.ok(created.spec?.clusterIP);
    const read = await core.readNamespacedService({ name: 'cn1', namespace: 'default' });
    read.metadata = { ...read.metadata, labels: { a: 'b' } };
    const replaced = await core.replaceNamespacedService({ name: 'cn1', namespace: 'default', body: read });
    assert.equal(replaced.metadata?.labels?.['a'], 'b');
    await assert.rejects(core.replaceNamespacedService({ name: 'cn1', namespace: 'default', body: read }), (e: unknown) => {
      assert.ok(e instanceof ApiException);
      assert.equal(e.code, 409);
      assert.match(String(e.body), /the object has been modified/);
      return true;
    });
    await assert.rejects(core.readNamespacedService({ name: 'nope', namespace: 'default' }), (e: unknown) => e instanceof ApiException && e.code === 404);
  });

  it('patches status with a merge patch and a strategic merge patch chosen by middleware', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedService({ namespace: 'default', body: service('cn2') });
    const merged = await core.patchNamespacedServiceStatus(
      { name: 'cn2', namespace: 'default', body: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.20' }] } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.equal(merged.status?.loadBalancer?.ingress?.[0]?.ip, '192.0.2.20');
    const smp = await core.patchNamespacedService(
      { name: 'cn2', namespace: 'default', body: { metadata: { finalizers: ['herald.dev/x'] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    assert.deepEqual(smp.metadata?.finalizers, ['herald.dev/x']);
    const jp = await core.patchNamespacedService({ name: 'cn2', namespace: 'default', body: [{ op: 'add', path: '/metadata/labels', value: { j: 'p' } }] });
    assert.equal(jp.metadata?.labels?.['j'], 'p', 'the default patch type is JSON patch');
  });

  it('CustomObjectsApi, CoordinationV1Api, EventsV1Api and DiscoveryV1Api work', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    await custom.createNamespacedCustomObject({ group: 'devapi.test', version: 'v1', namespace: 'default', plural: 'widgets', body: { apiVersion: 'devapi.test/v1', kind: 'Widget', metadata: { name: 'cw' }, spec: { size: 2 } } });
    const st = await custom.patchNamespacedCustomObjectStatus(
      { group: 'devapi.test', version: 'v1', namespace: 'default', plural: 'widgets', name: 'cw', body: { status: { count: 1 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.equal(JSON.stringify(st).includes('"count":1'), true);
    await assert.rejects(
      custom.createNamespacedCustomObject({ group: 'devapi.test', version: 'v1', namespace: 'default', plural: 'widgets', body: { apiVersion: 'devapi.test/v1', kind: 'Widget', metadata: { name: 'cw2' }, spec: { size: 'big' } } }),
      (e: unknown) => e instanceof ApiException && e.code === 422,
    );
    const coord = kc.makeApiClient(CoordinationV1Api);
    const lease = await coord.createNamespacedLease({ namespace: 'default', body: { metadata: { name: 'cl' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 15, renewTime: new V1MicroTime('2024-01-01T00:00:00.123Z') } } });
    assert.equal(lease.spec?.holderIdentity, 'me');
    assert.equal(String(lease.spec?.renewTime), '2024-01-01T00:00:00.123000Z', 'MicroTime keeps six fraction digits');
    const events = kc.makeApiClient(EventsV1Api);
    const ev = await events.createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { name: 'ce' },
        eventTime: new V1MicroTime('2024-01-01T00:00:00Z'),
        reportingController: 'herald.dev/controller',
        reportingInstance: 'c-0',
        action: 'Allocate',
        reason: 'IPAllocated',
        type: 'Normal',
        note: 'gave 192.0.2.1',
        regarding: { kind: 'Service', namespace: 'default', name: 'cn1' },
      },
    });
    assert.equal(ev.note, 'gave 192.0.2.1');
    const coreEv = await kc.makeApiClient(CoreV1Api).readNamespacedEvent({ name: 'ce', namespace: 'default' });
    assert.equal(coreEv.message, 'gave 192.0.2.1', 'events.k8s.io and core/v1 Events share storage');
    const slices = await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: 'default', labelSelector: 'kubernetes.io/service-name=kubernetes' });
    assert.equal(slices.items.length, 1);
  });

  it('an informer sees add/update/delete and recovers after close-watches and after a 410', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer(kc, '/api/v1/namespaces/default/services', () => core.listNamespacedService({ namespace: 'default', labelSelector: 'inf=yes' }), 'inf=yes');
    const seen: string[] = [];
    const errors: unknown[] = [];
    const check = { waiters: [] as (() => void)[] };
    const note = (what: string) => (o: V1Service): void => {
      seen.push(`${what} ${o.metadata?.name ?? ''}`);
      const ws = check.waiters.splice(0);
      for (const w of ws) w();
    };
    informer.on('add', note('add'));
    informer.on('update', note('update'));
    informer.on('delete', note('delete'));
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    try {
      await core.createNamespacedService({ namespace: 'default', body: service('i1', { inf: 'yes' }) });
      await waitFor(check, () => seen.includes('add i1'));
      await core.patchNamespacedService({ name: 'i1', namespace: 'default', body: { metadata: { annotations: { x: '1' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await waitFor(check, () => seen.includes('update i1'));
      await core.deleteNamespacedService({ name: 'i1', namespace: 'default' });
      await waitFor(check, () => seen.includes('delete i1'));

      assert.ok(s.faults.closeWatches() >= 1);
      await core.createNamespacedService({ namespace: 'default', body: service('i2', { inf: 'yes' }) });
      await waitFor(check, () => seen.includes('add i2'));

      // Writes the informer's selector filters out do not advance its resourceVersion; once they
      // push history (3 events) past it, the reconnect gets ERROR 410 and the informer relists.
      for (let i = 0; i < 5; i++) await core.createNamespacedService({ namespace: 'default', body: service(`filler${i}`) });
      const listsBefore = s.counters().list['services'] ?? 0;
      s.faults.closeWatches();
      await core.createNamespacedService({ namespace: 'default', body: service('i3', { inf: 'yes' }) });
      await waitFor(check, () => seen.includes('add i3'));
      assert.equal(s.counters().list['services'], listsBefore + 1, 'relisted after 410');
      assert.deepEqual(errors, []);
      assert.deepEqual(informer.list().map((o) => o.metadata?.name).sort(), ['i2', 'i3']);
    } finally {
      await informer.stop();
    }
  });
});
