// BFD failover (issue #11): a node crash (its speaker frozen and killed, its link down) until the
// router's kernel table loses that node's next hop, with BFD at 100 ms × 3 (RFC 5880/5881) and
// with the BGP hold timer alone (3 s, keepalive 1 s: the lab's BGPPeers), side by side in one run.
// Target: ≤ 400 ms with BFD. One lab per router and mode (bfd-failover-lab.ts), --runs crashes
// each, the nodes in turn; the router's table is read every --sample-ms (one `ip -n … route show`
// per read, whose cost is the figure's resolution). Figures are printed, never asserted.
// Usage: node bench/bgp/bfd-failover.ts [--runs 20] [--routers bird,frr] [--modes bfd,hold]
//        [--sample-ms 10] [--deadline 15] [--settle-ms 2000]
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { RouterKind } from '../../src/lab/bgp-router.ts';
import { BFDD, BGPD, ZEBRA } from '../../src/lab/frr.ts';
import { headCommit, loadAverage, machineLines, quantile } from '../machine.ts';
import { describeError, fmt, sleep } from '../l2/report.ts';
import { NEEDS, program, requirePrerequisites } from '../prerequisites.ts';
import type { Prerequisite } from '../prerequisites.ts';
import { BFD, FailoverLab, MODES } from './bfd-failover-lab.ts';
import type { Crash, Mode } from './bfd-failover-lab.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    routers: { type: 'string', default: 'bird,frr' },
    modes: { type: 'string', default: MODES.join(',') },
    'sample-ms': { type: 'string', default: '10' },
    deadline: { type: 'string', default: '15' },
    'settle-ms': { type: 'string', default: '2000' },
  },
});
const RUNS = Number(args.runs);
const SAMPLE_MS = Number(args['sample-ms']);
const DEADLINE_MS = Number(args.deadline) * 1000;
const SETTLE_MS = Number(args['settle-ms']);
const isRouter = (r: string): r is RouterKind => r === 'bird' || r === 'frr';
const isMode = (m: string): m is Mode => (MODES as readonly string[]).includes(m);
const routers = args.routers.split(',').filter((r) => r !== '');
const modes = args.modes.split(',').filter((m) => m !== '');
if (!(Number.isInteger(RUNS) && RUNS >= 1 && SAMPLE_MS >= 1 && DEADLINE_MS >= 5000 && SETTLE_MS >= 0 && routers.length > 0 && routers.every(isRouter) && modes.length > 0 && modes.every(isMode))) {
  process.stderr.write('usage: bfd-failover.ts [--runs N] [--routers bird,frr] [--modes bfd,hold] [--sample-ms MS] [--deadline S≥5] [--settle-ms MS]\n');
  process.exit(2);
}
const ROUTERS = routers.filter(isRouter);
const MODE_LIST = modes.filter(isMode);
const TARGET_MS = 400;
/** Waiting for the three next hops (and BFD up) before a run and after a restore. */
const READY_MS = 60_000;

const file = (path: string, apt: string): Prerequisite => ({ what: path, present: () => existsSync(path), fix: { apt } });
requirePrerequisites('bfd-failover.ts', [
  NEEDS.root,
  NEEDS.ip,
  NEEDS.addon,
  ...(ROUTERS.includes('bird') ? [NEEDS.bird, program('birdc', 'bird2')] : []),
  ...(ROUTERS.includes('frr') ? [file(ZEBRA, 'frr'), file(BGPD, 'frr'), file(BFDD, 'frr'), program('vtysh', 'frr')] : []),
]);

interface Series {
  readonly router: RouterKind;
  readonly mode: Mode;
  readonly crashes: Crash[];
  /** Why the series stopped early, or null. */
  broke: string | null;
}

const MODE_TEXT: Record<Mode, string> = { bfd: `BFD ${BFD.intervalMs} ms × ${BFD.multiplier}`, hold: 'hold timer 3 s' };
const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : fmt(v, 0));
const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

function stats(s: Series): { n: number; median: number; p95: number; worst: number; best: number; lost: number } {
  const t = sorted(s.crashes.flatMap((c) => (c.goneMs === null ? [] : [c.goneMs])));
  return { n: t.length, median: quantile(t, 0.5), p95: quantile(t, 0.95), worst: t[t.length - 1] ?? Number.NaN, best: t[0] ?? Number.NaN, lost: s.crashes.length - t.length };
}

function crashLine(s: Series, i: number, c: Crash, restoreMs: number | null): string {
  const figure = c.goneMs === null ? `NEXT HOP STILL THERE after ${DEADLINE_MS / 1000} s` : `next hop gone ${ms(c.goneMs)} ms (last seen +${ms(c.lastSeenMs)} ms)`;
  const others = c.goneMs !== null && c.left.length !== 2 ? `; ROUTER THEN HAD ${c.left.join(',') || 'no route'}` : '';
  return `  ${s.router} ${s.mode} #${i + 1} ${c.node}: ${figure}; link down +${ms(c.linkDownMs)} ms; ${c.readMs.length} reads, cost median ${fmt(quantile(sorted(c.readMs), 0.5), 1)} ms; cause: ${c.cause}${others}${restoreMs === null ? '' : `; back in ${fmt(restoreMs / 1000, 1)} s`}`;
}

async function runSeries(s: Series): Promise<void> {
  const t0 = performance.now();
  console.log(`\n${s.router} ${s.mode} (${MODE_TEXT[s.mode]}): starting the lab`);
  let lab: FailoverLab | undefined;
  try {
    lab = await FailoverLab.start(s.router, s.mode, (step) => console.log(`  lab: ${step}`));
    const ready = await lab.ready(READY_MS);
    console.log(`  lab up in ${fmt((performance.now() - t0) / 1000, 1)} s (ready ${fmt(ready / 1000, 1)} s after the Service's address); ${lab.prefix} via ${(await lab.hops()).join(', ')}`);
    for (let i = 0; i < RUNS; i++) {
      const node = lab.nodes[i % lab.nodes.length] ?? 'node-a';
      // Steady state before the crash: BFD at its fast rate after the Poll sequence that follows Up
      // (RFC 5880 §6.8.3), BGP keepalives at their usual phase.
      await sleep(SETTLE_MS);
      const c = await lab.crash(node, SAMPLE_MS, DEADLINE_MS);
      s.crashes.push(c);
      let restoreMs: number | null = null;
      try {
        restoreMs = await lab.restore(node, READY_MS);
      } finally {
        console.log(crashLine(s, i, c, restoreMs));
      }
    }
  } catch (err) {
    s.broke = describeError(err);
    console.log(`  ${s.router} ${s.mode}: BROKE after ${s.crashes.length} runs: ${s.broke}`);
    if (lab !== undefined) console.log(lab.lab.logTails(10));
  } finally {
    await lab?.close();
  }
}

function summary(s: Series): string {
  const st = stats(s);
  const reads = s.crashes.flatMap((c) => c.readMs);
  const gaps = sorted(s.crashes.flatMap((c) => (c.goneMs === null || c.lastSeenMs === null ? [] : [c.goneMs - c.lastSeenMs])));
  const causes = new Map<string, number>();
  for (const c of s.crashes) causes.set(c.cause, (causes.get(c.cause) ?? 0) + 1);
  return [
    `${s.router} ${s.mode} (${MODE_TEXT[s.mode]}): ${s.crashes.length} runs${st.lost > 0 ? ` (${st.lost} with the next hop still there after ${DEADLINE_MS / 1000} s)` : ''}${s.broke === null ? '' : ' (BROKE EARLY)'}; crash → next hop gone: median ${ms(st.median)} ms, p95 ${ms(st.p95)}, worst ${ms(st.worst)}, best ${ms(st.best)}`,
    `    resolution: read cost median ${fmt(quantile(sorted(reads), 0.5), 1)} ms (p95 ${fmt(quantile(sorted(reads), 0.95), 1)}), last read with the hop → first without: median ${fmt(quantile(gaps, 0.5), 1)} ms, worst ${fmt(gaps[gaps.length - 1] ?? Number.NaN, 1)}`,
    `    router's cause: ${[...causes].map(([c, n]) => `${n}× "${c}"`).join(', ') || '—'}`,
  ].join('\n');
}

function sideBySide(all: readonly Series[]): string[] {
  const out = [`| router | ${MODE_TEXT.bfd}: runs, median / p95 / worst (ms) | ${MODE_TEXT.hold}: runs, median / p95 / worst (ms) | hold ÷ BFD (median) | ≤ ${TARGET_MS} ms with BFD (every run) |`, '| --- | --- | --- | ---: | --- |'];
  for (const router of ROUTERS) {
    const cell = (mode: Mode): { text: string; st: ReturnType<typeof stats> | null } => {
      const s = all.find((x) => x.router === router && x.mode === mode);
      if (s === undefined) return { text: 'not run', st: null };
      const st = stats(s);
      return { text: `${s.crashes.length}, ${ms(st.median)} / ${ms(st.p95)} / ${ms(st.worst)}${st.lost > 0 ? ` (${st.lost} never gone)` : ''}`, st };
    };
    const b = cell('bfd');
    const h = cell('hold');
    const ratio = b.st !== null && h.st !== null && b.st.median > 0 ? fmt(h.st.median / b.st.median, 1) : '—';
    let verdict = '—';
    if (b.st !== null && b.st.n + b.st.lost > 0) {
      const over = (all.find((x) => x.router === router && x.mode === 'bfd')?.crashes ?? []).filter((c) => c.goneMs === null || c.goneMs > TARGET_MS);
      // A read that started after the target and still had the hop: over for certain. Otherwise the
      // hop went somewhere in the gap between two reads that spans the target.
      const gap = over.filter((c) => c.goneMs !== null && (c.lastSeenMs ?? 0) < TARGET_MS).length;
      verdict = over.length === 0 ? 'met' : `MISSED (${over.length} of ${b.st.n + b.st.lost} runs over${gap > 0 ? `; in ${gap} of them the hop was last seen before ${TARGET_MS} ms, then a gap between reads` : ''})`;
    }
    out.push(`| ${router} | ${b.text} | ${h.text} | ${ratio} | ${verdict} |`);
  }
  return out;
}

async function main(): Promise<void> {
  for (const l of machineLines()) console.log(l);
  console.log(`commit ${headCommit()}; ${new Date().toISOString()}`);
  console.log(`BFD failover: ${RUNS} crashes per router and mode (${ROUTERS.join(', ')} × ${MODE_LIST.join(', ')}), the nodes in turn; BGP hold 3 s, keepalive 1 s; ${MODE_TEXT.bfd} on both sides in mode bfd, no BFD in mode hold`);
  console.log(`crash = speaker SIGSTOP at t0, its bridge port down, then SIGKILL; figure = t0 → end of the first read of the router's kernel table without the node's next hop (a read every ${SAMPLE_MS} ms); ${SETTLE_MS} ms of steady state before each crash`);
  const all: Series[] = [];
  const t0 = performance.now();
  try {
    for (const router of ROUTERS) {
      for (const mode of MODE_LIST) {
        const s: Series = { router, mode, crashes: [], broke: null };
        all.push(s);
        await runSeries(s);
      }
    }
  } finally {
    console.log(`\nResults (${all.reduce((n, s) => n + s.crashes.length, 0)} crashes in ${fmt((performance.now() - t0) / 1000, 0)} s; load average after: ${loadAverage()})`);
    for (const s of all) console.log(summary(s));
    console.log('');
    for (const l of sideBySide(all)) console.log(l);
  }
  if (all.some((s) => s.broke !== null)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(`BFD failover failed: ${describeError(err)}`);
  process.exitCode = 1;
});
