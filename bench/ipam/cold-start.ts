// LB IPAM cold start: 100 IPPools and 10,000 LoadBalancer Services exist before the controller
// starts; how long until every Service has herald.dev/IPAMRequestSatisfied=True, and how much
// memory does the controller take? Targets from the issue: ≤ 2 s and ≤ 150 MB; they are compared
// in plain text and never fail the run (exit 1 only when the run itself breaks).
//
// Three processes share the machine: the API-server stand-in (`herald dev apiserver`), the
// controller (`herald controller`, spawned as its own process so its memory is its own), and
// this bench, which only watches: see observer.ts for how, and the report for the CPU it used.
// Usage: node bench/ipam/cold-start.ts [--services N] [--v4-pools N] [--v6-pools N] [--timeout S]
//        [--controller-node-option=--cpu-prof ...]   (flags for the controller's node, repeatable)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiextensionsV1Api, KubeConfig } from '@kubernetes/client-node';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { apiStatus } from '../../src/kube/client.ts';
import { makeClients } from '../../src/kube/client.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { HERALD_GROUP, HERALD_VERSION, IPPOOL_PLURAL } from '../../src/kube/ippool-types.ts';
import { loadAverage, machineLines } from '../machine.ts';
import { forEachLimit } from '../l2/report.ts';
import { cleanup, cpuSecondsOf, describeExit, freePort, makeTempDir, memoryOf, spawnChild, waitForLine } from './children.ts';
import type { Child } from './children.ts';
import { makePools, namespacesOf, planService, verifyServices } from './cluster-load.ts';
import type { PlannedService } from './cluster-load.ts';
import { httpGet, listAllServices, readCounters, SatisfiedTracker } from './observer.ts';

const TARGET_SECONDS = 2;
const TARGET_MB = 150;
const ROOT = resolve(import.meta.dirname, '../..');
const NODE = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;
const CRD_FILE = join(ROOT, 'deploy/crds/herald.dev_ippools.yaml');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number | undefined): string => (ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);
const mb = (kb: number): string => `${((kb * 1024) / 1e6).toFixed(1)} MB (${(kb / 1024).toFixed(1)} MiB)`;
const n = (v: number): string => v.toLocaleString('en-US');

/** Starts `herald dev apiserver`; tries port 0 first, then a port picked here. */
async function startApiServer(dir: string): Promise<{ child: Child; kubeconfig: string; seconds: number }> {
  const kubeconfig = join(dir, 'kubeconfig');
  const failures: string[] = [];
  for (const port of [0, await freePort()]) {
    const started = performance.now();
    const child = spawnChild('herald dev apiserver', NODE, ['src/cli.ts', 'dev', 'apiserver', '--listen', `127.0.0.1:${port}`, '--kubeconfig-out', kubeconfig], ROOT);
    try {
      await waitForLine(child, /\bready\b/i, 30_000);
      for (let i = 0; i < 50 && !existsSync(kubeconfig); i++) await sleep(20);
      if (!existsSync(kubeconfig)) throw new Error(`it said ready but wrote no ${kubeconfig}`);
      return { child, kubeconfig, seconds: (performance.now() - started) / 1000 };
    } catch (err) {
      failures.push(`--listen 127.0.0.1:${port}: ${err instanceof Error ? err.message : String(err)}\n    ${child.tail.slice(-8).join('\n    ')}`);
      child.proc.kill('SIGKILL');
      await child.exited;
    }
  }
  throw new Error(`the API server stand-in did not start:\n  ${failures.join('\n  ')}`);
}

/**
 * client-node 2.x refuses a plain-HTTP server unless the cluster says insecure-skip-tls-verify
 * (config.js createDispatcherOptions). When the stand-in's kubeconfig lacks it, the bench and
 * the controller use a copy that has it; the report says so.
 */
function usableKubeconfig(path: string): { kc: KubeConfig; path: string; note: string | undefined } {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  const plain = kc.getClusters().filter((c) => c.server.startsWith('http:') && c.skipTLSVerify !== true);
  if (plain.length === 0) return { kc, path, note: undefined };
  const patched = new KubeConfig();
  patched.loadFromOptions({
    clusters: kc.getClusters().map((c) => (c.server.startsWith('http:') ? { ...c, skipTLSVerify: true } : c)),
    users: kc.getUsers(),
    contexts: kc.getContexts(),
    currentContext: kc.getCurrentContext(),
  });
  const out = `${path}.skip-tls-verify`;
  writeFileSync(out, patched.exportConfig(), { mode: 0o600 });
  return { kc: patched, path: out, note: `the stand-in's kubeconfig has a plain-HTTP server without insecure-skip-tls-verify, which client-node 2.x rejects; using a copy with it set` };
}

function isCrd(v: unknown): v is V1CustomResourceDefinition {
  return typeof v === 'object' && v !== null && 'kind' in v && v.kind === 'CustomResourceDefinition' && 'spec' in v && typeof v.spec === 'object';
}

/** Makes sure ippools.herald.dev is served: installs deploy/crds/ when the stand-in lacks it. */
async function ensureIPPoolCrd(kc: KubeConfig, clients: KubeClients): Promise<string> {
  const list = (): Promise<unknown> => clients.custom.listClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: IPPOOL_PLURAL });
  try {
    await list();
    return 'served by the stand-in';
  } catch (err) {
    if (apiStatus(err) !== 404) throw err;
  }
  const crd: unknown = parseYaml(readFileSync(CRD_FILE, 'utf8'));
  if (!isCrd(crd)) throw new Error(`${CRD_FILE} is not a CustomResourceDefinition`);
  await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({ body: crd });
  for (let i = 0; i < 100; i++) {
    try {
      await list();
      return `installed from ${CRD_FILE}`;
    } catch {
      await sleep(50);
    }
  }
  throw new Error('the IPPool CRD was created but ippools.herald.dev is not served after 5 s');
}

interface HealthTimes {
  healthz?: number;
  readyz?: number;
}

/**
 * Polls the controller's /healthz (first answer: the process is up), then /readyz until it says
 * "caches synced" (leading, and the first full pass written). Note /readyz also answers 200 for
 * a standby replica, before the lease is won, so its status code alone proves nothing here.
 */
async function probeHealth(base: string, t0: number, out: HealthTimes, stop: () => boolean): Promise<void> {
  const probes = [
    { path: '/healthz', key: 'healthz', every: 10, done: (status: number) => status === 200 },
    { path: '/readyz', key: 'readyz', every: 50, done: (status: number, body: string) => status === 200 && body.includes('caches synced') },
  ] as const;
  for (const p of probes) {
    while (!stop()) {
      const ok = await httpGet(`${base}${p.path}`, undefined, 500).then((r) => p.done(r.status, r.body), () => false);
      if (ok) {
        out[p.key] = performance.now() - t0;
        break;
      }
      await sleep(p.every);
    }
  }
}

/** Passes and their summed duration from the controller's herald_ipam_reconcile_duration_seconds. */
async function reconcileTime(base: string): Promise<string> {
  const res = await httpGet(`${base}/metrics`, undefined, 2_000).catch((err: unknown) => ({ status: 0, body: String(err) }));
  const value = (name: string): number | undefined => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(res.body);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  };
  const sum = value('herald_ipam_reconcile_duration_seconds_sum');
  const count = value('herald_ipam_reconcile_duration_seconds_count');
  if (res.status !== 200 || sum === undefined || count === undefined) return `not available (/metrics answered ${res.status})`;
  return `${count} passes, ${sum.toFixed(2)} s in total`;
}

function verdict(ok: boolean, target: string): string {
  return ok ? `meets the target ${target}` : `MISSES the target ${target}`;
}

async function run(): Promise<number> {
  const { values } = parseArgs({
    options: {
      services: { type: 'string', default: '10000' },
      'v4-pools': { type: 'string', default: '80' },
      'v6-pools': { type: 'string', default: '20' },
      timeout: { type: 'string', default: '120' },
      // Extra Node flags for the controller only, e.g. --controller-node-option=--cpu-prof.
      'controller-node-option': { type: 'string', multiple: true, default: [] },
    },
    strict: true,
  });
  const count = (flag: string, v: string): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < 0) throw new Error(`--${flag} wants a whole number ≥ 0, got "${v}"`);
    return x;
  };
  const total = count('services', values.services);
  const timeoutMs = count('timeout', values.timeout) * 1000;
  const pools = makePools(count('v4-pools', values['v4-pools']), count('v6-pools', values['v6-pools']));
  const plan = new Map<string, PlannedService>();
  for (let i = 0; i < total; i++) {
    const p = planService(i);
    plan.set(p.key, p);
  }
  const mix = new Map<string, number>();
  for (const p of plan.values()) mix.set(p.mix, (mix.get(p.mix) ?? 0) + 1);
  const sharing = [...plan.values()].filter((p) => p.sharingKey !== undefined).length;

  console.log(`bench/ipam/cold-start — ${pools.length} IPPools and ${n(total)} LoadBalancer Services exist, then the controller starts`);
  for (const line of machineLines()) console.log(line);
  console.log(`Services: ${[...mix].map(([k, v]) => `${n(v)} ${k}`).join(', ')}; ${n(sharing)} in sharing pairs; ${namespacesOf(total).length} namespaces`);

  const dir = makeTempDir('herald-bench-');
  const api = await startApiServer(dir);
  const { kc, path: kubeconfig, note } = usableKubeconfig(api.kubeconfig);
  const clients = makeClients(kc);
  console.log(`API server stand-in: pid ${api.child.pid}, ready after ${api.seconds.toFixed(2)} s at ${kc.getCurrentCluster()?.server ?? '?'}`);
  if (note !== undefined) console.log(`NOTE: ${note}`);
  console.log(`IPPool CRD: ${await ensureIPPoolCrd(kc, clients)}`);

  let t = performance.now();
  for (const ns of ['herald-system', ...namespacesOf(total)]) await clients.core.createNamespace({ body: { metadata: { name: ns } } });
  await forEachLimit(pools, 8, async (body) => {
    await clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: IPPOOL_PLURAL, body });
  });
  console.log(`created ${pools.length} IPPools in ${secs(performance.now() - t)}`);
  t = performance.now();
  const services = [...plan.values()];
  await forEachLimit(services, 16, async (p, i) => {
    await clients.core.createNamespacedService({ namespace: p.body.metadata?.namespace ?? '', body: p.body });
    if ((i + 1) % 2000 === 0) console.log(`  … ${n(i + 1)} Services created (${secs(performance.now() - t)})`);
  });
  const createMs = performance.now() - t;
  console.log(`created ${n(total)} Services in ${secs(createMs)} (${n(Math.round(total / (createMs / 1000)))}/s through the stand-in)`);

  const before = await listAllServices(clients.core);
  if (before.items.length < total) throw new Error(`listed ${before.items.length} Services after creating ${total}`);
  const countersBefore = await readCounters(kc);

  // ---- the measured window: spawn → every Service satisfied ----
  const healthPort = await freePort();
  let t0 = performance.now();
  const tracker = new SatisfiedTracker({ kc, core: clients.core, want: new Set(plan.keys()), resourceVersion: before.resourceVersion, now: () => performance.now() - t0 });
  await tracker.start(before.items);
  const apiCpu0 = cpuSecondsOf(api.child.pid) ?? 0;
  const benchCpu0 = process.cpuUsage();
  const args = [...values['controller-node-option'], 'src/cli.ts', 'controller', '--kubeconfig', kubeconfig, '--log-level', 'warn', '--health-addr', `127.0.0.1:${healthPort}`];
  t0 = performance.now();
  const ctl = spawnChild('herald controller', NODE, args, ROOT);
  const health: HealthTimes = {};
  let probing = true;
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
  const apiCpu = (cpuSecondsOf(api.child.pid) ?? 0) - apiCpu0;
  const benchCpu = process.cpuUsage(benchCpu0);
  const memAtSettle = memoryOf(ctl.pid);
  // Give /readyz a moment (it says "caches synced" once the first pass's writes are done), then read memory again.
  for (let i = 0; i < 100 && health.readyz === undefined && ctl.exit === undefined; i++) await sleep(50);
  await sleep(1_000);
  const memLater = memoryOf(ctl.pid);
  const apiMem = memoryOf(api.child.pid);
  const passes = await reconcileTime(ctlBase);
  probing = false;
  await probes;
  tracker.stop();
  const countersAfter = await readCounters(kc);

  console.log(`\ncontroller: pid ${ctl.pid}: ${[NODE.replace(`${ROOT}/`, ''), ...args].join(' ')}`);
  console.log(`  /healthz first answered:            ${secs(health.healthz)} after spawn (Node start, module load, flags)`);
  console.log(`  first Service satisfied (watch):    ${secs(tracker.firstSatisfiedAt)}`);
  console.log(`  25 % / 50 % / 75 % satisfied:       ${tracker.quarters.map(secs).join(' / ')}`);
  console.log(`  every Service satisfied (watch):    ${secs(settledMs)}   ${settledMs === undefined ? '' : verdict(settledMs / 1000 <= TARGET_SECONDS, `≤ ${TARGET_SECONDS} s`)}`);
  console.log(`  /readyz "caches synced" (pass done): ${secs(health.readyz)}`);
  console.log(`  reconcile passes (in-process time): ${passes} (herald_ipam_reconcile_duration_seconds; no API I/O)`);
  if (memAtSettle !== undefined) {
    console.log(`  peak RSS (VmHWM) at settle:         ${mb(memAtSettle.peakKb)}   ${verdict((memAtSettle.peakKb * 1024) / 1e6 <= TARGET_MB, `≤ ${TARGET_MB} MB`)}`);
  }
  if (memLater !== undefined) console.log(`  peak RSS 1 s later:                 ${mb(memLater.peakKb)} (RSS now ${mb(memLater.rssKb)})`);
  if (ctlCpu !== undefined) console.log(`  controller CPU until settle:        ${ctlCpu.toFixed(2)} s (user+sys)`);
  console.log(`  stand-in CPU in the window:         ${apiCpu.toFixed(2)} s; peak RSS ${apiMem === undefined ? '?' : mb(apiMem.peakKb)}`);
  console.log(`  this bench's CPU in the window:     ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(2)} s (${n(tracker.events)} watch events, ${tracker.restarts} watch restarts)`);

  if (outcome !== 'settled') {
    console.log(`\nTHE RUN DID NOT SETTLE: ${outcome === 'exited' ? `the controller exited (${describeExit(ctl.exit)})` : `not every Service was satisfied within ${timeoutMs / 1000} s`}`);
    console.log(`  ${n(tracker.satisfied)} of ${n(total)} satisfied; states: ${[...tracker.states()].map(([k, v]) => `${k} ${n(v)}`).join(', ')}`);
    console.log(`  controller output (last lines):\n    ${ctl.tail.join('\n    ') || '(none)'}`);
    return 1;
  }

  const after = await listAllServices(clients.core);
  const v = verifyServices(after.items, plan);
  console.log(`\nverification (list, ${after.pages} pages of ≤ 500): ${n(v.checked)} Services, ${n(v.distinctIPs)} distinct addresses; states ${[...v.reasons].map(([k, c]) => `${k} ${n(c)}`).join(', ')}`);
  console.log(v.problems.length === 0 ? '  no problems: families as asked, only sharing pairs share an address' : `  PROBLEMS:\n    ${v.problems.join('\n    ')}`);

  if (countersBefore.ok && countersAfter.ok) {
    const diff = [...countersAfter.counters].map(([k, c]) => [k, c - (countersBefore.counters.get(k) ?? 0)] as const).filter(([, d]) => d !== 0).sort((a, b) => b[1] - a[1]);
    console.log(`\nAPI requests from spawn to +1 s after settle (/herald-dev/counters, after − before; includes this bench's watch and list):`);
    for (const [k, d] of diff.slice(0, 25)) console.log(`  ${k.padEnd(48)} ${n(d)}`);
    if (diff.length > 25) console.log(`  … ${diff.length - 25} more counters`);
  } else {
    console.log(`\nAPI request counters: not available (${countersAfter.ok ? '' : countersAfter.why})`);
  }
  const warnings = ctl.tail.filter((l) => l.trim() !== '');
  if (warnings.length > 0) console.log(`\ncontroller printed at --log-level warn (last ${warnings.length} lines):\n  ${warnings.slice(-10).join('\n  ')}`);
  console.log(`\nload average after: ${loadAverage()}`);
  console.log('Figures are measured, not promised: they move with the machine and its load.');
  return 0;
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
