// The node guard: self-fencing at F, revalidation after a fence (by re-listing, or by peers
// vouching while the API is down), and yielding when isolated (docs/l2.md, "Fencing").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeGuard } from '../../src/election/guard.ts';
import { PeerTable } from '../../src/election/peers.ts';
import type { Heartbeat } from '../../src/election/heartbeat.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';

const T = DEFAULT_L2_TIMINGS;
const F = T.fenceAfterMs;
const INC = 7;

function world(): { peers: PeerTable; guard: NodeGuard; seq: number } {
  const peers = new PeerTable('me', INC, T, 0);
  return { peers, guard: new NodeGuard(T, peers, 0), seq: 0 };
}

/** One heartbeat round at `t`: we send, and `from` answers, acknowledging what we sent. */
function round(w: { peers: PeerTable; guard: NodeGuard; seq: number }, t: number, from: string[], apiAgeMs: number | null = 10): void {
  w.guard.update(t);
  w.seq++;
  w.peers.sent(w.seq, t);
  w.peers.tick(t);
  for (const node of from) {
    const m: Heartbeat = { node, incarnation: 1, seq: w.seq, fenced: false, leaving: false, warming: false, apiAgeMs, policies: ['p'], heard: [{ node: 'me', incarnation: INC, seq: w.seq, ageMs: 1 }], notes: [] };
    w.peers.heard(m, t + 1);
  }
}

test('with peers known, no contact and no API success for F: fenced, judged at the moment of asking', () => {
  const w = world();
  for (let t = 0; t <= 1_000; t += 100) round(w, t, ['b']);
  assert.equal(w.guard.mayAnswer(1_000), true);
  // Contact stops at t = 1,000 (our heartbeat sent then was the last acknowledged).
  assert.equal(w.guard.fencedAt(1_000 + F), false);
  assert.equal(w.guard.fencedAt(1_000 + F + 1), true);
  assert.equal(w.guard.mayAnswer(1_000 + F + 1), false);
  assert.equal(w.guard.fenceDeadline(), 1_000 + F + 1);
  // An API success keeps it unfenced (the node Lease write sent at 1,200 succeeded).
  w.guard.apiOk(1_200);
  assert.equal(w.guard.fencedAt(1_200 + F), false);
  assert.equal(w.guard.fencedAt(1_200 + F + 1), true);
});

test('a node with no peers never fences: nobody could take over', () => {
  const w = world();
  assert.equal(w.guard.fencedAt(1_000_000), false);
  assert.equal(w.guard.mayAnswer(1_000_000), true);
});

test('after a fence, answering waits for a re-list started after the fence ended', () => {
  const w = world();
  for (let t = 0; t <= 1_000; t += 100) round(w, t, ['b']);
  w.guard.update(2_000); // fenced since 1,000 + F
  assert.equal(w.guard.revalidating, true);
  // Contact comes back, from a peer whose API works: it cannot vouch.
  round(w, 2_100, ['b'], 5);
  w.guard.update(2_102);
  assert.equal(w.guard.fencedAt(2_102), false);
  assert.equal(w.guard.mayAnswer(2_102), false, 'unfenced but not revalidated');
  w.guard.synced(1_900); // a list that started during the fence proves nothing
  assert.equal(w.guard.mayAnswer(2_102), false);
  w.guard.synced(2_102);
  assert.equal(w.guard.mayAnswer(2_103), true);
});

test('while the API is down, peers vouch: none of them wrote anything since before we lost touch', () => {
  const w = world();
  for (let t = 0; t <= 1_000; t += 100) round(w, t, ['b', 'c'], 10);
  w.guard.update(2_000);
  assert.equal(w.guard.revalidating, true);
  // Both peers report their last API success at 500 (a while before we lost touch at 1,000).
  round(w, 2_100, ['b'], 2_100 + 1 - 500);
  w.guard.update(2_102);
  assert.equal(w.guard.mayAnswer(2_102), false, 'c has not vouched yet');
  round(w, 2_200, ['b', 'c'], 2_200 + 1 - 500);
  w.guard.update(2_202);
  assert.equal(w.guard.mayAnswer(2_202), true);
});

test('a peer that reached the API after we lost touch cannot vouch', () => {
  const w = world();
  for (let t = 0; t <= 1_000; t += 100) round(w, t, ['b'], 10);
  w.guard.update(2_000);
  // b's last API success at 1,500: it may have taken our VIPs.
  round(w, 2_100, ['b'], 2_100 + 1 - 1_500);
  w.guard.update(2_102);
  assert.equal(w.guard.mayAnswer(2_102), false);
});

test('yielding: we hear nobody while a peer we cannot hear reports hearing others', () => {
  const w = world();
  for (let t = 0; t <= 1_000; t += 100) round(w, t, ['b']);
  w.peers.stamped('b', { incarnation: 1, seq: 11, heard: [], probing: false }, 1_000);
  w.guard.apiOk(1_000);
  const t = 1_000 + T.peerDeadAfterMs + 50;
  w.peers.stamped('b', { incarnation: 1, seq: 18, heard: [], probing: true }, t - 20);
  assert.equal(w.guard.yielding(t), false, 'b hears nobody either (a two-node split): nobody yields');
  w.peers.stamped('b', { incarnation: 1, seq: 19, heard: [{ node: 'w0', incarnation: 1, seq: 1 }, { node: 'w1', incarnation: 1, seq: 1 }], probing: false }, t - 10);
  assert.equal(w.guard.yielding(t), true);
  assert.equal(w.guard.yielding(1_000), false, 'while we still hear b');
});
