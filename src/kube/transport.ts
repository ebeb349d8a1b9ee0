// Herald's one way to the API server: node:http(s) with one keep-alive pool per kubeconfig, for
// client-node's generated API clients (http-library.ts), its watches (transport-watch.ts) and the
// lean requests (http.ts) alike.
//
// Why not client-node's own path (undici's fetch): undici is the largest piece of a speaker's
// memory that Herald does not need. Importing it took an idle process from 42 to 60 MB of RSS,
// its WebAssembly HTTP parser 2.7 MB more, where node:http costs 3.4 MB (bench/README.md,
// "Speaker footprint", issue #10: a speaker on every node, 80 MB idle as the target). The bundle
// (scripts/bundle.ts) loads undici only if client-node itself ever calls it.
//
// Credentials and TLS settings are still client-node's: `applyToHTTPSOptions` reads the
// kubeconfig (token, token file, exec plugin, client certificate, CA, insecure-skip-tls-verify,
// tls-server-name, proxy) as it does for its own WebSocket requests.
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';

/** Error bodies are Status objects of a few hundred bytes; keep at most this much of one. */
const MAX_ERROR_BODY = 16_384;
/**
 * Credentials are looked up again after this long: a ServiceAccount token file is re-read by
 * client-node at most once a minute anyway, and client-go's cached token source re-reads each
 * minute. A 401 forgets them at once.
 */
const CREDENTIALS_TTL_MS = 10_000;
/** undici's connect timeout, which Herald had until this module; Node's own is the kernel's (minutes). */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * An idle pooled connection is closed after this long: below kube-apiserver's 90 s idle timeout,
 * so Herald does not reuse a connection the server is closing (a reset write). A server that says
 * less (`Keep-Alive: timeout=5` from Node's http server) is believed instead.
 */
const IDLE_SOCKET_MS = 60_000;
/** TCP keep-alive probes start after this long, as client-go's and client-node's (30 s). */
const TCP_KEEPALIVE_MS = 30_000;

/** Who sees every answer (ApiHealth, issue #13; the API test suites' recorder). */
export interface TransportObserver {
  /** An HTTP answer; `body` only for statuses ≥ 400 (at most MAX_ERROR_BODY bytes), given once it has arrived. */
  answered(method: string, path: string, status: number, body: string | undefined): void;
  /** No answer: connection refused, DNS, TLS, timeout, abort. */
  failed(method: string, path: string, error: unknown): void;
}

export interface TransportRequest {
  method: string;
  /** From the API root with its query, e.g. /api/v1/services?limit=500 (the server URL's own path is added). */
  path: string;
  headers?: Record<string, string>;
  /** Sent as is (UTF-8). */
  body?: string | Buffer;
  /** Aborts the request (a caller's timeout: the speaker's Lease writes, issue #10). */
  signal?: AbortSignal;
}

/** A 2xx answer with its body still to read, or any other answer with its body read. */
export type TransportAnswer =
  | { ok: true; status: number; headers: IncomingHttpHeaders; body: IncomingMessage }
  | { ok: false; status: number; headers: IncomingHttpHeaders; text: string };

interface Target {
  /** The transport module (http or https) and the options every request starts from. */
  module: typeof http | typeof https;
  options: https.RequestOptions;
  /** The server URL's own path (a proxy's prefix such as /k8s/clusters/c-1), '' for none. */
  prefix: string;
  at: number;
}

/** TLS settings from applyToHTTPSOptions that make the TLS context (credentials, trust, protocol). */
const CONTEXT_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'ciphers', 'crl', 'secureProtocol'] as const;
/** All its TLS settings, which belong to the connection, hence to the pool: the context's and two per connection. */
const TLS_KEYS = [...CONTEXT_KEYS, 'rejectUnauthorized', 'servername'] as const;

/**
 * The agent's TLS options with one context for every connection of the pool. Without it, each
 * connection built its own (`tls.connect` makes one from the options when none is given): the
 * CA and client certificate parsed again and a certificate store of its own per connection, and a
 * speaker opens 11-34 connections as it starts (bench/README.md, "Seventeenth session").
 */
function sharedContextOptions(settings: https.AgentOptions): https.AgentOptions {
  const context: tls.SecureContextOptions = {};
  for (const k of CONTEXT_KEYS) if (settings[k] !== undefined) Object.assign(context, { [k]: settings[k] });
  const options: https.AgentOptions = { secureContext: tls.createSecureContext(context) };
  if (settings.rejectUnauthorized !== undefined) options.rejectUnauthorized = settings.rejectUnauthorized;
  if (settings.servername !== undefined) options.servername = settings.servername;
  return options;
}

/** Reads a whole body as text, keeping at most `max` bytes of it (the rest is drained, not kept). */
export async function readText(body: IncomingMessage, max = Infinity): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size >= max) continue;
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(b);
    size += b.length;
  }
  const all = Buffer.concat(chunks);
  return (all.length > max ? all.subarray(0, max) : all).toString('utf8');
}

/** The path (with query) of `url` below the server URL, when `url` is on that server. */
export function pathBelow(server: string, url: string): string | undefined {
  const base = server.replace(/\/+$/, '');
  if (!url.startsWith(base)) return undefined;
  const rest = url.slice(base.length);
  return rest === '' || rest.startsWith('/') || rest.startsWith('?') ? rest : undefined;
}

export class KubeTransport {
  readonly #kc: KubeConfig;
  readonly #now: () => number;
  readonly #observers = new Set<TransportObserver>();
  #target: Promise<Target> | undefined;
  /** One pool per (server, TLS settings): a token rotating keeps its connections. */
  #agent: { key: string; agent: http.Agent } | undefined;

  constructor(kc: KubeConfig, now: () => number = () => performance.now()) {
    this.#kc = kc;
    this.#now = now;
  }

  /** From now on every answer and failure is shown to `o` as well; returns the way to stop. */
  observe(o: TransportObserver): () => void {
    this.#observers.add(o);
    return () => this.#observers.delete(o);
  }

  /** The server URL of the current cluster, as in the kubeconfig. */
  server(): string {
    const server = this.#kc.getCurrentCluster()?.server;
    if (server === undefined || server === '') throw new Error('No currently active cluster');
    return server;
  }

  /** Sends one request; an answer other than 2xx has its body read (and shown to observers). */
  async request(req: TransportRequest): Promise<TransportAnswer> {
    let res: IncomingMessage;
    try {
      res = await this.#send(req);
    } catch (err) {
      this.#tell((o) => o.failed(req.method, req.path, err));
      throw err;
    }
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      // A success is known at once (a watch's body never ends).
      this.#tell((o) => o.answered(req.method, req.path, status, undefined));
      return { ok: true, status, headers: res.headers, body: res };
    }
    // A rotated token: look the credentials up again on the next request.
    if (status === 401) this.#target = undefined;
    const text = await readText(res, MAX_ERROR_BODY);
    this.#tell((o) => o.answered(req.method, req.path, status, status >= 400 ? text : undefined));
    return { ok: false, status, headers: res.headers, text };
  }

  /** Closes the pool's idle connections (a process about to exit, a test's end). */
  close(): void {
    this.#agent?.agent.destroy();
    this.#agent = undefined;
  }

  #tell(f: (o: TransportObserver) => void): void {
    for (const o of this.#observers) {
      try {
        f(o);
      } catch {
        // An observer's failure is its own: watching must never break what it watches.
      }
    }
  }

  async #send(req: TransportRequest): Promise<IncomingMessage> {
    const t = await this.#resolve();
    const headers: Record<string, string> = { ...(t.options.headers as Record<string, string> | undefined), ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const options: https.RequestOptions = { ...t.options, method: req.method, path: t.prefix + req.path, headers };
    if (req.signal !== undefined) options.signal = req.signal;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const r = t.module.request(options, resolve);
      r.on('error', reject);
      r.on('socket', (socket) => {
        if (!socket.connecting) return;
        // No answer from a dead address for minutes otherwise (undici gave up after 10 s).
        const timer = setTimeout(() => {
          const e = Object.assign(new Error(`connect ETIMEDOUT ${String(options.hostname)}:${String(options.port)}`), { code: 'ETIMEDOUT' });
          r.destroy(e);
        }, CONNECT_TIMEOUT_MS);
        timer.unref();
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      r.end(req.body);
    });
  }

  /** The options client-node would use, looked up once per CREDENTIALS_TTL_MS. */
  #resolve(): Promise<Target> {
    const cached = this.#target;
    if (cached !== undefined) {
      return cached.then((t) => (this.#now() - t.at < CREDENTIALS_TTL_MS ? t : this.#refresh(cached)));
    }
    return this.#refresh(undefined);
  }

  #refresh(stale: Promise<Target> | undefined): Promise<Target> {
    // Requests that find the same stale entry share one lookup.
    if (this.#target !== stale && this.#target !== undefined) return this.#target;
    const next = this.#lookup();
    this.#target = next;
    next.catch(() => {
      if (this.#target === next) this.#target = undefined;
    });
    return next;
  }

  async #lookup(): Promise<Target> {
    const url = new URL(this.server());
    const opts: https.RequestOptions = {};
    await this.#kc.applyToHTTPSOptions(opts);
    const secure = url.protocol === 'https:';
    const settings: https.AgentOptions = {};
    for (const k of TLS_KEYS) if (opts[k] !== undefined) Object.assign(settings, { [k]: opts[k] });
    // Through a proxy, client-node's own agent (hpagent, socks) is the one that knows how.
    const proxied = this.#kc.getCurrentCluster()?.proxyUrl !== undefined;
    const agent = proxied && opts.agent instanceof http.Agent ? opts.agent : this.#pool(url, secure, settings);
    const options: https.RequestOptions = {
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
      agent,
      headers: { 'user-agent': 'herald', accept: 'application/json', ...(opts.headers as Record<string, string> | undefined) },
    };
    if (opts.auth !== undefined) options.auth = opts.auth;
    return { module: secure ? https : http, options, prefix: url.pathname.replace(/\/+$/, ''), at: this.#now() };
  }

  #pool(url: URL, secure: boolean, settings: https.AgentOptions): http.Agent {
    const key = JSON.stringify([url.origin, settings]);
    if (this.#agent?.key === key) return this.#agent.agent;
    this.#agent?.agent.destroy();
    const common = { keepAlive: true, keepAliveMsecs: TCP_KEEPALIVE_MS, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' as const };
    const agent = secure ? new https.Agent({ ...common, ...sharedContextOptions(settings) }) : new http.Agent(common);
    this.#agent = { key, agent };
    return agent;
  }
}

const transports = new WeakMap<KubeConfig, KubeTransport>();

/** The one transport (so the one pool) of a kubeconfig. */
export function transportOf(kc: KubeConfig): KubeTransport {
  let t = transports.get(kc);
  if (t === undefined) {
    t = new KubeTransport(kc);
    transports.set(kc, t);
  }
  return t;
}
