// Per-allocation cost of the pure allocator in a huge IPv6 pool versus a small one, at equal fill.
// The claim under test (src/ipam/interval-set.ts): finding the lowest free address is one binary
// search over runs of taken addresses, so a /64 costs what a /120 costs. Target from the issue:
// cost in the big pool ≤ 1.2 × cost in the small one.
//
// What is timed: `Allocator.reconcile([view])` for one new Service at a time, Decision included,
// exactly as the controller calls it for a watch event (minus the Kubernetes adapter). Each round
// uses a fresh Allocator filled from empty to N addresses; the clock runs only around the loop.
//
// Pitfalls handled (see bench/README.md):
//  - JIT warm-up: warm-up rounds of both cases are run and thrown away first.
//  - Drift and noisy neighbours: the cases alternate round by round (order rotated), the ratio is
//    also given as the median of per-round paired ratios, which cancels slow drift, and a control
//    series (the small pool again) shows how far apart two identical cases come out: the noise.
//  - GC: with --expose-gc a full collection runs before every timed round, outside the clock;
//    without it, collections land inside rounds at random and widen the spread.
//  - Timer resolution: a round is ≥ 250 allocations (≥ ~5 ms), far above hrtime's resolution.
//  - Dead-code elimination: every Decision is checked (satisfied, address count) after the clock.
// Usage: node --expose-gc bench/ipam/allocation-cost.ts [--quick]
import { parseArgs } from 'node:util';
import { parseIP } from '../../src/api/addr.ts';
import { Allocator } from '../../src/ipam/allocator.ts';
import type { PoolView } from '../../src/ipam/types.ts';
import type { ServiceView } from '../../src/api/service.ts';
import { formatSummary, loadAverage, machineLines, summarize } from '../machine.ts';
import type { Summary } from '../machine.ts';

const TARGET_RATIO = 1.2;

interface Side {
  cidr: string;
  /** Addresses in the block, as text (a /64 does not fit a JS number exactly). */
  size: string;
}

interface Pair {
  title: string;
  fill: number;
  warmupRounds: number;
  rounds: number;
  small: Side;
  big: Side;
}

interface SideResult {
  side: Side;
  nsPerAlloc: number[];
}

function side(cidr: string): Side {
  const prefix = Number(cidr.split('/')[1]);
  return { cidr, size: (1n << BigInt(128 - prefix)).toString() };
}

function poolFor(cidr: string): PoolView {
  return { name: 'bench', createdAt: 0, blocks: [{ cidr }], allowFirstLastIPs: true, disabled: false, serviceSelector: null };
}

/** n IPv6 SingleStack Services without requests or sharing: each needs one automatic allocation. */
function makeViews(n: number): ServiceView[] {
  return Array.from({ length: n }, (_, i) => {
    const name = `svc-${i}`;
    return {
      key: `bench/${name}`,
      namespace: 'bench',
      name,
      createdAt: i,
      labels: {},
      ipFamilies: ['IPv6'],
      ipFamilyPolicy: 'SingleStack',
      requestedIPs: [],
      sharing: null,
      ports: [{ protocol: 'TCP', port: 80 }],
      externalTrafficPolicy: 'Cluster',
      selector: { app: name },
      currentIPs: [],
    };
  });
}

/** One timed round: a fresh allocator filled with `views`, one reconcile per Service. Returns ns per allocation. */
function round(cidr: string, views: readonly ServiceView[]): number {
  const alloc = new Allocator();
  const errors = alloc.setPools([poolFor(cidr)]);
  if (errors.size > 0) throw new Error(`pool ${cidr} is invalid: ${[...errors.values()].join('; ')}`);
  globalThis.gc?.();
  let satisfied = 0;
  const t0 = process.hrtime.bigint();
  for (const view of views) {
    const [d] = alloc.reconcile([view]);
    if (d !== undefined && d.satisfied && d.allocated.length === 1) satisfied++;
  }
  const ns = Number(process.hrtime.bigint() - t0);
  const held = alloc.stats().heldAddresses;
  if (satisfied !== views.length || held !== views.length) {
    throw new Error(`allocator gave ${satisfied} satisfied decisions and holds ${held} addresses for ${views.length} Services in ${cidr}`);
  }
  return ns / views.length;
}

function runPair(p: Pair): { small: SideResult; big: SideResult; control: SideResult } {
  const views = makeViews(p.fill);
  for (let i = 0; i < p.warmupRounds; i++) {
    round(p.small.cidr, views);
    round(p.big.cidr, views);
  }
  const small: SideResult = { side: p.small, nsPerAlloc: [] };
  const big: SideResult = { side: p.big, nsPerAlloc: [] };
  // The control repeats the small side: its ratio to the small side is the noise floor, what a
  // "difference" between two identical cases looks like on this machine in this run.
  const control: SideResult = { side: p.small, nsPerAlloc: [] };
  const series = [small, big, control];
  for (let r = 0; r < p.rounds; r++) {
    // Rotate the order every round so that no series always runs right after another's garbage.
    for (let k = 0; k < series.length; k++) {
      const s = series[(r + k) % series.length];
      if (s !== undefined) s.nsPerAlloc.push(round(s.side.cidr, views));
    }
  }
  return { small, big, control };
}

function verdict(ratio: number): string {
  return ratio <= TARGET_RATIO ? `meets the target ≤ ${TARGET_RATIO}` : `MISSES the target ≤ ${TARGET_RATIO}`;
}

function ratios(num: SideResult, den: SideResult): { ofMedians: number; paired: Summary } {
  const paired = den.nsPerAlloc.map((v, i) => (num.nsPerAlloc[i] ?? Number.NaN) / v);
  return { ofMedians: summarize(num.nsPerAlloc).median / summarize(den.nsPerAlloc).median, paired: summarize(paired) };
}

function report(p: Pair, small: SideResult, big: SideResult, control: SideResult): { bigSummary: Summary } {
  const s = summarize(small.nsPerAlloc);
  const b = summarize(big.nsPerAlloc);
  const r = ratios(big, small);
  const c = ratios(control, small);
  const width = Math.max(p.small.cidr.length, p.big.cidr.length);
  console.log(`\n${p.title}: fill ${p.fill.toLocaleString('en-US')} addresses, ${p.warmupRounds} warm-up + ${p.rounds} timed rounds per series`);
  console.log(`  ${p.small.cidr.padEnd(width)}  (${p.small.size} addresses)  ${formatSummary(s, 'ns/alloc')}`);
  console.log(`  ${p.big.cidr.padEnd(width)}  (${p.big.size} addresses)  ${formatSummary(b, 'ns/alloc')}`);
  console.log(`  ratio big ÷ small:        ${r.ofMedians.toFixed(3)} of medians; per-round paired ratio ${formatSummary(r.paired, '', 3)}`);
  console.log(`  control small ÷ small:    ${c.ofMedians.toFixed(3)} of medians; per-round paired ratio ${formatSummary(c.paired, '', 3)}  (noise floor)`);
  console.log(`  → ${verdict(r.ofMedians)} (paired median: ${verdict(r.paired.median)})`);
  return { bigSummary: b };
}

/** Median ns of one parseIP call on `texts` (context: the allocator parses addresses as text). */
function parseCost(texts: readonly string[]): number {
  const per: number[] = [];
  for (let r = 0; r < 7; r++) {
    let ok = 0;
    const t0 = process.hrtime.bigint();
    for (const t of texts) if (parseIP(t).ok) ok++;
    per.push(Number(process.hrtime.bigint() - t0) / texts.length);
    if (ok !== texts.length) throw new Error(`parseIP rejected ${texts.length - ok} valid addresses`);
  }
  return summarize(per.slice(2)).median;
}

function main(): number {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } }, strict: true });
  const quick = values.quick === true;
  const pairs: Pair[] = [
    {
      title: 'equal fill, small pool nearly full',
      fill: 250,
      warmupRounds: quick ? 5 : 50,
      rounds: quick ? 20 : 300,
      small: side('2001:db8:0:1::/120'),
      big: side('2001:db8:0:2::/64'),
    },
    {
      title: 'equal fill, many addresses',
      fill: 20_000,
      warmupRounds: quick ? 1 : 2,
      rounds: quick ? 2 : 9,
      small: side('2001:db8:1::/104'),
      big: side('2001:db8:2::/64'),
    },
  ];

  console.log('bench/ipam/allocation-cost — Allocator.reconcile([one new Service]) until N addresses are held');
  for (const line of machineLines()) console.log(line);
  console.log(globalThis.gc === undefined ? 'gc: not exposed (run with --expose-gc for a tighter spread)' : 'gc: exposed; a full collection runs before each timed round, outside the clock');
  if (quick) console.log('mode: --quick (few rounds: a smoke run, not figures to quote)');

  const started = performance.now();
  const bigMedians: number[] = [];
  for (const p of pairs) {
    const { small, big, control } = runPair(p);
    bigMedians.push(report(p, small, big, control).bigSummary.median);
  }
  const [at250, at20k] = bigMedians;
  if (at250 !== undefined && at20k !== undefined) {
    console.log(`\ngrowth with fill in the /64: ${(at20k / at250).toFixed(3)} × (median ns/alloc at 20,000 held ÷ at 250 held)`);
  }
  const v6 = Array.from({ length: 5_000 }, (_, i) => `2001:db8:2::${i.toString(16)}`);
  const v4 = Array.from({ length: 5_000 }, (_, i) => `198.19.${i >> 8}.${i & 255}`);
  console.log(`context: parseIP (src/ipam/addr.ts) costs ${parseCost(v6).toFixed(0)} ns per IPv6 text and ${parseCost(v4).toFixed(0)} ns per IPv4 text`);
  console.log(`\nload average after: ${loadAverage()}; bench took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log('Figures are measured, not promised: they move with the machine and its load.');
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`allocation-cost: the run broke: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
}
