// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CoreV1Event } from '@kubernetes/client-node';
import { pino } from 'pino';
import { EventRecorder, eventApiOver } from '../../src/kube/events.ts';
import type { EventApi } from '../../src/kube/events.ts';
import { HERALD_GROUP, HERALD_VERSION, IPPOOL_PLURAL } from '../../src/api/names.ts';
import { startApiSuite } from '../support/api-suite.ts';
import type { ApiSuite } from '../support/api-suite.ts';

/** A CoreV1Api stand-in that records calls and resolves them when told to. */
function fakeCore() {
  let inFlight = 0;
  let peak = 0;
  const created: string[] = [];
  const patched: unknown[] = [];
  const pending: (() => void)[] = [];
  const slow = <T>(v: T): Promise<T> => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    return new Promise((resolve) => pending.push(() => {
      inFlight--;
      resolve(v);
    }));
  };
  const api = {
    createNamespacedEvent: (p: { namespace: string; body: { message?: string } }) => {
      created.push(p.body.message ?? '');
      return slow(p.body);
    },
    patchNamespacedEvent: (p: { name: string; namespace: string; body: object }) => {
      patched.push(p.body);
      return slow(p.body);
    },
  };
  const release = () => {
    for (const r of pending.splice(0)) r();
  };
  return { api, created, patched, peak: () => peak, release };
}

describe('EventRecorder', () => {
  it('regression (bench/README.md finding 1): at most 8 writes in flight, the rest wait, and a full backlog drops with a count', async () => {
    const f = fakeCore();
    let dropped = 0;
    const core = f.api;
    const rec = new EventRecorder({ core, component: 'c', instance: 'i', log: pino({ level: 'silent' }), onDrop: () => dropped++ });
    for (let i = 0; i < 3000; i++) rec.emit({ kind: 'Service', apiVersion: 'v1', namespace: 'n', name: `s${i}` }, 'Normal', 'IPAllocated', `m${i}`);
    assert.equal(f.peak(), 8);
    assert.equal(dropped, 3000 - 8 - 2048);
    const done = rec.flush();
    while (f.created.length < 3000 - dropped) {
      f.release();
      await new Promise((r) => setImmediate(r));
    }
    f.release();
    await done;
    assert.equal(f.created.length, 8 + 2048);
    assert.equal(f.peak(), 8);
  });

  it('holdWhile: no Event is sent until the work settles, even when it fails; then they all go (issue #10, statuses before Events)', async () => {
    const f = fakeCore();
    const rec = new EventRecorder({ core: f.api, component: 'c', instance: 'i', log: pino({ level: 'silent' }) });
    const target = { kind: 'Service', apiVersion: 'v1', namespace: 'n', name: 's' };
    let endFirst: () => void = () => {};
    let failSecond: (e: Error) => void = () => {};
    rec.holdWhile(new Promise<void>((r) => (endFirst = r)));
    rec.holdWhile(new Promise<void>((_, reject) => (failSecond = reject)));
    for (let i = 0; i < 3; i++) rec.emit(target, 'Normal', 'IPAllocated', `m${i}`);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(f.created, []);
    endFirst();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(f.created, [], 'one hold is still on');
    failSecond(new Error('a write failed'));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(f.created, ['m0', 'm1', 'm2']);
    f.release();
    await rec.flush();
  });

  it('a repeat within ten minutes bumps count instead of creating', async () => {
    const f = fakeCore();
    const core = f.api;
    const rec = new EventRecorder({ core, component: 'c', instance: 'i', log: pino({ level: 'silent' }) });
    const target = { kind: 'Service', apiVersion: 'v1', namespace: 'n', name: 's', uid: 'u' };
    rec.emit(target, 'Warning', 'AllocationFailed', 'same');
    let done = rec.flush();
    f.release();
    await done;
    rec.emit(target, 'Warning', 'AllocationFailed', 'same');
    done = rec.flush();
    await new Promise((r) => setImmediate(r));
    f.release();
    await done;
    assert.equal(f.created.length, 1);
    assert.deepEqual(Object.keys(f.patched[0] as object).sort(), ['count', 'lastTimestamp']);
  });
});

describe('EventRecorder against an API server (as herald-system/herald-controller on the real server)', () => {
  let suite: ApiSuite;
  before(async () => {
    suite = await startApiSuite({ namespaces: ['apps'] });
  });
  after(async () => suite.close());

  async function eventsOf(namespace: string, name: string): Promise<CoreV1Event[]> {
    return (await suite.admin.core.listNamespacedEvent({ namespace })).items.filter((e) => e.involvedObject.name === name);
  }

  // client-node's CoreV1Api, and the lean path the controller uses (issue #10): the same Events.
  const apis: [string, string, () => EventApi][] = [
    ['client-node', 'web', () => suite.controller.core],
    ['the lean path (eventApiOver)', 'web-lean', () => eventApiOver(suite.controller.http)],
  ];
  for (const [via, name, api] of apis) it(`creates an Event for a Service in its namespace, and a repeat bumps its count (${via})`, async () => {
    const svc = await suite.admin.core.createNamespacedService({ namespace: 'apps', body: { metadata: { name }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } } });
    const rec = new EventRecorder({ core: api(), component: 'herald-controller', instance: 'controller-0', log: pino({ level: 'silent' }) });
    const target = { kind: 'Service', apiVersion: 'v1', namespace: 'apps', name, uid: svc.metadata?.uid };
    rec.emit(target, 'Normal', 'IPAllocated', 'allocated 192.0.2.1 from pool "p"');
    await rec.flush();
    const [first, ...more] = await eventsOf('apps', name);
    assert.ok(first !== undefined);
    assert.deepEqual(more, []);
    assert.deepEqual([first.type, first.reason, first.message, first.count], ['Normal', 'IPAllocated', 'allocated 192.0.2.1 from pool "p"', 1]);
    assert.deepEqual({ ...first.involvedObject }, { kind: 'Service', apiVersion: 'v1', namespace: 'apps', name, uid: svc.metadata?.uid });
    assert.equal(first.source?.component, 'herald-controller');
    assert.deepEqual([first.reportingComponent, first.reportingInstance], ['herald-controller', 'controller-0']);
    rec.emit(target, 'Normal', 'IPAllocated', 'allocated 192.0.2.1 from pool "p"');
    await rec.flush();
    const [again, ...none] = await eventsOf('apps', name);
    assert.deepEqual(none, []);
    assert.equal(again?.metadata.name, first.metadata.name);
    assert.equal(again?.count, 2);
  });

  it('an Event for a cluster-scoped IPPool lands in the namespace "default" (the lean path, as the controller sends it)', async () => {
    const rec = new EventRecorder({ core: eventApiOver(suite.controller.http), component: 'herald-controller', instance: 'controller-0', log: pino({ level: 'silent' }) });
    const p = await suite.admin.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: IPPOOL_PLURAL, body: { apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, kind: 'IPPool', metadata: { name: 'p' }, spec: { blocks: [{ cidr: '192.0.2.0/30' }] } } }) as { metadata: { uid: string } };
    rec.emit({ kind: 'IPPool', apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, name: 'p', uid: p.metadata.uid }, 'Warning', 'PoolConflict', 'overlaps pool "q"');
    await rec.flush();
    const [e] = await eventsOf('default', 'p');
    assert.deepEqual([e?.type, e?.reason, e?.involvedObject.kind, e?.involvedObject.namespace], ['Warning', 'PoolConflict', 'IPPool', undefined]);
  });
});
