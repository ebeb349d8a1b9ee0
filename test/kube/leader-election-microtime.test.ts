// Regression (issue #8, found by the L2 e2e suite on the real kube-apiserver): the leader-election
// Lease carried renewTime and acquireTime with milliseconds, which a real server refuses (400:
// MicroTime needs six fractional digits), so the controller never became leader there.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CoordinationV1Api, V1Lease } from '@kubernetes/client-node';
import { pino } from 'pino';
import { LeaderElector } from '../../src/kube/leader-election.ts';

const MICRO = /^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"$/;

describe('leader election: the Lease times are MicroTime (issue #8)', () => {
  it('creates its Lease with renewTime and acquireTime in six fractional digits', async () => {
    const created: V1Lease[] = [];
    let started!: () => void;
    const leading = new Promise<void>((resolve) => {
      started = resolve;
    });
    const api = {
      readNamespacedLease: () => Promise.reject(Object.assign(new Error('not found'), { code: 404 })),
      createNamespacedLease: (p: { body: V1Lease }) => {
        created.push(p.body);
        return Promise.resolve(p.body);
      },
    } as unknown as CoordinationV1Api;
    const elector = new LeaderElector({ api, namespace: 'herald-system', name: 'herald-controller', identity: 'me', log: pino({ level: 'silent' }), onStartedLeading: () => started(), onStoppedLeading: () => undefined });
    elector.start();
    await leading;
    await elector.stop().catch(() => undefined);
    const spec = created[0]?.spec;
    assert.ok(spec !== undefined);
    // The wire form is what JSON.stringify makes of the value (client-node passes MicroTime through).
    assert.match(JSON.stringify(spec.renewTime), MICRO);
    assert.match(JSON.stringify(spec.acquireTime), MICRO);
  });
});
