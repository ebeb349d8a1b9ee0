// The three faults of the BGP chaos bench (issue #14, "Chaos in the lab"), one run each: a
// speaker SIGKILLed and restarted with graceful restart, the router daemon restarted, a node's
// link flapped. Every run starts from a settled router (its kernel table exactly as wanted) and
// ends when it is so again, or at the deadline; the router's kernel table is sampled all along,
// so a path that disappears for one read is seen (bgp-table.ts).
import type { RouterKind } from '../../src/lab/bgp-router.ts';
import { sleep } from '../l2/report.ts';
import type { ChaosCluster } from './bgp-cluster.ts';
import { Sampler, commonPairs, diffTables, firstLoss, formatTable, untilTable } from './bgp-table.ts';
import type { RouterView, Table } from './bgp-table.ts';

export const FAULTS = ['speaker-restart', 'router-restart', 'link-flap'] as const;
export type Fault = (typeof FAULTS)[number];

export interface FaultContext {
  readonly cluster: ChaosCluster;
  readonly view: RouterView;
  /** How long after the fault the router has to be correct. */
  readonly deadlineMs: number;
  /** How long a killed speaker stays down (at least until the router shows the down state). */
  readonly downMs: number;
  /** The router's kernel table is read this often during a run. */
  readonly sampleMs: number;
  /** Correct means right and still right this long after (bgp-table.ts untilTable). */
  readonly stableMs: number;
}

export interface RunResult {
  readonly router: RouterKind;
  readonly fault: Fault;
  readonly run: number;
  readonly node: string | null;
  readonly correct: boolean;
  /** From the end of the fault (restart issued, router restart issued, last link up) to correct; null: not within the deadline. */
  readonly toCorrectMs: number | null;
  /** speaker-restart: from the restarted speaker's first healthy answer to correct (the rest is its start-up). */
  readonly sinceHealthyMs: number | null;
  /** The whole run, settling before it included. */
  readonly wallMs: number;
  /** The first path that should have stayed and was missing from a sample, or null. */
  readonly lost: string | null;
  /** speaker-restart: the killed node's paths all stayed (stale) while it was down. */
  readonly staleKept: boolean | null;
  /** speaker-restart: the router showed exactly the down state (stale paths + the other nodes' changes). */
  readonly downStateMs: number | null;
  /** speaker-restart: the router's RIB flagged the node's paths stale / GR active while it was down. */
  readonly staleMarked: boolean | null;
  /** speaker-restart: the restarted speaker's OPEN had the Restart State bit (RFC 4724 §4.1), as the router saw it. */
  readonly restartBit: boolean | null;
  /** link-flap: times the node's session reached Established during the run (0: it never dropped). */
  readonly reestablished: number | null;
  /** Times the router was right and then wrong again before it stayed right. */
  readonly relapses: number;
  readonly note: string;
  readonly evidence: string | null;
}

/** Before a run: the router must already be exactly right (what the previous run left). */
export async function settle(ctx: FaultContext, timeoutMs: number): Promise<string | null> {
  const sampler = new Sampler(ctx.view, 100);
  sampler.start();
  try {
    const r = await untilTable(ctx.view, sampler, () => ctx.cluster.expected(), performance.now() + timeoutMs, true);
    return r.at !== null ? null : [`not settled within ${timeoutMs / 1000} s${r.rib === null ? '' : ` (${r.rib})`}`, ...diffTables(ctx.cluster.expected(), r.last)].join('\n  ');
  } finally {
    await sampler.stop();
  }
}

/** The router's table while `node` is down: its old paths kept (stale), everyone else's as wanted now. */
function downState(before: Table, now: Table, node: string): Table {
  const t = new Map<string, string[]>();
  for (const vip of new Set([...before.keys(), ...now.keys()])) {
    const hops = new Set((now.get(vip) ?? []).filter((h) => h !== node));
    if ((before.get(vip) ?? []).includes(node)) hops.add(node);
    if (hops.size > 0) t.set(vip, [...hops].sort());
  }
  return t;
}

function ms(v: number | null): string {
  return v === null ? 'never' : `${Math.round(v)} ms`;
}

/** What to look at when a run is wrong: tables, the router's view of the node, the node's BGP log lines. */
async function evidence(ctx: FaultContext, node: string | null, expected: Table, last: Table, rib: string | null, timeline: string): Promise<string> {
  const { view, cluster } = ctx;
  const lines = [`timeline: ${timeline}`, `expected: ${formatTable(expected)}`, `router:   ${formatTable(last)}`, ...diffTables(expected, last).map((d) => `diff: ${d}`)];
  if (rib !== null) lines.push(`router RIB: ${rib}`);
  if (node !== null) {
    const host = cluster.lab.nodes.find((n) => n.name === node);
    const q = view.kind === 'bird' ? `show protocols all ${view.sessionName(node)}` : `show bgp neighbors ${host?.ipv4 ?? ''} json`;
    const out = await view.router.query(q).catch((err: unknown) => String(err));
    lines.push(`--- router: ${q}`, out.split('\n').slice(0, 80).join('\n'));
    const bgp = cluster.lab.speakerLog(node, 400).split('\n').filter((l) => /BGP|speaker starting/.test(l)).slice(-25);
    lines.push(`--- speaker ${node} (BGP lines)`, ...bgp);
  }
  if (view.router.logTail(1) !== '') lines.push(view.router.logTail(30));
  return lines.join('\n');
}

/** Why the node's speaker saw its sessions go down since `since` (its log's "BGP session down" lines). */
function downReasons(ctx: FaultContext, node: string, since: number): string[] {
  const out: string[] = [];
  for (const l of ctx.cluster.lab.speakerLog(node, 400).split('\n')) {
    if (!l.includes('BGP session down')) continue;
    try {
      const j: unknown = JSON.parse(l);
      if (typeof j !== 'object' || j === null || !('time' in j) || typeof j.time !== 'string' || Date.parse(j.time) < since) continue;
      const code = 'code' in j ? ` ${String(j.code)}/${'subcode' in j ? String(j.subcode) : '?'}` : '';
      out.push(`${'reason' in j ? String(j.reason) : '?'}${code}`);
    } catch {
      // not a JSON line
    }
  }
  return out;
}

async function waitSessionDown(ctx: FaultContext, node: string, from: number, timeoutMs: number): Promise<number | null> {
  const name = ctx.view.sessionName(node);
  while (performance.now() - from < timeoutMs) {
    if (!(await ctx.view.router.established()).includes(name)) return performance.now() - from;
    await sleep(20);
  }
  return null;
}

/**
 * SIGKILL one node's speaker; while it is down, change the wanted routes (bgp-cluster.ts
 * churnWithout) and check that the router keeps the node's paths; restart it and wait until the
 * router's table is exactly the new wanted one, stale paths gone after End-of-RIB.
 */
export async function speakerRestart(ctx: FaultContext, run: number, start: number): Promise<RunResult> {
  const { cluster, view } = ctx;
  const node = cluster.nodes[run % cluster.nodes.length] ?? 'node-a';
  const before = cluster.expected();
  const sampler = new Sampler(view, ctx.sampleMs);
  sampler.start();
  await sampler.next();
  const tKill = performance.now();
  await cluster.lab.killSpeaker(node, 'SIGKILL');
  const downSeen = await waitSessionDown(ctx, node, tKill, 5000);
  const change = await cluster.churnWithout(node);
  const wanted = cluster.expected();
  const down = downState(before, wanted, node);
  const reached = await untilTable(view, sampler, () => down, performance.now() + 10_000, false);
  const staleMarked = await view.holdsStale(node);
  await sleep(Math.max(0, ctx.downMs - (performance.now() - tKill)));
  const tRestart = performance.now();
  await cluster.lab.restartSpeaker(node);
  const tHealthy = performance.now();
  const r = await untilTable(view, sampler, () => wanted, tRestart + ctx.deadlineMs, true, ctx.stableMs);
  await sampler.stop();
  const restartBit = r.at === null ? null : await view.restartBit(node);
  const end = r.at ?? performance.now();
  // Paths wanted before and after must never go; the node's old paths must stay until it is back.
  const lost = firstLoss(sampler.samples, commonPairs(before, wanted), tKill, end);
  const nodePairs = commonPairs(before, before).filter(([, h]) => h === node);
  const staleKept = firstLoss(sampler.samples, nodePairs, tKill, tRestart) === null;
  const timeline = `kill 0, router saw the session down ${ms(downSeen)}, down state ${reached.at === null ? 'never' : ms(reached.at - tKill)}, restart ${ms(tRestart - tKill)}, healthy ${ms(tHealthy - tKill)}, correct ${r.at === null ? 'never' : ms(r.at - tKill)}`;
  return {
    router: view.kind,
    fault: 'speaker-restart',
    run,
    node,
    correct: r.at !== null,
    toCorrectMs: r.at === null ? null : r.at - tRestart,
    sinceHealthyMs: r.at === null ? null : Math.max(0, r.at - tHealthy),
    wallMs: performance.now() - start,
    lost,
    staleKept,
    downStateMs: reached.at === null ? null : reached.at - tKill,
    staleMarked,
    restartBit,
    reestablished: null,
    relapses: r.relapses,
    note: `${change}; healthy ${ms(tHealthy - tRestart)} after the restart`,
    evidence: r.at !== null && r.relapses === 0 && lost === null && staleKept && reached.at !== null ? null : await evidence(ctx, node, r.at === null ? wanted : down, r.at === null ? r.last : reached.last, r.rib, timeline),
  };
}

/** Restart the router's daemons (SIGTERM on runs #1, #3, …, SIGKILL on #2, #4, …); every route must come back. */
export async function routerRestart(ctx: FaultContext, run: number, start: number): Promise<RunResult> {
  const { cluster, view } = ctx;
  const signal = run % 2 === 0 ? 'SIGTERM' : 'SIGKILL';
  const wanted = cluster.expected();
  const sampler = new Sampler(view, ctx.sampleMs);
  sampler.start();
  const t0 = performance.now();
  await cluster.restartRouter(signal);
  const tStarted = performance.now();
  const r = await untilTable(view, sampler, () => wanted, t0 + ctx.deadlineMs, true, ctx.stableMs);
  await sampler.stop();
  const emptiest = Math.min(...sampler.between(t0, r.at ?? Infinity).map((s) => s.table.size));
  const timeline = `${signal} 0, daemons up again ${ms(tStarted - t0)}, correct ${r.at === null ? 'never' : ms(r.at - t0)}`;
  return {
    router: view.kind,
    fault: 'router-restart',
    run,
    node: null,
    correct: r.at !== null,
    toCorrectMs: r.at === null ? null : r.at - t0,
    sinceHealthyMs: null,
    wallMs: performance.now() - start,
    lost: null,
    staleKept: null,
    downStateMs: null,
    staleMarked: null,
    restartBit: null,
    reestablished: null,
    relapses: r.relapses,
    note: `${signal}; daemons up ${ms(tStarted - t0)} after it; fewest VIP routes seen meanwhile ${Number.isFinite(emptiest) ? emptiest : '—'} of ${wanted.size}`,
    evidence: r.at !== null && r.relapses === 0 ? null : await evidence(ctx, null, wanted, r.last, r.rib, timeline),
  };
}

/** A small deterministic generator (mulberry32), so a run's flap pattern can be repeated by its number. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Down/up one node's link 3–5 times, each down 100–1,500 ms and up 100–1,000 ms (run n's
 * pattern is always the same). Some patterns outlast the 3 s hold time (lost keepalives and
 * TCP's retransmission back-off add up), some do not: either way the router must end up right.
 */
export async function linkFlap(ctx: FaultContext, run: number, start: number): Promise<RunResult> {
  const { cluster, view } = ctx;
  const node = cluster.nodes[run % cluster.nodes.length] ?? 'node-a';
  const rnd = random(0x14b9 + run);
  const flaps = Array.from({ length: 3 + Math.floor(rnd() * 3) }, () => ({ down: 100 + Math.round(rnd() * 1400), up: 100 + Math.round(rnd() * 900) }));
  const wanted = cluster.expected();
  const before = await cluster.establishedCount(node);
  const wallStart = Date.now();
  const sampler = new Sampler(view, ctx.sampleMs);
  sampler.start();
  await sampler.next();
  const t0 = performance.now();
  for (const [i, f] of flaps.entries()) {
    await cluster.lab.network.linkDown(node);
    await sleep(f.down);
    await cluster.lab.network.linkUp(node);
    if (i < flaps.length - 1) await sleep(f.up);
  }
  const tUp = performance.now();
  const r = await untilTable(view, sampler, () => wanted, tUp + ctx.deadlineMs, true, ctx.stableMs);
  await sampler.stop();
  const after = await cluster.establishedCount(node);
  const end = r.at ?? performance.now();
  const pairs = commonPairs(wanted, wanted);
  // The other nodes' paths have no reason to move; the flapping node's may go with its session.
  const lost = firstLoss(sampler.samples, pairs.filter(([, h]) => h !== node), t0, end);
  const withdrawn = firstLoss(sampler.samples, pairs.filter(([, h]) => h === node), t0, end);
  const timeline = `first down 0, last up ${ms(tUp - t0)}, correct ${r.at === null ? 'never' : ms(r.at - t0)}`;
  const reestablished = before === null || after === null ? null : after - before;
  const reasons = downReasons(ctx, node, wallStart);
  return {
    router: view.kind,
    fault: 'link-flap',
    run,
    node,
    correct: r.at !== null,
    toCorrectMs: r.at === null ? null : r.at - tUp,
    sinceHealthyMs: null,
    wallMs: performance.now() - start,
    lost,
    staleKept: null,
    downStateMs: null,
    staleMarked: null,
    restartBit: null,
    reestablished,
    relapses: r.relapses,
    note: `${flaps.length} flaps, down ${flaps.map((f) => f.down).join('/')} ms; session re-established ${reestablished ?? '?'}×${reasons.length > 0 ? ` (speaker saw it down: ${reasons.join(', ')})` : ''}; ${withdrawn === null ? "node's paths never left the router" : `node's paths left: ${withdrawn}`}`,
    evidence: r.at !== null && r.relapses === 0 && lost === null ? null : await evidence(ctx, node, wanted, r.last, r.rib, timeline),
  };
}
