// The election at scale, in the simulator (issue #10: "in the election simulator: 100 nodes ×
// 10,000 VIPs: converges; steady API writes ≤ 20/s; one node's crash costs ≤ its VIPs in
// writes"; and "one speaker's stall costs no more than its VIPs"). Real `Election`s in virtual
// time (test/election/sim.ts): the times below are simulated, except the wall and CPU time the
// simulation itself took. A bench, not a test: it prints figures beside the targets and asserts
// nothing.
//
//   node bench/election/scale.ts                 10 × 1,000, then 100 × 10,000
//   node bench/election/scale.ts --sizes 10x1000 --steady-ms 10000 --stall-ms 1000 --damping both
//   node bench/election/scale.ts --sizes 100x10000 --node-lease-renew 5000   a large cluster's R
//
// Phases, one after the other on one cluster: start-up until every VIP is answered by its first
// choice; a steady window; one node crashes (the one that holds the median number of VIPs); a
// second node stalls (SIGSTOP-like: it runs nothing, sends nothing, for `--stall-ms`, longer
// than the fence time F), then resumes.
import { parseArgs } from 'node:util';
import { desiredOwner } from '../../src/election/hash.ts';
import { DEFAULT_L2_TIMINGS, checkTimings } from '../../src/election/timings.ts';
import { Sim } from '../../test/election/sim.ts';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10x1000,100x10000' },
    'steady-ms': { type: 'string', default: '10000' },
    'stall-ms': { type: 'string', default: '1000' },
    /** How long to watch after the crash and after the stall began. */
    'after-ms': { type: 'string', default: '12000' },
    /** Damping after a fence (src/election/damping.ts, its default periods; off in the speaker for now): on, off, or both (one cluster each). */
    damping: { type: 'string', default: 'on' },
    /** Every node's heartbeat timer in the same step (the simulator's default; see SimOptions.heartbeatPhases). */
    aligned: { type: 'boolean', default: false },
    /** R in ms, as `herald speaker --node-lease-renew` (E and api-stale-after follow it: checkTimings). Default: the speaker's. */
    'node-lease-renew': { type: 'string' },
  },
});

const TIMINGS = (() => {
  const renew = args['node-lease-renew'];
  if (renew === undefined) return DEFAULT_L2_TIMINGS;
  const checked = checkTimings({ nodeLeaseRenewMs: Number(renew) });
  if (checked.problems.length > 0) throw new Error(`--node-lease-renew ${renew}: ${checked.problems.join('; ')}`);
  return checked.timings;
})();

const STEADY_MS = Number(args['steady-ms']);
const STALL_MS = Number(args['stall-ms']);
const AFTER_MS = Number(args['after-ms']);
const CHECK_MS = 50;

interface Cost {
  /** VIP Lease writes that reached the API server (conflicts included), by operation. */
  vipWrites: number;
  byOp: Record<string, number>;
  conflicts: number;
  nodeLeaseWrites: number;
  /** Of them, the probing ones (docs/l2.md "Probing"): since the rank-based ask, FIRST_ASKERS per silence. */
  probingWrites: number;
  relists: number;
  /** Sum over VIPs of the time nobody answered them, and the longest for one VIP (ms). */
  darkVipMs: number;
  darkMaxMs: number;
  overlaps: number;
}

interface Clock {
  wallMs: number;
  cpuMs: number;
}

function stopwatch(): () => Clock {
  const w0 = performance.now();
  const c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    return { wallMs: performance.now() - w0, cpuMs: (c.user + c.system) / 1000 };
  };
}

function cost(sim: Sim): Cost {
  const byOp: Record<string, number> = {};
  let conflicts = 0;
  for (const w of sim.writeLog) {
    byOp[w.op] = (byOp[w.op] ?? 0) + 1;
    if (!w.ok) conflicts++;
  }
  const dark = [...sim.dark.values()];
  return { vipWrites: sim.apiWrites, byOp, conflicts, nodeLeaseWrites: sim.nodeLeaseWrites, probingWrites: sim.probingWrites.length, relists: sim.relists, darkVipMs: dark.reduce((a, b) => a + b, 0), darkMaxMs: Math.max(0, ...dark), overlaps: sim.overlaps.length };
}

function reset(sim: Sim): void {
  sim.resetStats();
  sim.writeLog.length = 0;
  sim.relists = 0;
}

/** Every VIP answered by exactly one node, its first choice among `live` (the desired owners are cached per live set). */
function settledCheck(sim: Sim, vips: readonly string[]): (live: readonly string[]) => boolean {
  let key = '';
  let owners: string[] = [];
  return (live) => {
    const k = live.join(',');
    if (k !== key) {
      key = k;
      owners = vips.map((ip) => desiredOwner(ip, live) ?? '');
    }
    for (let i = 0; i < vips.length; i++) {
      const who = sim.answerersOf(vips[i] ?? '');
      if (who.length !== 1 || who[0] !== owners[i]) return false;
    }
    return true;
  };
}

/** Every VIP answered by exactly one node (whichever). */
function allAnswered(sim: Sim, vips: readonly string[]): boolean {
  for (const ip of vips) if (sim.answerersOf(ip).length !== 1) return false;
  return true;
}

function heldBy(sim: Sim, vips: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const ip of vips) {
    for (const n of sim.answerersOf(ip)) {
      let l = out.get(n);
      if (l === undefined) out.set(n, (l = []));
      l.push(ip);
    }
  }
  return out;
}

/** Runs until `pred` holds (checked every CHECK_MS of simulated time) or `ms` pass: the simulated ms it took, or null. */
function until(sim: Sim, pred: () => boolean, ms: number): number | null {
  const start = sim.now;
  while (sim.now - start < ms) {
    if (pred()) return sim.now - start;
    sim.run(CHECK_MS);
  }
  return pred() ? sim.now - start : null;
}

interface Figures {
  size: string;
  boot: { convergedMs: number | null; clock: Clock; cost: Cost };
  steady: { ms: number; clock: Clock; cost: Cost };
  crash: { node: string; held: number; clock: Clock; answeredMs: number | null; settledMs: number | null; cost: Cost };
  stall: { node: string; held: number; stallMs: number; clock: Clock; answeredMs: number | null; settledMs: number | null; heldAfter: number; cost: Cost; writesOverTime: string };
  heapMb: number;
}

function scenario(nodeCount: number, vipCount: number, damping: boolean): Figures {
  const nodes = Array.from({ length: nodeCount }, (_, i) => `node-${String(i).padStart(3, '0')}`);
  const vips = Array.from({ length: vipCount }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const renew = TIMINGS === DEFAULT_L2_TIMINGS ? '' : `, R ${TIMINGS.nodeLeaseRenewMs / 1000} s (E ${TIMINGS.evidenceTtlMs / 1000} s)`;
  const size = `${nodeCount} × ${vipCount.toLocaleString('en')}, damping ${damping ? 'on' : 'off'}${args.aligned === true ? ', aligned heartbeats' : ''}${renew}`;

  let watch = stopwatch();
  const sim = new Sim({ nodes, vips, damping, heartbeatPhases: args.aligned !== true, timings: TIMINGS });
  const isSettled = settledCheck(sim, vips);
  const convergedMs = until(sim, () => isSettled(sim.liveEligible()), 60_000);
  const boot = { convergedMs, clock: watch(), cost: cost(sim) };
  log(`${size}: converged at ${fmtMs(convergedMs)} simulated, ${fmtClock(boot.clock)}`);

  reset(sim);
  watch = stopwatch();
  sim.run(STEADY_MS);
  const steady = { ms: STEADY_MS, clock: watch(), cost: cost(sim) };
  log(`${size}: steady ${STEADY_MS} ms, ${fmtClock(steady.clock)}`);

  // The crash: the node holding the median number of VIPs.
  const held = heldBy(sim, vips);
  const ranked = [...held].sort((a, b) => a[1].length - b[1].length || (a[0] < b[0] ? -1 : 1));
  const [victim, victimVips] = ranked[Math.floor(ranked.length / 2)] ?? ['', []];
  reset(sim);
  watch = stopwatch();
  sim.crash(victim);
  const crashAt = sim.now;
  const answeredMs = until(sim, () => allAnswered(sim, vips), 30_000);
  const settledMs = until(sim, () => isSettled(sim.liveEligible()), 30_000);
  sim.run(Math.max(0, AFTER_MS - (sim.now - crashAt)));
  // Both from the crash (settling is looked for once every VIP is answered).
  const crash = { node: victim, held: victimVips.length, clock: watch(), answeredMs, settledMs: settledMs === null ? null : (answeredMs ?? 0) + settledMs, cost: cost(sim) };
  log(`${size}: crash of ${victim} (${victimVips.length} VIPs), ${fmtClock(crash.clock)}`);

  // The stall: another node near the median, stopped for STALL_MS, then running again.
  const held2 = heldBy(sim, vips);
  const ranked2 = [...held2].sort((a, b) => a[1].length - b[1].length || (a[0] < b[0] ? -1 : 1));
  const [stalled, stalledVips] = ranked2[Math.floor(ranked2.length / 2)] ?? ['', []];
  reset(sim);
  watch = stopwatch();
  const stallAt = sim.now;
  sim.stall(stalled, STALL_MS);
  sim.run(STALL_MS);
  // Writes per second from the start of the stall, to see a hand-back (or a cascade) and when.
  const perSecond: number[] = [];
  let before = sim.apiWrites;
  perSecond.push(before);
  let answered2: number | null = allAnswered(sim, vips) ? STALL_MS : null;
  let settled2: number | null = null;
  while (sim.now - stallAt < STALL_MS + AFTER_MS) {
    sim.run(CHECK_MS);
    if (answered2 === null && allAnswered(sim, vips)) answered2 = sim.now - stallAt;
    if (settled2 === null && isSettled(sim.liveEligible())) settled2 = sim.now - stallAt;
    if ((sim.now - stallAt) % 1000 === 0) {
      perSecond.push(sim.apiWrites - before);
      before = sim.apiWrites;
    }
  }
  const heldAfter = heldBy(sim, vips).get(stalled)?.length ?? 0;
  const stall = { node: stalled, held: stalledVips.length, stallMs: STALL_MS, clock: watch(), answeredMs: answered2, settledMs: settled2, heldAfter, cost: cost(sim), writesOverTime: perSecond.join(' ') };
  log(`${size}: stall of ${stalled} (${stalledVips.length} VIPs) for ${STALL_MS} ms, ${fmtClock(stall.clock)}`);

  return { size, boot, steady, crash, stall, heapMb: process.memoryUsage().heapUsed / 2 ** 20 };
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

function fmtMs(ms: number | null): string {
  return ms === null ? 'never' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms} ms`;
}

function fmtClock(c: Clock): string {
  return `wall ${(c.wallMs / 1000).toFixed(1)} s, CPU ${(c.cpuMs / 1000).toFixed(1)} s`;
}

function fmtCost(c: Cost): string {
  const ops = Object.entries(c.byOp)
    .sort()
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
  return `${c.vipWrites} VIP Lease writes${ops === '' ? '' : ` (${ops}; ${c.conflicts} lost a race)`}, ${c.nodeLeaseWrites} node-Lease writes (${c.probingWrites} probing), ${c.relists} re-lists; dark ${(c.darkVipMs / 1000).toFixed(1)} VIP·s (longest ${c.darkMaxMs} ms); overlaps ${c.overlaps}`;
}

const sizes = (args.sizes ?? '')
  .split(',')
  .filter((s) => s !== '')
  .map((s) => s.split('x').map(Number) as [number, number]);
const all: Figures[] = [];
const modes = args.damping === 'both' ? [false, true] : [args.damping !== 'off'];
for (const [n, v] of sizes) {
  for (const damping of modes) {
    all.push(scenario(n, v, damping));
    (globalThis as { gc?: () => void }).gc?.();
  }
}

const col = (f: (x: Figures) => string): string => all.map(f).join(' | ');
console.log(`\n| measure | target | ${all.map((f) => f.size).join(' | ')} |`);
console.log(`|---|---|${all.map(() => '---').join('|')}|`);
console.log(`| converges (simulated time until every VIP is answered by its first choice) | converges | ${col((f) => fmtMs(f.boot.convergedMs))} |`);
console.log(`| start-up writes | one per VIP | ${col((f) => `${f.boot.cost.vipWrites} VIP, ${f.boot.cost.nodeLeaseWrites} node-Lease`)} |`);
console.log(`| simulation cost of start-up (wall / CPU) | — | ${col((f) => fmtClock(f.boot.clock))} |`);
console.log(`| steady API writes, all nodes (VIP Lease + node Lease) per s | ≤ 20/s | ${col((f) => `${((f.steady.cost.vipWrites + f.steady.cost.nodeLeaseWrites) / (f.steady.ms / 1000)).toFixed(1)}/s (VIP ${(f.steady.cost.vipWrites / (f.steady.ms / 1000)).toFixed(1)}, node Lease ${(f.steady.cost.nodeLeaseWrites / (f.steady.ms / 1000)).toFixed(1)})`)} |`);
console.log(`| simulation cost of ${STEADY_MS / 1000} s steady (wall / CPU) | — | ${col((f) => fmtClock(f.steady.clock))} |`);
console.log(`| one node's crash: VIP Lease writes vs the VIPs it held | ≤ its VIPs | ${col((f) => `${f.crash.cost.vipWrites} vs ${f.crash.held}`)} |`);
// Renewals fall due every R from each node's start, so over a window they come in whole rounds;
// "beyond the steady rate" can be negative (a crashed node renews no more), and the probing count
// is the figure that says what a fault asked of the API.
const beyond = (f: Figures, c: Cost, ms: number): string => `${c.nodeLeaseWrites} (${(c.nodeLeaseWrites - (f.steady.cost.nodeLeaseWrites * ms) / f.steady.ms).toFixed(0)} beyond the steady rate; ${c.probingWrites} probing)`;
console.log(`| one node's crash: node-Lease writes (probing) in ${AFTER_MS / 1000} s | — | ${col((f) => beyond(f, f.crash.cost, AFTER_MS))} |`);
console.log(`| one node's crash: every VIP answered again / settled | — | ${col((f) => `${fmtMs(f.crash.answeredMs)} / ${fmtMs(f.crash.settledMs)}`)} |`);
console.log(`| one node's stall (${STALL_MS} ms): VIP Lease writes vs the VIPs it held | ≤ its VIPs | ${col((f) => `${f.stall.cost.vipWrites} vs ${f.stall.held}`)} |`);
console.log(`| one node's stall: node-Lease writes in ${(STALL_MS + AFTER_MS) / 1000} s; re-lists | — | ${col((f) => `${beyond(f, f.stall.cost, STALL_MS + AFTER_MS)}; ${f.stall.cost.relists}`)} |`);
console.log(`| one node's stall: every VIP answered again / back to first choices (from the stall's start) | — | ${col((f) => `${fmtMs(f.stall.answeredMs)} / ${fmtMs(f.stall.settledMs)}`)} |`);
console.log(`| one node's stall: VIPs it holds ${(STALL_MS + AFTER_MS) / 1000} s after the stall began | — | ${col((f) => `${f.stall.heldAfter} of ${f.stall.held}`)} |`);
console.log(`| one node's stall: VIP Lease writes per second from the stall's start | — | ${col((f) => f.stall.writesOverTime)} |`);
console.log(`| simulation heap used at the end (garbage included) | — | ${col((f) => `${f.heapMb.toFixed(0)} MB`)} |`);
for (const f of all) {
  console.log(`\n${f.size}`);
  console.log(`  start-up: ${fmtCost(f.boot.cost)}`);
  console.log(`  steady:   ${fmtCost(f.steady.cost)}`);
  console.log(`  crash of ${f.crash.node} (${f.crash.held} VIPs): ${fmtCost(f.crash.cost)}; ${fmtClock(f.crash.clock)}`);
  console.log(`  stall of ${f.stall.node} (${f.stall.held} VIPs, ${f.stall.stallMs} ms): ${fmtCost(f.stall.cost)}; ${fmtClock(f.stall.clock)}`);
}
