// The node guard's rules one by one (docs/l2.md, "Fencing, isolation and the API server being
// down"), driven as the shell drives it: update() at every round, before the round's events.
// Written against the survivors of mutation testing (issue #15, docs/mutation-testing.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NodeGuard } from '../../src/election/guard.ts';
import { PeerTable } from '../../src/election/peers.ts';
import type { Heartbeat } from '../../src/election/heartbeat.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';

const T = DEFAULT_L2_TIMINGS;
const F = T.fenceAfterMs;
const h = T.heartbeatIntervalMs;
const INC = 7;

interface World {
  peers: PeerTable;
  guard: NodeGuard;
  seq: number;
}

function world(origin = 0): World {
  const peers = new PeerTable('me', INC, T, origin);
  return { peers, guard: new NodeGuard(T, peers, origin), seq: 0 };
}

/**
 * One heartbeat round at `t`: the guard is updated, we send, and each of `from` answers 1 ms
 * later, acknowledging us unless `ack` is false, with the API age given (default 10 ms).
 */
function round(w: World, t: number, from: Record<string, number | null>, ack = true): void {
  w.guard.update(t);
  w.seq++;
  w.peers.sent(w.seq, t);
  w.peers.tick(t);
  for (const [node, apiAgeMs] of Object.entries(from)) {
    const heard = ack ? [{ node: 'me', incarnation: INC, seq: w.seq, ageMs: 1 }] : [];
    const m: Heartbeat = { node, incarnation: 1, seq: w.seq, fenced: false, leaving: false, warming: false, apiAgeMs, policies: ['p'], heard, notes: [] };
    w.peers.heard(m, t + 1);
  }
}

/** Rounds every h from `from` to `to` inclusive. */
function rounds(w: World, from: number, to: number, peers: Record<string, number | null>, ack = true): void {
  for (let t = from; t <= to; t += h) round(w, t, peers, ack);
}

test('API successes: the newest send time counts, even one at time 0; an older one arriving late changes nothing', () => {
  const w = world();
  assert.equal(w.guard.apiOkAt, null);
  w.guard.apiOk(0);
  assert.equal(w.guard.apiOkAt, 0);
  w.guard.apiOk(500);
  w.guard.apiOk(300);
  assert.equal(w.guard.apiOkAt, 500);
  assert.equal(w.guard.lastConnected(), 500);
});

test('refusals: the newest counts, even one at time 0; only a success sent after it lifts the fence', () => {
  const w = world();
  w.guard.refused(0);
  assert.equal(w.guard.refusedAt, 0);
  assert.equal(w.guard.fencedAt(0), true, 'a lone node fences on a 401 too');
  w.guard.refused(500);
  w.guard.refused(300);
  assert.equal(w.guard.refusedAt, 500);
  w.guard.apiOk(400);
  assert.equal(w.guard.refusedAt, 500, 'a success sent before the refusal');
  w.guard.apiOk(500);
  assert.equal(w.guard.refusedAt, 500, 'a success sent in the same instant');
  assert.equal(w.guard.fencedAt(600), true);
  w.guard.apiOk(501);
  assert.equal(w.guard.refusedAt, null);
  assert.equal(w.guard.fencedAt(600), false);
  // A refusal of a request sent in the same instant as the last success does not fence.
  w.guard.refused(501);
  assert.equal(w.guard.refusedAt, null);
});

test('without acknowledgements, the last API success is the last contact: F after it, a node with peers fences', () => {
  const w = world();
  rounds(w, 0, 1_000, { b: 10 }, false); // we hear b, b never acknowledges us
  w.guard.apiOk(500);
  assert.equal(w.peers.contactAt, null);
  assert.equal(w.guard.fencedAt(500 + F), false);
  assert.equal(w.guard.fencedAt(500 + F + 1), true);
});

test('a peer that appears after we lost touch does not fence us before it acknowledges us', () => {
  const w = world();
  w.guard.apiOk(100);
  rounds(w, 100, 500, {}); // alone: nobody to take over, so no fence
  assert.equal(w.guard.fencedAt(500), false);
  rounds(w, 600, 1_000, { b: 10 }, false); // b starts next to us, and cannot hear us yet
  assert.equal(w.guard.fencedAt(1_000), false);
  assert.equal(w.guard.mayAnswer(1_000), true);
});

test('a re-list started while still fenced never revalidates, though update() ran meanwhile', () => {
  const w = world();
  rounds(w, 0, 1_000, { b: 10 });
  rounds(w, 1_100, 2_000, {}); // b silent: fenced from 1,000 + F
  assert.equal(w.guard.revalidating, true);
  w.guard.synced(1_800); // listed during the fence
  round(w, 2_100, { b: 10 });
  w.guard.update(2_102);
  assert.equal(w.guard.fencedAt(2_102), false);
  assert.equal(w.guard.mayAnswer(2_102), false);
  w.guard.synced(2_102);
  assert.equal(w.guard.mayAnswer(2_102), true);
});

test('contact coming back is not enough before update() has seen the fence end, though peers would vouch', () => {
  const w = world();
  rounds(w, 0, 1_000, { b: 10 });
  rounds(w, 1_100, 2_000, {});
  round(w, 2_100, { b: null }); // b heard again, and it never reached the API: it could vouch
  assert.equal(w.guard.fencedAt(2_102), false);
  assert.equal(w.guard.mayAnswer(2_102), false);
});

/** A node fenced by silence from 1,000 + F, contact back at 2,100, the fence seen ended at 2,102. */
function fencedThenBack(peers: string[]): World {
  const w = world();
  rounds(w, 0, 1_000, Object.fromEntries(peers.map((p) => [p, 10])));
  rounds(w, 1_100, 2_000, {});
  round(w, 2_100, Object.fromEntries(peers.map((p) => [p, 10])));
  w.guard.update(2_102);
  return w;
}

/** Peer `node` heard at t + 1 reporting its last API success at `apiOkAt`. */
function vouch(w: World, node: string, t: number, apiOkAt: number | null): void {
  round(w, t, { [node]: apiOkAt === null ? null : t + 1 - apiOkAt });
}

test('vouching: every known peer must vouch, each heard after the fence ended', () => {
  const w = fencedThenBack(['b', 'c']);
  vouch(w, 'b', 2_200, 500);
  vouch(w, 'c', 2_300, 1_500); // c reached the API after we lost touch at 1,000: it may have taken
  assert.equal(w.guard.mayAnswer(2_302), false);
  vouch(w, 'c', 2_400, 500);
  assert.equal(w.guard.mayAnswer(2_402), true);
});

test('vouching: a peer that never reached the API vouches; its last success must be at least h before we lost touch', () => {
  const never = fencedThenBack(['b']);
  vouch(never, 'b', 2_200, null);
  assert.equal(never.guard.mayAnswer(2_202), true);
  const edge = fencedThenBack(['b']);
  vouch(edge, 'b', 2_200, 1_000 - h);
  assert.equal(edge.guard.mayAnswer(2_202), true, 'exactly h before');
  const late = fencedThenBack(['b']);
  vouch(late, 'b', 2_200, 1_000 - h + 1);
  assert.equal(late.guard.mayAnswer(2_202), false, 'less than h before');
});

test('vouching: the moment we lost touch is fixed when the fence begins; a success during the fence does not move it (issue #15, the guard\'s open question)', () => {
  const w = world();
  rounds(w, 0, 1_000, { b: 10 }); // last contact: b's acknowledgement of our round at 1,000
  rounds(w, 1_100, 1_700, {}); // b silent: fenced from 1,000 + F
  assert.equal(w.guard.fencedAt(1_700), true);
  // A write sent at 1,200, after we lost touch, succeeds while we are still fenced (1,800 is
  // more than F after 1,200). It shows our write reached the API, not that our watch showed us
  // what b wrote after 1,000: the fence's moment stays 1,000.
  w.guard.apiOk(1_200);
  rounds(w, 1_800, 2_000, {});
  assert.equal(w.guard.fencedAt(2_000), true);
  round(w, 2_100, { b: 10 });
  w.guard.update(2_102);
  assert.equal(w.guard.fencedAt(2_102), false);
  // b's last API success at 1,050: at least h before 1,200, but after 1,000 − h.
  vouch(w, 'b', 2_200, 1_050);
  assert.equal(w.guard.mayAnswer(2_202), false, 'b may have written after we lost touch');
  vouch(w, 'b', 2_300, 1_000 - h);
  assert.equal(w.guard.mayAnswer(2_302), true);
});

test('after a refusal peers cannot vouch; once a re-list has revalidated, a later fence can be vouched for again', () => {
  const w = world();
  rounds(w, 0, 1_000, { b: 10 });
  w.guard.refused(1_000);
  round(w, 1_100, { b: 10 });
  w.guard.apiOk(1_200);
  vouch(w, 'b', 1_300, null);
  w.guard.update(1_302);
  assert.equal(w.guard.mayAnswer(1_302), false, 'a re-list must revalidate');
  w.guard.synced(1_302);
  assert.equal(w.guard.mayAnswer(1_302), true);
  // Later, an ordinary fence (silence, API down): peers vouch again.
  rounds(w, 1_400, 2_000, { b: 10 });
  rounds(w, 2_100, 3_000, {});
  round(w, 3_100, { b: null });
  w.guard.update(3_102);
  vouch(w, 'b', 3_200, null);
  assert.equal(w.guard.mayAnswer(3_202), true);
});

test('a re-list that ends between a refusal and the fence it causes does not revalidate', () => {
  const w = world();
  // An earlier fence, ended and revalidated by a re-list.
  rounds(w, 0, 1_000, { b: 10 });
  rounds(w, 1_100, 2_000, {});
  round(w, 2_100, { b: 10 });
  w.guard.update(2_102);
  w.guard.synced(2_102);
  assert.equal(w.guard.mayAnswer(2_102), true);
  rounds(w, 2_200, 2_500, { b: 10 });
  // Refused; a re-list started earlier returns before the guard's next update.
  w.guard.refused(2_550);
  w.guard.synced(2_540);
  round(w, 2_600, { b: 10 });
  assert.equal(w.guard.revalidating, true);
  w.guard.apiOk(2_650);
  vouch(w, 'b', 2_700, null);
  w.guard.update(2_702);
  assert.equal(w.guard.fencedAt(2_702), false);
  assert.equal(w.guard.mayAnswer(2_702), false, 'peers cannot vouch after a refusal; the list predates the fence');
});

test('yielding needs all three: we hear nobody, we had peers, and one we cannot hear hears others', () => {
  const w = world();
  rounds(w, 0, 1_000, { b: 10, c: 10 });
  w.guard.apiOk(1_000);
  // From 1,000 we hear only c; b's node Lease says it hears others.
  rounds(w, 1_100, 2_000, { c: 10 });
  w.peers.stamped('b', { incarnation: 1, seq: 11, heard: [], probing: false }, 1_500);
  w.peers.stamped('b', { incarnation: 1, seq: 30, heard: [{ node: 'w0', incarnation: 1, seq: 1 }], probing: false }, 1_990);
  assert.equal(w.peers.meshWorksElsewhere(2_000), true);
  assert.equal(w.guard.yielding(2_000), false, 'we still hear c');
  // A node that never had peers does not yield when one appears through the API only.
  const lone = world();
  lone.guard.apiOk(0);
  rounds(lone, 0, 500, {});
  assert.equal(lone.guard.fencedAt(500), false);
  lone.peers.stamped('b', { incarnation: 1, seq: 1, heard: [], probing: false }, 510);
  lone.peers.stamped('b', { incarnation: 1, seq: 5, heard: [{ node: 'w0', incarnation: 1, seq: 1 }], probing: false }, 520);
  assert.equal(lone.peers.meshWorksElsewhere(530), true);
  assert.equal(lone.guard.yielding(530), false);
});

// A random history as the shell would drive it: rounds answered by some peers (acknowledging or
// not, with some API age), API successes and refusals of requests sent a little earlier, re-lists,
// and silences. Observed after every step.
type Step =
  | { k: 'round'; from: { node: string; api: number | null }[]; ack: boolean }
  | { k: 'wait'; dt: number }
  | { k: 'ok' | 'refused' | 'synced'; back: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('round' as const), from: fc.uniqueArray(fc.record({ node: fc.constantFrom('b', 'c'), api: fc.option(fc.integer({ min: 0, max: 3_000 }), { nil: null }) }), { selector: (e) => e.node, maxLength: 2 }), ack: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('wait' as const), dt: fc.integer({ min: 0, max: 1_500 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constantFrom('ok' as const, 'refused' as const, 'synced' as const), back: fc.integer({ min: 0, max: 400 }) }) },
);

function playGuard(steps: Step[], origin: number): unknown[] {
  const w = world(origin);
  let now = origin;
  const seen: unknown[] = [];
  const rel = (t: number | null): number | null => (t === null ? null : t - origin);
  for (const s of steps) {
    switch (s.k) {
      case 'round':
        now += h;
        round(w, now, Object.fromEntries(s.from.map((f) => [f.node, f.api])), s.ack);
        break;
      case 'wait':
        now += s.dt;
        w.guard.update(now);
        break;
      case 'ok':
        w.guard.apiOk(now - s.back);
        break;
      case 'refused':
        w.guard.refused(now - s.back);
        break;
      case 'synced':
        w.guard.synced(now - s.back);
        break;
    }
    seen.push([w.guard.fencedAt(now + 2), w.guard.mayAnswer(now + 2), w.guard.revalidating, w.guard.yielding(now + 2), w.guard.hasPeers(), rel(w.guard.apiOkAt), rel(w.guard.refusedAt), rel(w.guard.lastConnected()), rel(w.guard.fenceDeadline())]);
  }
  return seen;
}

test('property: the origin of the monotonic clock changes nothing', () => {
  fc.assert(
    fc.property(fc.array(stepArb, { maxLength: 40 }), fc.integer({ min: -10_000_000, max: 10_000_000 }), (steps, origin) => {
      assert.deepEqual(playGuard(steps, origin), playGuard(steps, 0));
    }),
    { numRuns: 150 },
  );
});
