// The Kubernetes side of the L2 election for one speaker (docs/l2.md, "The shell, step by
// step"): watches the VIP Leases and node Leases of its namespace, carries out `write`
// actions with optimistic concurrency, and renews this node's Lease. A thin imperative shell:
// the translation to and from Leases is in lease-objects.ts, the decisions in election.ts.
import { DEFAULT_L2_TIMINGS, nodeLeaseDurationSeconds } from './timings.ts';
import type { KubeConfig, V1Lease, V1LeaseList } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { NodeStamp } from './peers.ts';
import type { LeaseList, LeaseRecord, LeaseView, WriteResult } from './vip-machine.ts';
import type { HeartbeatEndpoint, WriteAction } from './lease-objects.ts';
import { apiStatus, errorMessage } from '../kube/client.ts';
import { Gate } from '../kube/gate.ts';
import { leasePath } from '../kube/http.ts';
import type { KubeHttp } from '../kube/http.ts';
import { watchResource } from '../kube/informer.ts';
import { WatchProgress } from './watch-progress.ts';
import type { WatchedCache } from '../kube/informer.ts';
import { NODE_LEASE_LABELS, VIP_LEASE_LABELS, nodeLeaseName, vipLeaseName } from './lease-names.ts';
import { acquiredAtMs, asLease, asLeaseList, labelSelector, nodeLeaseBody, nodeLeaseOf, recordsOf, vipLeaseCreateBody, vipLeaseOf, vipLeasePatch } from './lease-objects.ts';

export const DEFAULT_NAMESPACE = 'herald-system';
/** docs/l2.md: a request without a result within 10 s is reported as an error. */
export const REQUEST_TIMEOUT_MS = 10_000;

export type AdapterVerb = 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';

export interface LeaseAdapterOptions {
  kc: KubeConfig;
  /**
   * Every Lease request: a plain request, the answer parsed as JSON, none of client-node's request
   * context, middleware and model classes. A 1,000-VIP join sends some 3,000 of them; through
   * client-node their garbage grew a speaker's heap, and its model classes its start (issue #10).
   */
  http: KubeHttp;
  /** This speaker's node name (the holder of its node Lease). */
  node: string;
  namespace?: string;
  log: Logger;
  /** The election's clock (monotonic ms) for `startedAt` of lists; default performance.now. */
  now?: () => number;
  /** Wall clock (ms) for the Leases' MicroTime fields; default Date.now. */
  wallClock?: () => number;
  requestTimeoutMs?: number;
  /** The node Lease's leaseDurationSeconds (`nodeLeaseDurationSeconds` of the timings); default 6, for R = 2 s. */
  nodeLeaseDurationSeconds?: number;
  /** Watch restart backoff after an error (see watchResource). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * A VIP Lease appeared, changed or (absent) was deleted. `lagMs`: our wall clock now minus the
   * writer's `acquireTime` (null on a deletion or without one): how late the write landed here.
   */
  onVipLease: (ip: string, view: LeaseView, lagMs: number | null) => void;
  /** A node Lease appeared or changed; stamp null and no addresses when deleted (or no valid stamp). */
  onNodeLease: (node: string, stamp: NodeStamp | null, addresses: HeartbeatEndpoint[]) => void;
  /**
   * A full list of the VIP Leases (start-up, or a relist after 410 Gone), sent at `startedAt`, as
   * of the list's resourceVersion `version` (null if the server gave none).
   */
  onVipLeaseSync: (leases: Map<string, LeaseRecord>, startedAt: number, version: string | null) => void;
}

class RequestTimeout extends Error {
  override readonly name = 'RequestTimeout';
}

/** VIP Lease writes and reads in flight at once (issue #10, src/kube/gate.ts); node Lease renewals and lists never wait behind them. */
const VIP_REQUESTS_IN_FLIGHT = 16;

export class LeaseAdapter {
  readonly namespace: string;
  readonly #o: LeaseAdapterOptions;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #wall: () => number;
  readonly #acquiredMs: number;
  readonly #counts: Record<AdapterVerb, number> = { get: 0, list: 0, create: 0, update: 0, patch: 0, delete: 0 };
  readonly #vipCache: WatchedCache<V1Lease>;
  readonly #nodeCache: WatchedCache<V1Lease>;
  /**
   * vipLeaseOf of each cached Lease object, for the self-check every 5 s: the informer replaces an
   * object when it changes, so one parsed is parsed for good, and 1,000 unchanged Leases are not
   * parsed again each time (their addresses through ipaddr.js: most of a 1,000-VIP speaker's CPU
   * at rest beyond an idle one's, issue #10). Weak: an object the cache dropped goes with it.
   */
  readonly #parsedVip = new WeakMap<V1Lease, ReturnType<typeof vipLeaseOf>>();
  /** The newest resourceVersion the VIP Lease watch delivered (catch-up after a fence). */
  readonly #vipProgress = new WatchProgress();
  /** resourceVersion of our node Lease after our last write (only this node writes it). */
  #nodeVersion: string | null = null;
  #stopped = false;
  readonly #vipGate = new Gate(VIP_REQUESTS_IN_FLIGHT);
  readonly synced: Promise<void>;

  constructor(o: LeaseAdapterOptions) {
    this.#o = o;
    this.namespace = o.namespace ?? DEFAULT_NAMESPACE;
    this.#timeoutMs = o.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.#now = o.now ?? (() => performance.now());
    this.#wall = o.wallClock ?? Date.now;
    this.#acquiredMs = this.#wall();
    const path = leasePath(this.namespace);
    const backoff = { minBackoffMs: o.minBackoffMs, maxBackoffMs: o.maxBackoffMs };
    const vipSelector = labelSelector(VIP_LEASE_LABELS);
    this.#vipCache = watchResource<V1Lease>({
      kc: o.kc,
      path,
      labelSelector: vipSelector,
      log: o.log,
      ...backoff,
      list: () => this.#listForInformer(vipSelector),
      onEvent: (event, lease) => {
        const v = vipLeaseOf(lease);
        if (v === null || this.#stopped) return;
        // A DELETED event carries the deletion's resourceVersion: the Lease is absent as of it
        // (a deletion found by a re-list carries the last one seen; see isNews in vip-machine.ts).
        const gone: LeaseView = v.record.version === null ? { kind: 'absent' } : { kind: 'absent', asOf: v.record.version };
        this.#vipProgress.delivered(v.record.version);
        const sentAt = event === 'delete' ? null : acquiredAtMs(lease);
        this.#o.onVipLease(v.ip, event === 'delete' ? gone : { kind: 'present', record: v.record }, sentAt === null ? null : this.#wall() - sentAt);
      },
    });
    const nodeSelector = labelSelector(NODE_LEASE_LABELS);
    this.#nodeCache = watchResource<V1Lease>({
      kc: o.kc,
      path,
      labelSelector: nodeSelector,
      log: o.log,
      ...backoff,
      list: () => this.#list(nodeSelector, ''),
      onEvent: (event, lease) => {
        const v = nodeLeaseOf(lease);
        if (v === null || this.#stopped) return;
        if (event === 'delete') this.#o.onNodeLease(v.node, null, []);
        else this.#o.onNodeLease(v.node, v.stamp, v.addresses);
      },
    });
    this.synced = Promise.all([this.#vipCache.synced, this.#nodeCache.synced]).then(() => undefined);
  }

  /**
   * Node Leases of L2 speakers in the cache: the stamped ones, whose renewals every R are the
   * steady writes R governs. A speaker on L2 standby (src/speaker/l2-gate.ts) renews every 10 s
   * whatever R is, so counting it would ask every L2 speaker for a longer R for nothing.
   */
  nodeLeaseCount(): number {
    let n = 0;
    for (const lease of this.#nodeCache.list()) if (nodeLeaseOf(lease)?.stamp != null) n++;
    return n;
  }

  /** Requests sent, by verb (watches are not counted: they are long-running). */
  requests(): Readonly<Record<AdapterVerb, number>> {
    return { ...this.#counts };
  }

  /** Both caches have delivered their first list. */
  isSynced(): boolean {
    return this.#vipCache.isSynced() && this.#nodeCache.isSynced();
  }

  /**
   * The VIP Leases now, from the API (the election's revalidation after a fence), with the list's
   * resourceVersion: the watch goes on meanwhile, and the election orders the two by it (issue
   * #10). Rejects on error.
   */
  async listVipLeases(): Promise<LeaseList> {
    const list = await this.#listVip('');
    return { leases: recordsOf(list), version: list.metadata?.resourceVersion ?? null };
  }

  /**
   * The VIP Lease collection's resourceVersion now, from a list of one item: a revision the
   * watch must reach for this node's view to be current (docs/l2.md, "Revalidation"). Rejects on
   * error; null if the server gave none.
   */
  async vipRevision(): Promise<string | null> {
    return (await this.#listVip('&limit=1')).metadata?.resourceVersion ?? null;
  }

  /** The newest resourceVersion the VIP Lease watch delivered (null: none, or a list being applied). */
  vipWatchVersion(): string | null {
    return this.#vipProgress.newest;
  }

  /** A list of the VIP Leases (`extra`: more query parameters). */
  #listVip(extra: string): Promise<V1LeaseList> {
    return this.#list(labelSelector(VIP_LEASE_LABELS), extra);
  }

  /** A list of our namespace's Leases with these labels (`extra`: more query parameters), as plain JSON: no model classes for 5,000 Leases. */
  #list(selector: string, extra: string): Promise<V1LeaseList> {
    return this.#request('list', async (signal) => asLeaseList(await this.#o.http.json({ method: 'GET', path: `${this.#leasePath('')}?labelSelector=${encodeURIComponent(selector)}${extra}`, signal })));
  }

  /** The records of `listVipLeases` alone. */
  async relistVipLeases(): Promise<Map<string, LeaseRecord>> {
    return new Map((await this.listVipLeases()).leases);
  }

  /** The VIP Leases in the watch's cache (no request): what the election's self-check compares with. */
  cachedVipLeases(): Map<string, LeaseRecord> {
    const out = new Map<string, LeaseRecord>();
    for (const lease of this.#vipCache.list()) {
      let v = this.#parsedVip.get(lease);
      if (v === undefined) this.#parsedVip.set(lease, (v = vipLeaseOf(lease)));
      if (v !== null) out.set(v.ip, v.record);
    }
    return out;
  }

  /** The VIP Lease as the API has it now (a GET, not the watch): absent when there is none. */
  async readVipLease(ip: string): Promise<LeaseView> {
    const name = vipLeaseName(ip);
    if (!name.ok) return { kind: 'absent' };
    try {
      const lease = await this.#vipGate.run(() => this.#readLease(name.name));
      const v = lease === null ? null : vipLeaseOf(lease);
      return v === null ? { kind: 'absent' } : { kind: 'present', record: v.record };
    } catch (err) {
      if (apiStatus(err) === 404) return { kind: 'absent' };
      throw err;
    }
  }

  /** Carries out one `write` action, when one of the VIP request places is free; never rejects. */
  write(a: WriteAction): Promise<WriteResult> {
    return this.#vipGate.run(() => this.#write(a));
  }

  async #write(a: WriteAction): Promise<WriteResult> {
    const name = vipLeaseName(a.ip);
    if (!name.ok) {
      this.#o.log.error({ ip: a.ip, err: name.error.message }, 'cannot name the Lease of this VIP');
      return { ok: false, conflict: false };
    }
    const { http } = this.#o;
    const namespace = this.namespace;
    try {
      if (a.op === 'delete') {
        const body = a.expect === null ? {} : { preconditions: { resourceVersion: a.expect.version } };
        await this.#request('delete', (signal) => http.send({ method: 'DELETE', path: this.#leasePath(name.name), body: JSON.stringify(body), signal }));
        return { ok: true, version: '' };
      }
      let written: V1Lease | null;
      if (a.expect === null) {
        written = await this.#createLease(vipLeaseCreateBody(a, name.name, namespace, this.#wall()));
      } else {
        const body = vipLeasePatch(a, a.expect.version, this.#wall());
        written = await this.#request('patch', async (signal) => asLease(await http.json({ method: 'PATCH', path: this.#leasePath(name.name), body: JSON.stringify(body), contentType: 'application/merge-patch+json', signal })));
      }
      const version = written?.metadata?.resourceVersion;
      if (version === undefined) return { ok: false, conflict: false };
      return { ok: true, version };
    } catch (err) {
      const code = apiStatus(err);
      // 409: AlreadyExists on create, Conflict on a stale resourceVersion; 404: gone meanwhile.
      const conflict = code === 409 || (code === 404 && a.expect !== null);
      this.#o.log[conflict ? 'debug' : 'warn']({ ip: a.ip, op: a.op, code, err: errorMessage(err) }, conflict ? 'VIP Lease write lost a race' : 'VIP Lease write failed');
      return { ok: false, conflict, ...(code === 401 ? { refused: true } : {}) };
    }
  }

  /**
   * Writes this node's Lease (renewTime now, the stamp and the heartbeat addresses): a PUT with
   * the version of our last write, a create when there is none. Only this node writes it, so a
   * conflict means a previous incarnation wrote last: read it and write once more. Resolves
   * true when written, 'refused' on 401 Unauthorized (our credentials are not valid any more:
   * docs/l2.md, "When the API server or etcd goes away"), false on any other failure.
   */
  async renewNodeLease(stamp: NodeStamp, addresses: readonly HeartbeatEndpoint[], extra: Readonly<Record<string, string>> = {}): Promise<boolean | 'refused'> {
    const { http, node } = this.#o;
    const name = nodeLeaseName(node);
    const namespace = this.namespace;
    const body = nodeLeaseBody(node, stamp, addresses, namespace, this.#acquiredMs, this.#wall(), this.#o.nodeLeaseDurationSeconds ?? nodeLeaseDurationSeconds(DEFAULT_L2_TIMINGS), extra);
    // A renewal every R on every node: through client-node each cost a request context and a
    // V1Lease model for an answer of which one field is read (issue #10).
    const put = async (version: string): Promise<V1Lease | null> => {
      const b: V1Lease = { ...body, metadata: { ...body.metadata, resourceVersion: version } };
      return this.#request('update', async (signal) => asLease(await http.json({ method: 'PUT', path: this.#leasePath(name), body: JSON.stringify(b), signal })));
    };
    try {
      let written: V1Lease | null;
      const known = this.#nodeVersion ?? this.#nodeCache.get(name, namespace)?.metadata?.resourceVersion;
      try {
        if (known === undefined) written = await this.#createLease(body);
        else written = await put(known);
      } catch (err) {
        const code = apiStatus(err);
        if (code === 404 && known !== undefined) {
          written = await this.#createLease(body);
        } else if (code === 409) {
          const current = await this.#readLease(name);
          written = await put(current?.metadata?.resourceVersion ?? '');
        } else throw err;
      }
      this.#nodeVersion = written?.metadata?.resourceVersion ?? null;
      return true;
    } catch (err) {
      this.#nodeVersion = null;
      this.#o.log.warn({ node, err: errorMessage(err), code: apiStatus(err) }, 'node Lease renewal failed');
      return apiStatus(err) === 401 ? 'refused' : false;
    }
  }

  /** Clean exit: peers see the node go at once instead of after its evidence expires. */
  async deleteNodeLease(): Promise<boolean> {
    const name = nodeLeaseName(this.#o.node);
    try {
      await this.#request('delete', (signal) => this.#o.http.send({ method: 'DELETE', path: this.#leasePath(name), signal }));
      this.#nodeVersion = null;
      return true;
    } catch (err) {
      if (apiStatus(err) === 404) return true;
      this.#o.log.warn({ node: this.#o.node, err: errorMessage(err) }, 'could not delete the node Lease');
      return false;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([this.#vipCache.stop(), this.#nodeCache.stop()]);
  }

  /** The informer's list, reported as a sync once the informer has applied it. */
  async #listForInformer(selector: string): Promise<V1LeaseList> {
    const startedAt = this.#now();
    this.#vipProgress.listStarted();
    let list: V1LeaseList;
    try {
      list = await this.#list(selector, '');
    } catch (err) {
      this.#vipProgress.listApplied(null);
      throw err;
    }
    // ListWatch applies the list synchronously after this promise settles (its add/delete
    // events); report the sync after that, so that it is the newest word.
    setImmediate(() => {
      const version = list.metadata?.resourceVersion ?? null;
      this.#vipProgress.listApplied(version);
      if (!this.#stopped) this.#o.onVipLeaseSync(recordsOf(list), startedAt, version);
    });
    return list;
  }

  /** One Lease of our namespace by GET. */
  #readLease(name: string): Promise<V1Lease | null> {
    return this.#request('get', async (signal) => asLease(await this.#o.http.json({ method: 'GET', path: this.#leasePath(name), signal })));
  }

  /** Creates a Lease in our namespace (POST). */
  #createLease(body: V1Lease): Promise<V1Lease | null> {
    return this.#request('create', async (signal) => asLease(await this.#o.http.json({ method: 'POST', path: this.#leasePath(''), body: JSON.stringify(body), signal })));
  }

  /** The collection of Leases in our namespace, or one of them. */
  #leasePath(name: string): string {
    return leasePath(this.namespace, name);
  }

  /** Counts, and bounds the request by the timeout (aborting it); a timeout rejects like any error. */
  async #request<T>(verb: AdapterVerb, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.#counts[verb]++;
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new RequestTimeout(`${verb} of a Lease: no answer within ${this.#timeoutMs} ms`);
        ac.abort(err);
        reject(err);
      }, this.#timeoutMs);
    });
    try {
      return await Promise.race([send(ac.signal), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
