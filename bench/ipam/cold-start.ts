// LB IPAM cold start: 100 IPPools and 10,000 LoadBalancer Services exist before the controller
// starts; how long until every Service has herald.dev/IPAMRequestSatisfied=True, and how much
// memory does the controller take? Targets from the issue: ≤ 2 s and ≤ 150 MB; they are compared
// in plain text and never fail the run (exit 1 only when the run itself breaks). `--controller
// metallb` (or `both`) times MetalLB's controller on the same Services as the peer (on the real
// server only; contenders.ts, metallb-peer.ts), and `floor` the same status writes sent with no
// controller behind them (floor-writer.ts), a fresh API server for each run.
//
// The API server is the stand-in (`herald dev apiserver`), a real kube-apiserver with etcd
// (issue #8), or both in turn (the default), with a side-by-side table at the end. The
// controller (`herald controller`) is spawned as its own process so its memory is its own; this
// bench only watches: see observer.ts for how, and the report for the CPU it used.
// Usage: node bench/ipam/cold-start.ts [--apiserver dev|real|both] [--services N] [--v4-pools N]
//        [--v6-pools N] [--timeout S] [--controller-node-option=--cpu-prof ...] (repeatable)
//        [--controller-entry src/cli.ts|dist/herald.mjs] [--controller-memory-limit 256Mi]
//        [--controller herald,metallb,floor|both] [--restart N] [--controller-env deploy|none]
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { makeClients } from '../../src/kube/api-clients.ts';
import { formatSummary, loadAverage, machineLines, summarize } from '../machine.ts';
import { forEachLimit } from '../l2/report.ts';
import { requirePrerequisites } from '../prerequisites.ts';
import { startBenchApiServer, usableKubeconfig } from './api-servers.ts';
import type { ApiKind } from './api-servers.ts';
import { cleanup, cpuSecondsOf, describeExit, freePort, makeTempDir, memoryOf, spawnChild } from './children.ts';
import type { Child } from './children.ts';
import { createMemoryCgroup, parseMemoryQuantity } from './memory-cgroup.ts';
import type { MemoryCgroup } from './memory-cgroup.ts';
import { makePools, namespacesOf, planService, verifyServices } from './cluster-load.ts';
import type { PlannedService } from './cluster-load.ts';
import { contenderNames, floorContender, heraldContender, metallbContender } from './contenders.ts';
import type { Contender, ContenderName } from './contenders.ts';
import { metallbFolder } from './metallb-peer.ts';
import { listAllServices, SatisfiedTracker } from './observer.ts';
import { probeHealth, reconcileTime } from './controller-probes.ts';
import { deployedEnv } from './deployed-env.ts';
import { measureRestart, serviceStatusWrites } from './restart.ts';
import type { RestartFigures } from './restart.ts';
import type { HealthTimes } from './controller-probes.ts';

const TARGET_SECONDS = 2;
const TARGET_MB = 150;
const ROOT = resolve(import.meta.dirname, '../..');
const NODE = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;
const CRD_FILE = join(ROOT, 'deploy/crds/herald.dev_ippools.yaml');
const CONTROLLER_MANIFEST = join(ROOT, 'deploy/controller.yaml');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number | undefined): string => (ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);
const mb = (kb: number): string => `${((kb * 1024) / 1e6).toFixed(1)} MB (${(kb / 1024).toFixed(1)} MiB)`;
const n = (v: number): string => v.toLocaleString('en-US');

function verdict(ok: boolean, target: string): string {
  return ok ? `meets the target ${target}` : `MISSES the target ${target}`;
}

interface RunOptions {
  total: number;
  timeoutMs: number;
  plan: Map<string, PlannedService>;
  /** Run the controller in a memory cgroup of this many bytes, as a Pod's memory limit does. */
  memoryLimit: number | undefined;
  /** Then start it again on the served cluster this many times, one after another (restart.ts). */
  restarts: number;
}

/** The figures one run gives the side-by-side table. */
interface Figures {
  kind: ApiKind;
  controller: ContenderName;
  settledMs: number | undefined;
  readyzMs: number | undefined;
  ctlPeakKb: number | undefined;
  ctlCpu: number | undefined;
  apiCpu: number;
  apiPeakKb: number;
  requests: number | undefined;
  createPerSecond: number;
  restarts: RestartFigures[];
}

const sum = (xs: Iterable<number>): number => {
  let t = 0;
  for (const x of xs) t += x;
  return t;
};

async function runOnce(kind: ApiKind, who: Contender, o: RunOptions): Promise<Figures | undefined> {
  console.log(`\n=== ${who.label} on ${kind === 'dev' ? 'the stand-in' : 'the real kube-apiserver'} ===`);
  const dir = makeTempDir('herald-bench-');
  const api = await startBenchApiServer(kind, dir, ROOT, NODE);
  const { kc, path: kubeconfig, note } = usableKubeconfig(api.kubeconfig);
  const clients = makeClients(kc);
  console.log(`${api.label}, ready after ${api.readySeconds.toFixed(2)} s at ${kc.getCurrentCluster()?.server ?? '?'}`);
  if (note !== undefined) console.log(`NOTE: ${note}`);
  const cgroup = o.memoryLimit === undefined ? undefined : createMemoryCgroup(`herald-bench-controller-${process.pid}`, o.memoryLimit);
  // Also when the bench is interrupted: children.ts exits the process on SIGINT/SIGTERM/SIGHUP.
  const removeCgroup = (): void => cgroup?.remove();
  process.once('exit', removeCgroup);
  try {
    return await measure(kind, who, o, { api, kc, clients, kubeconfig, cgroup });
  } finally {
    await api.close();
    process.removeListener('exit', removeCgroup);
    removeCgroup();
  }
}

async function measure(kind: ApiKind, who: Contender, o: RunOptions, s: { api: Awaited<ReturnType<typeof startBenchApiServer>>; kc: ReturnType<typeof usableKubeconfig>['kc']; clients: ReturnType<typeof makeClients>; kubeconfig: string; cgroup: MemoryCgroup | undefined }): Promise<Figures | undefined> {
  const { total, timeoutMs, plan } = o;
  const { api, kc, clients, kubeconfig, cgroup } = s;
  const apiCpuNow = (): number => sum(api.pids().map((pid) => cpuSecondsOf(pid) ?? 0));
  let t = performance.now();
  for (const ns of namespacesOf(total)) await clients.core.createNamespace({ body: { metadata: { name: ns } } });
  console.log(`${await who.prepare(kc, clients)}: set up in ${secs(performance.now() - t)}`);
  t = performance.now();
  await forEachLimit(who.bodies, 16, async (body, i) => {
    await clients.core.createNamespacedService({ namespace: body.metadata?.namespace ?? '', body });
    if ((i + 1) % 2000 === 0) console.log(`  … ${n(i + 1)} Services created (${secs(performance.now() - t)})`);
  });
  const createMs = performance.now() - t;
  console.log(`created ${n(total)} Services in ${secs(createMs)} (${n(Math.round(total / (createMs / 1000)))}/s)`);

  const before = await listAllServices(clients.core);
  if (before.items.length < total) throw new Error(`listed ${before.items.length} Services after creating ${total}`);
  const countersBefore = await api.counters(kc);

  // ---- the measured window: spawn → every Service satisfied ----
  const healthPort = await freePort();
  let t0 = performance.now();
  const tracker = new SatisfiedTracker({ kc, core: clients.core, want: new Set(plan.keys()), resourceVersion: before.resourceVersion, now: () => performance.now() - t0, stateOf: who.stateOf });
  await tracker.start(before.items);
  const apiCpu0 = apiCpuNow();
  const benchCpu0 = process.cpuUsage();
  const { command, args } = who.command(kubeconfig, healthPort);
  const launch = cgroup === undefined ? { command, args } : cgroup.enterCommand(command, args);
  t0 = performance.now();
  const ctl = spawnChild(who.name, launch.command, launch.args, ROOT);
  const health: HealthTimes = {};
  let probing = who.heraldProbes;
  const ctlBase = `http://127.0.0.1:${healthPort}`;
  const probes = probeHealth(ctlBase, t0, health, () => !probing);
  let deadline: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    tracker.all().then(() => 'settled' as const),
    ctl.exited.then(() => 'exited' as const),
    new Promise<'timeout'>((r) => {
      deadline = setTimeout(() => r('timeout'), timeoutMs);
    }),
  ]);
  clearTimeout(deadline);
  const settledMs = tracker.allSatisfiedAt;
  const ctlCpu = cpuSecondsOf(ctl.pid);
  const apiCpu = apiCpuNow() - apiCpu0;
  const benchCpu = process.cpuUsage(benchCpu0);
  const memAtSettle = memoryOf(ctl.pid);
  // Give /readyz a moment (it says "caches synced" once the first pass's writes are done), then read memory again.
  for (let i = 0; i < 100 && who.heraldProbes && health.readyz === undefined && ctl.exit === undefined; i++) await sleep(50);
  await sleep(1_000);
  const memLater = memoryOf(ctl.pid);
  const apiPeakKb = sum(api.pids().map((pid) => memoryOf(pid)?.peakKb ?? 0));
  const passes = who.heraldProbes ? await reconcileTime(ctlBase) : undefined;
  probing = false;
  await probes;
  tracker.stop();
  const countersAfter = await api.counters(kc);

  console.log(`\ncontroller: pid ${ctl.pid}: ${[command.replace(`${ROOT}/`, ''), ...args].join(' ')}`);
  if (who.heraldProbes) console.log(`  /healthz first answered:            ${secs(health.healthz)} after spawn (Node start, module load, flags)`);
  console.log(`  first Service satisfied (watch):    ${secs(tracker.firstSatisfiedAt)}`);
  console.log(`  25 % / 50 % / 75 % satisfied:       ${tracker.quarters.map(secs).join(' / ')}`);
  console.log(`  every Service satisfied (watch):    ${secs(settledMs)}   ${settledMs === undefined ? '' : verdict(settledMs / 1000 <= TARGET_SECONDS, `≤ ${TARGET_SECONDS} s`)}`);
  if (passes !== undefined) {
    console.log(`  /readyz "caches synced" (pass done): ${secs(health.readyz)}`);
    console.log(`  reconcile passes (in-process time): ${passes} (herald_ipam_reconcile_duration_seconds; no API I/O)`);
  }
  if (memAtSettle !== undefined) {
    console.log(`  peak RSS (VmHWM) at settle:         ${mb(memAtSettle.peakKb)}   ${verdict((memAtSettle.peakKb * 1024) / 1e6 <= TARGET_MB, `≤ ${TARGET_MB} MB`)}`);
  }
  if (memLater !== undefined) console.log(`  peak RSS 1 s later:                 ${mb(memLater.peakKb)} (RSS now ${mb(memLater.rssKb)})`);
  if (cgroup !== undefined) {
    const peak = cgroup.peakBytes();
    console.log(`  memory cgroup (v${cgroup.version}), limit ${mb(cgroup.limitBytes / 1024)}: peak charged ${peak === undefined ? '—' : mb(peak / 1024)}, OOM kills ${cgroup.oomKills() ?? '— (not counted by this kernel)'}`);
  }
  if (ctlCpu !== undefined) console.log(`  controller CPU until settle:        ${ctlCpu.toFixed(2)} s (user+sys)`);
  console.log(`  API server CPU in the window:       ${apiCpu.toFixed(2)} s; peak RSS ${mb(apiPeakKb)}${kind === 'real' ? ' (kube-apiserver + etcd)' : ''}`);
  console.log(`  this bench's CPU in the window:     ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(2)} s (${n(tracker.events)} watch events, ${tracker.restarts} watch restarts)`);

  if (outcome !== 'settled') {
    console.log(`\nTHE RUN DID NOT SETTLE: ${outcome === 'exited' ? `the controller exited (${describeExit(ctl.exit)})` : `not every Service was satisfied within ${timeoutMs / 1000} s`}`);
    console.log(`  ${n(tracker.satisfied)} of ${n(total)} satisfied; states: ${[...tracker.states()].map(([k, v]) => `${k} ${n(v)}`).join(', ')}`);
    console.log(`  controller output (last lines):\n    ${ctl.tail.join('\n    ') || '(none)'}`);
    ctl.proc.kill('SIGTERM');
    await ctl.exited;
    return undefined;
  }

  const after = await listAllServices(clients.core);
  const v = verifyServices(after.items, plan, { stateOf: who.stateOf, orderedFamilies: who.orderedFamilies });
  console.log(`\nverification (list, ${after.pages} pages of ≤ 500): ${n(v.checked)} Services, ${n(v.distinctIPs)} distinct addresses; states ${[...v.reasons].map(([k, c]) => `${k} ${n(c)}`).join(', ')}`);
  console.log(v.problems.length === 0 ? `  no problems: families as asked${who.orderedFamilies ? ' and in their order' : ''}, only sharing pairs share an address` : `  PROBLEMS:\n    ${v.problems.join('\n    ')}`);

  let requests: number | undefined;
  if (countersBefore.ok && countersAfter.ok) {
    const diff = [...countersAfter.counters].map(([k, c]) => [k, c - (countersBefore.counters.get(k) ?? 0)] as const).filter(([, d]) => d !== 0).sort((a, b) => b[1] - a[1]);
    requests = sum(diff.filter(([k]) => kind === 'real' || /^(get|list|watch|create|update|patch|delete|deletecollection)\./.test(k)).map(([, d]) => d));
    console.log(`\nAPI requests from spawn to +1 s after settle (${kind === 'real' ? 'apiserver_request_total' : '/herald-dev/counters'}, after − before; includes this bench's watch and list):`);
    for (const [k, d] of diff.slice(0, 25)) console.log(`  ${k.padEnd(48)} ${n(d)}`);
    if (diff.length > 25) console.log(`  … ${diff.length - 25} more counters`);
  } else {
    console.log(`\nAPI request counters: not available (${countersAfter.ok ? '' : countersAfter.why})`);
  }
  const warnings = ctl.tail.filter((l) => l.trim() !== '');
  if (warnings.length > 0) console.log(`\ncontroller printed at --log-level warn (last ${warnings.length} lines):\n  ${warnings.slice(-10).join('\n  ')}`);
  console.log(`\nload average after: ${loadAverage()}`);
  ctl.proc.kill('SIGTERM');
  await ctl.exited;
  const restarts = who.heraldProbes ? await restartAndReport(who, o.restarts, { kubeconfig, api, kc, cgroup, root: ROOT, timeoutMs, quietMs: 2_000 }) : [];
  return { restarts, kind, controller: who.name, settledMs, readyzMs: health.readyz, ctlPeakKb: memAtSettle?.peakKb, ctlCpu, apiCpu, apiPeakKb, requests, createPerSecond: total / (createMs / 1000) };
}

/**
 * Warm restarts one after another: one restart's peak is the collector's timing as much as the
 * code (144–168 MB for the same code, bench/README.md), so several are summarised.
 */
async function restartAndReport(who: Contender, count: number, o: Omit<Parameters<typeof measureRestart>[0], 'who'>): Promise<RestartFigures[]> {
  const all: RestartFigures[] = [];
  for (let i = 0; i < count; i++) {
    const r = await measureRestart({ who, ...o });
    all.push(r);
    const writes = typeof r.writes === 'string' ? r.writes : `${serviceStatusWrites(r.writes)} Service statuses; all: ${r.writes.size === 0 ? 'none' : [...r.writes].map(([k, v]) => `${k} ${n(v)}`).join(', ')}`;
    const peak = r.peakKb === undefined ? '—' : `${((r.peakKb * 1024) / 1e6).toFixed(1)} MB`;
    console.log(`${i === 0 ? '\nwarm restarts: a new controller on the served cluster (every Service holds its addresses)\n' : ''}  #${i + 1}: /healthz ${secs(r.healthzMs)}, /readyz "caches synced" ${r.readyzMs === undefined ? `NOT READY: ${r.failure ?? ''}` : secs(r.readyzMs)}, peak RSS ${peak}, CPU ${r.cpu?.toFixed(2) ?? '—'} s until ready + ${o.quietMs / 1000} s; writes: ${writes}`);
  }
  const ready = all.flatMap((r) => (r.readyzMs === undefined ? [] : [r.readyzMs / 1000]));
  const peaks = all.flatMap((r) => (r.peakKb === undefined ? [] : [(r.peakKb * 1024) / 1e6]));
  if (ready.length > 0) console.log(`  /readyz:   ${formatSummary(summarize(ready), 's', 2)}   ${verdict(Math.max(...ready) <= TARGET_SECONDS, `≤ ${TARGET_SECONDS} s`)} (the slowest)`);
  if (peaks.length > 0) console.log(`  peak RSS:  ${formatSummary(summarize(peaks), 'MB', 1)}   ${peaks.filter((p) => p <= TARGET_MB).length} of ${peaks.length} ≤ ${TARGET_MB} MB`);
  return all;
}

interface Run {
  kind: ApiKind;
  controller: ContenderName;
  figures: Figures | undefined;
}

const serverName = (kind: ApiKind): string => (kind === 'dev' ? 'stand-in' : 'kube-apiserver');

/** One column per run, and beside them Herald ÷ each other contender that ran on the same server. */
function sideBySide(runs: readonly Run[]): void {
  const pairs = (['dev', 'real'] as const).flatMap((kind) => {
    const herald = runs.find((r) => r.kind === kind && r.controller === 'herald')?.figures;
    if (herald === undefined) return [];
    return runs.flatMap((r) => (r.kind !== kind || r.controller === 'herald' || r.figures === undefined ? [] : [{ kind, herald, other: r.figures, name: r.controller }]));
  });
  const head = [...runs.map((r) => `${r.controller}, ${serverName(r.kind)}`), ...pairs.map((p) => `herald ÷ ${p.name}, ${serverName(p.kind)}`)];
  console.log(`\n=== side by side ===\n  ${''.padEnd(38)} ${head.map((h) => h.padEnd(26)).join(' ')}`);
  const line = (label: string, pick: (f: Figures) => number | undefined, show: (v: number) => string): void => {
    const cells = runs.map((r) => {
      const v = r.figures === undefined ? undefined : pick(r.figures);
      return r.figures === undefined ? 'did not settle' : v === undefined ? '—' : show(v);
    });
    const ratios = pairs.map((p) => {
      const h = pick(p.herald);
      const m = pick(p.other);
      return h === undefined || m === undefined || m === 0 ? '—' : `${(h / m).toFixed(2)}`;
    });
    console.log(`  ${label.padEnd(38)} ${[...cells, ...ratios].map((c) => c.padEnd(26)).join(' ')}`);
  };
  const mbOf = (kb: number): string => `${((kb * 1024) / 1e6).toFixed(1)} MB`;
  line(`every Service satisfied (≤ ${TARGET_SECONDS} s)`, (f) => f.settledMs, secs);
  line('/readyz "caches synced"', (f) => f.readyzMs, secs);
  line(`controller peak RSS (≤ ${TARGET_MB} MB)`, (f) => f.ctlPeakKb, mbOf);
  line('controller CPU until settle', (f) => f.ctlCpu, (v) => `${v.toFixed(2)} s`);
  line('API server CPU in the window', (f) => f.apiCpu, (v) => `${v.toFixed(2)} s`);
  line('API server peak RSS', (f) => f.apiPeakKb, mbOf);
  line('API requests in the window', (f) => f.requests, n);
  line('Services created per second (set-up)', (f) => f.createPerSecond, (v) => n(Math.round(v)));
  if (runs.some((r) => (r.figures?.restarts.length ?? 0) > 0)) {
    const median = (xs: number[]): number | undefined => (xs.length === 0 ? undefined : summarize(xs).median);
    line(`warm restarts: /readyz, median (≤ ${TARGET_SECONDS} s)`, (f) => median(f.restarts.flatMap((r) => (r.readyzMs === undefined ? [] : [r.readyzMs]))), secs);
    line(`warm restarts: peak RSS, median (≤ ${TARGET_MB} MB)`, (f) => median(f.restarts.flatMap((r) => (r.peakKb === undefined ? [] : [r.peakKb]))), mbOf);
    line('warm restarts: Service status writes', (f) => (f.restarts.length === 0 || f.restarts.some((r) => typeof r.writes === 'string') ? undefined : f.restarts.reduce((t, r) => t + (typeof r.writes === 'string' ? 0 : serviceStatusWrites(r.writes)), 0)), n);
  }
}

async function run(): Promise<number> {
  const { values } = parseArgs({
    options: {
      apiserver: { type: 'string', default: 'both' },
      services: { type: 'string', default: '10000' },
      'v4-pools': { type: 'string', default: '80' },
      'v6-pools': { type: 'string', default: '20' },
      timeout: { type: 'string', default: '120' },
      // Extra Node flags for the controller only, e.g. --controller-node-option=--cpu-prof.
      'controller-node-option': { type: 'string', multiple: true, default: [] },
      // The bundle `npm run build` writes is what the image runs (issue #10: no type stripping,
      // client-node tree-shaken); src/cli.ts is what a developer runs.
      'controller-entry': { type: 'string', default: 'src/cli.ts' },
      // The controller in a memory cgroup of this size (a Kubernetes quantity), as
      // deploy/controller.yaml's limit puts it: Node sizes V8's heap from it, the kernel
      // OOM-kills past it.
      'controller-memory-limit': { type: 'string' },
      // A comma list of herald, metallb (the peer: MetalLB's controller, on the real server
      // only) and floor (the API server's: floor-writer.ts); both = herald,metallb.
      controller: { type: 'string', default: 'herald' },
      // deploy: the environment deploy/controller.yaml gives the container (MALLOC_ARENA_MAX=1);
      // none: the bench's own, as before the twenty-second session.
      'controller-env': { type: 'string', default: 'deploy' },
      // Then N warm restarts: a new controller on the served cluster (Herald's only: its /readyz).
      restart: { type: 'string', default: '0' },
    },
    strict: true,
  });
  const count = (flag: string, v: string): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < 0) throw new Error(`--${flag} wants a whole number ≥ 0, got "${v}"`);
    return x;
  };
  const kinds: ApiKind[] = values.apiserver === 'both' ? ['dev', 'real'] : values.apiserver === 'dev' || values.apiserver === 'real' ? [values.apiserver] : [];
  if (kinds.length === 0) throw new Error(`--apiserver wants dev, real or both, got "${values.apiserver}"`);
  const total = count('services', values.services);
  const entry = values['controller-entry'];
  if (!existsSync(resolve(ROOT, entry))) throw new Error(`--controller-entry ${entry} does not exist${entry.startsWith('dist/') ? ' (run `npm run build` first)' : ''}`);
  const limitText = values['controller-memory-limit'];
  const memoryLimit = limitText === undefined ? undefined : parseMemoryQuantity(limitText);
  const v4Pools = count('v4-pools', values['v4-pools']);
  const v6Pools = count('v6-pools', values['v6-pools']);
  const pools = makePools(v4Pools, v6Pools);
  const names = contenderNames(values.controller);
  if (names === undefined) throw new Error(`--controller wants a comma list of herald, metallb and floor (or both), got "${values.controller}"`);
  const plan = new Map<string, PlannedService>();
  for (let i = 0; i < total; i++) {
    const p = planService(i);
    plan.set(p.key, p);
  }
  const mix = new Map<string, number>();
  for (const p of plan.values()) mix.set(p.mix, (mix.get(p.mix) ?? 0) + 1);
  const sharing = [...plan.values()].filter((p) => p.sharingKey !== undefined).length;

  const contenders: Contender[] = [];
  const envMode = values['controller-env'];
  if (envMode !== 'deploy' && envMode !== 'none') throw new Error(`--controller-env wants deploy or none, got "${envMode}"`);
  const env = envMode === 'deploy' ? deployedEnv(CONTROLLER_MANIFEST, 'controller') : [];
  if (names.includes('herald')) contenders.push(heraldContender({ node: NODE, entry, nodeOptions: values['controller-node-option'], env, crdFile: CRD_FILE, pools, plan }));
  if (names.includes('metallb')) {
    const folder = metallbFolder(ROOT);
    requirePrerequisites('cold-start.ts', [{ what: 'MetalLB\'s controller', present: () => folder.ok, fix: { run: 'scripts/peer-binaries.sh' } }]);
    if (folder.ok) contenders.push(metallbContender({ dir: folder.dir, v4Pools, v6Pools, plan }));
  }
  if (names.includes('floor')) contenders.push(floorContender({ node: NODE, script: join(ROOT, 'bench/ipam/floor-writer.ts'), plan }));
  console.log(`bench/ipam/cold-start — ${pools.length} IPPools and ${n(total)} LoadBalancer Services exist, then the controller starts`);
  for (const line of machineLines()) console.log(line);
  console.log(`Services: ${[...mix].map(([k, v]) => `${n(v)} ${k}`).join(', ')}; ${n(sharing)} in sharing pairs; ${namespacesOf(total).length} namespaces`);
  const runs: Run[] = [];
  let settledAll = true;
  for (const kind of kinds) {
    for (const who of contenders) {
      if (who.name === 'metallb' && kind === 'dev') {
        console.log(`\n=== ${who.label} on the stand-in: not run (the stand-in serves only what Herald uses; MetalLB's manager exits at start: no REST mapping for ConfigMap) ===`);
        continue;
      }
      const figures = await runOnce(kind, who, { total, timeoutMs: count('timeout', values.timeout) * 1000, plan, memoryLimit, restarts: count('restart', values.restart) });
      if (figures === undefined) settledAll = false;
      runs.push({ kind, controller: who.name, figures });
    }
  }
  if (runs.length > 1) sideBySide(runs);
  console.log('Figures are measured, not promised: they move with the machine and its load.');
  return settledAll ? 0 : 1;
}

let code = 1;
try {
  code = await run();
} catch (err) {
  console.error(`cold-start: the run broke: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  code = 1;
} finally {
  await cleanup();
}
process.exitCode = code;
