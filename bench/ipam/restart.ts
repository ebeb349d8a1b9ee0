// The warm restart (`cold-start.ts --restart`): every Service already holds its addresses when a
// new controller starts, as after a Pod's restart or an upgrade, the common way a controller
// starts in a running cluster. How long until it is ready, what it costs, and what it writes:
// nothing is the answer Herald owes ("a restart never reshuffles IPs"), so every write the API
// server counts in the window is printed.
import type { KubeConfig } from '@kubernetes/client-node';
import type { BenchApiServer } from './api-servers.ts';
import { cpuSecondsOf, describeExit, freePort, memoryOf, spawnChild } from './children.ts';
import type { Contender } from './contenders.ts';
import { probeHealth } from './controller-probes.ts';
import type { HealthTimes } from './controller-probes.ts';
import type { MemoryCgroup } from './memory-cgroup.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface RestartFigures {
  healthzMs: number | undefined;
  /** Until /readyz said "caches synced": the lease won, the caches listed, the first pass written. */
  readyzMs: number | undefined;
  peakKb: number | undefined;
  cpu: number | undefined;
  /** Writes in the window by the API server's own key (verb and resource), or why not counted. */
  writes: Map<string, number> | string;
  /** How the new controller ended, when it did not reach "caches synced". */
  failure: string | undefined;
}

/** A write verb of either server's counters: the stand-in's `create.`, `patch.`…, or kube-apiserver's `POST `, `PATCH `…. */
const WRITE = /^(create|update|patch|delete|deletecollection)\.|^(POST|PUT|PATCH|DELETE|DELETECOLLECTION) /;

/** Status writes to Services among `writes`, whichever server counted them. */
export function serviceStatusWrites(writes: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const [k, v] of writes) if (/(^|[ .])services\/status$/.test(k)) n += v;
  return n;
}

/**
 * Starts `who` again against a cluster it has served, waits for "caches synced" (at most
 * `timeoutMs`), then `quietMs` more for late writes, and counts what it wrote.
 */
export async function measureRestart(o: { who: Contender; kubeconfig: string; api: BenchApiServer; kc: KubeConfig; cgroup: MemoryCgroup | undefined; root: string; timeoutMs: number; quietMs: number }): Promise<RestartFigures> {
  const port = await freePort();
  const before = await o.api.counters(o.kc);
  const { command, args } = o.who.command(o.kubeconfig, port);
  const launch = o.cgroup === undefined ? { command, args } : o.cgroup.enterCommand(command, args);
  const t0 = performance.now();
  const ctl = spawnChild(`${o.who.name} (restart)`, launch.command, launch.args, o.root);
  const health: HealthTimes = {};
  let probing = true;
  const probes = probeHealth(`http://127.0.0.1:${port}`, t0, health, () => !probing);
  const deadline = performance.now() + o.timeoutMs;
  while (health.readyz === undefined && ctl.exit === undefined && performance.now() < deadline) await sleep(20);
  if (health.readyz !== undefined) await sleep(o.quietMs);
  probing = false;
  await probes;
  const cpu = cpuSecondsOf(ctl.pid);
  const peakKb = memoryOf(ctl.pid)?.peakKb;
  const after = await o.api.counters(o.kc);
  const failure = health.readyz !== undefined ? undefined : ctl.exit !== undefined ? `it exited (${describeExit(ctl.exit)}): ${ctl.tail.slice(-3).join(' | ')}` : `no "caches synced" within ${o.timeoutMs / 1000} s`;
  ctl.proc.kill('SIGTERM');
  await ctl.exited;
  let writes: RestartFigures['writes'];
  if (before.ok && after.ok) {
    writes = new Map();
    for (const [k, v] of after.counters) {
      const d = v - (before.counters.get(k) ?? 0);
      if (d !== 0 && WRITE.test(k)) writes.set(k, d);
    }
  } else {
    writes = `not counted: ${before.ok ? '' : before.why}${after.ok ? '' : ` ${after.why}`}`.trim();
  }
  return { healthzMs: health.healthz, readyzMs: health.readyz, peakKb, cpu, writes, failure };
}
