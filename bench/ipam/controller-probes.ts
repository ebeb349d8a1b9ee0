// What Herald's controller says about itself on its health address: when it answered /healthz,
// when /readyz said "caches synced", and its reconcile passes from /metrics.
import { httpGet } from './observer.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface HealthTimes {
  healthz?: number;
  readyz?: number;
}

/**
 * Polls the controller's /healthz (first answer: the process is up), then /readyz until it says
 * "caches synced" (leading, and the first full pass written). Note /readyz also answers 200 for
 * a standby replica, before the lease is won, so its status code alone proves nothing here.
 */
export async function probeHealth(base: string, t0: number, out: HealthTimes, stop: () => boolean): Promise<void> {
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
export async function reconcileTime(base: string): Promise<string> {
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
