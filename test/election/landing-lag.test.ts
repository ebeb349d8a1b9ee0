// The takeover stagger counts how late other nodes' writes land (src/election/landing-lag.ts): at
// a crash the API answered one node's takes within 116 ms and another's after 344 ms, and the
// first node, second choice for VIPs of the second, took them beside the first choice's takes
// still queued (10 real speakers on 2 CPUs: 95–136 VIP Lease writes for a crash of 90 VIPs,
// bench/README.md, the election at scale, Finding 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Sim } from './sim.ts';
import { assertCrashCostsItsVips } from './story.ts';
import { LANDING_CAP_MS, LANDING_WINDOW_MS, LandingLag } from '../../src/election/landing-lag.ts';
import { acquiredAtMs } from '../../src/election/lease-objects.ts';

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i + 1}`);
const vips = Array.from({ length: 1_000 }, (_, i) => `198.18.${i >> 8}.${i & 255}`);

test("a writer's first lag is its base (its clock's offset plus the usual path); only the excess above it counts", () => {
  const l = new LandingLag();
  l.seen('a', 5_000, 0);
  assert.equal(l.lagMs(0), 0, 'a clock 5 s behind is not a queue');
  l.seen('a', 5_300, 10);
  assert.equal(l.lagMs(10), 300);
  l.seen('b', -2_000, 20);
  l.seen('b', -1_900, 30);
  assert.equal(l.lagMs(30), 300, 'b, 2 s ahead, 100 ms late: the window keeps the larger one');
  l.seen('a', 4_990, 40);
  l.seen('a', 5_050, 50);
  assert.equal(l.lagMs(50), 300, 'a lower base from then on (60 ms over it)');
});

test('the largest excess of the last second counts, then it is forgotten; a lag beyond the cap is a watch gap, not counted', () => {
  const l = new LandingLag();
  l.seen('a', 10, 0);
  l.seen('a', 310, 100);
  l.seen('a', 110, 200);
  assert.equal(l.lagMs(200), 300);
  assert.equal(l.lagMs(100 + LANDING_WINDOW_MS), 300, 'still in the window');
  assert.equal(l.lagMs(101 + LANDING_WINDOW_MS), 100, 'the 300 left it; the 100 at 200 is next');
  assert.equal(l.lagMs(201 + LANDING_WINDOW_MS), 0);
  l.seen('a', 10 + LANDING_CAP_MS + 1, 5_000);
  assert.equal(l.lagMs(5_000), 0, 'over the cap');
  l.seen('a', 10 + LANDING_CAP_MS, 5_000);
  assert.equal(l.lagMs(5_000), LANDING_CAP_MS);
});

test('property: lagMs is the largest excess (over each writer\'s running minimum) seen within the window, at any time', () => {
  const sample = fc.record({ writer: fc.constantFrom('a', 'b', 'c'), lag: fc.integer({ min: -3_000, max: 3_000 }), gap: fc.integer({ min: 0, max: 700 }) });
  fc.assert(
    fc.property(fc.array(sample, { maxLength: 60 }), fc.integer({ min: 0, max: 2_000 }), (samples, after) => {
      const l = new LandingLag();
      const base = new Map<string, number>();
      const kept: { at: number; excess: number }[] = [];
      let now = 0;
      for (const s of samples) {
        now += s.gap;
        const b = base.get(s.writer);
        if (b === undefined || s.lag < b) base.set(s.writer, s.lag);
        else if (s.lag - b <= LANDING_CAP_MS) kept.push({ at: now, excess: s.lag - b });
        l.seen(s.writer, s.lag, now);
        const expect = Math.max(0, ...kept.filter((k) => k.at >= now - LANDING_WINDOW_MS).map((k) => k.excess));
        assert.equal(l.lagMs(now), expect);
      }
      const end = now + after;
      assert.equal(l.lagMs(end), Math.max(0, ...kept.filter((k) => k.at >= end - LANDING_WINDOW_MS).map((k) => k.excess)));
    }),
  );
});

test('regression: bench/README.md election Finding 3 (takes beside a queued first choice) — a crash while the API answers each node at its own pace: each VIP taken once, by its first remaining choice', () => {
  // 40, 80, … 400 ms each way: some survivors' takes are answered early, some late.
  assertCrashCostsItsVips(new Sim({ nodes: names(10), vips }), (sim) => sim.setNodeApiLatency(Object.fromEntries(names(10).map((n, i) => [n, 40 * (i + 1)]))));
});

test('acquiredAtMs reads the writer\'s acquireTime as the watch hands it over (text with microseconds) or as a typed client does (a Date); otherwise null', () => {
  assert.equal(acquiredAtMs({ spec: { acquireTime: '2026-12-07T14:32:58.123456Z' as unknown as Date } }), Date.UTC(2026, 11, 7, 14, 32, 58, 123));
  assert.equal(acquiredAtMs({ spec: { acquireTime: new Date(5) } }), 5);
  assert.equal(acquiredAtMs({ spec: { acquireTime: 'yesterday' as unknown as Date } }), null);
  assert.equal(acquiredAtMs({ spec: {} }), null);
  assert.equal(acquiredAtMs({}), null);
});
