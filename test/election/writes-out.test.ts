// The takeover stagger allows for our own writes still out (src/election/writes-out.ts): at a
// crash every survivor writes at once, and a next candidate that counted only the round trip
// sampled before took beside the first one's take still on its way (10 real speakers on 2 CPUs:
// up to 124 VIP Lease writes for one crash of 90 VIPs, bench/README.md election Finding 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from './sim.ts';
import { assertCrashCostsItsVips } from './story.ts';
import { ECHO_WAIT_MS, WritesOut } from '../../src/election/writes-out.ts';

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i + 1}`);
const vips = Array.from({ length: 1_000 }, (_, i) => `198.18.${i >> 8}.${i & 255}`);

test('the round trip is the recent one until the oldest write out is older; then its age, rounded up to a power of two', () => {
  const w = new WritesOut();
  const out = (): boolean => true;
  assert.equal(w.apiRtt(1_000, 7, out), 7, 'nothing out');
  w.sent('a', 1_000);
  w.sent('b', 1_050);
  assert.equal(w.apiRtt(1_007, 7, out), 7, 'out no longer than the recent round trip');
  assert.equal(w.apiRtt(1_008, 7, out), 8);
  assert.equal(w.apiRtt(1_100, 7, out), 128, 'the oldest (a) counts, 100 ms → 128');
  w.answered('a', null);
  assert.equal(w.apiRtt(1_100, 7, out), 64, 'then b: 50 ms → 64');
  w.sent('b', 1_090);
  assert.equal(w.apiRtt(1_100, 7, out), 16, 'a new write of the same VIP replaces its entry');
  w.sent('c', 1_000);
  w.sent('b', 1_095);
  assert.equal(w.apiRtt(1_100, 7, out), 128, 'c, sent before b was sent again, is the oldest now');
});

test('an entry whose write is no longer out is dropped, not counted for good', () => {
  const w = new WritesOut();
  w.sent('gone', 0);
  w.sent('b', 990);
  assert.equal(w.apiRtt(1_000, 5, (ip) => ip !== 'gone'), 16, 'b (10 ms) counts, not the lost one');
  assert.equal(w.apiRtt(5_000, 5, () => false), 5, 'nothing left');
});

test('an answered write counts until the watch shows its version (or a later one, or one it does not say), for ECHO_WAIT_MS at most', () => {
  const w = new WritesOut();
  const out = (): boolean => true;
  w.sent('a', 1_000);
  w.answered('a', '120');
  assert.equal(w.apiRtt(1_100, 7, out), 128, 'answered, not yet back: its age counts');
  w.echoed('a', '119');
  assert.equal(w.apiRtt(1_100, 7, out), 128, 'an older version is not its echo');
  w.echoed('a', '121');
  assert.equal(w.apiRtt(1_100, 7, out), 7, 'a later version is (the watch delivers in order)');
  w.sent('b', 1_000);
  w.answered('b', '130');
  w.echoed('b', null);
  assert.equal(w.apiRtt(1_100, 7, out), 7, 'a re-list or deletion without a version ends the wait');
  w.sent('c', 1_000);
  w.answered('c', '140');
  assert.equal(w.apiRtt(1_000 + ECHO_WAIT_MS, 7, () => false), 2_048, 'stillOut is for writes out, not answered ones');
  assert.equal(w.apiRtt(1_001 + ECHO_WAIT_MS, 7, out), 7, 'an echo that never comes stops counting');
  w.sent('d', 1_000);
  w.answered('d', '150');
  w.forget('d');
  w.echoed('e', '1');
  assert.equal(w.apiRtt(1_100, 7, out), 7, 'a VIP that left the table, and an echo of nothing');
});

test('a crash while every watch runs 300 ms behind a quick API: the first choices\' notes by heartbeat stand in for the watch, each VIP taken once, by its first remaining choice', () => {
  assertCrashCostsItsVips(new Sim({ nodes: names(10), vips }), (sim) => sim.setWatchDelay(300));
});

test('regression: bench/README.md election Finding 3 (lost races) — a crash while the API slows to 400 ms each way: each VIP taken once, by its first remaining choice', () => {
  assertCrashCostsItsVips(new Sim({ nodes: names(10), vips }), (sim) => sim.setApiLatency(400));
});
