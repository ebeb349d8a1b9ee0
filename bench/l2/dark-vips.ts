// Dark VIPs (issue #10): a VIP whose Lease names a holder that does not answer for it. In one of
// six runs of 1,000 VIPs on 3 speakers, 47 VIPs stayed so for minutes with nobody fenced (bench/l2
// Finding 2). This bench repeats such runs and counts them, on 3 and on 10 speakers.
//
// Each configuration gets its own API-server stand-in (a process), Nodes, a pool and 1,000
// Services addressed by the controller (stopped before the runs). Each run starts from no Lease
// at all: the speakers (api-speaker.ts, one process each, real UDP heartbeats on loopback) start
// one after another, each join given up to --join-timeout to settle (every VIP held and answered,
// nobody fenced). Then two samples --confirm seconds apart; in each, every VIP Lease is read and
// every speaker is asked by ARP, as a client on its segment would ask, for every VIP (SIGUSR2 to
// api-speaker.ts). A VIP is dark when, in both samples, its Lease names the same running speaker
// at the same resourceVersion, that speaker is not fenced, and it did not answer. Then every
// speaker is killed and every Lease deleted before the next run. Figures are printed, never
// asserted (the target, 0, is printed beside them).
// `--stalls EVERY_S` makes every speaker block its own event loop for F + 50 to F + 250 ms
// (400–600 ms at the default F = 350 ms) at random moments, on average every EVERY_S seconds,
// during the joins, and not while sampling: each stall fences the speaker, which re-lists its
// Leases while the others hand VIPs over (what the loaded machine did by itself in issue #10).
// The speakers run without a heartbeat key (`--insecure-heartbeats`), as those of issue #10 did: a
// note can then stop an answer but never start one, so only the API can correct a node's view.
// `--keyed` gives them a key (issue #14's default), whose notes may start answers.
// `--slow-lists MS` delays every VIP Lease list's answer in each speaker by MS after the server
// sent it (the watch goes on meanwhile), as a large body from a loaded server would arrive.
// Usage: node bench/l2/dark-vips.ts [--vips 1000] [--nodes 3,10] [--runs 20] [--join-timeout 90]
//        [--confirm 10] [--together] [--stalls EVERY_S] [--slow-lists MS] [--keyed] [--log-dir DIR]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { cleanup as cleanupChildren, cpuSecondsOf, describeExit, makeTempDir, spawnChild, waitForLine } from '../ipam/children.ts';
import type { Child } from '../ipam/children.ts';
import { loadAverage, machineLines } from '../machine.ts';
import { addressedServices, benchNodes, NODE_BIN, ROOT, seedCluster, SPEAKER_NS, startStandIn, vipLeases } from './bench-cluster.ts';
import type { BenchNode, StandIn } from './bench-cluster.ts';
import { describeError, fmt, sleep } from './report.ts';

const { values: args } = parseArgs({
  options: {
    vips: { type: 'string', default: '1000' },
    nodes: { type: 'string', default: '3,10' },
    runs: { type: 'string', default: '20' },
    'join-timeout': { type: 'string', default: '90' },
    confirm: { type: 'string', default: '10' },
    together: { type: 'boolean', default: false },
    stalls: { type: 'string', default: '0' },
    keyed: { type: 'boolean', default: false },
    'slow-lists': { type: 'string', default: '0' },
    'log-dir': { type: 'string' },
  },
});
const VIPS = Number(args.vips);
const SIZES = args.nodes.split(',').map(Number);
const RUNS = Number(args.runs);
const JOIN_TIMEOUT_MS = Number(args['join-timeout']) * 1000;
const CONFIRM_MS = Number(args.confirm) * 1000;
const LOG_DIR = args['log-dir'];
const STALL_EVERY_MS = Number(args.stalls) * 1000;
const SLOW_LISTS_MS = Number(args['slow-lists']);
if (!(Number.isInteger(VIPS) && VIPS > 0 && VIPS <= 4000 && SIZES.every((n) => Number.isInteger(n) && n >= 2 && n <= 20) && Number.isInteger(RUNS) && RUNS >= 1 && JOIN_TIMEOUT_MS >= 5_000 && CONFIRM_MS >= 1_000 && STALL_EVERY_MS >= 0 && SLOW_LISTS_MS >= 0)) {
  process.stderr.write('usage: dark-vips.ts [--vips 1..4000] [--nodes 3,10] [--runs N] [--join-timeout S] [--confirm S] [--together] [--stalls S] [--slow-lists MS] [--keyed] [--log-dir DIR]\n');
  process.exit(2);
}
const SPEAKER_SCRIPT = join(ROOT, 'bench/l2/api-speaker.ts');
if (!args.keyed) process.env['HERALD_BENCH_INSECURE_HEARTBEATS'] = '1';
if (SLOW_LISTS_MS > 0) process.env['HERALD_BENCH_SLOW_LISTS_MS'] = String(SLOW_LISTS_MS);
const log = pino({ level: 'silent' });

interface Probe {
  n: number;
  answered: Set<string>;
  fenced: number;
  repairs: number;
  /** When its last reply came, ms after the requests (api-speaker.ts waits until replies stop). */
  lastReplyMs: number;
  /** The requests' own turn of its event loop, ms of wall time (api-speaker.ts). */
  burstMs: number;
}

/** What a speaker last printed: its {"held"} report every second, its last probe. */
interface Status {
  /** Printed {"ready": true}: its SIGUSR2 handler is in place (before, the signal would kill it). */
  ready: boolean;
  held: number;
  fenced: number;
  probe: Probe;
  /** Its moments for the run's timeline: each probe done, and each time its longest event-loop delay so far rose past 100 ms. */
  moments: { time: number; what: string }[];
  eldMax: number;
}

interface Speaker {
  node: BenchNode;
  child: Child;
  status: Status;
}

interface Sample {
  leases: Map<string, { holder: string; version: string }>;
  probes: Map<string, Probe>;
}

interface RunResult {
  joins: { node: string; seconds: number | null }[];
  dark: string[];
  /** Dark in the second sample alone (the Lease may have been written between the samples). */
  darkLast: number;
  /** VIPs answered by two speakers or more in the second sample. */
  doubled: number;
  /** Unanswered VIPs whose holder is fenced, in the second sample. */
  fencedHolder: number;
  /** VIPs without a holder in the second sample. */
  unheld: number;
  /** VIPs some speaker answered in the second sample (the probe's own check), and speakers that answered the probe. */
  answered: number;
  probed: number;
  repairs: number;
  /** The slowest speaker's last reply in the second sample, ms after the requests. */
  slowestReplyMs: number;
  /** Per sample: the longest burst a speaker lived (ms), and how many speakers were fenced at some moment of their probe. */
  bursts: [number, number];
  fencedInProbe: [number, number];
  seconds: number;
}

function spawnSpeaker(n: BenchNode, kubeconfig: string, port: number): Speaker {
  const status: Status = { ready: false, held: 0, fenced: 0, probe: { n: 0, answered: new Set(), fenced: 0, repairs: 0, lastReplyMs: 0, burstMs: 0 }, moments: [], eldMax: 0 };
  const child = spawnChild(`speaker ${n.name}`, NODE_BIN, [SPEAKER_SCRIPT, n.name, kubeconfig, n.loopback, n.eth0Address, n.mac, String(port)], ROOT, (line) => {
    if (line.startsWith('{"ready":true')) status.ready = true;
    if (!line.startsWith('{"held"') && !line.startsWith('{"probe"')) return;
    try {
      const r = JSON.parse(line) as { held?: number; fenced: number; probe?: number; answered?: string[]; repairs?: number; lastReplyMs?: number; burstMs?: number; eldMax?: number };
      if (r.probe !== undefined) {
        status.probe = { n: r.probe, answered: new Set(r.answered ?? []), fenced: r.fenced, repairs: r.repairs ?? 0, lastReplyMs: r.lastReplyMs ?? 0, burstMs: r.burstMs ?? 0 };
        status.moments.push({ time: Date.now(), what: `${n.name}: probe ${r.probe} done, its burst ${r.burstMs ?? '?'} ms, fenced ${r.fenced}` });
      } else {
        status.held = r.held ?? 0;
        status.fenced = r.fenced;
        const eldMax = r.eldMax ?? 0;
        if (eldMax > status.eldMax && eldMax > 100) status.moments.push({ time: Date.now(), what: `${n.name}: longest event-loop delay so far ${Math.round(eldMax)} ms (reported each second)` });
        status.eldMax = Math.max(status.eldMax, eldMax);
      }
    } catch {
      // a partial line
    }
  });
  return { node: n, child, status };
}

/** A request of the bench's own, asked again while the stand-in is too busy to answer (10 speakers starting at once). */
async function again<T>(request: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await request();
    } catch (err) {
      if (i >= 10) throw err;
      await sleep(1000);
    }
  }
}

function leasesNow(standIn: StandIn): Promise<Map<string, { holder: string; version: string }>> {
  return again(() => vipLeases(standIn.clients));
}

/** Asks every running speaker by ARP for every VIP, and reads every VIP Lease, at about the same time. */
async function sample(standIn: StandIn, speakers: readonly Speaker[]): Promise<Sample> {
  const before = new Map(speakers.map((s) => [s.node.name, s.status.probe.n]));
  const asked = speakers.filter((s) => s.child.exit === undefined && s.status.ready);
  for (const s of asked) process.kill(s.child.pid, 'SIGUSR2');
  const leases = await leasesNow(standIn);
  const deadline = performance.now() + 60_000;
  while (asked.some((s) => s.child.exit === undefined && s.status.probe.n <= (before.get(s.node.name) ?? 0)) && performance.now() < deadline) await sleep(50);
  const probes = new Map<string, Probe>();
  for (const s of speakers) if (s.child.exit === undefined && s.status.probe.n > (before.get(s.node.name) ?? 0)) probes.set(s.node.name, s.status.probe);
  return { leases, probes };
}

/** VIPs whose Lease names a speaker that answered the probe, is not fenced, and did not answer for it. */
function darkIn(s: Sample): Map<string, string> {
  const out = new Map<string, string>();
  for (const [ip, l] of s.leases) {
    const p = s.probes.get(l.holder);
    if (l.holder === '' || p === undefined || p.fenced !== 0) continue;
    if (!p.answered.has(ip)) out.set(ip, l.version);
  }
  return out;
}

function settledNow(speakers: readonly Speaker[], leases: Map<string, { holder: string }>, newest: string): boolean {
  const answered = speakers.reduce((a, s) => a + s.status.held, 0);
  const fenced = speakers.reduce((a, s) => a + s.status.fenced, 0);
  const held = [...leases.values()].filter((l) => l.holder !== '').length;
  const mine = [...leases.values()].filter((l) => l.holder === newest).length;
  return held >= VIPS && answered === VIPS && fenced === 0 && mine >= Math.floor((VIPS / speakers.length) * 0.5);
}

async function oneRun(size: number, run: number, standIn: StandIn, nodes: readonly BenchNode[], ips: readonly string[]): Promise<RunResult> {
  const t0 = performance.now();
  const port = 19425 + ((process.pid + size * 37 + run) % 500);
  // F + 50 to F + 250 ms at the default F = 350 ms: long enough to fence, shorter than D = 600 ms.
  if (STALL_EVERY_MS > 0) process.env['HERALD_BENCH_STALL'] = `${STALL_EVERY_MS},400,600`;
  const dir = LOG_DIR === undefined ? undefined : join(LOG_DIR, `n${size}-run${String(run).padStart(2, '0')}`);
  if (dir !== undefined) {
    mkdirSync(dir, { recursive: true });
    process.env['HERALD_BENCH_LOG'] = 'info';
    process.env['HERALD_BENCH_LOG_DIR'] = dir;
  }
  const speakers: Speaker[] = [];
  const joins: { node: string; seconds: number | null }[] = [];
  // With --log-dir, the run's own moments (each start, each settle, each sample) beside the
  // speakers' logs, on the same wall clock as their "time" fields: a fence is read against them.
  const timeline: { time: number; what: string }[] = [];
  const mark = (what: string): void => {
    timeline.push({ time: Date.now(), what });
  };
  try {
    for (const n of nodes) {
      const tj = performance.now();
      mark(`start ${n.name}`);
      const s = spawnSpeaker(n, standIn.kubeconfig, port);
      speakers.push(s);
      if (args.together) continue;
      // A starved machine may take long to sync a speaker's caches: that join just does not settle.
      const ready = await waitForLine(s.child, /"ready":true/, JOIN_TIMEOUT_MS).then(
        () => true,
        (err: unknown) => {
          if (s.child.exit !== undefined) throw err;
          return false;
        },
      );
      let seconds: number | null = null;
      while (ready && performance.now() - tj < JOIN_TIMEOUT_MS) {
        await sleep(500);
        if (settledNow(speakers, await leasesNow(standIn), n.name)) {
          seconds = (performance.now() - tj) / 1000;
          break;
        }
      }
      mark(seconds === null ? `gave up on ${n.name}` : `settled ${n.name}`);
      joins.push({ node: n.name, seconds });
    }
    if (args.together) {
      await Promise.all(speakers.map((s) => waitForLine(s.child, /"ready":true/, JOIN_TIMEOUT_MS).catch((err: unknown) => {
        if (s.child.exit !== undefined) throw err;
      })));
      const tj = performance.now();
      let seconds: number | null = null;
      while (performance.now() - tj < JOIN_TIMEOUT_MS) {
        await sleep(500);
        const leases = await leasesNow(standIn);
        if (settledNow(speakers, leases, speakers[0]?.node.name ?? '')) {
          seconds = (performance.now() - tj) / 1000;
          break;
        }
      }
      joins.push({ node: 'all', seconds });
    }
    mark('sample 1');
    const a = await sample(standIn, speakers);
    mark('sample 1 done');
    await sleep(CONFIRM_MS);
    mark('sample 2');
    const b = await sample(standIn, speakers);
    mark('sample 2 done');
    const darkA = darkIn(a);
    const darkB = darkIn(b);
    const dark = [...darkB].filter(([ip, version]) => darkA.get(ip) === version && a.leases.get(ip)?.holder === b.leases.get(ip)?.holder).map(([ip]) => ip);
    let doubled = 0;
    let fencedHolder = 0;
    let unheld = 0;
    let answered = 0;
    for (const ip of ips) {
      const answering = [...b.probes.values()].filter((p) => p.answered.has(ip)).length;
      if (answering > 0) answered++;
      if (answering > 1) doubled++;
      const l = b.leases.get(ip);
      if (l === undefined || l.holder === '') unheld++;
      else if ((b.probes.get(l.holder)?.fenced ?? 0) !== 0 && answering === 0) fencedHolder++;
    }
    const repairs = [...b.probes.values()].reduce((x, p) => x + p.repairs, 0);
    // A speaker that died or did not answer its probe is no judge of anything: say so.
    for (const s of speakers) {
      if (s.child.exit !== undefined) console.log(`    ${s.node.name} exited (${describeExit(s.child.exit)}):\n${s.child.tail.slice(-6).join('\n')}`);
      else if (!b.probes.has(s.node.name)) console.log(`    ${s.node.name} did not answer its probe within 60 s${s.status.ready ? '' : ' (never ready)'}`);
    }
    if (dark.length > 0 || darkB.size > 0) {
      // Which speaker: Leases naming it against what it answers, and how late its replies came.
      for (const s of speakers) {
        const named = [...b.leases.values()].filter((l) => l.holder === s.node.name).length;
        const p = b.probes.get(s.node.name);
        const last = [...darkB.keys()].filter((ip) => b.leases.get(ip)?.holder === s.node.name);
        console.log(`      ${s.node.name}: ${named} Leases name it, it answers ${p?.answered.size ?? '?'} (last reply ${p?.lastReplyMs ?? '?'} ms after the requests), fenced ${p?.fenced ?? '?'}; dark: ${dark.filter((ip) => b.leases.get(ip)?.holder === s.node.name).slice(0, 5).join(' ')}; unanswered in the last sample: ${last.length}`);
      }
    }
    const slowestReplyMs = Math.max(0, ...[...b.probes.values()].map((p) => p.lastReplyMs));
    const longest = (x: Sample): number => Math.max(0, ...[...x.probes.values()].map((p) => p.burstMs));
    const fencedIn = (x: Sample): number => [...x.probes.values()].filter((p) => p.fenced !== 0).length;
    return { joins, dark, darkLast: darkB.size, doubled, fencedHolder, unheld, answered, probed: b.probes.size, repairs, slowestReplyMs, bursts: [longest(a), longest(b)], fencedInProbe: [fencedIn(a), fencedIn(b)], seconds: (performance.now() - t0) / 1000 };
  } catch (err) {
    for (const s of speakers) if (s.child.exit !== undefined) console.log(`    --- ${s.node.name} exited (${describeExit(s.child.exit)}):\n${s.child.tail.slice(-8).join('\n')}`);
    throw err;
  } finally {
    if (dir !== undefined) {
      const all = [...timeline, ...speakers.flatMap((s) => s.status.moments)].sort((x, y) => x.time - y.time);
      writeFileSync(join(dir, 'timeline.json'), `${JSON.stringify(all, null, 1)}\n`);
    }
    for (const s of speakers) if (s.child.exit === undefined) s.child.proc.kill('SIGKILL');
    await Promise.all(speakers.map((s) => s.child.exited));
    // The next run starts from nothing: no VIP Lease, no node Lease.
    await again(() => standIn.clients.coordination.deleteCollectionNamespacedLease({ namespace: SPEAKER_NS }));
  }
}

async function configuration(size: number): Promise<{ size: number; results: RunResult[]; cpu: number; failed: number }> {
  const nodes = benchNodes(size);
  const standIn = await startStandIn('herald-bench-l2-dark-');
  await seedCluster(standIn.clients, nodes);
  const t = performance.now();
  const ips = await addressedServices(standIn.clients, VIPS, log);
  const dir = makeTempDir('herald-bench-l2-probe-');
  const file = join(dir, 'vips.json');
  writeFileSync(file, JSON.stringify(ips));
  process.env['HERALD_BENCH_PROBE_FILE'] = file;
  const stalls = `${STALL_EVERY_MS > 0 ? `, each speaker stalled 400–600 ms every ~${STALL_EVERY_MS / 1000} s until the first sample` : ''}${SLOW_LISTS_MS > 0 ? `, VIP Lease lists ${SLOW_LISTS_MS} ms late` : ''}`;
  console.log(`\n${size} speakers: ${VIPS} Services addressed in ${fmt((performance.now() - t) / 1000, 1)} s; ${RUNS} runs, ${args.together ? 'started together' : 'rolling start'}, join timeout ${JOIN_TIMEOUT_MS / 1000} s, samples ${CONFIRM_MS / 1000} s apart${stalls}, heartbeats ${args.keyed ? 'with a key' : 'without a key'}`);
  const results: RunResult[] = [];
  let failed = 0;
  const cpu0 = cpuSecondsOf(standIn.child.pid) ?? Number.NaN;
  for (let run = 1; run <= RUNS; run++) {
    let r: RunResult;
    try {
      r = await oneRun(size, run, standIn, nodes, ips);
    } catch (err) {
      // A run that breaks (a speaker that does not start) is reported and not counted.
      console.log(`  run ${String(run).padStart(2)}: FAILED, not counted: ${describeError(err)}`);
      failed++;
      continue;
    }
    results.push(r);
    const joins = r.joins.map((j) => (j.seconds === null ? 'no' : fmt(j.seconds, 1))).join('/');
    console.log(`  run ${String(run).padStart(2)}: dark ${r.dark.length}${r.dark.length > 0 ? ` (${r.dark.slice(0, 5).join(' ')}…)` : ''} (in the last sample alone ${r.darkLast}); joins settled in ${joins} s; answered ${r.answered}/${VIPS} by ${r.probed}/${size} speakers probed (last reply ${r.slowestReplyMs} ms after the requests; longest burst ${r.bursts.join(' / ')} ms, speakers fenced during the probe ${r.fencedInProbe.join(' / ')}, samples 1 / 2); doubled ${r.doubled}, unanswered under a fenced holder ${r.fencedHolder}, unheld ${r.unheld}; self-check repairs ${r.repairs}; ${fmt(r.seconds, 0)} s; load ${loadAverage()}`);
  }
  const cpu = (cpuSecondsOf(standIn.child.pid) ?? Number.NaN) - cpu0;
  standIn.child.proc.kill('SIGTERM');
  await standIn.child.exited;
  return { size, results, cpu, failed };
}

async function main(): Promise<void> {
  for (const l of machineLines()) console.log(l);
  console.log(`dark VIPs (issue #10): ${VIPS} VIPs on ${SIZES.join(' and on ')} speakers, ${RUNS} runs each`);
  const all: { size: number; results: RunResult[]; cpu: number; failed: number }[] = [];
  for (const size of SIZES) all.push(await configuration(size));
  console.log(`\nload average after: ${loadAverage()}`);
  for (const { size, results, failed } of all) {
    const dark = results.reduce((a, r) => a + r.dark.length, 0);
    const runsDark = results.filter((r) => r.dark.length > 0).length;
    const darkLast = results.reduce((a, r) => a + r.darkLast, 0);
    const allFenced = results.filter((r) => r.fencedHolder === VIPS).length;
    const joins = results.flatMap((r) => r.joins);
    const settled = joins.filter((j) => j.seconds !== null);
    const worst = Math.max(...settled.map((j) => j.seconds ?? 0));
    const repairs = results.reduce((a, r) => a + r.repairs, 0);
    const doubled = results.reduce((a, r) => a + r.doubled, 0);
    console.log(`${size} speakers: dark VIPs ${dark} over ${results.length} runs of ${VIPS} VIPs (${runsDark} runs with any; ${darkLast} in the last samples alone); target 0: ${results.length === 0 ? 'no run to judge' : dark === 0 && darkLast === 0 ? 'met' : 'MISSED'}. Runs that ended with every VIP under a fenced holder (nothing to judge): ${allFenced}. Joins settled ${settled.length}/${joins.length} (slowest ${fmt(worst, 1)} s); doubled at the end ${doubled}; self-check repairs ${repairs}${failed > 0 ? `; ${failed} runs failed to start (not counted)` : ''}`);
  }
}

let code = 0;
try {
  await main();
} catch (err) {
  code = 1;
  process.stderr.write(`dark-vips failed: ${describeError(err)}\n${err instanceof Error ? (err.stack ?? '') : ''}\n`);
} finally {
  await cleanupChildren();
}
process.exit(code);
