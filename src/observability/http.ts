// The observability HTTP server: /metrics for Prometheus, /healthz and /readyz for the kubelet's
// probes (https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/).
// Probes are plain text: 200 with the reason when fine, 503 with the reason when not, so
// `kubectl describe pod` shows why a probe failed. One server may serve all three paths; the
// Deployment uses separate metrics and health ports, each serving everything.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface ProbeResult {
  ok: boolean;
  /** Why, in a few words: "leading, caches synced", "standby replica", "caches not synced yet". */
  reason: string;
}

export interface ObservabilityServerOptions {
  /** "host:port", "[v6]:port" or ":port" (every interface); port 0 picks a free one. */
  addr: string;
  registry: Registry;
  /** /readyz: may this replica receive traffic / count as available during a rollout. */
  readiness: () => ProbeResult;
  /** /healthz: false makes the kubelet restart the container; keep it to "the process is wedged". */
  liveness: () => ProbeResult;
  /** Where failures of a probe callback or of metric collection are reported. */
  log?: Logger;
}

export interface ObservabilityServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

export type ListenAddrErrorCode = 'HERALD_LISTEN_ADDR_INVALID';

/** A bad `addr`; thrown (as a rejected promise) by startObservabilityServer. */
export class ListenAddrError extends Error {
  readonly code: ListenAddrErrorCode = 'HERALD_LISTEN_ADDR_INVALID';
  constructor(addr: string, why: string) {
    super(`listen address "${addr}" ${why}; use host:port, [ipv6]:port or :port`);
    this.name = 'ListenAddrError';
  }
}

export type ListenAddr = { host: string | undefined; port: number };

/** Parses "host:port", "[::1]:port" or ":port" (host undefined: every interface, both families). */
export function parseListenAddr(addr: string): { ok: true; value: ListenAddr } | { ok: false; error: ListenAddrError } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):([0-9]{1,5})$/.exec(addr);
  if (m === null) return { ok: false, error: new ListenAddrError(addr, 'is not host:port') };
  const port = Number(m[3]);
  if (port > 65535) return { ok: false, error: new ListenAddrError(addr, 'has a port above 65535') };
  const host = m[1] ?? m[2];
  return { ok: true, value: { host: host === undefined || host === '' ? undefined : host, port } };
}

/** --metrics-addr and --health-addr: their form only (issue #13); whether the port is free shows when listening. */
export function checkListenFlags(metrics: string | undefined, health: string | undefined): string | null {
  for (const [flag, value] of [['--metrics-addr', metrics], ['--health-addr', health]] as const) {
    if (value === undefined) continue;
    const parsed = parseListenAddr(value);
    if (!parsed.ok) return `${flag}: ${parsed.error.message}`;
  }
  return null;
}

const TEXT = 'text/plain; charset=utf-8';

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': TEXT, 'cache-control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function probe(res: ServerResponse, which: string, check: () => ProbeResult, log: Logger | undefined): void {
  let result: ProbeResult;
  try {
    result = check();
  } catch (err) {
    log?.error({ err, probe: which }, 'probe callback threw');
    send(res, 500, `${which} check failed: ${errorText(err)}\n`);
    return;
  }
  send(res, result.ok ? 200 : 503, `${result.ok ? 'ok' : 'not ok'}: ${result.reason}\n`);
}

async function handle(req: IncomingMessage, res: ServerResponse, o: ObservabilityServerOptions): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz') {
    send(res, 404, 'not found: try /metrics, /healthz or /readyz\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
    return;
  }
  if (path === '/healthz') return probe(res, 'liveness', o.liveness, o.log);
  if (path === '/readyz') return probe(res, 'readiness', o.readiness, o.log);
  let text: string;
  try {
    text = await o.registry.metrics();
  } catch (err) {
    o.log?.error({ err }, 'collecting metrics failed');
    send(res, 500, `collecting metrics failed: ${errorText(err)}\n`);
    return;
  }
  send(res, 200, text, { 'content-type': o.registry.contentType });
}

export async function startObservabilityServer(o: ObservabilityServerOptions): Promise<ObservabilityServer> {
  const parsed = parseListenAddr(o.addr);
  if (!parsed.ok) throw parsed.error;
  const server = createServer((req, res) => {
    handle(req, res, o).catch((err: unknown) => {
      // Only a bug in handle() lands here; answer rather than leave the scraper hanging.
      o.log?.error({ err, url: req.url }, 'observability request failed');
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  // Probes and scrapes are tiny: a slow or stuck client must not hold a socket for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(parsed.value.port, parsed.value.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => o.log?.error({ err }, 'observability server error'));
  const bound = server.address();
  if (bound === null || typeof bound === 'string') {
    server.close();
    throw new Error('observability server is not bound to a TCP port');
  }
  return {
    port: bound.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        // Keep-alive connections from scrapers would otherwise hold close() open.
        server.closeIdleConnections();
      }),
  };
}
