// Regression, "rolling upgrade released VIPs" (issue #12, found by test/e2e/l2-rollout.test.ts):
// the lab rolled the speakers one node at a time, moving on as soon as the new speaker answered
// /healthz. The next node drained while the restarted ones still said `warming`; with no peer it
// could hand to, it released its VIPs, which stayed dark about 0.5 s until a peer took them. The
// speaker is now ready (/readyz, which a DaemonSet rollout waits for) only once its election is
// warm (Election.isWarm), and a node drained after its peer is warm hands over to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Election } from '../../src/election/election.ts';
import type { Heartbeat } from '../../src/election/heartbeat.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';
import type { VipAction } from '../../src/election/vip-machine.ts';

const T = DEFAULT_L2_TIMINGS;
const WARM_AFTER = T.peerDeadAfterMs + T.stableAfterMs;
const IP = '192.0.2.200';

/** Node a holding IP, which both a and b may serve, with b heartbeating from t = 0. */
function holder(): Election {
  const e = new Election({ me: 'a', incarnation: 1, timings: T, startedAt: 0, trustNotes: false });
  e.setDesired(new Map([[IP, { nodes: new Map([['a', ['p']], ['b', ['p']]]), demoted: new Set<string>(), servable: true }]]), ['p'], 0);
  e.onLeaseSync(new Map([[IP, { holder: 'a', epoch: 3, version: '42' }]]), 0, 10);
  e.onApiResult(true, 20, 30);
  return e;
}

/** Heartbeat rounds from `from` to `to` (exclusive): a sends, b answers having heard it. */
function rounds(e: Election, from: number, to: number, bWarming: (t: number) => boolean): void {
  for (let t = from; t < to; t += T.heartbeatIntervalMs) {
    const mine = e.heartbeat(t);
    const b: Heartbeat = { node: 'b', incarnation: 2, seq: t / T.heartbeatIntervalMs + 1, fenced: false, leaving: false, warming: bWarming(t), apiAgeMs: 10, policies: ['p'], heard: [{ node: 'a', incarnation: 1, seq: mine.seq, ageMs: 1 }], notes: [] };
    e.onHeartbeat(b, t + 1);
    e.onApiResult(true, t + 2, t + 3);
    e.tick(t + 5);
  }
}

function writes(actions: readonly VipAction[]): string[] {
  return actions.flatMap((a) => (a.kind === 'write' ? [`${a.op} ${a.holder}`] : []));
}

test('rolling upgrade released VIPs: isWarm is false until the Lease view is synced and D + J have passed since start', () => {
  const e = new Election({ me: 'a', incarnation: 1, timings: T, startedAt: 0, trustNotes: false });
  assert.equal(e.isWarm(WARM_AFTER + 10_000), false, 'never warm without a synced Lease view');
  e.onLeaseSync(new Map(), 0, 10);
  assert.equal(e.isWarm(WARM_AFTER - 1), false);
  assert.equal(e.isWarm(WARM_AFTER), true);
});

test('rolling upgrade released VIPs: drained while its only peer still warms up, a node releases; drained once the peer is warm, it hands over', () => {
  // b restarted at 2 s: it says warming for its own D + J.
  const bWarmFrom = 2_000 + WARM_AFTER;
  const early = holder();
  rounds(early, 0, 2_500, (t) => t < bWarmFrom);
  assert.deepEqual(writes(early.drain(2_500)), ['release '], 'no successor while b warms up');

  const late = holder();
  // Drained once b has been warm (and heard) for longer than J: the readiness gate's moment.
  const at = bWarmFrom + T.stableAfterMs + 500;
  rounds(late, 0, at, (t) => t < bWarmFrom);
  assert.equal(late.isWarm(at), true);
  assert.deepEqual(writes(late.drain(at)), ['handover b']);
});
