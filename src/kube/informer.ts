// A list-watch cache that keeps itself alive. client-node's ListWatch relists on 410 Gone but
// stops for good on any other error (connection refused, 500s, a dropped watch): this wrapper
// restarts it with capped exponential backoff and says when the first full list has arrived,
// so callers can hold off acting until every cache is synced (STYLE.md lesson 9).
import { ListWatch } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { sameButVersion } from '../api/slim.ts';
import { classifyThrown, describeRequest } from './api-problem.ts';
import { PooledKubeConfig, errorMessage } from './client.ts';
import { TransportWatch } from './http-library.ts';
import { transportOf } from './transport.ts';

export type WatchEvent = 'add' | 'update' | 'delete';

export interface WatchOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  /** Resource path, e.g. /api/v1/services. */
  path: string;
  /**
   * Lists the collection. With a `transform`, it is passed here as `keep`: a list read a page at a
   * time (KubeHttp.list) applies it as each page arrives, so the whole objects are never all held
   * at once (issue #10). A list that does not call `keep` once per item has its items transformed
   * after it returns.
   */
  list: (keep?: (obj: T) => T) => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  onEvent: (event: WatchEvent, obj: T) => void;
  /**
   * Applied to every listed and watched object before the cache keeps it: keep only the fields
   * the caller reads (issue #10; client-go's informer TransformFunc). Watch errors and bookmarks
   * are not objects and are left alone.
   */
  transform?: (obj: T) => T;
  /**
   * Do not call onEvent for an update that changed nothing but the resourceVersion (compared
   * after `transform`): with slim objects, a Node's status heartbeat or an endpoint's targetRef
   * changing is no change to Herald, and each event would otherwise cost a whole pass (issue #10).
   */
  skipUnchanged?: boolean;
  log: Logger;
  /** Backoff bounds for restarts after an error. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface WatchedCache<T> {
  list(): readonly T[];
  get(name: string, namespace?: string): T | undefined;
  isSynced(): boolean;
  /** Resolves once the first full list has been delivered. */
  synced: Promise<void>;
  stop(): Promise<void>;
}

/** The transport's Watch, with `transform` applied to each object event (ADDED, MODIFIED, DELETED). */
class TransformingWatch<T> extends TransportWatch {
  readonly #transform: (obj: T) => T;

  constructor(kc: KubeConfig, transform: (obj: T) => T) {
    super(kc, transportOf(kc));
    this.#transform = transform;
  }

  override watch(path: string, query: Record<string, string | number | boolean | undefined>, callback: (phase: string, apiObj: T, watchObj?: unknown) => void, done: (err: unknown) => void): Promise<AbortController> {
    const transform = this.#transform;
    return super.watch(path, query, (phase: string, obj: T, raw?: unknown) => callback(phase, phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED' ? transform(obj) : obj, raw), done);
  }
}

/** `list` with `transform` applied to every item exactly once, by the list as it reads or after it. */
export async function listKept<T extends KubernetesObject>(list: WatchOptions<T>['list'], transform: (obj: T) => T): Promise<KubernetesListObject<T>> {
  let kept = 0;
  const result = await list((obj) => {
    kept++;
    return transform(obj);
  });
  return kept === result.items.length ? result : { ...result, items: result.items.map(transform) };
}

export function watchResource<T extends KubernetesObject>(opts: WatchOptions<T>): WatchedCache<T> {
  const { transform } = opts;
  // makeInformer(kc, path, list, labelSelector) is this ListWatch with client-node's own Watch.
  const informer =
    transform === undefined
      ? new ListWatch<T>(opts.path, new TransportWatch(opts.kc, transportOf(opts.kc)), opts.list, false, opts.labelSelector)
      : new ListWatch<T>(opts.path, new TransformingWatch(opts.kc, transform), () => listKept(opts.list, transform), false, opts.labelSelector);
  const minBackoff = opts.minBackoffMs ?? 250;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  let backoff = minBackoff;
  let stopped = false;
  let synced = false;
  let failedSinceStart = false;
  let retry: NodeJS.Timeout | undefined;
  let markSynced: () => void = () => {};
  const syncedPromise = new Promise<void>((resolve) => {
    markSynced = resolve;
  });

  if (opts.skipUnchanged === true) {
    // The object each key last had (the cache's own objects, shared): ListWatch forgets the old
    // one before it says 'update'.
    const last = new Map<string, T>();
    const key = (o: T): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
    informer.on('add', (o) => {
      last.set(key(o), o);
      opts.onEvent('add', o);
    });
    informer.on('update', (o) => {
      const before = last.get(key(o));
      last.set(key(o), o);
      if (before === undefined || !sameButVersion(before, o)) opts.onEvent('update', o);
    });
    informer.on('delete', (o) => {
      last.delete(key(o));
      opts.onEvent('delete', o);
    });
  } else {
    informer.on('add', (o) => opts.onEvent('add', o));
    informer.on('update', (o) => opts.onEvent('update', o));
    informer.on('delete', (o) => opts.onEvent('delete', o));
  }
  informer.on('error', (err: unknown) => {
    failedSinceStart = true;
    if (stopped) return;
    // A cause an ApiHealth already tells once (no CRD, no permission, no server: issue #13) is
    // only debug here; the restarts would otherwise repeat it at every step of the backoff.
    const told = opts.kc instanceof PooledKubeConfig && opts.kc.observed && classifyThrown(err, describeRequest('GET', opts.path), { server: '' }) !== null;
    opts.log[told ? 'debug' : 'warn']({ path: opts.path, err: errorMessage(err), retryMs: backoff }, 'watch failed; restarting');
    retry = setTimeout(() => void start(), backoff);
    backoff = Math.min(backoff * 2, maxBackoff);
  });

  async function start(): Promise<void> {
    retry = undefined;
    if (stopped) return;
    failedSinceStart = false;
    await informer.start();
    // ListWatch opens its watch after the list even if stop() came meanwhile: close it again.
    if (stopped) {
      await informer.stop();
      return;
    }
    // ListWatch.start() resolves after the list and the watch request; an error on the way was
    // reported through the 'error' callback instead of a rejection.
    if (!failedSinceStart) {
      backoff = minBackoff;
      if (!synced) {
        synced = true;
        markSynced();
      }
    }
  }
  void start();

  return {
    list: () => informer.list(),
    get: (name, namespace) => informer.get(name, namespace),
    isSynced: () => synced,
    synced: syncedPromise,
    async stop() {
      stopped = true;
      if (retry !== undefined) clearTimeout(retry);
      await informer.stop();
    },
  };
}
