// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// watchResource's `skipUnchanged` (issue #10): an update that changes nothing the slim object
// keeps (a Node's condition heartbeat, its image list) reaches the cache but makes no event, so
// it costs no pass; a change Herald reads (a label) does.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { pino } from 'pino';
import { watchResource } from '../../src/kube/informer.ts';
import type { WatchedCache } from '../../src/kube/informer.ts';
import { sameButVersion, sameData, slimNode } from '../../src/api/slim.ts';
import { sliceMatters } from '../../src/speaker/kube-inputs.ts';
import { startApiSuite } from '../support/api-suite.ts';
import type { ApiSuite } from '../support/api-suite.ts';
import { eventually } from '../controller/harness.ts';

const NODE = 'skip-unchanged-node';

function status(heartbeat: Date, images: number): V1Node['status'] {
  return {
    addresses: [{ type: 'InternalIP', address: '198.51.100.77' }],
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready', lastHeartbeatTime: heartbeat, lastTransitionTime: new Date(0) }],
    images: Array.from({ length: images }, (_, i) => ({ names: [`registry.example/i${i}:v1`], sizeBytes: 1000 + i })),
  };
}

describe('watchResource skipUnchanged against an API server', () => {
  let suite: ApiSuite;
  let cache: WatchedCache<V1Node> | undefined;
  const events: string[] = [];
  before(async () => {
    suite = await startApiSuite();
  });
  after(async () => {
    await cache?.stop();
    await suite.admin.core.deleteNode({ name: NODE }).catch(() => undefined);
    await suite.close();
  });

  it('a Node status update with only new heartbeat times and images is cached but makes no event; a label change does', async () => {
    const made = await suite.admin.core.createNode({ body: { metadata: { name: NODE, labels: { zone: 'a' } } } });
    await suite.admin.core.replaceNodeStatus({ name: NODE, body: { ...made, status: status(new Date(1_000), 3) } });
    cache = watchResource<V1Node>({ kc: suite.speaker.kc, path: '/api/v1/nodes', list: () => suite.speaker.core.listNode(), transform: slimNode, skipUnchanged: true, log: pino({ level: 'silent' }), onEvent: (e, o) => o.metadata?.name === NODE && events.push(e) });
    await cache.synced;
    assert.deepEqual(events, ['add']);

    const current = await suite.admin.core.readNode({ name: NODE });
    const written = await suite.admin.core.replaceNodeStatus({ name: NODE, body: { ...current, status: status(new Date(60_000), 40) } });
    const version = written.metadata?.resourceVersion;
    // The cache has the new version: the watch delivered the update.
    await eventually('the watch to bring the status update', async () => (cache?.get(NODE)?.metadata?.resourceVersion === version ? true : undefined));
    assert.deepEqual(events, ['add'], 'no event for a change Herald does not keep');

    await suite.admin.core.patchNode({ name: NODE, body: { metadata: { labels: { zone: 'b' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await eventually('the label change as an event', async () => (events.includes('update') ? true : undefined));
    assert.equal(cache.get(NODE)?.metadata?.labels?.['zone'], 'b');
  });
});

describe('sameButVersion and sliceMatters', () => {
  it('sameData: a listed object (classes, Dates) equals its watched JSON (plain, time strings); any real difference counts', () => {
    class Addr {
      readonly type: string;
      readonly address: string;
      constructor(type: string, address: string) {
        this.type = type;
        this.address = address;
      }
    }
    const listed = { metadata: { name: 'n', creationTimestamp: new Date('2026-12-06T03:00:00Z') }, status: { addresses: [new Addr('InternalIP', '198.51.100.1')] }, spec: { unschedulable: undefined } };
    const watched = { metadata: { name: 'n', creationTimestamp: '2026-12-06T03:00:00Z' }, status: { addresses: [{ type: 'InternalIP', address: '198.51.100.1' }] }, spec: {} };
    assert.ok(sameData(listed, watched));
    assert.ok(!sameData(listed, { ...watched, metadata: { ...watched.metadata, creationTimestamp: '2026-12-06T03:00:01Z' } }));
    assert.ok(!sameData(listed, { ...watched, status: { addresses: [{ type: 'ExternalIP', address: '198.51.100.1' }] } }));
    assert.ok(!sameData(listed, { ...watched, status: { addresses: [] } }));
    assert.ok(!sameData({ a: 'x' }, { a: 'x', b: 1 }));
    assert.ok(!sameData([1, 2], [2, 1]));
    assert.ok(sameData('2026-12-06T03:00:00Z', '2026-12-06T03:00:00.000Z'), 'the same instant in two spellings');
  });

  it('sameButVersion ignores resourceVersion only', () => {
    const a: V1Node = slimNode({ metadata: { name: 'n', resourceVersion: '1', labels: { x: 'y' } }, status: status(new Date(0), 0) });
    assert.ok(sameButVersion(a, { ...a, metadata: { ...a.metadata, resourceVersion: '2' } }));
    assert.ok(!sameButVersion(a, { ...a, metadata: { ...a.metadata, labels: { x: 'z' } } }));
  });

  it('a slice matters only through a cached Service with externalTrafficPolicy: Local', () => {
    const slice: V1EndpointSlice = { addressType: 'IPv4', metadata: { name: 'web-x', namespace: 'apps', labels: { 'kubernetes.io/service-name': 'web' } }, endpoints: [] };
    const svc = (policy: string): V1Service => ({ metadata: { name: 'web', namespace: 'apps' }, spec: { type: 'LoadBalancer', externalTrafficPolicy: policy } });
    const lookup = (s: V1Service | undefined) => (name: string, namespace: string | undefined): V1Service | undefined => (name === 'web' && namespace === 'apps' ? s : undefined);
    assert.equal(sliceMatters(slice, lookup(svc('Local'))), true);
    assert.equal(sliceMatters(slice, lookup(svc('Cluster'))), false, 'a Cluster Service reads no endpoints');
    assert.equal(sliceMatters(slice, lookup(undefined)), false, 'no Service cached yet: its own add event makes the pass');
    assert.equal(sliceMatters({ ...slice, metadata: { name: 'orphan', namespace: 'apps' } }, lookup(svc('Local'))), false, 'no service-name label');
  });
});
