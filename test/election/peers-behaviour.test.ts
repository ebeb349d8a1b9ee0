// What the peer table promises its callers, rule by rule (docs/l2.md, "Liveness"), and three
// properties over random histories: the clock's origin does not matter, deadAt() is the first
// moment a silent peer counts as dead, fencedTakeableAt() the first moment fenced() says yes.
// Written against the survivors of mutation testing (issue #15, docs/mutation-testing.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PeerTable, type NodeStamp } from '../../src/election/peers.ts';
import type { Heartbeat, HeardEntry } from '../../src/election/heartbeat.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';

const T = DEFAULT_L2_TIMINGS;
const D = T.peerDeadAfterMs;
const h = T.heartbeatIntervalMs;
const ME_INC = 500;

function hb(node: string, seq: number, extra: Partial<Heartbeat> = {}): Heartbeat {
  return { node, incarnation: 100, seq, fenced: false, leaving: false, warming: false, apiAgeMs: 10, policies: ['p'], heard: [], notes: [], ...extra };
}

function stamp(seq: number, incarnation = 100, heard: string[] = []): NodeStamp {
  return { incarnation, seq, heard: heard.map((node) => ({ node, incarnation: 1, seq: 1 })), probing: false };
}

const ack = (seq: number, incarnation = ME_INC): HeardEntry => ({ node: 'me', incarnation, seq, ageMs: 5 });

/** Hears `node` every round from `from` to `to` (inclusive), ticking as the shell does. */
function hearEvery(p: PeerTable, node: string, from: number, to: number, extra: Partial<Heartbeat> = {}): void {
  for (let t = from; t <= to; t += h) {
    p.tick(t);
    p.heard(hb(node, t / h, extra), t);
  }
}

test('our own name and the empty name never become peers, whatever says them', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  p.know('me', 0);
  p.know('', 0);
  p.heard(hb('me', 1), 0); // our own heartbeat, looped back
  assert.equal(p.stamped('me', stamp(1), 0), false);
  assert.equal(p.stamped('me', stamp(5), 10), false, 'our own node Lease proves nothing');
  assert.equal(p.proveLife('me', 7, 9, 20), false);
  assert.equal(p.proveLife('', 7, 9, 20), false);
  assert.deepEqual(p.nodes(), []);
  assert.equal(p.reachable(20), 0);
  assert.deepEqual(p.heardList(20), []);
});

test('a peer we never came across: pending (benefit of the doubt), no deadlines, no contact', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  for (const t of [0, D, 10 * D]) assert.equal(p.state('stranger', t), 'pending');
  assert.equal(p.deadAt('stranger'), null);
  assert.equal(p.fencedTakeableAt('stranger'), null);
  assert.equal(p.stableAt('stranger'), null);
  assert.equal(p.heardAt('stranger'), null);
  assert.equal(p.fresh('stranger', 0), false);
  assert.equal(p.fenced('stranger', 0), false);
  assert.equal(p.candidate('stranger', ['p'], 0, null), false);
  assert.equal(p.candidateAny('stranger', 0, null), '');
});

test('a peer we know of but never heard is not reachable, not fresh, and not in our heartbeat or stamp', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  p.know('k', 0);
  assert.equal(p.reachable(0), 0);
  assert.equal(p.fresh('k', 0), false);
  assert.equal(p.fenced('k', 0), false);
  assert.deepEqual(p.heardList(0), []);
  assert.deepEqual(p.freshlyHeard(0), []);
  assert.deepEqual(p.heardSince(0), []);
  assert.equal(p.heardAt('k'), null);
  assert.equal(p.awaitingEvidence(0), false);
});

test('a peer heard at the very start of our clock is alive, not pending', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  p.heard(hb('a', 1), 0);
  assert.equal(p.state('a', 0), 'alive');
  assert.equal(p.state('a', D), 'alive');
  assert.equal(p.state('a', D + 1), 'dead');
});

test('a late witness report never moves a peer\'s last sign of life back', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  p.heard(hb('a', 1), 1_000);
  // w heard a 500 ms before w sent: older than our own hearing.
  p.heard(hb('w', 1, { heard: [{ node: 'a', incarnation: 100, seq: 1, ageMs: 500 }] }), 1_100);
  assert.equal(p.state('a', 1_000 + D), 'alive');
  assert.equal(p.state('a', 1_000 + D + 1), 'dead');
  assert.equal(p.deadAt('a'), 1_000 + D + 1);
});

test('warm-up: a peer silent for more than D starts a new stable period; a gap of exactly D does not break it', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  hearEvery(p, 'a', 0, 2_000);
  assert.equal(p.stableAt('a'), T.stableAfterMs);
  assert.equal(p.candidate('a', ['p'], 2_000, null), true);
  // Silent for exactly D: still alive throughout, still the same stable period.
  for (let t = 2_100; t < 2_000 + D; t += h) p.tick(t);
  p.tick(2_000 + D);
  p.heard(hb('a', 100), 2_000 + D);
  assert.equal(p.stableAt('a'), T.stableAfterMs);
  assert.equal(p.candidate('a', ['p'], 2_000 + D, null), true);
  // Silent for D + 1: it was dead for a moment, so it warms up again from its return.
  const back = 2_000 + 2 * D + 1;
  for (let t = 2_000 + D + h; t < back; t += h) p.tick(t);
  p.tick(back);
  p.heard(hb('a', 200), back);
  assert.equal(p.stableAt('a'), back + T.stableAfterMs);
  assert.equal(p.candidate('a', ['p'], back, null), false);
  for (let t = back + h; t <= back + T.stableAfterMs; t += h) {
    p.tick(t);
    p.heard(hb('a', 200 + (t - back) / h), t);
  }
  assert.equal(p.candidate('a', ['p'], back + T.stableAfterMs - 1, null), false);
  assert.equal(p.candidate('a', ['p'], back + T.stableAfterMs, null), true);
});

test('a peer first reported by a witness has been alive since the reported hearing', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  p.heard(hb('w', 1, { heard: [{ node: 'x', incarnation: 9, seq: 4, ageMs: 40 }] }), 100);
  assert.equal(p.state('x', 60 + D), 'alive');
  assert.equal(p.stableAt('x'), 60 + T.stableAfterMs);
  assert.equal(p.fresh('x', 100), false, 'a witness report is not direct contact');
  assert.equal(p.heardAt('x'), null);
});

test('a tick exactly 2h after the previous one is not a stall; one later than that is', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  p.heard(hb('a', 1), 0);
  p.tick(2 * h);
  assert.equal(p.state('a', D + 1), 'dead');
  const q = new PeerTable('me', ME_INC, T, 0);
  q.heard(hb('a', 1), 0);
  q.tick(2 * h + 1);
  assert.equal(q.state('a', D + 1), 'pending', 'we stalled: listen afresh for D');
});

test('acknowledgements: the first ack sets contact even at time 0, newer ones advance it, unknown seqs never do', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  p.sent(1, 0);
  p.sent(2, 100);
  p.sent(3, 200);
  p.heard(hb('a', 1, { heard: [ack(99)] }), 50);
  assert.equal(p.contactAt, null, 'an ack for a heartbeat we never sent');
  p.heard(hb('a', 2, { heard: [ack(1)] }), 60);
  assert.equal(p.contactAt, 0);
  p.heard(hb('a', 3, { heard: [ack(3)] }), 250);
  assert.equal(p.contactAt, 200);
  p.heard(hb('b', 1, { heard: [ack(2)] }), 260);
  assert.equal(p.contactAt, 200, 'an older ack does not move contact back');
});

test('the send times of our last 256 heartbeats are remembered; older acks are ignored', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  for (let seq = 1; seq <= 257; seq++) p.sent(seq, seq * 10);
  p.heard(hb('a', 1, { heard: [ack(1)] }), 3_000);
  assert.equal(p.contactAt, null, 'seq 1 was forgotten');
  p.heard(hb('a', 2, { heard: [ack(2)] }), 3_000);
  assert.equal(p.contactAt, 20, 'seq 2 is the oldest remembered');
});

test('node Lease stamps: a new incarnation proves life even at the same seq; a deleted Lease proves nothing', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  assert.equal(p.stamped('a', stamp(5, 100), 0), false, 'baseline');
  assert.equal(p.stamped('a', stamp(5, 101), 10), true);
  assert.equal(p.stamped('a', null, 20), false);
});

test('evidence from a write of a never-heard node, seen at the very start, makes it unreachable', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  assert.equal(p.proveLife('n', 1, 1, 0), true);
  assert.equal(p.state('n', 1), 'unreachable');
  assert.deepEqual(p.knownPeers(1), ['n']);
  assert.equal(p.meshWorksElsewhere(1), false, 'no node Lease says whom it hears');
});

test('evidence is superseded by a heartbeat heard later: once that heartbeat is D old the peer is dead', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  hearEvery(p, 'a', 0, 0);
  p.stamped('a', stamp(0), 10);
  for (let t = 100; t <= 700; t += 100) p.tick(t);
  assert.equal(p.stamped('a', stamp(3), 700), true);
  assert.equal(p.state('a', 701), 'unreachable');
  assert.equal(p.deadAt('a'), 700 + T.evidenceTtlMs + 1, 'evidence since the last heartbeat holds it for E');
  p.tick(800);
  p.heard(hb('a', 4), 800);
  assert.equal(p.state('a', 800 + D + 1), 'dead');
  assert.equal(p.deadAt('a'), 800 + D + 1);
  // Evidence in the same instant as the last heartbeat does not outlive it either.
  const q = new PeerTable('me', ME_INC, T, 0);
  q.heard(hb('a', 10), 0);
  q.stamped('a', stamp(10), 0);
  q.heard(hb('a', 11), 100);
  assert.equal(q.stamped('a', stamp(13), 100), true);
  assert.equal(q.state('a', 100 + D + 1), 'dead');
});

test('awaitingEvidence: only peers we heard and then lost make us probe, from P after their last heartbeat', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  p.heard(hb('a', 1), 500);
  p.know('k', 500); // known, never heard: nothing to probe for
  assert.equal(p.awaitingEvidence(510), false);
  assert.equal(p.awaitingEvidence(500 + T.probeAfterMs), false);
  assert.equal(p.awaitingEvidence(500 + T.probeAfterMs + 1), true);
  // Evidence from before the last heartbeat does not answer the question; evidence since does,
  // counting from the instant of that heartbeat.
  const q = new PeerTable('me', ME_INC, T, 0);
  q.heard(hb('a', 10), 0);
  q.stamped('a', stamp(10), 50);
  q.stamped('a', stamp(13), 100);
  q.heard(hb('a', 14), 200);
  assert.equal(q.awaitingEvidence(200 + T.probeAfterMs + 1), true);
  const r = new PeerTable('me', ME_INC, T, 0);
  r.heard(hb('a', 10), 0);
  r.stamped('a', stamp(10), 50);
  r.heard(hb('a', 11), 100);
  r.stamped('a', stamp(14), 100);
  assert.equal(r.awaitingEvidence(100 + T.probeAfterMs + 1), false);
});

test('fenced: takeable D − F after the first `fenced` heartbeat of an unbroken run; a break or a restart starts over', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  hearEvery(p, 'h', 0, 1_000);
  assert.equal(p.fencedTakeableAt('h'), null, 'not fenced');
  hearEvery(p, 'h', 1_100, 1_300, { fenced: true });
  const at = 1_100 + D - T.fenceAfterMs;
  assert.equal(p.fencedTakeableAt('h'), at);
  assert.equal(p.fenced('h', at - 1), false);
  assert.equal(p.fenced('h', at), true);
  hearEvery(p, 'h', 1_400, 1_400, { fenced: true });
  assert.equal(p.fencedTakeableAt('h'), at, 'later `fenced` heartbeats do not push it back');
  hearEvery(p, 'h', 1_500, 1_500);
  assert.equal(p.fencedTakeableAt('h'), null, 'a break');
  assert.equal(p.fenced('h', 1_500), false);
  hearEvery(p, 'h', 1_600, 1_600, { fenced: true });
  assert.equal(p.fencedTakeableAt('h'), 1_600 + D - T.fenceAfterMs);
  hearEvery(p, 'h', 1_700, 1_700, { fenced: true, incarnation: 101 });
  assert.equal(p.fencedTakeableAt('h'), 1_700 + D - T.fenceAfterMs, 'a restart');
  // Takeable only while the `fenced` heartbeats are fresh: D after the last one, no more.
  assert.equal(p.fenced('h', 1_700 + D), true);
  assert.equal(p.fenced('h', 1_700 + D + 1), false);
});

test('candidates: serving any one of the policies is enough; candidateAny names them sorted', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  hearEvery(p, 'b', 0, 1_000, { policies: ['q', 'p'] });
  assert.equal(p.candidate('b', ['p', 'x'], 1_000, null), true);
  assert.equal(p.candidateAny('b', 1_000, null), 'p,q');
  assert.equal(p.candidateAny('b', 1_000 - 1, null), '', 'not yet stable');
  const q = new PeerTable('me', ME_INC, T, 0);
  hearEvery(q, 'c', 0, 1_000, { policies: [] });
  assert.equal(q.candidateAny('c', 1_000, null), '', 'serves nothing');
  // The key follows each heartbeat's policies at once; a duplicate in a heartbeat and the same
  // set in another order give the same key.
  hearEvery(p, 'b', 1_100, 1_100, { policies: ['r'] });
  assert.equal(p.candidateAny('b', 1_100, null), 'r');
  assert.equal(p.candidate('b', ['p'], 1_100, null), false);
  hearEvery(p, 'b', 1_200, 1_200, { policies: ['s', 'r', 's'] });
  assert.equal(p.candidateAny('b', 1_200, null), 'r,s');
  hearEvery(p, 'b', 1_300, 1_300, { policies: ['r', 's'] });
  assert.equal(p.candidateAny('b', 1_300, null), 'r,s');
  hearEvery(p, 'b', 1_400, 1_400, { policies: ['r', 't'] });
  assert.equal(p.candidateAny('b', 1_400, null), 'r,t');
  hearEvery(p, 'b', 1_500, 1_500, { policies: ['t', 't'] });
  assert.equal(p.candidateAny('b', 1_500, null), 't', 'as many names as before, one of them twice');
  assert.equal(p.candidate('b', ['r'], 1_500, null), false);
  hearEvery(p, 'b', 1_600, 1_600, { policies: [] });
  assert.equal(p.candidateAny('b', 1_600, null), '');
});

test('API staleness: relative to our own contact, stale only when MORE than api-stale-after older; no judgement before we reach the API', () => {
  const stale = T.apiStaleAfterMs;
  const p = new PeerTable('me', ME_INC, T, 0);
  hearEvery(p, 'a', 0, 2_000, { apiAgeMs: 10 });
  const peerOk = 2_000 - 10;
  assert.equal(p.candidate('a', ['p'], 2_000, peerOk + stale), true);
  assert.equal(p.candidate('a', ['p'], 2_000, peerOk + stale + 1), false);
  // We never reached the API ourselves: a peer's long-lost API contact does not disqualify it.
  const q = new PeerTable('me', ME_INC, T, 0);
  hearEvery(q, 'a', 0, 2_000, { apiAgeMs: 600_000 });
  assert.equal(q.candidate('a', ['p'], 2_000, null), true);
});

test('what our heartbeat and node Lease report, and what the guard reads back', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  p.heard(hb('a', 7), 1_000);
  p.heard(hb('b', 3, { incarnation: 200, apiAgeMs: 40 }), 1_150);
  p.heard(hb('w', 1, { heard: [{ node: 'x', incarnation: 9, seq: 4, ageMs: 30 }] }), 1_180);
  p.know('k', 1_190);
  p.proveLife('z', 1, 1, 1_100);
  assert.deepEqual(p.nodes(), ['a', 'b', 'w', 'x', 'k', 'z']);
  assert.deepEqual(p.heardList(1_200), [
    { node: 'a', incarnation: 100, seq: 7, ageMs: 200 },
    { node: 'b', incarnation: 200, seq: 3, ageMs: 50 },
    { node: 'w', incarnation: 100, seq: 1, ageMs: 20 },
  ]);
  assert.deepEqual(p.freshlyHeard(1_200), [
    { node: 'a', incarnation: 100, seq: 7 },
    { node: 'b', incarnation: 200, seq: 3 },
    { node: 'w', incarnation: 100, seq: 1 },
  ]);
  assert.deepEqual(
    p.freshlyHeard(1_201).map((e) => e.node),
    ['b', 'w'],
    'a was heard more than 2h ago',
  );
  assert.equal(p.fresh('a', 1_000 + 2 * h), true);
  assert.equal(p.fresh('a', 1_000 + 2 * h + 1), false);
  assert.equal(p.heardAt('a'), 1_000);
  assert.deepEqual(p.heardSince(1_150), [
    { node: 'b', apiAgeMs: 40, heardAt: 1_150 },
    { node: 'w', apiAgeMs: 10, heardAt: 1_180 },
  ]);
  assert.equal(p.reachable(1_200), 3);
  assert.equal(p.reachable(1_000 + D + 1), 2);
  // Known peers: last sign of life (heard, witnessed or proved) within E.
  assert.deepEqual(p.knownPeers(1_200), ['a', 'b', 'w', 'x', 'z']);
  assert.deepEqual(p.knownPeers(1_000 + T.evidenceTtlMs), ['a', 'b', 'w', 'x', 'z']);
  assert.deepEqual(p.knownPeers(1_000 + T.evidenceTtlMs + 1), ['b', 'w', 'x', 'z']);
  assert.deepEqual(p.knownPeers(1_180 + T.evidenceTtlMs + 1), []);
});

test('the mesh works elsewhere only by word of a peer we cannot hear', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  hearEvery(p, 'a', 0, 1_000);
  p.stamped('a', stamp(0, 100, ['w0']), 500);
  p.stamped('a', stamp(9, 100, ['w0']), 1_000);
  assert.equal(p.meshWorksElsewhere(1_000), false, 'we hear a ourselves');
});

// Random histories for the properties: heartbeats (with witness reports and acks), node Lease
// stamps, writes seen, ticks and silences, over a few nodes including our own name.
type Ev =
  | { k: 'wait'; dt: number; tick: boolean }
  | { k: 'hb'; node: string; inc: number; fenced: boolean; leaving: boolean; warming: boolean; api: number | null; pols: string[]; witness: { node: string; ageMs: number }[]; ack: { seq: number; inc: number } | null }
  | { k: 'sent' }
  | { k: 'stamp'; node: string; inc: number; dseq: number; heard: string[]; gone: boolean }
  | { k: 'prove'; node: string; inc: number; dseq: number }
  | { k: 'know'; node: string };

const NODES = ['a', 'b', 'c', 'me'];
const nodeArb = fc.constantFrom(...NODES);
const evArb: fc.Arbitrary<Ev> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('wait' as const), dt: fc.integer({ min: 0, max: 900 }), tick: fc.boolean() }) },
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('hb' as const),
      node: nodeArb,
      inc: fc.constantFrom(1, 2),
      fenced: fc.boolean(),
      leaving: fc.boolean(),
      warming: fc.boolean(),
      api: fc.option(fc.integer({ min: 0, max: 8_000 }), { nil: null }),
      pols: fc.subarray(['p', 'q']),
      witness: fc.array(fc.record({ node: fc.constantFrom('a', 'b', 'c', 'x'), ageMs: fc.integer({ min: 0, max: 900 }) }), { maxLength: 2 }),
      ack: fc.option(fc.record({ seq: fc.integer({ min: 0, max: 12 }), inc: fc.constantFrom(ME_INC, ME_INC + 1) }), { nil: null }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('sent' as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('stamp' as const), node: nodeArb, inc: fc.constantFrom(1, 2), dseq: fc.integer({ min: 0, max: 3 }), heard: fc.subarray(['a', 'b', 'x']), gone: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('prove' as const), node: fc.constantFrom('a', 'b', 'c', 'me', ''), inc: fc.constantFrom(1, 2), dseq: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('know' as const), node: fc.constantFrom('a', 'b', 'c', 'k', 'me', '') }) },
);
const historyArb = fc.array(evArb, { maxLength: 40 });
const originArb = fc.integer({ min: -10_000_000, max: 10_000_000 });

/** Plays a history on a fresh table whose clock starts at `origin`; returns the table and the final time. */
function play(events: Ev[], origin: number): { p: PeerTable; now: number } {
  const p = new PeerTable('me', ME_INC, T, origin);
  let now = origin;
  let sent = 0;
  const seq = new Map<string, number>();
  const next = (node: string, by = 1): number => {
    const s = (seq.get(node) ?? 0) + by;
    seq.set(node, s);
    return s;
  };
  for (const e of events) {
    switch (e.k) {
      case 'wait':
        now += e.dt;
        if (e.tick) p.tick(now);
        break;
      case 'hb': {
        const heard: HeardEntry[] = e.witness.map((w) => ({ node: w.node, incarnation: 1, seq: seq.get(w.node) ?? 0, ageMs: w.ageMs }));
        if (e.ack !== null) heard.push({ node: 'me', incarnation: e.ack.inc, seq: e.ack.seq, ageMs: 3 });
        p.heard(hb(e.node, next(e.node), { incarnation: e.inc, fenced: e.fenced, leaving: e.leaving, warming: e.warming, apiAgeMs: e.api, policies: e.pols, heard }), now);
        break;
      }
      case 'sent':
        p.sent(++sent, now);
        break;
      case 'stamp':
        p.stamped(e.node, e.gone ? null : { incarnation: e.inc, seq: next(e.node, e.dseq), heard: e.heard.map((n) => ({ node: n, incarnation: 1, seq: seq.get(n) ?? 0 })), probing: false }, now);
        break;
      case 'prove':
        p.proveLife(e.node, e.inc, next(e.node, e.dseq), now);
        break;
      case 'know':
        p.know(e.node, now);
        break;
    }
  }
  return { p, now };
}

const ASKED = [...NODES, 'x', 'k', '', 'stranger'];
const LATER = [0, 1, h, T.probeAfterMs, T.probeAfterMs + 1, D, D + 1, T.stableAfterMs, T.evidenceTtlMs, T.evidenceTtlMs + 1];

/** Everything the table answers, with times relative to `origin`. */
function observe(p: PeerTable, now: number, origin: number, apiOk: number | null): unknown {
  const rel = (t: number | null): number | null => (t === null ? null : t - origin);
  const ourApi = apiOk === null ? null : origin + apiOk;
  return {
    nodes: p.nodes(),
    contactAt: rel(p.contactAt),
    perNode: ASKED.map((n) => ({
      deadAt: rel(p.deadAt(n)),
      fencedTakeableAt: rel(p.fencedTakeableAt(n)),
      stableAt: rel(p.stableAt(n)),
      heardAt: rel(p.heardAt(n)),
      at: LATER.map((d) => [p.state(n, now + d), p.fresh(n, now + d), p.fenced(n, now + d), p.candidate(n, ['p'], now + d, ourApi), p.candidateAny(n, now + d, ourApi)]),
    })),
    at: LATER.map((d) => ({
      heardList: p.heardList(now + d),
      freshlyHeard: p.freshlyHeard(now + d),
      knownPeers: p.knownPeers(now + d),
      reachable: p.reachable(now + d),
      mesh: p.meshWorksElsewhere(now + d),
      awaiting: p.awaitingEvidence(now + d),
      heardSince: p.heardSince(now - d).map((e) => ({ ...e, heardAt: e.heardAt - origin })),
    })),
  };
}

test('property: the origin of the monotonic clock changes nothing', () => {
  fc.assert(
    fc.property(historyArb, originArb, fc.option(fc.integer({ min: -9_000, max: 9_000 }), { nil: null }), (events, origin, apiOk) => {
      const zero = play(events, 0);
      const shifted = play(events, origin);
      assert.deepEqual(observe(shifted.p, shifted.now, origin, apiOk === null ? null : zero.now + apiOk), observe(zero.p, zero.now, 0, apiOk === null ? null : zero.now + apiOk));
    }),
    { numRuns: 150 },
  );
});

test('property: deadAt is the first moment a peer counts as dead if nothing more is heard of it', () => {
  fc.assert(
    fc.property(historyArb, originArb, (events, origin) => {
      const { p } = play(events, origin);
      for (const n of p.nodes()) {
        const d = p.deadAt(n);
        assert.notEqual(d, null, n);
        assert.equal(p.state(n, d! - 1) === 'dead', false, `${n} before deadAt`);
        for (const later of [0, 1, D, T.evidenceTtlMs]) assert.equal(p.state(n, d! + later), 'dead', `${n} at deadAt + ${later}`);
      }
    }),
    { numRuns: 150 },
  );
});

test('property: fencedTakeableAt is the first moment fenced() holds, while the `fenced` heartbeats are fresh', () => {
  fc.assert(
    fc.property(historyArb, originArb, (events, origin) => {
      const { p, now } = play(events, origin);
      for (const n of p.nodes()) {
        const at = p.fencedTakeableAt(n);
        if (at === null) {
          for (const d of LATER) assert.equal(p.fenced(n, now + d), false, n);
          continue;
        }
        assert.equal(p.fenced(n, at - 1), false, `${n} before`);
        assert.equal(p.fenced(n, at), at - p.heardAt(n)! <= D, `${n} at`);
      }
    }),
    { numRuns: 150 },
  );
});

test('property: inputCodes gives one code per peer, in the table\'s order, equal exactly when what a pass reads of the peers is', () => {
  fc.assert(
    fc.property(historyArb, originArb, fc.option(fc.integer({ min: 0, max: 8_000 }), { nil: null }), fc.subarray(['a', 'b', 'c']), (events, origin, apiOk, dampedList) => {
      const { p, now } = play(events, origin);
      const ourApi = apiOk === null ? null : origin + apiOk;
      const damped = new Set(dampedList);
      const nodes = p.nodes();
      const seen: { code: number; what: string }[] = [];
      for (const d of LATER) {
        const out: number[] = [7]; // codes are appended after what the caller put there
        p.inputCodes(now + d, ourApi, damped, out);
        assert.equal(out.length, 1 + nodes.length);
        assert.equal(out[0], 7);
        nodes.forEach((n, i) => {
          const what = JSON.stringify([p.state(n, now + d), p.fenced(n, now + d), p.fresh(n, now + d), damped.has(n), p.candidateAny(n, now + d, ourApi)]);
          seen.push({ code: out[i + 1]!, what });
        });
      }
      for (const x of seen) for (const y of seen) assert.equal(x.code === y.code, x.what === y.what, `${x.what} ~ ${y.what}`);
    }),
    { numRuns: 200 },
  );
});

test('inputCodes: peers alike in everything a pass reads share a code; a different candidacy, or none, gives another', () => {
  const p = new PeerTable('me', ME_INC, T, 0);
  const policies: Record<string, string[]> = { a: ['p'], b: ['q'], c: ['p'], d: [], e: ['q', 'p'], f: ['p'], g: ['p', 'q'] };
  for (const [node, pols] of Object.entries(policies)) hearEvery(p, node, 0, 1_000, { policies: pols, warming: node === 'f' });
  const out: number[] = [];
  p.inputCodes(1_000, null, new Set(), out);
  const code = new Map(p.nodes().map((n, i) => [n, out[i]]));
  assert.equal(code.get('a'), code.get('c'), 'the same policy');
  assert.equal(code.get('e'), code.get('g'), 'the same policies, named in another order');
  assert.notEqual(code.get('a'), code.get('b'), 'another policy');
  assert.notEqual(code.get('a'), code.get('e'), 'more policies');
  assert.equal(code.get('d'), code.get('f'), 'a candidate for nothing is no candidate (f is warming up)');
  assert.notEqual(code.get('a'), code.get('f'), 'a candidate or not');
  assert.equal(new Set([code.get('a'), code.get('b'), code.get('d'), code.get('e')]).size, 4);
});
