// Cutting a heartbeat to one datagram (heartbeat-fit.ts; issue #10, bench/README.md "Election at
// scale", Findings 2 and 5): what is kept is as much as fits, notes go before heard entries, and
// the peers heard lately take turns, so none goes unacknowledged round after round.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HEARTBEAT_MAX_BYTES, decodeHeartbeat, encodeHeartbeat } from '../../src/election/heartbeat.ts';
import type { Heartbeat, HeardEntry } from '../../src/election/heartbeat.ts';
import { fitHeartbeat } from '../../src/election/heartbeat-fit.ts';

const KEY = new TextEncoder().encode('fit-key');
const name = (i: number): string => `node-${String(i).padStart(3, '0')}`;

function message(peers: number, notes: number, age: (i: number) => number, seq = 77): Heartbeat {
  return {
    node: name(0),
    incarnation: 1_000_123,
    seq,
    fenced: false,
    leaving: false,
    warming: false,
    apiAgeMs: 40,
    policies: ['p', 'q'],
    heard: Array.from({ length: peers }, (_, i) => ({ node: name(i + 1), incarnation: 1_000_000 + i, seq: 3 * i, ageMs: age(i) })),
    notes: Array.from({ length: notes }, (_, i) => ({ ip: `198.51.100.${i + 1}`, holder: name(i), epoch: i })),
  };
}

function decoded(m: Heartbeat, key: Uint8Array | null = KEY): Heartbeat {
  const r = fitHeartbeat(m, key ?? undefined);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.ok(r.value.length <= HEARTBEAT_MAX_BYTES, `${r.value.length} bytes`);
  const d = decodeHeartbeat(r.value, key ?? undefined);
  assert.ok(d.ok, 'decodes, signed when a key is given');
  if (key === null) assert.equal((r.value[3] ?? 0) & 4, 0, 'unsigned');
  return d.value;
}

test('property: what fits is kept whole; what does not is cut to fit, and one more entry would not fit', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 130 }), fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 600 }), fc.nat(0xffffffff), fc.boolean(), (peers, notes, spread, seq, signed) => {
      const key = signed ? KEY : undefined;
      const m = message(peers, notes, (i) => (i * 37) % (spread + 1), seq);
      const got = decoded(m, key ?? null);
      const whole = encodeHeartbeat(m, key);
      // No heard entry cut: they go freshest first.
      if (got.heard.length === m.heard.length) assert.deepEqual(got.heard.map((h) => h.ageMs), m.heard.map((h) => h.ageMs).sort((a, b) => a - b));
      if (whole.ok) {
        assert.deepEqual(new Set(got.heard.map((h) => h.node)), new Set(m.heard.map((h) => h.node)));
        assert.deepEqual(got.notes, m.notes);
        return;
      }
      // Notes go before any heard entry.
      if (got.heard.length < m.heard.length) assert.equal(got.notes.length, 0);
      assert.deepEqual(got.notes, m.notes.slice(0, got.notes.length), 'the oldest notes went');
      // Maximal: one more note, or one more heard entry, would not fit.
      if (got.notes.length < m.notes.length) assert.equal(encodeHeartbeat({ ...got, notes: m.notes.slice(0, got.notes.length + 1) }, key).ok, false);
      else {
        const listed = new Set(got.heard.map((h) => h.node));
        const next = m.heard.find((h) => !listed.has(h.node));
        if (next !== undefined) assert.equal(encodeHeartbeat({ ...got, heard: [...got.heard, next] }, key).ok, false);
      }
      // A stale entry is kept only when every fresh one is.
      const fresh = m.heard.filter((h) => h.ageMs <= 200).length;
      if (got.heard.some((h) => h.ageMs > 200)) assert.equal(got.heard.filter((h) => h.ageMs <= 200).length, fresh);
    }),
    { numRuns: 150 },
  );
});

test('regression: bench/README "Election at scale" Finding 2 — peers heard in the same step take turns: every one is listed within ⌈n / fit⌉ + 1 rounds', () => {
  // 99 peers, all heard 40 ms ago (timers in step): the list holds about half of them.
  const lastListed = new Map<string, number>();
  let longest = 0;
  let fitCount = 0;
  for (let seq = 1; seq <= 40; seq++) {
    const got = decoded(message(99, 4, () => 40, seq));
    fitCount = got.heard.length;
    for (const h of got.heard) lastListed.set(h.node, seq);
    if (seq > 5) for (let i = 1; i <= 99; i++) longest = Math.max(longest, seq - (lastListed.get(name(i)) ?? 0));
  }
  assert.ok(fitCount > 20 && fitCount < 99, `${fitCount} fit`);
  assert.equal(lastListed.size, 99, 'every peer listed at some point');
  assert.ok(longest <= Math.ceil(99 / fitCount) + 1, `a peer went ${longest} rounds unlisted with ${fitCount} per list`);
});

test('peers heard lately go before witnesses of peers not heard for a while, whatever the rotation', () => {
  // 60 fresh peers (30 ms) and 60 heard 400 ms ago.
  for (const seq of [1, 2, 3, 1_000_001]) {
    const got = decoded(message(120, 0, (i) => (i < 60 ? 30 : 400), seq));
    const stale = got.heard.filter((h: HeardEntry) => h.ageMs > 200);
    assert.ok(got.heard.length < 60 ? stale.length === 0 : true);
  }
  // Fewer fresh peers than fit: all of them, then the freshest of the rest.
  const got = decoded(message(120, 0, (i) => (i < 10 ? 30 : 300 + i)));
  assert.equal(got.heard.filter((h) => h.ageMs <= 200).length, 10);
  const rest = got.heard.filter((h) => h.ageMs > 200).map((h) => h.ageMs);
  assert.deepEqual(rest, [...rest].sort((a, b) => a - b));
  assert.equal(rest[0], 310);
});

test('the turns do not depend on the order peers come in or on their ages within the fresh window: every one listed within ⌈n / fit⌉ + 1 rounds', () => {
  // A seeded shuffle and jitter per round, as a real peer table's order and ages change.
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  const lastListed = new Map<string, number>();
  let longest = 0;
  let fitCount = 0;
  for (let seq = 1; seq <= 40; seq++) {
    const base = message(99, 0, () => 0, seq);
    const heard = base.heard.map((h) => ({ ...h, ageMs: Math.floor(rand() * 200) }));
    for (let i = heard.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const [a, b] = [heard[i], heard[j]];
      if (a !== undefined && b !== undefined) [heard[i], heard[j]] = [b, a];
    }
    const got = decoded({ ...base, heard });
    fitCount = got.heard.length;
    for (const h of got.heard) lastListed.set(h.node, seq);
    if (seq > 5) for (let i = 1; i <= 99; i++) longest = Math.max(longest, seq - (lastListed.get(name(i)) ?? 0));
  }
  assert.ok(fitCount > 20 && fitCount < 99, `${fitCount} fit`);
  assert.ok(longest <= Math.ceil(99 / fitCount) + 1, `a peer went ${longest} rounds unlisted with ${fitCount} per list`);
});
