import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { EventRecorder } from '../../src/kube/events.ts';

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
