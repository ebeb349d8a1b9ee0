// A lean request path for the controller's hot writes (issue #10). A cold start writes 10,000
// Service statuses; through client-node's generated clients each cost ~0.5 ms of client CPU (its
// request context and middleware, the ObjectSerializer turning every answer into a V1Service
// nobody reads) and most of the controller's garbage (bench/README.md, IPAM Finding 5). This sends
// the same bytes through the same transport (transport.ts: one pool, the kubeconfig's
// credentials, ApiHealth's observer) and drops successful answers unread.
//
// A failure is thrown as client-node throws it (an HTTP status in `code`, the body as text), so
// apiStatus, errorMessage and api-problem.ts classify it unchanged.
import { finished } from 'node:stream/promises';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { KubeTransport, readText, transportOf } from './transport.ts';

const VERSION_KEY = Buffer.from('"resourceVersion":"');

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
  method: 'GET' | 'PATCH' | 'POST' | 'PUT' | 'DELETE';
  /** From the API root, e.g. /api/v1/namespaces/ns/services/name/status. */
  path: string;
  /** JSON text, sent as is. */
  body?: string;
  /** Default application/json. */
  contentType?: string;
  /** Aborts the request (a caller's timeout: the speaker's Lease writes, issue #10). */
  signal?: AbortSignal;
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

/**
 * An item of a list the server gave for a known resource: an object whose metadata, if any, is an
 * object. The rest is the server's word, as it was through client-node, whose deserialisation
 * checks nothing either.
 */
export function isKubeObject<T extends KubernetesObject>(v: unknown): v is T {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (!('metadata' in v) || (typeof v.metadata === 'object' && v.metadata !== null));
}

/** The path to the Leases of a namespace, or to one of them. */
export function leasePath(namespace: string, name = ''): string {
  const collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  return name === '' ? collection : `${collection}/${encodeURIComponent(name)}`;
}

/** The path to a Service's status subresource. */
export function serviceStatusPath(namespace: string, name: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(name)}/status`;
}

export class KubeHttp {
  readonly #t: KubeTransport;

  /** Over the kubeconfig's own transport (one pool per kubeconfig), or the one given. */
  constructor(source: KubeConfig | KubeTransport) {
    this.#t = source instanceof KubeTransport ? source : transportOf(source);
  }

  /** Sends one request; resolves with the status of a 2xx answer, whose body is discarded. */
  async send(req: KubeRequest): Promise<number> {
    const a = await this.#request(req);
    if (!a.ok) throw new KubeHttpError(req.method, req.path, a.status, a.text);
    await finished(a.body.resume());
    return a.status;
  }

  /**
   * Sends one request; resolves with the resourceVersion of the object a 2xx answer holds, read
   * from its first bytes without parsing the rest, which is discarded (the controller's status
   * writes, own-writes.ts; issue #10). It is the first "resourceVersion" key of the JSON: the
   * object's metadata comes before its spec and status, and in it the version before labels and
   * annotations (the API server writes ObjectMeta in field order); a string value cannot hold
   * the pattern, its quotes being escaped. Undefined when the first 64 KiB have none.
   */
  async sendForVersion(req: KubeRequest): Promise<string | undefined> {
    const a = await this.#request(req);
    if (!a.ok) throw new KubeHttpError(req.method, req.path, a.status, a.text);
    // 'data' events rather than an async iterator: a promise per chunk cost ~0.6 s of CPU over a
    // 10,000-Service cold start.
    const body = a.body;
    return new Promise((resolve, reject) => {
      let head: Buffer | undefined;
      let version: string | undefined;
      body.on('data', (chunk: Buffer) => {
        if (version !== undefined || (head !== undefined && head.length > 65_536)) return;
        head = head === undefined ? chunk : Buffer.concat([head, chunk]);
        const at = head.indexOf(VERSION_KEY);
        const end = at === -1 ? -1 : head.indexOf(0x22, at + VERSION_KEY.length);
        if (end !== -1) version = head.toString('latin1', at + VERSION_KEY.length, end);
      });
      body.on('end', () => resolve(version));
      body.on('error', reject);
    });
  }

  /** Sends one request and parses a 2xx answer's JSON body. */
  async json(req: KubeRequest): Promise<unknown> {
    const a = await this.#request(req);
    if (!a.ok) throw new KubeHttpError(req.method, req.path, a.status, a.text);
    return JSON.parse(await readText(a.body));
  }

  /**
   * Every object at a collection path, read a page of `limit` at a time (a consistent snapshot:
   * the server's continue token), so that 10,000 Services are never one 10 MB answer held, parsed
   * and then copied into client-node's model classes (issue #10). Items failing `isItem` are
   * skipped. `keep` (an informer's transform) is applied to each item as its page arrives: the
   * whole objects of a page, a real server's managedFields among them, are then young garbage,
   * where keeping every page whole until the end grew old space by ~35 MB over 10,000 Services and
   * set the restart's peak (bench/README.md, "cold start, twenty-second session"). An expired
   * continue token (410) fails the whole list; the informer lists again.
   */
  async list<T>(path: string, isItem: (v: unknown) => v is T, opts: { keep?: (item: T) => T; limit?: number } = {}): Promise<{ metadata: { resourceVersion?: string }; items: T[] }> {
    const { keep, limit = 500 } = opts;
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const query = `?limit=${limit}${cont === undefined ? '' : `&continue=${encodeURIComponent(cont)}`}`;
      const page = await this.json({ method: 'GET', path: path + query });
      if (!isListPage(page)) throw new Error(`GET ${path}: the answer is not a list`);
      for (const item of page.items) if (isItem(item)) items.push(keep === undefined ? item : keep(item));
      resourceVersion = page.metadata?.resourceVersion;
      cont = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
    } while (cont !== undefined);
    return { metadata: resourceVersion === undefined ? {} : { resourceVersion }, items };
  }

  #request(req: KubeRequest) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (req.body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
    return this.#t.request({ method: req.method, path: req.path, headers, ...(req.body === undefined ? {} : { body: req.body }), ...(req.signal === undefined ? {} : { signal: req.signal }) });
  }
}
