// Damping after a fence (src/election/damping.ts; docs/l2.md, "Damping after a fence"; issue #10
// "Also": one speaker's stall costs no more than its VIPs). Story tables in the simulator with
// the speaker's damping rule and short periods (base 5 s, longest 20 s), so the stories run in
// seconds of virtual time; the invariants of story.ts hold after every step (never two answers).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';
import { Sim } from './sim.ts';
import { busiest, runStory } from './story.ts';

const T = DEFAULT_L2_TIMINGS;
const D = T.peerDeadAfterMs;
const J = T.stableAfterMs;
const BASE = 5_000;
const BOOT = D + J + 1_000;
const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i + 1}`);
const vipsOf = (n: number): string[] => Array.from({ length: n }, (_, i) => `198.51.100.${i + 1}`);

function cluster(n: number, vips = 40): { sim: Sim; holder: string; held: string[] } {
  const sim = new Sim({ nodes: names(n), vips: vipsOf(vips), damping: { baseMs: BASE, maxMs: 4 * BASE } });
  sim.run(BOOT);
  const holder = busiest(sim);
  return { sim, holder, held: [...sim.owners()].filter(([, who]) => who === holder).map(([ip]) => ip) };
}

/** VIP Lease writes the server received since `from` (virtual ms), by operation. */
function writesSince(sim: Sim, from: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of sim.writeLog) if (w.at >= from) out[w.op] = (out[w.op] ?? 0) + 1;
  return out;
}

const darkest = (sim: Sim, ips: readonly string[]): number => Math.max(0, ...ips.map((ip) => sim.dark.get(ip) ?? 0));
/** A handover's gap: the holder stops as its write goes out, the successor starts on its watch event. */
const HANDOVER_GAP_MS = 100;

test('a holder stalls past D: its VIPs are taken once and not handed back while it is damped; then they return, never dark', () => {
  const { sim, holder, held } = cluster(5);
  assert.ok(held.length >= 8, `the holder holds ${held.length} VIPs`);
  const from = sim.now;
  runStory(sim, [
    {
      what: 'the holder stalls for 1 s (SIGSTOP): its peers take its VIPs after D',
      act: (s) => s.stall(holder, 1_000),
      ms: 1_000,
      settled: false,
      check: (s) => {
        for (const ip of held) assert.notEqual(s.owners().get(ip), '', `${ip} taken over`);
        assert.ok(darkest(s, held) <= D + 100, `dark ${darkest(s, held)} ms`);
      },
    },
    {
      what: 'it resumes, revalidates and is stable again: its VIPs stay where they are (damped)',
      ms: BASE - 1_500,
      settled: false,
      check: (s) => {
        for (const ip of held) assert.notEqual(s.owners().get(ip), holder, `${ip} handed back while damped`);
        assert.equal(darkest(s, held), 0);
        assert.deepEqual(writesSince(s, from), { take: held.length }, 'one write per VIP it held');
      },
    },
    {
      what: 'the damping period ends: the VIPs go back to their first choice, one handover each',
      ms: 2 * J + 1_000,
      check: (s) => {
        for (const ip of held) assert.equal(s.owners().get(ip), holder);
        assert.ok(darkest(s, held) <= HANDOVER_GAP_MS, `dark ${darkest(s, held)} ms`);
        assert.deepEqual(writesSince(s, from), { take: held.length, handover: held.length });
      },
    },
  ]);
});

test('the damping period doubles with a second fence soon after the first', () => {
  const { sim, holder, held } = cluster(5);
  runStory(sim, [
    { what: 'a first stall', act: (s) => s.stall(holder, 1_000), ms: 1_000, settled: false },
    { what: 'damped for the base period, then back', ms: BASE + 2 * J + 1_000 },
    { what: 'a second stall', act: (s) => s.stall(holder, 1_000), ms: 1_000, settled: false },
    {
      what: 'past the base period its VIPs are still away: the period is now twice as long',
      ms: BASE + 2 * J,
      settled: false,
      check: (s) => {
        for (const ip of held) assert.notEqual(s.owners().get(ip), holder, `${ip} back after one base period`);
      },
    },
    { what: 'back after twice the base period', ms: BASE, check: (s) => assert.ok(darkest(s, held) <= HANDOVER_GAP_MS, `dark ${darkest(s, held)} ms`) },
  ]);
});

test('a damped node still takes what nobody else can: no VIP is left dark', () => {
  const { sim, holder, held } = cluster(3, 24);
  const others = names(3).filter((n) => n !== holder);
  runStory(sim, [
    { what: 'the holder stalls for 1 s: its VIPs are taken', act: (s) => s.stall(holder, 1_000), ms: 1_000, settled: false },
    { what: 'it is back and damped', ms: 1_500, settled: false, check: (s) => assert.ok(held.every((ip) => s.owners().get(ip) !== holder)) },
    {
      what: 'both other nodes crash: the damped node is the only candidate, and it takes every VIP',
      act: (s) => {
        for (const n of others) s.crash(n);
      },
      ms: 2_000,
      check: (s) => {
        for (const [ip, who] of s.owners()) assert.equal(who, holder, `${ip} answered by "${who}"`);
        for (const ip of s.owners().keys()) assert.ok((s.dark.get(ip) ?? 0) <= D + 2 * T.takeoverStaggerMs + 200, `${ip} dark ${s.dark.get(ip)} ms`);
      },
    },
  ]);
});

test('a stall shorter than D moves nothing and writes no VIP Lease, damped or not', () => {
  const { sim, holder } = cluster(5);
  const from = sim.now;
  runStory(sim, [
    { what: 'the holder stalls for 500 ms (past F, short of D)', act: (s) => s.stall(holder, 500), ms: 500, settled: false },
    { what: 'it resumes and revalidates', ms: 3_000, check: (s) => assert.deepEqual(writesSince(s, from), {}) },
  ]);
});
