// How one node keeps in touch (src/election/contact.ts; docs/l2.md "Probing"): when it answers a
// peer's probe, that it probes for a silent peer once, the API round trip behind the takeover
// stagger, and the re-list bookkeeping after a refusal. Virtual time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeContact } from '../../src/election/contact.ts';
import { NodeGuard } from '../../src/election/guard.ts';
import { rankNodes } from '../../src/election/hash.ts';
import { PeerTable } from '../../src/election/peers.ts';
import type { NodeStamp } from '../../src/election/peers.ts';
import type { Heartbeat } from '../../src/election/heartbeat.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';

const T = DEFAULT_L2_TIMINGS;
const h = T.heartbeatIntervalMs;
const INC = 7;

interface World {
  peers: PeerTable;
  guard: NodeGuard;
  contact: NodeContact;
}

function world(): World {
  const peers = new PeerTable('me', INC, T, 0);
  const guard = new NodeGuard(T, peers, 0);
  return { peers, guard, contact: new NodeContact('me', INC, T, peers, guard) };
}

/** One heartbeat round at `t`: we send, each of `from` answers, acknowledging it unless `ack` is false. */
function round(w: World, t: number, from: readonly string[], ack = true): void {
  w.guard.update(t);
  const seq = w.contact.nextRound(t);
  w.peers.tick(t);
  for (const node of from) {
    const m: Heartbeat = { node, incarnation: 1, seq, fenced: false, leaving: false, warming: false, apiAgeMs: 10, policies: ['p'], heard: ack ? [{ node: 'me', incarnation: INC, seq, ageMs: 1 }] : [], notes: [] };
    w.peers.heard(m, t + 1);
  }
}

/** Our node Lease write at `t`, answered ok or not 3 ms later; the stamp it carried. */
function write(w: World, t: number, ok = true): NodeStamp {
  const stamp = w.contact.nodeLeaseWriteStarted(t);
  w.contact.nodeLeaseWritten(ok, t, t + 3);
  return stamp;
}

const probe = (heard: readonly string[]): NodeStamp => ({ incarnation: 1, seq: 50, heard: heard.map((node) => ({ node, incarnation: 1, seq: 40 })), probing: true });

test('a probing stamp that newly lacks us, or a peer we hear, is answered once by a renewal within h', () => {
  const w = world();
  let t = 0;
  /** Rounds with both peers up to `until`, then whether a renewal is due then. */
  const dueAt = (until: number): boolean => {
    for (; t <= until; t += h) round(w, t, ['a', 'b']);
    return w.contact.wantsNodeLeaseWrite(until);
  };
  dueAt(1_000);
  write(w, 1_000);
  assert.equal(dueAt(1_100), false, 'renewed just now: next in R');
  // a probes and lists neither us nor b (we hear b): we owe it evidence of both.
  w.contact.onNodeLease('a', probe([]), 1_150);
  assert.equal(dueAt(1_200), true, 'answered at the next tick');
  write(w, 1_200);
  // The same probe again asks nothing new: no second answer before R.
  w.contact.onNodeLease('a', { ...probe([]), seq: 51 }, 1_250);
  assert.equal(dueAt(1_300), false, 'nothing newly missing');
  // It now lists us, still lacks b: nothing new either.
  w.contact.onNodeLease('a', { ...probe(['me']), seq: 52 }, 1_350);
  assert.equal(dueAt(1_400), false);
  // It stops probing, then probes again lacking b as before: a new probe, so new again.
  w.contact.onNodeLease('a', { ...probe(['me', 'b']), seq: 53, probing: false }, 1_450);
  w.contact.onNodeLease('a', { ...probe(['me']), seq: 54 }, 1_550);
  assert.equal(dueAt(1_600), true, 'a fresh probe after a stop is answered');
});

test('our own contact older than P makes us probe (keep the API contact fresh), not one millisecond before', () => {
  const w = world();
  for (let t = 0; t <= 1_000; t += h) round(w, t, ['a', 'b']);
  // From now on a and b are heard but acknowledge nothing we send: contact stays at 1,000.
  for (let t = 1_100; t <= 1_200; t += h) round(w, t, ['a', 'b'], false);
  assert.deepEqual(w.peers.awaited(1_000 + T.probeAfterMs + 1), [], 'no peer is silent');
  assert.equal(w.contact.probing(1_000 + T.probeAfterMs), false);
  assert.equal(w.contact.probing(1_000 + T.probeAfterMs + 1), true);
});

test('a node with peers and no contact yet probes from the start, before P has passed on any clock', () => {
  const w = world();
  // a and b are heard from the first round but acknowledge nothing of ours: no contact at all.
  for (let t = 0; t <= 2 * h; t += h) round(w, t, ['a', 'b'], false);
  write(w, 2 * h + 5);
  assert.equal(w.peers.contactAt, null);
  assert.deepEqual(w.peers.awaited(2 * h + 10), [], 'no peer is silent');
  assert.ok(2 * h + 10 < T.probeAfterMs, 'the clock has not reached P');
  assert.equal(w.contact.probing(2 * h + 10), true);
});

test('a refused node that never listed wants its first re-list once a request succeeds', () => {
  const w = world();
  w.contact.refused(100);
  assert.equal(w.contact.wantsLeaseSync(150), false, 'fenced by the refusal');
  write(w, 300);
  assert.equal(w.contact.wantsLeaseSync(310), true, 'no list is in flight before the first one starts');
});

test('a probing stamp that lists us and every peer we hear asks nothing of us', () => {
  const w = world();
  for (let t = 0; t <= 1_000; t += h) round(w, t, ['a', 'b']);
  write(w, 1_000);
  w.contact.onNodeLease('a', probe(['me', 'b']), 1_050);
  assert.equal(w.contact.wantsNodeLeaseWrite(1_000 + h), false);
  // The prober itself missing from its own list is no reason either.
  w.contact.onNodeLease('b', probe(['me', 'a']), 1_060);
  assert.equal(w.contact.wantsNodeLeaseWrite(1_000 + h), false);
});

test('regression: election Finding 3 — a silent peer is asked about by one successful probe, then not again until it is heard and lost anew', () => {
  const w = world();
  for (let t = 0; t <= 1_000; t += h) round(w, t, ['a', 'b']);
  write(w, 1_000);
  // b goes silent after 1,000; a stays.
  for (let t = 1_100; t <= 1_300; t += h) round(w, t, ['a']);
  const silentAt = 1_001 + T.probeAfterMs + 1;
  assert.equal(w.contact.probing(silentAt), true, 'b silent for P: probe');
  const failed = write(w, silentAt, false);
  assert.equal(failed.probing, true);
  assert.equal(w.contact.probing(silentAt + h), true, 'the failed probe asked nobody: still probing');
  const sent = write(w, silentAt + h);
  assert.equal(sent.probing, true);
  assert.equal(w.contact.probing(silentAt + 2 * h), false, 'asked once: no more probing for b');
  assert.equal(w.contact.wantsNodeLeaseWrite(silentAt + 2 * h), false);
  // b is heard again, then lost again: a new silence, a new probe.
  const back = silentAt + 2 * h;
  for (let t = back; t <= back + 5 * h; t += h) round(w, t, ['a', 'b']);
  const again = back + 5 * h + 1 + T.probeAfterMs + 1;
  for (let t = back + 6 * h; t <= again; t += h) round(w, t, ['a']);
  assert.equal(w.contact.probing(again), true, 'lost anew: probe again');
});

/** A silent node's name for which `me` ranks `rank` among me, a, b and c (rendezvous weight). */
function silentRankingMe(rank: number): string {
  for (let i = 0; ; i++) if (rankNodes(`x${i}`, ['me', 'a', 'b', 'c']).indexOf('me') === rank) return `x${i}`;
}

const renewal = (heard: readonly string[], probing = false): NodeStamp => ({ incarnation: 1, seq: 50, heard: heard.map((node) => ({ node, incarnation: 1, seq: 0 })), probing });

/** Peers a, b, c and `x` heard up to 1,000 (and a renewal of a's that lists x), then x silent; returns when x was last heard. */
function silentX(w: World, x: string): number {
  for (let t = 0; t <= 1_000; t += h) round(w, t, ['a', 'b', 'c', x]);
  write(w, 1_000);
  w.contact.onNodeLease('a', renewal(['b', 'c', x, 'me']), 1_010);
  for (let t = 1_100; t <= 2_000; t += h) round(w, t, ['a', 'b', 'c']);
  return 1_001;
}

test('regression: election Finding 3 (rank) — the first two by rank ask about a silent peer at P, the third not until h + 2 API round trips later', () => {
  for (const rank of [0, 1]) {
    const w = world();
    const x = silentRankingMe(rank);
    const heardAt = silentX(w, x);
    assert.equal(w.contact.probing(heardAt + T.probeAfterMs + 1), true, `rank ${rank}: asks at P`);
  }
  const w = world();
  const x = silentRankingMe(2);
  const heardAt = silentX(w, x);
  const wait = T.probeAfterMs + h + 2 * w.contact.apiRttMs;
  assert.equal(w.contact.probing(heardAt + T.probeAfterMs + 1), false, 'rank 2: not at P');
  assert.equal(w.contact.probing(heardAt + wait), false, 'nor at the fallback, not one millisecond early');
  assert.equal(w.contact.probing(heardAt + wait + 1), true, 'nobody asked: asks then');
  const x3 = silentRankingMe(3);
  const w3 = world();
  const heard3 = silentX(w3, x3);
  assert.equal(w3.contact.probing(heard3 + T.probeAfterMs + 2 * (h + 2 * w3.contact.apiRttMs)), false, 'rank 3: one step later still');
  assert.equal(w3.contact.probing(heard3 + T.probeAfterMs + 2 * (h + 2 * w3.contact.apiRttMs) + 1), true);
});

test('another node\'s probing stamp that newly leaves the silent peer out, P after we last heard it, is the ask: we stay quiet', () => {
  const w = world();
  const x = silentRankingMe(2);
  const heardAt = silentX(w, x);
  w.contact.onNodeLease('a', renewal(['b', 'c', 'me'], true), heardAt + T.probeAfterMs + 5);
  assert.equal(w.contact.probing(heardAt + T.probeAfterMs + 3 * h), false, 'asked by a: its answers reach us by the same watch');
  // Even the first askers keep quiet once someone asked.
  const w0 = world();
  const x0 = silentRankingMe(0);
  const h0 = silentX(w0, x0);
  w0.contact.onNodeLease('a', renewal(['b', 'c', 'me'], true), h0 + T.probeAfterMs);
  assert.equal(w0.contact.probing(h0 + T.probeAfterMs + 1), false);
});

test('what is not an ask: a stamp less than P after we last heard the node, one that left it out before or still lists it, a first stamp, or no probing flag', () => {
  const cases: { what: string; stamps: (x: string, at: number) => [string, NodeStamp, number][] }[] = [
    { what: 'too early', stamps: (_x, at) => [['a', renewal(['b', 'c', 'me'], true), at + T.probeAfterMs - 1]] },
    { what: 'already left out', stamps: (_x, at) => [['a', renewal(['b', 'c', 'me']), at + 10], ['a', { ...renewal(['b', 'c', 'me'], true), seq: 51 }, at + T.probeAfterMs + 5]] },
    { what: 'a probe about another node, still listing it', stamps: (x, at) => [['a', renewal(['b', 'me', x], true), at + T.probeAfterMs + 5]] },
    { what: 'a first stamp', stamps: (_x, at) => [['b', renewal(['a', 'c', 'me'], true), at + T.probeAfterMs + 5]] },
    { what: 'not probing', stamps: (_x, at) => [['a', renewal(['b', 'c', 'me']), at + T.probeAfterMs + 5]] },
    { what: 'our own stamp', stamps: (_x, at) => [['me', renewal(['a', 'b', 'c'], true), at + T.probeAfterMs + 5]] },
  ];
  for (const c of cases) {
    const w = world();
    const x = silentRankingMe(2);
    const heardAt = silentX(w, x);
    for (const [node, stamp, at] of c.stamps(x, heardAt)) w.contact.onNodeLease(node, stamp, at);
    assert.equal(w.contact.probing(heardAt + T.probeAfterMs + h + 2 * w.contact.apiRttMs + 1), true, `${c.what}: not an ask, so we ask`);
  }
});

test('the API round trip rises at once with a slow answer and falls by a quarter of the gap per answer', () => {
  const w = world();
  assert.equal(w.contact.apiRttMs, 0);
  w.contact.sampleApiRtt(40);
  assert.equal(w.contact.apiRttMs, 40);
  w.contact.sampleApiRtt(0);
  assert.equal(w.contact.apiRttMs, 30);
  w.contact.sampleApiRtt(30);
  assert.equal(w.contact.apiRttMs, 30, 'equal: stays');
  w.contact.sampleApiRtt(-5);
  assert.equal(w.contact.apiRttMs, 22.5, 'a negative sample counts as 0');
  // A node Lease write counts its own round trip.
  write(w, 1_000);
  assert.equal(w.contact.apiRttMs, 22.5 + (3 - 22.5) / 4);
});

test('after a refusal the next list is taken as it is, once; a re-list is asked for only while revalidating and not twice at once', () => {
  const w = world();
  assert.equal(w.contact.storeReplaced, false);
  w.contact.refused(100);
  assert.equal(w.contact.storeReplaced, true);
  assert.equal(w.contact.listArrived(), true, 'the first list after a refusal');
  assert.equal(w.contact.storeReplaced, false);
  assert.equal(w.contact.listArrived(), false, 'only once');
  // Refused: revalidating; once a later request succeeds and we are unfenced, a re-list is wanted.
  w.contact.refused(200);
  assert.equal(w.contact.wantsLeaseSync(250), false, 'fenced by the refusal: no list yet');
  write(w, 300);
  assert.equal(w.contact.wantsLeaseSync(310), true);
  w.contact.leaseSyncStarted();
  assert.equal(w.contact.wantsLeaseSync(320), false, 'one list in flight');
  w.contact.leaseSyncEnded();
  assert.equal(w.contact.wantsLeaseSync(330), true, 'a failed list is asked for again');
});

test('heartbeats say how old our last API success is, and nothing before the first', () => {
  const w = world();
  const first = w.contact.heartbeat(500, { leaving: false, warming: true, policies: [], notes: [] });
  assert.equal(first.apiAgeMs, null);
  assert.equal(first.seq, w.contact.seq);
  write(w, 600);
  const later = w.contact.heartbeat(900, { leaving: false, warming: false, policies: ['p'], notes: [] });
  assert.equal(later.apiAgeMs, 300);
  assert.equal(later.seq, first.seq + 1);
});
