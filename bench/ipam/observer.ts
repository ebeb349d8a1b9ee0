// How the cold-start bench watches the cluster without weighing on it:
//  - one watch on /api/v1/services from the resourceVersion of the list taken before the
//    controller starts, so the API server streams each status write once instead of the bench
//    re-listing 10,000 Services (a full list is ~10 MB of JSON for the stand-in to encode);
//  - a paginated list (limit 500) only after the fact, to verify;
//  - plain HTTP GETs for the controller's /healthz and /readyz and the stand-in's counters.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { RequestOptions } from 'node:https';
import { Watch } from '@kubernetes/client-node';
import type { CoreV1Api, KubeConfig, V1Service } from '@kubernetes/client-node';
import { CONDITION_IPAM } from '../../src/api/names.ts';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `v` when it is a JSON object, else undefined: for reading a chain of fields of unchecked JSON or YAML. */
export function asRecord(v: unknown): Readonly<Record<string, unknown>> | undefined {
  return isRecord(v) ? v : undefined;
}

interface Seen {
  key: string;
  resourceVersion: string | undefined;
  /** What `StateOf` says of it: "True/…" when satisfied. */
  state: string;
}

/** A Service's state from its status, raw or typed: "True/…" when the controller has served it. */
export type StateOf = (status: unknown) => string;

/** Herald's: the IPAM condition, "True/Satisfied", "False/OutOfIPs", or "(no condition)". */
export const ipamState: StateOf = (status) => {
  let state = '(no condition)';
  const conditions = isRecord(status) && Array.isArray(status['conditions']) ? status['conditions'] : [];
  for (const c of conditions) {
    if (isRecord(c) && c['type'] === CONDITION_IPAM) state = `${String(c['status'])}/${String(c['reason'])}`;
  }
  return state;
};

/** A controller without conditions (MetalLB): "True/ingress" once status.loadBalancer.ingress names an address. */
export const ingressState: StateOf = (status) => {
  const lb = isRecord(status) ? status['loadBalancer'] : undefined;
  const ingress = isRecord(lb) && Array.isArray(lb['ingress']) ? lb['ingress'] : [];
  return ingress.some((i) => isRecord(i) && typeof i['ip'] === 'string') ? 'True/ingress' : '(no ingress)';
};

/** Key, resourceVersion and state of a raw watch object, or undefined if it is no Service. */
function readService(obj: unknown, stateOf: StateOf): Seen | undefined {
  if (!isRecord(obj) || !isRecord(obj['metadata'])) return undefined;
  const { name, namespace, resourceVersion } = obj['metadata'];
  if (typeof name !== 'string' || typeof namespace !== 'string') return undefined;
  return { key: `${namespace}/${name}`, resourceVersion: typeof resourceVersion === 'string' ? resourceVersion : undefined, state: stateOf(obj['status']) };
}

/** Every Service of the cluster, page by page (limit 500); the bench's only full read. */
export async function listAllServices(core: CoreV1Api): Promise<{ items: V1Service[]; resourceVersion: string; pages: number }> {
  const items: V1Service[] = [];
  let cont: string | undefined;
  let resourceVersion = '';
  let pages = 0;
  do {
    const page = await core.listServiceForAllNamespaces({ limit: 500, _continue: cont });
    pages++;
    items.push(...page.items);
    if (pages === 1) resourceVersion = page.metadata?.resourceVersion ?? '';
    cont = page.metadata?._continue || undefined;
  } while (cont !== undefined);
  return { items, resourceVersion, pages };
}

export interface TrackerOptions {
  kc: KubeConfig;
  core: CoreV1Api;
  /** Keys (namespace/name) that must all become satisfied. */
  want: ReadonlySet<string>;
  resourceVersion: string;
  now: () => number;
  /** When a Service counts as satisfied; Herald's IPAM condition unless given. */
  stateOf?: StateOf;
}

/** Follows the state (`StateOf`) of every wanted Service through one watch (restarted if it drops). */
export class SatisfiedTracker {
  readonly #o: TrackerOptions;
  readonly #state = new Map<string, string>();
  #satisfied = 0;
  #rv: string;
  #abort: AbortController | undefined;
  #stopped = false;
  #relist = false;
  #onAll: (() => void) | undefined;
  events = 0;
  restarts = 0;
  firstSatisfiedAt: number | undefined;
  allSatisfiedAt: number | undefined;
  /** When a quarter, half and three quarters of the wanted Services were satisfied. */
  readonly quarters: (number | undefined)[] = [undefined, undefined, undefined];

  readonly #stateOf: StateOf;

  constructor(o: TrackerOptions) {
    this.#o = o;
    this.#stateOf = o.stateOf ?? ipamState;
    this.#rv = o.resourceVersion;
  }

  get satisfied(): number {
    return this.#satisfied;
  }

  /** Resolves when every wanted Service has condition True (at once if that is already so). */
  all(): Promise<void> {
    if (this.allSatisfiedAt !== undefined || this.#o.want.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#onAll = resolve;
    });
  }

  /** How many wanted Services are in each condition state now. */
  states(): Map<string, number> {
    const out = new Map<string, number>();
    for (const key of this.#o.want) {
      const s = this.#state.get(key) ?? '(not seen)';
      out.set(s, (out.get(s) ?? 0) + 1);
    }
    return out;
  }

  /** Seeds the state from a list (the one the watch starts after), then watches. */
  async start(initial: readonly V1Service[]): Promise<void> {
    for (const s of initial) this.#set(`${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`, this.#stateOf(s.status));
    await this.#watch();
  }

  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
  }

  #set(key: string, state: string): void {
    if (!this.#o.want.has(key)) return;
    const before = this.#state.get(key);
    this.#state.set(key, state);
    const was = before?.startsWith('True/') === true;
    const is = state.startsWith('True/');
    if (was === is) return;
    this.#satisfied += is ? 1 : -1;
    if (is && this.firstSatisfiedAt === undefined) this.firstSatisfiedAt = this.#o.now();
    const q = Math.floor((4 * this.#satisfied) / this.#o.want.size) - 1;
    if (is && q >= 0 && q < 3 && this.quarters[q] === undefined) this.quarters[q] = this.#o.now();
    if (this.#satisfied === this.#o.want.size && this.allSatisfiedAt === undefined) {
      this.allSatisfiedAt = this.#o.now();
      this.#onAll?.();
    }
  }

  #event(type: string, obj: unknown): void {
    this.events++;
    if (type === 'ERROR') {
      // A Status, e.g. 410 Gone: our resourceVersion is too old; list again.
      this.#relist = true;
      return;
    }
    const seen = readService(obj, this.#stateOf);
    if (seen === undefined) return;
    if (seen.resourceVersion !== undefined) this.#rv = seen.resourceVersion;
    if (type === 'BOOKMARK') return;
    this.#set(seen.key, type === 'DELETED' ? '(deleted)' : seen.state);
  }

  async #watch(): Promise<void> {
    if (this.#stopped) return;
    const w = new Watch(this.#o.kc);
    this.#abort = await w.watch(
      '/api/v1/services',
      { resourceVersion: this.#rv, allowWatchBookmarks: true },
      (type: string, obj: unknown) => this.#event(type, obj),
      (err: unknown) => void this.#restart(err),
    );
  }

  async #restart(err: unknown): Promise<void> {
    if (this.#stopped) return;
    this.restarts++;
    const code = isRecord(err) && typeof err['statusCode'] === 'number' ? err['statusCode'] : undefined;
    await new Promise((r) => setTimeout(r, 100));
    if (this.#relist || code === 410) {
      this.#relist = false;
      const { items, resourceVersion } = await listAllServices(this.#o.core);
      this.#rv = resourceVersion;
      for (const s of items) this.#set(`${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`, this.#stateOf(s.status));
    }
    await this.#watch();
  }
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** GET `url`; for the API server pass the kubeconfig so its credentials and CA apply. */
export async function httpGet(url: string, kc?: KubeConfig, timeoutMs = 2_000): Promise<HttpAnswer> {
  const u = new URL(url);
  const opts: RequestOptions = { method: 'GET', timeout: timeoutMs, headers: { Accept: 'application/json' } };
  if (kc !== undefined) await kc.applyToHTTPSOptions(opts);
  const plain = u.protocol === 'http:';
  // applyToHTTPSOptions may set a TLS agent; a plain-HTTP request must not use it.
  if (plain) delete opts.agent;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = (plain ? httpRequest : httpsRequest)(u, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Numeric leaves of a JSON value, keyed by their dotted path. */
export function numericLeaves(v: unknown, prefix = '', out = new Map<string, number>()): Map<string, number> {
  if (typeof v === 'number') out.set(prefix, v);
  else if (isRecord(v)) for (const [k, x] of Object.entries(v)) numericLeaves(x, prefix === '' ? k : `${prefix}.${k}`, out);
  return out;
}
