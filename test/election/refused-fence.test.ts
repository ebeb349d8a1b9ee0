// Regression, "etcd wipe split brain" (issue #8, found by test/e2e/l2-outage.test.ts on the real
// kube-apiserver): after etcd lost everything and the cluster was restored from its manifests, a
// speaker restarted with a fresh token took every VIP at epoch 0 while the speakers not yet
// restarted, their ServiceAccount gone (401), went on answering theirs at higher epochs: two
// answerers per VIP for 6 to 15 s. A request refused with 401 now fences the node at once
// (docs/l2.md, "When the API server or etcd goes away").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Election } from '../../src/election/election.ts';
import { NodeGuard } from '../../src/election/guard.ts';
import type { Heartbeat } from '../../src/election/heartbeat.ts';
import { PeerTable } from '../../src/election/peers.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';

const T = DEFAULT_L2_TIMINGS;
const INC = 7;

function world(): { peers: PeerTable; guard: NodeGuard; seq: number } {
  const peers = new PeerTable('me', INC, T, 0);
  return { peers, guard: new NodeGuard(T, peers, 0), seq: 0 };
}

/** One heartbeat round at `t`, answered by `from`: contact stays fresh throughout. */
function round(w: { peers: PeerTable; guard: NodeGuard; seq: number }, t: number, from: string[]): void {
  w.guard.update(t);
  w.seq++;
  w.peers.sent(w.seq, t);
  w.peers.tick(t);
  for (const node of from) {
    const m: Heartbeat = { node, incarnation: 1, seq: w.seq, fenced: false, leaving: false, warming: false, apiAgeMs: 10, policies: ['p'], heard: [{ node: 'me', incarnation: INC, seq: w.seq, ageMs: 1 }], notes: [] };
    w.peers.heard(m, t + 1);
  }
}

test('etcd wipe split brain: a 401 fences at once, though peers are heard', () => {
  const w = world();
  for (let t = 0; t <= 1_000; t += 100) round(w, t, ['b']);
  w.guard.apiOk(900);
  assert.equal(w.guard.mayAnswer(1_000), true);
  w.guard.refused(1_000);
  round(w, 1_100, ['b']); // contact is fresh: only the refusal fences
  assert.equal(w.guard.fencedAt(1_100), true);
  assert.equal(w.guard.mayAnswer(1_100), false);
});

test('etcd wipe split brain: a lone node fences on a 401 too', () => {
  const w = world();
  w.guard.refused(500);
  assert.equal(w.guard.fencedAt(500), true);
  assert.equal(w.guard.mayAnswer(500), false);
});

test('etcd wipe split brain: a refusal of a request sent before the last success does not fence', () => {
  const w = world();
  for (let t = 0; t <= 1_000; t += 100) round(w, t, ['b']);
  w.guard.apiOk(1_000);
  w.guard.refused(900);
  assert.equal(w.guard.fencedAt(1_000), false);
  assert.equal(w.guard.refusedAt, null);
});

test('etcd wipe split brain: answering again needs a later success, then a re-list started after it', () => {
  const w = world();
  for (let t = 0; t <= 1_000; t += 100) round(w, t, ['b']);
  w.guard.refused(1_000);
  round(w, 1_100, ['b']);
  assert.equal(w.guard.revalidating, true);
  w.guard.apiOk(1_200); // the credentials work again (a new token)
  round(w, 1_300, ['b']);
  assert.equal(w.guard.fencedAt(1_300), false);
  // The Leases may have changed under us: a peer whose API works cannot vouch, a re-list must.
  assert.equal(w.guard.mayAnswer(1_300), false);
  w.guard.synced(1_300);
  assert.equal(w.guard.mayAnswer(1_300), true);
});

test('etcd wipe split brain: the election stops answering a held VIP and says fenced in its heartbeats', () => {
  const e = new Election({ me: 'a', incarnation: 1, timings: T, startedAt: 0, trustNotes: false });
  const ip = '192.0.2.200';
  e.setDesired(new Map([[ip, { nodes: new Map([['a', ['p']]]), demoted: new Set<string>(), servable: true }]]), ['p'], 0);
  e.onLeaseSync(new Map([[ip, { holder: 'a', epoch: 3, version: '42' }]]), 0, 10);
  e.onApiResult(true, 20, 30);
  assert.equal(e.drained(), false, 'it holds a VIP');
  const t = T.peerDeadAfterMs + T.stableAfterMs + 100;
  e.tick(t);
  assert.equal(e.mayAnswer(ip, t), true, 'it answers while its Lease names it');
  e.onApiRefused(t, t + 5);
  assert.equal(e.mayAnswer(ip, t + 5), false);
  assert.equal(e.heartbeat(t + 5).fenced, true);
  // A later success lifts the fence; answering resumes after a re-list.
  e.onApiResult(true, t + 10, t + 20);
  assert.equal(e.mayAnswer(ip, t + 20), false, 'not before the re-list');
  e.onLeaseSync(new Map([[ip, { holder: 'a', epoch: 3, version: '42' }]]), t + 20, t + 30);
  assert.equal(e.mayAnswer(ip, t + 30), true);
  // Refused again, then SIGTERM: no handover can be written, so there is nothing to wait for.
  e.onApiRefused(t + 40, t + 50);
  e.drain(t + 60);
  assert.equal(e.drained(), true);
});
