// What every long-running command shares: the IPAM flags the controller and the speaker must
// agree on (they decide which unset-class Services are Herald's), the observability servers,
// and the wait for a stop signal.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AdapterOptions, ForeignAnnotations } from '../api/service.ts';
import type { Result } from '../api/result.ts';
import { startObservabilityServer } from '../observability/http.ts';
import type { ObservabilityServer, ProbeResult } from '../observability/http.ts';

/** `--default-service-ipam` and `--accept-annotations`, as both commands take them. */
export function parseAdapterFlags(ipam: string, accept: string): Result<AdapterOptions, string> {
  if (ipam !== 'pool' && ipam !== 'node-ipam' && ipam !== 'none') return { ok: false, error: `--default-service-ipam must be pool, node-ipam or none, not "${ipam}"` };
  const acceptAnnotations = new Set<ForeignAnnotations>();
  for (const a of accept.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (a !== 'metallb' && a !== 'cilium') return { ok: false, error: `--accept-annotations takes metallb and/or cilium, not "${a}"` };
    acceptAnnotations.add(a);
  }
  return { ok: true, value: { defaultServiceIpam: ipam, acceptAnnotations } };
}

/** One server per distinct address (metrics and health may share one). */
export async function startServers(
  addrs: readonly (string | undefined)[],
  registry: Registry,
  probes: { liveness: () => ProbeResult; readiness: () => ProbeResult },
  log?: Logger,
): Promise<ObservabilityServer[]> {
  const servers: ObservabilityServer[] = [];
  try {
    for (const addr of new Set(addrs)) if (addr !== undefined) servers.push(await startObservabilityServer({ addr, registry, ...probes, ...(log === undefined ? {} : { log }) }));
  } catch (err) {
    await Promise.all(servers.map((s) => s.close()));
    throw err;
  }
  return servers;
}

/** Resolves with the name of the first SIGTERM or SIGINT. */
export function stopSignal(): Promise<string> {
  return new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}
