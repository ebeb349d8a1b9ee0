// Speaker footprint (issue #10): memory and CPU of `herald speaker` processes, idle, holding
// 1,000 L2 VIPs and announcing 1,000 BGP Services to 2 peers, for the base commit's code and the
// working tree's, side by side in one run. Each phase is the L2 lab (src/lab/l2-lab.ts): three
// node namespaces, the API-server stand-in and the controller in this process, one real `herald
// speaker` process per node, run by the command line of the variant (variants.ts). Read from /proc
// per speaker: VmHWM (peak RSS), VmRSS, RssAnon, and CPU seconds over a steady window.
// Usage: node bench/speaker/footprint.ts [--vips 1000] [--window 60] [--variants before,after,after-tuned]
//        [--phases idle,l2,bgp,bgp-only] [--base HEAD] [--rate 20] [--settle-timeout 600] [--cpu-prof DIR] [--windows 1]
//        [--speaker-flags=--fence-damping]   (appended to every speaker's flags; the = is needed)
//        [--speaker-memory-limit deploy|none|256Mi]   (each speaker in a memory cgroup, as its Pod; pod-cgroups.ts)
//        [--apiserver dev|real]   (real: kube-apiserver and etcd, the speakers over TLS)
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BGPPEER_PLURAL, CLASS_BGP, CLASS_L2, HERALD_GROUP, HERALD_VERSION, IPPOOL_PLURAL } from '../../src/api/names.ts';
import { labBgpPeer } from '../../src/lab/bgp-router.ts';
import { labService, L2_LAB_NAMESPACE } from '../../src/lab/l2-objects.ts';
import { closeAtExit } from '../../src/lab/exit-hooks.ts';
import { startL2Lab } from '../../src/lab/l2-lab.ts';
import type { L2Lab } from '../../src/lab/l2-lab.ts';
import { SPEAKER_METRICS_PORT } from '../../src/lab/speakers.ts';
import { envWords, loadAverage, machineLines } from '../machine.ts';
import { NEEDS, requirePrerequisites } from '../prerequisites.ts';
import { describeError, fmt, forEachLimit, sleep, waitFor } from '../l2/report.ts';
import { PodCgroups, speakerLimit } from './pod-cgroups.ts';
import { report } from './footprint-report.ts';
import type { Row } from './footprint-report.ts';
import { VARIANT_NAMES, prepareVariants, procFigures, withNodeFlags } from './variants.ts';
import type { Variant, VariantName } from './variants.ts';

const { values: args } = parseArgs({
  options: {
    vips: { type: 'string', default: '1000' },
    window: { type: 'string', default: '60' },
    windows: { type: 'string', default: '1' },
    variants: { type: 'string', default: 'before,after,after-tuned' },
    phases: { type: 'string', default: 'idle,l2,bgp' },
    base: { type: 'string', default: 'HEAD' },
    'cpu-prof': { type: 'string' },
    'settle-timeout': { type: 'string', default: '600' },
    rate: { type: 'string', default: '20' },
    'speaker-flags': { type: 'string', default: '' },
    // deploy/speaker.yaml's limit by default: V8 sizes its heap from it (pod-cgroups.ts).
    'speaker-memory-limit': { type: 'string', default: 'deploy' },
    // dev: the stand-in over plain HTTP; real: kube-apiserver and etcd, the speakers over TLS as
    // in a cluster (the cached binaries, scripts/cluster-binaries.sh).
    apiserver: { type: 'string', default: 'dev' },
  },
});
if (args.apiserver !== 'dev' && args.apiserver !== 'real') throw new Error(`--apiserver is dev or real, not "${args.apiserver}"`);
const API_SERVER: 'dev' | 'real' = args.apiserver;
const SPEAKER_FLAGS = args['speaker-flags'].split(' ').filter((a) => a !== '');
const SETTLE_MS = Number(args['settle-timeout']) * 1000;
const RATE = Number(args.rate);
const N = Number(args.vips);
const WINDOW_S = Number(args.window);
/**
 * Steady windows per phase, one after another. The CPU at rest of one 60 s window spreads by
 * ±0.1 point of a core from run to run on this machine (bench/README.md, tenth session), as much
 * as the changes it is asked to tell apart; several windows give a median to compare.
 */
const WINDOWS = Math.max(1, Math.floor(Number(args.windows)));
const isVariant = (v: string): v is VariantName => (VARIANT_NAMES as readonly string[]).includes(v);
const names = args.variants.split(',').filter(isVariant);
const phases = new Set(args.phases.split(','));
const profDir = args['cpu-prof'];
const LIMIT = speakerLimit(args['speaker-memory-limit']);

requirePrerequisites('footprint.ts', [NEEDS.root, NEEDS.ip, NEEDS.bird, NEEDS.addon]);

const VIP_LEASES = 'herald.dev/lease=l2-vip';
const SPEAKER_NS = 'herald-system';
const PEER2_ASN = 65001;

const rows: Row[] = [];
const log = (line: string): void => void process.stdout.write(`${line}\n`);
let lastProgress = 0;
/** A wait's state every 15 s, so a slow settle shows where it is. */
const progress = (seen: string): void => {
  if (performance.now() - lastProgress < 15_000) return;
  lastProgress = performance.now();
  log(`    … ${seen}`);
};

async function metrics(lab: L2Lab, node: string): Promise<string> {
  const mgmt = lab.nodes.find((n) => n.name === node)?.mgmt?.ipv4 ?? '';
  const res = await fetch(`http://${mgmt}:${SPEAKER_METRICS_PORT}/metrics`, { signal: AbortSignal.timeout(5000) });
  return res.text();
}

/** Sum of a metric's samples whose label set matches `labels` (a substring test on the label text). */
function sum(text: string, name: string, labels = ''): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labels !== '' && !line.includes(labels)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/**
 * The pool the lab's 21 addresses cannot hold: 198.19.224.0/19 (8,192 addresses, inside the
 * benchmarking range 198.18.0.0/15 that tests may use), answered only on the lab's segment. The
 * lab's management networks are 198.19.k.0/24 from k = 0 up, one per live lab (src/lab/plan.ts),
 * so this collides only with a 225th lab; a VIP on a speaker's management address cut it off from
 * the API server in the first runs. (It was 100.64.0.0/20, RFC 6598: not a documentation range.)
 */
async function addPool(lab: L2Lab): Promise<void> {
  await lab.clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: IPPOOL_PLURAL, body: { apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, kind: 'IPPool', metadata: { name: 'bench-footprint' }, spec: { blocks: [{ cidr: '198.19.224.0/19' }] } } });
}

/**
 * N Services, RATE per second (default 20: 50 s for 1,000). All at once, every speaker got 1,000
 * orphans in one instant and the API-server stand-in, on this loaded 2-vCPU machine, answered
 * their takes so late (10 s timeouts) that the speakers fenced and raced for good, old code and
 * new alike: a storm of the harness, not a steady state to measure.
 */
async function createServices(lab: L2Lab, cls: string): Promise<void> {
  const t0 = performance.now();
  await forEachLimit(Array.from({ length: N }, (_, i) => i), 4, async (i) => {
    const wait = t0 + (i * 1000) / RATE - performance.now();
    if (wait > 0) await sleep(wait);
    const body = labService(`fp-${String(i).padStart(4, '0')}`, { loadBalancerClass: cls });
    // No node ports: the range holds 2,768 of them, and --vips 5000 asks for more (issue #10).
    if (body.spec !== undefined) body.spec.allocateLoadBalancerNodePorts = false;
    await lab.clients.core.createNamespacedService({ namespace: L2_LAB_NAMESPACE, body });
  });
  await waitFor(`${N} Services with an address`, async () => {
    const list = await lab.clients.core.listNamespacedService({ namespace: L2_LAB_NAMESPACE });
    const n = list.items.filter((s) => (s.status?.loadBalancer?.ingress ?? []).length > 0).length;
    return n >= N ? { done: true, value: n } : { done: false, seen: `${n} addressed` };
  }, 300_000, 1000);
}

/**
 * The speakers answer N VIPs in all, nobody fenced, and every VIP Lease names a holder, unchanged
 * for 5 s. The Leases (1,000 of them, from the stand-in in this process) are listed only once the
 * speakers' metrics agree: listing them every second loaded the stand-in the speakers need.
 */
async function settleL2(lab: L2Lab, timeoutMs: number): Promise<void> {
  let last = '';
  let since = performance.now();
  await waitFor('L2: every VIP held and answered, nobody fenced, holders stable for 5 s', async () => {
    let answered = 0;
    let fenced = 0;
    for (const n of lab.nodes) {
      const text = await metrics(lab, n.name);
      answered += sum(text, 'herald_l2_vips_held');
      fenced += sum(text, 'herald_l2_fenced');
    }
    const seen = `${answered} answered, ${fenced} fenced`;
    if (answered !== N || fenced !== 0) {
      last = '';
      return { done: false, seen };
    }
    const leases = await lab.clients.coordination.listNamespacedLease({ namespace: SPEAKER_NS, labelSelector: VIP_LEASES });
    const holders = leases.items.map((l) => `${l.metadata?.name ?? ''}=${l.spec?.holderIdentity ?? ''}`).sort().join(',');
    const held = leases.items.filter((l) => (l.spec?.holderIdentity ?? '') !== '').length;
    if (holders !== last) since = performance.now();
    last = holders;
    return held === N && performance.now() - since >= 5000 ? { done: true, value: held } : { done: false, seen: `${seen}, ${held} Leases held` };
  }, timeoutMs, 2000, progress);
}

/** Every speaker advertises all N prefixes to each of its 2 peers. */
async function settleBgp(lab: L2Lab, timeoutMs: number): Promise<void> {
  await waitFor(`BGP: ${N} prefixes to each of 2 peers from every speaker`, async () => {
    const seen: string[] = [];
    for (const n of lab.nodes) {
      const text = await metrics(lab, n.name);
      seen.push(`${n.name}: ${['tor', 'tor2'].map((p) => sum(text, 'herald_bgp_prefixes_advertised', `peer="${p}"`)).join('+')}`);
    }
    const ok = seen.every((s) => s.endsWith(`: ${N}+${N}`));
    return ok ? { done: true, value: true } : { done: false, seen: seen.join(', ') };
  }, timeoutMs, 1000, progress);
}

/** '' when `wait` settled, else what it last saw: a phase that never settles is still measured. */
async function settled(wait: () => Promise<void>): Promise<string> {
  try {
    await wait();
    return '';
  } catch (err) {
    const why = describeError(err);
    log(`    NOT SETTLED: ${why}`);
    return `not settled: ${why.replace(/^.*last seen: /, '')}`;
  }
}

/** CPU of every speaker at the start of a phase, to report what settling cost. */
function cpuNow(lab: L2Lab): Map<string, number> {
  return new Map([...cpuAndSysNow(lab)].map(([node, f]) => [node, f.cpu]));
}

/** Each speaker's garbage collection seconds so far and its V8 heap now, from its metrics (NaN when it does not answer). */
async function v8Figures(lab: L2Lab): Promise<Map<string, { gcS: number; heapUsedMb: number; heapTotalMb: number }>> {
  const out = new Map<string, { gcS: number; heapUsedMb: number; heapTotalMb: number }>();
  for (const n of lab.nodes) {
    const text = await metrics(lab, n.name).catch(() => '');
    const mb = (name: string): number => (text === '' ? Number.NaN : sum(text, name) / 1024 / 1024);
    out.set(n.name, { gcS: text === '' ? Number.NaN : sum(text, 'herald_nodejs_gc_duration_seconds_sum'), heapUsedMb: mb('herald_nodejs_heap_size_used_bytes'), heapTotalMb: mb('herald_nodejs_heap_size_total_bytes') });
  }
  return out;
}

/** CPU and system seconds of every speaker, one read of /proc each. */
function cpuAndSysNow(lab: L2Lab): Map<string, { cpu: number; sys: number }> {
  return new Map(lab.nodes.map((n) => [n.name, procFigures(lab.speakerPid(n.name)) ?? { cpu: Number.NaN, sys: Number.NaN }]));
}

/** WINDOWS steady windows, one after another: CPU seconds of each speaker over WINDOW_S each, then its memory. */
async function measure(lab: L2Lab, groups: PodCgroups | undefined, variant: string, phase: string, start: Map<string, number>, settleS: number, note = ''): Promise<void> {
  // Scraped outside the CPU windows: a scrape is work of the speaker's.
  const gcFirst = await v8Figures(lab);
  let gcBefore = gcFirst;
  const first = cpuAndSysNow(lab);
  for (let window = 1; window <= WINDOWS; window++) {
    const before = window === 1 ? first : cpuAndSysNow(lab);
    const load = loadAverage().split(' ')[0] ?? '';
    await sleep(WINDOW_S * 1000);
    const ends = new Map(lab.nodes.map((n) => [n.name, procFigures(lab.speakerPid(n.name))]));
    const gcAfter = await v8Figures(lab);
    for (const n of lab.nodes) {
      const f = ends.get(n.name) ?? null;
      if (f === null) throw new Error(`the speaker on ${n.name} exited during the ${phase} window:\n${lab.speakerLog(n.name, 20)}`);
      const v8 = gcAfter.get(n.name);
      const b = before.get(n.name)?.cpu ?? Number.NaN;
      // Settling ends where the first window starts, whichever window this is.
      const settleCpu = (first.get(n.name)?.cpu ?? Number.NaN) - (start.get(n.name) ?? Number.NaN);
      rows.push({ variant, phase, node: n.name, hwm: f.hwm, rss: f.rss, anon: f.anon, windowCpu: f.cpu - b, windowSys: f.sys - (before.get(n.name)?.sys ?? Number.NaN), settleCpu, settleS, note, load: `${load} → ${loadAverage().split(' ')[0] ?? ''}`, window, ...charged(groups, n.name), windowGcS: (v8?.gcS ?? Number.NaN) - (gcBefore.get(n.name)?.gcS ?? Number.NaN), heapUsedMb: v8?.heapUsedMb ?? Number.NaN, heapTotalMb: v8?.heapTotalMb ?? Number.NaN, lifeGcS: gcFirst.get(n.name)?.gcS ?? Number.NaN });
    }
    gcBefore = gcAfter;
    const these = rows.filter((r) => r.variant === variant && r.phase === phase && r.window === window);
    log(`  ${phase}${WINDOWS > 1 ? ` #${window}` : ''}: ${these.map((r) => `${r.node} HWM ${fmt(r.hwm)} MB, ${fmt((r.windowCpu / WINDOW_S) * 100, 2)} % CPU (GC ${fmt(r.windowGcS, 2)} s, heap ${fmt(r.heapUsedMb)} / ${fmt(r.heapTotalMb)} MB)`).join('; ')}`);
  }
}

/**
 * The stand-in serves from this process (with --apiserver real, kube-apiserver and etcd run as
 * processes of their own); the controller runs as a process of its own (the working tree's, the
 * same for every variant): sharing this event loop, the stand-in and the controller starved each
 * other and Lease writes timed out (10 s) by the thousand at 1,000 VIPs on the loaded machine.
 */
const LAB = {
  apiserver: API_SERVER,
  controllerProcess: true,
  controllerLogLevel: 'warn',
  // Diagnostics: HERALD_BENCH_SPEAKER_LOG_LEVEL=info logs each VIP's "stopped answering" with its
  // reason; HERALD_BENCH_KEEP_LAB=1 keeps the lab's directory (the speakers' logs) after the run.
  speakerLogLevel: process.env['HERALD_BENCH_SPEAKER_LOG_LEVEL'] ?? 'warn',
  keepDir: process.env['HERALD_BENCH_KEEP_LAB'] === '1',
  onStep: (s: string) => log(`  lab: ${s}`),
} as const;

/** HERALD_BENCH_SPEAKER_NODE_ARGS, e.g. "--heapsnapshot-signal=SIGUSR2": Node flags for every speaker (diagnostics). */
const EXTRA_NODE_ARGS = envWords('HERALD_BENCH_SPEAKER_NODE_ARGS');

/** The node's cgroup figures for a row; NaN without cgroups. */
function charged(groups: PodCgroups | undefined, node: string): { chargedMb: number; oomKills: number } {
  return groups?.figures(node) ?? { chargedMb: Number.NaN, oomKills: Number.NaN };
}

/**
 * A lab's speakers each in a memory cgroup of LIMIT, removed when the phase ends (`remove`) or the
 * bench exits: on exit and on SIGINT/SIGTERM/SIGHUP alike (a bare 'exit' listener misses the
 * signals, which the lab's own hooks re-raise).
 */
function podCgroups(v: Variant, phase: string): { groups: PodCgroups | undefined; remove: () => void } {
  if (LIMIT === undefined) return { groups: undefined, remove: () => undefined };
  const groups = new PodCgroups(`herald-footprint-${process.pid}-${v.name}-${phase}`, LIMIT.bytes);
  const unregister = closeAtExit({ closeSync: () => groups.removeAll() });
  return {
    groups,
    remove: () => {
      groups.removeAll();
      unregister();
    },
  };
}

function speakerArgv(v: Variant, phase: string, groups: PodCgroups | undefined): (flags: readonly string[]) => string[] {
  let argv = withNodeFlags(v.argv, EXTRA_NODE_ARGS);
  if (profDir !== undefined) {
    const dir = join(profDir, v.name, phase);
    mkdirSync(dir, { recursive: true });
    argv = withNodeFlags(argv, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  }
  return (flags) => {
    const full = [...argv, 'speaker', ...flags, ...SPEAKER_FLAGS];
    const node = flags[flags.indexOf('--node-name') + 1];
    return groups === undefined || node === undefined ? full : groups.wrap(node, full);
  };
}

/** SIGTERM every speaker while the API is up (a drain needs it; a --cpu-prof profile is written on exit). */
async function stopSpeakers(lab: L2Lab): Promise<void> {
  await Promise.all(lab.nodes.map((n) => (lab.speakerRunning(n.name) ? lab.killSpeaker(n.name, 'SIGTERM') : undefined)));
}

async function l2Phases(v: Variant): Promise<void> {
  const { groups, remove: removeGroups } = podCgroups(v, 'l2');
  const lab = await startL2Lab({ ...LAB, speakerCommand: speakerArgv(v, 'l2', groups) });
  if (LAB.keepDir) log(`  lab directory (kept): ${lab.dir}`);
  try {
    await addPool(lab);
    if (phases.has('idle')) {
      await sleep(5000);
      await measure(lab, groups, v.name, 'idle', cpuNow(lab), 0);
    }
    if (!phases.has('l2')) return;
    const start = cpuNow(lab);
    const t0 = performance.now();
    await createServices(lab, CLASS_L2);
    const note = await settled(() => settleL2(lab, SETTLE_MS));
    await measure(lab, groups, v.name, 'l2', start, (performance.now() - t0) / 1000, note);
    // HERALD_BENCH_SNAPSHOT_SIGNAL=SIGUSR2 with HERALD_BENCH_SPEAKER_NODE_ARGS="--heapsnapshot-signal=SIGUSR2
    // --diagnostic-dir=DIR": a heap snapshot of node-b at 1,000 VIPs, after the window.
    const snapshotSignal = process.env['HERALD_BENCH_SNAPSHOT_SIGNAL'];
    const b = lab.speakerPid(lab.nodes[1]?.name ?? 'node-b');
    if (snapshotSignal !== undefined && b !== undefined) process.kill(b, snapshotSignal);
    // A rolling restart: node-a's new process joins 1,000 VIPs held by the others (the heap a join grows).
    const a = lab.nodes[0]?.name ?? 'node-a';
    const t1 = performance.now();
    await lab.restartSpeaker(a);
    const rejoin = await settled(() => settleL2(lab, SETTLE_MS));
    const f = procFigures(lab.speakerPid(a));
    const gc = (await v8Figures(lab)).get(a)?.gcS ?? Number.NaN;
    if (f !== null) rows.push({ variant: v.name, phase: 'l2 rejoin', node: a, hwm: f.hwm, rss: f.rss, anon: f.anon, windowCpu: Number.NaN, windowSys: Number.NaN, settleCpu: f.cpu, settleS: (performance.now() - t1) / 1000, note: rejoin, load: loadAverage().split(' ')[0] ?? '', window: 1, ...charged(groups, a), windowGcS: Number.NaN, heapUsedMb: Number.NaN, heapTotalMb: Number.NaN, lifeGcS: gc });
    log(`  l2 rejoin: ${a} HWM ${fmt(f?.hwm ?? Number.NaN)} MB after ${fmt((performance.now() - t1) / 1000)} s`);
  } finally {
    await stopSpeakers(lab).catch((err: unknown) => log(`  stopping speakers: ${describeError(err)}`));
    await lab.close();
    removeGroups();
  }
}

/** A second BGP peer: BIRD in the client namespace (AS 65001), importing from every node, exporting nothing. */
function startPeer2(lab: L2Lab, dir: string): void {
  const client = lab.network.client;
  const sessions = lab.nodes.map((n) => `protocol bgp ${n.name.replace(/\W/g, '_')} {\n  local as ${PEER2_ASN};\n  neighbor ${n.ipv4} as 64512;\n  hold time 9;\n  connect retry time 1;\n  ipv4 { import all; export none; };\n}`);
  const conf = join(dir, 'bird-peer2.conf');
  writeFileSync(conf, [`router id ${client.ipv4};`, 'protocol device { scan time 10; }', ...sessions, ''].join('\n'));
  lab.network.spawnIn(client.ns, ['bird', '-f', '-c', conf, '-s', join(dir, 'bird-peer2.ctl')], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * `bgp`: the lab's default L2AnnouncementPolicy stays, so the speakers also run the L2 election
 * (the figures of every session before standby). `bgp-only`: no L2 policy, the speakers on L2
 * standby (src/speaker/l2-gate.ts), as in a cluster that announces by BGP alone.
 */
async function bgpPhase(v: Variant, phase: 'bgp' | 'bgp-only'): Promise<void> {
  const { groups, remove: removeGroups } = podCgroups(v, phase);
  const lab = await startL2Lab({ ...LAB, bgp: true, l2Policy: phase === 'bgp', speakerCommand: speakerArgv(v, phase, groups) });
  try {
    await addPool(lab);
    startPeer2(lab, lab.dir);
    const peer2 = { ...labBgpPeer(lab.network.client, { peerASN: PEER2_ASN }), metadata: { name: 'tor2' } };
    await lab.clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: BGPPEER_PLURAL, body: peer2 });
    await sleep(5000);
    const start = cpuNow(lab);
    const t0 = performance.now();
    await createServices(lab, CLASS_BGP);
    const note = await settled(() => settleBgp(lab, SETTLE_MS));
    await measure(lab, groups, v.name, phase, start, (performance.now() - t0) / 1000, note);
  } finally {
    await stopSpeakers(lab).catch((err: unknown) => log(`  stopping speakers: ${describeError(err)}`));
    await lab.close();
    removeGroups();
  }
}


for (const line of machineLines()) log(line);
if (profDir !== undefined) log('CPU profiling is on (--cpu-prof): CPU figures include the profiler; quote them from a run without it.');
const scratch = mkdtempSync(join(tmpdir(), 'herald-footprint-'));
const removeScratch = (): void => rmSync(scratch, { recursive: true, force: true });
// A run stopped by a signal (Ctrl-C, SIGTERM) leaves no scratch tree behind either.
const forgetScratch = closeAtExit({ closeSync: removeScratch });
try {
  log(`building: ${names.join(', ')} (base ${args.base})`);
  const variants = prepareVariants(names, args.base, scratch);
  for (const v of variants) {
    log(`\n# ${v.name}: ${v.what}`);
    if (phases.has('idle') || phases.has('l2')) await l2Phases(v);
    if (phases.has('bgp')) await bgpPhase(v, 'bgp');
    if (phases.has('bgp-only')) await bgpPhase(v, 'bgp-only');
  }
  report(rows, variants, { n: N, windowS: WINDOW_S, windows: WINDOWS, speakerFlags: SPEAKER_FLAGS, limit: LIMIT, profDir });
  log(`\nload average after: ${loadAverage()}`);
} catch (err) {
  log(`footprint.ts: ${describeError(err)}`);
  process.exitCode = 1;
} finally {
  forgetScratch();
  removeScratch();
}
