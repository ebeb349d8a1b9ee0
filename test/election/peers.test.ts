// Peer liveness in virtual time: direct heartbeats, witnesses, evidence from node Lease stamps,
// acknowledgements, stalls, and who counts as a candidate (docs/l2.md, "Liveness").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerTable } from '../../src/election/peers.ts';
import type { Heartbeat, HeardEntry } from '../../src/election/heartbeat.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';

const T = DEFAULT_L2_TIMINGS;
const D = T.peerDeadAfterMs;
const ME_INC = 500;

function hb(node: string, seq: number, extra: Partial<Heartbeat> = {}): Heartbeat {
  return { node, incarnation: 100, seq, fenced: false, leaving: false, warming: false, apiAgeMs: 10, policies: ['p'], heard: [], notes: [], ...extra };
}

function table(now = 0): PeerTable {
  return new PeerTable('me', ME_INC, T, now);
}

test('a peer is alive for D after its last heartbeat, then dead; unheard peers get D of benefit of the doubt', () => {
  const p = table();
  p.know('quiet', 0);
  assert.equal(p.state('quiet', 0), 'pending');
  assert.equal(p.state('quiet', D), 'pending');
  assert.equal(p.state('quiet', D + 1), 'dead');
  // Ticks every 100 ms, as the shell does (a longer gap would be a stall, see below).
  for (let t = 100; t <= 1_000; t += 100) p.tick(t);
  p.heard(hb('a', 1), 1_000);
  for (const [t, want] of [[1_000, 'alive'], [1_000 + D, 'alive'], [1_000 + D + 1, 'dead']] as const) {
    for (let u = 1_000; u <= t; u += 100) p.tick(u);
    assert.equal(p.state('a', t), want, `at ${t}`);
  }
  assert.equal(p.deadAt('a'), 1_000 + D + 1);
  assert.equal(p.state('me', 99_999), 'alive');
});

test('a witness keeps a peer alive that we cannot hear, but does not make it a candidate', () => {
  const p = table();
  p.heard(hb('x', 1), 0);
  // From 100 on only w hears x; w reports x heard 40 ms before w sent.
  for (let t = 100; t <= 2_000; t += 100) {
    p.tick(t);
    p.heard(hb('w', t, { heard: [{ node: 'x', incarnation: 100, seq: t, ageMs: 40 }] }), t);
  }
  assert.equal(p.state('x', 2_000), 'alive');
  assert.equal(p.candidate('x', ['p'], 2_000, null), false, 'only direct contact makes a candidate');
  // The witness stops reporting: dead D after the last report's hearing time.
  assert.equal(p.state('x', 2_000 - 40 + D), 'alive');
  assert.equal(p.state('x', 2_000 - 40 + D + 1), 'dead');
});

test('evidence from node Lease stamps: the first stamp is a baseline; a later one proves life only if 2 rounds beyond what we heard, or from a new process', () => {
  const p = table();
  p.heard(hb('a', 10), 0);
  const stamp = (seq: number, incarnation = 100) => ({ incarnation, seq, heard: [{ node: 'w0', incarnation: 1, seq: 1 }, { node: 'w1', incarnation: 1, seq: 1 }], probing: false });
  assert.equal(p.stamped('a', stamp(10), 50), false, 'baseline');
  assert.equal(p.stamped('a', stamp(11), 700), false, 'one round beyond: may have been written just before a crash');
  assert.equal(p.state('a', 701), 'dead');
  assert.equal(p.stamped('a', stamp(12), 800), true);
  assert.equal(p.state('a', 801), 'unreachable');
  assert.equal(p.state('a', 800 + T.evidenceTtlMs), 'unreachable');
  assert.equal(p.state('a', 800 + T.evidenceTtlMs + 1), 'dead');
  assert.equal(p.stamped('a', stamp(12), 900), false, 'an unchanged stamp (a relist) proves nothing');
  assert.equal(p.stamped('a', stamp(0, 101), 1_000), true, 'a new incarnation');
  // A node never heard: any change of its stamp proves life.
  assert.equal(p.stamped('b', stamp(3), 0), false);
  assert.equal(p.stamped('b', stamp(4), 10), true);
  // A deleted node Lease forgets the evidence.
  p.stamped('b', null, 20);
  assert.equal(p.state('b', 20 + D + 1), 'dead');
  // A stamp lists what its writer heard: a witness through the API, by the same 2-round rule.
  p.heard(hb('c', 50), 1_000);
  const witness = (seq: number, cSeq: number) => ({ incarnation: 100, seq, heard: [{ node: 'c', incarnation: 100, seq: cSeq }], probing: false });
  p.stamped('w', witness(1, 50), 1_000);
  p.stamped('w', witness(2, 51), 1_700);
  assert.equal(p.state('c', 1_700), 'dead', 'c heard one round beyond us: not proof');
  p.stamped('w', witness(3, 52), 1_800);
  assert.equal(p.state('c', 1_800), 'unreachable');
  // Writes seen as they happen (VIP Lease transitions) count without a baseline.
  assert.equal(p.proveLife('a', 100, 11, 5_000), false);
  assert.equal(p.proveLife('a', 100, 12, 5_000), true);
});

test('acknowledgements give the send time of our newest heartbeat a peer heard; stale or foreign acks do not', () => {
  const p = table();
  for (let seq = 1; seq <= 5; seq++) p.sent(seq, seq * 100);
  const ack = (seq: number, incarnation = ME_INC): HeardEntry => ({ node: 'me', incarnation, seq, ageMs: 5 });
  assert.equal(p.contactAt, null);
  p.heard(hb('a', 1, { heard: [ack(3)] }), 350);
  assert.equal(p.contactAt, 300);
  p.heard(hb('b', 1, { heard: [ack(2)] }), 360);
  assert.equal(p.contactAt, 300, 'an older ack does not move contact back');
  p.heard(hb('a', 2, { heard: [ack(5, ME_INC + 1)] }), 560);
  assert.equal(p.contactAt, 300, 'an ack for another incarnation of us');
  p.heard(hb('a', 3, { heard: [ack(99)] }), 570);
  assert.equal(p.contactAt, 300, 'a seq we never sent');
});

test('a stall of our own process restarts the listening window: nobody is declared dead until we have listened for D', () => {
  const p = table();
  p.heard(hb('a', 1), 0);
  p.tick(100);
  p.tick(2_000); // 1,900 ms without a tick: we were stalled
  assert.equal(p.state('a', 2_000), 'pending');
  assert.equal(p.state('a', 2_000 + D), 'pending');
  assert.equal(p.state('a', 2_000 + D + 1), 'dead');
});

test('candidates: heard directly, stable for J, not fenced or leaving, able to write, serving a policy', () => {
  const t0 = 0;
  const ok = (p: PeerTable, node: string, t: number, policies = ['p']): boolean => p.candidate(node, policies, t, t - 5);
  const p = table();
  for (let t = t0; t <= 2_000; t += 100) p.heard(hb('a', t / 100), t);
  assert.equal(ok(p, 'a', T.stableAfterMs - 1), false, 'not yet stable');
  assert.equal(ok(p, 'a', 2_000), true);
  assert.equal(ok(p, 'a', 2_000, ['other']), false, 'serves none of the policies');
  const flags: [string, Partial<Heartbeat>][] = [
    ['fenced', { fenced: true }],
    ['leaving', { leaving: true }],
    ['warming up', { warming: true }],
    ['no API yet', { apiAgeMs: null }],
    ['API stale', { apiAgeMs: T.apiStaleAfterMs + 10 }],
  ];
  for (const [what, extra] of flags) {
    const q = table();
    for (let t = 0; t <= 2_000; t += 100) q.heard(hb('a', t / 100, extra), t);
    assert.equal(ok(q, 'a', 2_000), false, what);
  }
  // Staleness is relative to our own API contact: when we cannot reach the API either (an outage
  // of the whole API), a peer with old API contact is still a candidate, so rankings agree.
  const stale = table();
  for (let t = 0; t <= 2_000; t += 100) stale.heard(hb('a', t / 100, { apiAgeMs: T.apiStaleAfterMs + 10 }), t);
  assert.equal(stale.candidate('a', ['p'], 2_000, 2_000 - T.apiStaleAfterMs - 10), true);
  assert.equal(stale.candidate('a', ['p'], 2_000, 2_000), false);
  // A restart (new incarnation) starts a new stable period.
  p.heard(hb('a', 0, { incarnation: 101 }), 2_100);
  assert.equal(ok(p, 'a', 2_100), false);
  for (let t = 2_200; t <= 2_100 + T.stableAfterMs; t += 100) p.heard(hb('a', t / 100, { incarnation: 101 }), t);
  assert.equal(ok(p, 'a', 2_100 + T.stableAfterMs), true);
  // The fenced flag lets peers take at once, but only while the flag is fresh.
  const f = table();
  f.heard(hb('a', 1, { fenced: true }), 0);
  assert.equal(f.fenced('a', D), true);
  assert.equal(f.fenced('a', D + 1), false);
});

test('awaitingEvidence: a peer silent for P asks for probing until it is classified', () => {
  const p = table();
  p.heard(hb('a', 10), 0);
  assert.equal(p.awaitingEvidence(T.probeAfterMs), false);
  assert.equal(p.awaitingEvidence(T.probeAfterMs + 1), true);
  p.stamped('a', { incarnation: 100, seq: 10, heard: [{ node: 'w0', incarnation: 1, seq: 1 }], probing: false }, 300);
  p.stamped('a', { incarnation: 100, seq: 13, heard: [{ node: 'w0', incarnation: 1, seq: 1 }], probing: false }, 350);
  assert.equal(p.awaitingEvidence(400), false, 'evidence arrived');
  const q = table();
  q.heard(hb('a', 10), 0);
  assert.equal(q.awaitingEvidence(D + 1), false, 'dead: nothing to wait for');
});

test('the mesh works elsewhere when a peer we cannot hear says in its node Lease that it hears others', () => {
  const p = table();
  p.heard(hb('a', 10), 0);
  p.stamped('a', { incarnation: 100, seq: 10, heard: [], probing: false }, 10);
  p.stamped('a', { incarnation: 100, seq: 14, heard: [], probing: true }, 700);
  assert.equal(p.meshWorksElsewhere(701), false, 'it hears nobody either');
  p.stamped('a', { incarnation: 100, seq: 16, heard: [{ node: 'w0', incarnation: 1, seq: 1 }, { node: 'w1', incarnation: 1, seq: 1 }, { node: 'w2', incarnation: 1, seq: 1 }], probing: false }, 800);
  assert.equal(p.meshWorksElsewhere(801), true);
  assert.equal(p.reachable(801), 0);
  assert.ok(p.knownPeers(801).includes('a'));
  assert.deepEqual(p.knownPeers(801 + T.evidenceTtlMs + 1), []);
});
