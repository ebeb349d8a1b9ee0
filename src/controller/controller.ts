// The IPAM controller's imperative shell: watches, a single-flight reconcile loop, and the
// writes the reconciler asks for. A Service's journey: watch event → IpamReconciler.pass →
// allocator → desired status → StatusWriter → API server.
import type { KubernetesListObject, V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeLink } from '../kube/client.ts';
import { watchResource } from '../kube/informer.ts';
import type { WatchedCache } from '../kube/informer.ts';
import type { EventSink } from '../kube/events.ts';
import { HERALD_GROUP, HERALD_VERSION, IPPOOL_PLURAL } from '../api/names.ts';
import type { IPPool } from '../api/generated/ippools.ts';
import type { AdapterOptions } from '../api/service.ts';
import { readPoolListing } from './pool-listing.ts';
import { IpamReconciler } from './reconciler.ts';
import type { PassResult, Snapshot } from './reconciler.ts';
import { OwnWrites } from './own-writes.ts';
import { StatusWriter } from './status-writer.ts';
import { isService } from './service-cache.ts';
import { slimService } from '../api/slim.ts';
import { watchEndpointSlices, watchNodes } from '../kube/slim-caches.ts';

export interface ControllerHooks {
  /** Called after every pass: metrics live here, not in the loop. */
  onPass?: (result: PassResult, seconds: number) => void;
  onWriteError?: (verb: 'patch' | 'update', resource: string) => void;
}

export interface IpamControllerOptions {
  clients: KubeLink;
  log: Logger;
  events: EventSink;
  adapter: AdapterOptions;
  hooks?: ControllerHooks;
  /** Status writes in flight at once. */
  writeConcurrency?: number;
}

type AnyObject = { metadata?: { name?: string; namespace?: string } };

function isPoolList(v: unknown): v is KubernetesListObject<IPPool> {
  return typeof v === 'object' && v !== null && 'items' in v && Array.isArray(v.items);
}

export class IpamController {
  readonly #o: IpamControllerOptions;
  readonly #reconciler: IpamReconciler;
  readonly #writer: StatusWriter;
  readonly #dirty = new Set<string>();
  /** Our status writes, so that their watch events are not decided again (issue #10). */
  readonly #own = new OwnWrites();
  #all = true;
  #topology = false;
  #scheduled: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #synced = false;
  /** Problems of nameless IPPool objects already logged: said once each, not on every pass. */
  readonly #unnamedWarned = new Set<string>();
  #caches: { services: WatchedCache<V1Service>; nodes: WatchedCache<V1Node>; pools: WatchedCache<IPPool>; slices: WatchedCache<V1EndpointSlice> } | undefined;

  constructor(o: IpamControllerOptions) {
    this.#o = o;
    this.#reconciler = new IpamReconciler(o.adapter);
    this.#writer = new StatusWriter({
      clients: o.clients,
      log: o.log,
      concurrency: o.writeConcurrency ?? 16,
      retry: (key) => (key === null ? this.#schedule(500) : this.#markDirty(key, 500)),
      onError: o.hooks?.onWriteError,
      own: this.#own,
      decideAgain: (key) => this.#markDirty(key),
    });
  }

  /** True once every cache has synced and the first full pass ran. */
  get ready(): boolean {
    return this.#synced;
  }

  /** Nothing to do: no pass scheduled or running (writes included), nothing marked to decide. */
  get idle(): boolean {
    return this.#running === undefined && this.#scheduled === undefined && this.#dirty.size === 0 && !this.#all && !this.#topology;
  }

  /**
   * Decide every Service again at the next pass. The IPAM chaos runner's test of a fixed point
   * (test/chaos/ipam-runner.ts): since the watch's echo of a status write is not decided again,
   * no pass follows the last writes by itself.
   */
  reconcileAll(): void {
    this.#all = true;
    this.#schedule();
  }

  get reconciler(): IpamReconciler {
    return this.#reconciler;
  }

  async start(): Promise<void> {
    const { clients, log } = this.#o;
    const keyOf = (o: AnyObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
    // Listed a page at a time on the lean path and kept slim (issue #10: a cold start holds
    // 10,000 of these; service-cache.ts says which fields stay).
    const services = watchResource<V1Service>({
      kc: clients.kc,
      path: '/api/v1/services',
      list: (keep) => clients.http.list('/api/v1/services', isService, { keep }),
      transform: slimService,
      log,
      onEvent: (e, o) => {
        const key = keyOf(o);
        if (e === 'delete') this.#own.forget(key);
        else if (e === 'update' && this.#own.update(key, o.metadata?.resourceVersion) === 'echo') return;
        this.#markDirty(key);
      },
    });
    const nodes = watchNodes(clients, log, () => this.#markTopology());
    const slices = watchEndpointSlices(clients, log, () => this.#markTopology());
    const pools = watchResource<IPPool>({
      kc: clients.kc,
      path: `/apis/${HERALD_GROUP}/${HERALD_VERSION}/${IPPOOL_PLURAL}`,
      list: async () => {
        const list = await clients.http.json({ method: 'GET', path: `/apis/${HERALD_GROUP}/${HERALD_VERSION}/${IPPOOL_PLURAL}` });
        if (!isPoolList(list)) throw new Error('IPPool list has no items: is the herald.dev CRD installed?');
        return list;
      },
      log,
      // A pool change is found by the pass comparing pool specs; our own status writes cost nothing.
      onEvent: () => this.#schedule(),
    });
    this.#caches = { services, nodes, pools, slices };
    // Allocate nothing before pools, Services, Nodes and slices are all known: an early pass
    // could hand out an address a not-yet-seen Service holds (STYLE.md lesson 9).
    await Promise.all([services.synced, nodes.synced, slices.synced, pools.synced]);
    if (this.#stopped) return;
    log.info({ services: services.list().length, pools: pools.list().length, nodes: nodes.list().length }, 'caches synced; first full reconcile');
    this.#all = true;
    await this.#runPass();
    this.#synced = true;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#scheduled !== undefined) clearTimeout(this.#scheduled);
    const c = this.#caches;
    if (c !== undefined) await Promise.all([c.services.stop(), c.nodes.stop(), c.pools.stop(), c.slices.stop()]);
    await this.#running;
    await this.#writer.drain();
  }

  #markDirty(key: string, delayMs = 0): void {
    this.#dirty.add(key);
    this.#schedule(delayMs);
  }

  #markTopology(): void {
    this.#topology = true;
    this.#schedule();
  }

  #schedule(delayMs = 0): void {
    if (this.#stopped || this.#scheduled !== undefined) return;
    // A short delay batches bursts (10,000 Services created at once become a few passes).
    this.#scheduled = setTimeout(() => {
      this.#scheduled = undefined;
      void this.#runPass();
    }, Math.max(delayMs, 5));
  }

  #snapshot(): Snapshot | undefined {
    const c = this.#caches;
    if (c === undefined || !c.services.isSynced() || !c.nodes.isSynced() || !c.pools.isSynced() || !c.slices.isSynced()) return undefined;
    // Widened to unknown: the informer's type parameter is a promise, not a check.
    const listed: readonly unknown[] = c.pools.list();
    const { pools, malformedPools, unnamed } = readPoolListing(listed);
    for (const problem of unnamed) this.#warnUnnamed(problem);
    return { services: c.services.list(), nodes: c.nodes.list(), pools, malformedPools, slices: c.slices.list() };
  }

  #warnUnnamed(problem: string): void {
    if (this.#unnamedWarned.has(problem)) return;
    this.#unnamedWarned.add(problem);
    this.#o.log.warn({ problem }, 'an IPPool object without a name is ignored (the CRD schema refuses it on a real API server)');
  }

  /**
   * One pass, its Events emitted and its writes started; synchronous, so that nothing of the
   * pass's result (10,000 desired statuses and Events at a cold start) stays referenced while its
   * writes are awaited: the writer lets each go once sent (issue #10).
   */
  #pass(snap: Snapshot): Promise<void> {
    const trigger = { all: this.#all, keys: new Set(this.#dirty), topology: this.#topology };
    this.#dirty.clear();
    this.#all = false;
    this.#topology = false;
    const started = performance.now();
    const result = this.#reconciler.pass(snap, trigger, new Date());
    this.#o.hooks?.onPass?.(result, (performance.now() - started) / 1000);
    const anyWrite = result.serviceWrites.length > 0 || result.poolWrites.length > 0;
    const writes = this.#writer.write(result.serviceWrites, result.poolWrites);
    // Statuses first: they are what a user waits for; the Events tell of them (issue #10).
    if (anyWrite) this.#o.events.holdWhile?.(writes);
    for (const e of result.events) {
      this.#o.events.emit({ kind: e.kind, apiVersion: e.kind === 'Service' ? 'v1' : `${HERALD_GROUP}/${HERALD_VERSION}`, namespace: e.namespace, name: e.name, uid: e.uid }, e.type, e.reason, e.message);
    }
    return writes;
  }

  async #runPass(): Promise<void> {
    if (this.#running !== undefined) {
      // Single flight: the running pass reschedules when it sees new dirt.
      return;
    }
    const snap = this.#snapshot();
    if (snap === undefined || this.#stopped) return;
    this.#running = this.#pass(snap);
    await this.#running;
    this.#running = undefined;
    if (this.#dirty.size > 0 || this.#topology || this.#all) this.#schedule();
  }
}
