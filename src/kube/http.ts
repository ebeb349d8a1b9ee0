// A lean request path for the controller's hot writes (issue #10). A cold start writes 10,000
// Service statuses; through client-node each cost ~0.5 ms of client CPU (WHATWG fetch, Headers
// and web streams, the ObjectSerializer turning every answer into a V1Service nobody reads, a
// fresh undici Agent built and thrown away per request) and most of the controller's garbage
// (bench/README.md, IPAM Finding 5). This sends the same bytes through the same connection pool
// with undici's plain `request`, and drops successful answers unread.
//
// Credentials, TLS and the pool are client-node's: `applySecurityAuthentication` gives the
// headers (token, exec plugin, basic auth, impersonation) and the dispatcher (CA, client
// certificate, insecure-skip-tls-verify, proxy), which PooledKubeConfig keeps one of per cluster
// and user and shows to ApiHealth (issue #13). A failure is thrown as client-node throws it (an
// HTTP status in `code`, the body as text), so apiStatus, errorMessage and api-problem.ts
// classify it unchanged.
import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';

/** Error bodies are Status objects of a few hundred bytes; keep at most this much of one. */
const MAX_ERROR_BODY = 16_384;
/**
 * Credentials are looked up again after this long: a ServiceAccount token file is re-read by
 * client-node at most once a minute anyway, and client-go's cached token source re-reads each
 * minute. A 401 forgets them at once.
 */
const CREDENTIALS_TTL_MS = 10_000;

/** A non-2xx answer, shaped like client-node's ApiException (`code`, `body`). */
export class KubeHttpError extends Error {
  readonly code: number;
  readonly body: string;

  constructor(method: string, path: string, code: number, body: string) {
    super(`HTTP-Code: ${code} (${method} ${path})`);
    this.name = 'KubeHttpError';
    this.code = code;
    this.body = body;
  }
}

export interface KubeRequest {
  method: 'GET' | 'PATCH' | 'POST' | 'PUT';
  /** From the API root, e.g. /api/v1/namespaces/ns/services/name/status. */
  path: string;
  /** JSON text, sent as is. */
  body?: string;
  /** Default application/json. */
  contentType?: string;
  /** Aborts the request (a caller's timeout: the speaker's Lease writes, issue #10). */
  signal?: AbortSignal;
}

interface Target {
  dispatcher: Dispatcher;
  origin: string;
  /** The server URL's own path (a proxy's prefix such as /k8s/clusters/c-1), '' for none. */
  prefix: string;
  headers: Record<string, string>;
  at: number;
}

/**
 * A keep-alive pool with client-node's own connection settings (30 s TCP keep-alive, as client-go),
 * for a cluster with no TLS option at all — a server whose certificate a public CA signed, and a
 * token — where client-node gives no dispatcher and would use undici's global one.
 */
export function keepAliveDispatcher(): Dispatcher {
  return new Agent({ connect: { keepAlive: true, keepAliveInitialDelay: 30_000 } });
}

interface ListPage {
  metadata?: { resourceVersion?: string; continue?: string };
  items: unknown[];
}

function isListPage(v: unknown): v is ListPage {
  if (typeof v !== 'object' || v === null || !('items' in v) || !Array.isArray(v.items)) return false;
  if (!('metadata' in v) || v.metadata === undefined) return true;
  const m = v.metadata;
  return typeof m === 'object' && m !== null && (!('continue' in m) || typeof m.continue === 'string') && (!('resourceVersion' in m) || typeof m.resourceVersion === 'string');
}

/** The path to a Service's status subresource. */
export function serviceStatusPath(namespace: string, name: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(name)}/status`;
}

export class KubeHttp {
  readonly #kc: KubeConfig;
  readonly #now: () => number;
  #target: Promise<Target> | undefined;
  #fallback: Dispatcher | undefined;

  constructor(kc: KubeConfig, now: () => number = () => performance.now()) {
    this.#kc = kc;
    this.#now = now;
  }

  /** Sends one request; resolves with the status of a 2xx answer, whose body is discarded. */
  async send(req: KubeRequest): Promise<number> {
    const res = await this.#request(req);
    if (res.statusCode >= 200 && res.statusCode < 300) {
      await res.body.dump();
      return res.statusCode;
    }
    throw await this.#failure(req, res);
  }

  /** Sends one request and parses a 2xx answer's JSON body. */
  async json(req: KubeRequest): Promise<unknown> {
    const res = await this.#request(req);
    if (res.statusCode >= 200 && res.statusCode < 300) return res.body.json();
    throw await this.#failure(req, res);
  }

  /**
   * Every object at a collection path, read a page of `limit` at a time (a consistent snapshot:
   * the server's continue token), so that 10,000 Services are never one 10 MB answer held, parsed
   * and then copied into client-node's model classes (issue #10). Items failing `isItem` are
   * skipped. An expired continue token (410) fails the whole list; the informer lists again.
   */
  async list<T>(path: string, isItem: (v: unknown) => v is T, limit = 500): Promise<{ metadata: { resourceVersion?: string }; items: T[] }> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const query = `?limit=${limit}${cont === undefined ? '' : `&continue=${encodeURIComponent(cont)}`}`;
      const page = await this.json({ method: 'GET', path: path + query });
      if (!isListPage(page)) throw new Error(`GET ${path}: the answer is not a list`);
      for (const item of page.items) if (isItem(item)) items.push(item);
      resourceVersion = page.metadata?.resourceVersion;
      cont = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
    } while (cont !== undefined);
    return { metadata: resourceVersion === undefined ? {} : { resourceVersion }, items };
  }

  async #request(req: KubeRequest): Promise<Dispatcher.ResponseData> {
    const t = await this.#resolve();
    const headers: Record<string, string> = { ...t.headers, accept: 'application/json' };
    if (req.body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
    return t.dispatcher.request({ origin: t.origin, path: t.prefix + req.path, method: req.method, headers, body: req.body ?? null, ...(req.signal === undefined ? {} : { signal: req.signal }) });
  }

  async #failure(req: KubeRequest, res: Dispatcher.ResponseData): Promise<KubeHttpError> {
    // A rotated token: look the credentials up again on the next request.
    if (res.statusCode === 401) this.#target = undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      if (size >= MAX_ERROR_BODY) continue; // drained, not kept
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      chunks.push(b);
      size += b.length;
    }
    return new KubeHttpError(req.method, req.path, res.statusCode, Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString('utf8'));
  }

  /** The dispatcher and headers client-node would use, looked up once per CREDENTIALS_TTL_MS. */
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
    const server = this.#kc.getCurrentCluster()?.server;
    if (server === undefined || server === '') throw new Error('No currently active cluster');
    const url = new URL(server);
    const ctx = new RequestContext(server, HttpMethod.GET);
    await this.#kc.applySecurityAuthentication(ctx);
    // PooledKubeConfig always gives one; a plain KubeConfig may not.
    const dispatcher = ctx.getDispatcher() ?? (this.#fallback ??= keepAliveDispatcher());
    return { dispatcher, origin: url.origin, prefix: url.pathname.replace(/\/+$/, ''), headers: { ...ctx.getHeaders() }, at: this.#now() };
  }
}
