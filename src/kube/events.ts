// Kubernetes Events for what a user must see on `kubectl describe service`. Repeats of the same
// (object, reason, message) within ten minutes bump `count` instead of creating a new Event,
// as client-go's EventCorrelator does, so a flapping Service cannot flood the API server.
import type { CoreV1Event } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { errorMessage } from './client.ts';
import type { KubeHttp } from './http.ts';

export interface EventTarget {
  kind: string;
  apiVersion: string;
  namespace?: string;
  name: string;
  uid?: string;
}

export type EventType = 'Normal' | 'Warning';

export interface EventSink {
  emit(target: EventTarget, type: EventType, reason: string, message: string): void;
  /**
   * Sends no new Event until `work` settles (those in flight finish): the writes that matter more
   * go first. A sink without it sends at once.
   */
  holdWhile?(work: Promise<unknown>): void;
}

const DEDUPE_MS = 10 * 60_000;
const MAX_REMEMBERED = 4096;
// Events are advice, not state: at most this many writes in flight, and a bounded backlog. A cold
// start over 10,000 Services once fired 12,000 creates at once (bench/README.md finding 1).
const IN_FLIGHT = 8;
const MAX_QUEUED = 2048;

/** The two calls the recorder makes; CoreV1Api satisfies it, and tests pass a fake. */
export interface EventApi {
  createNamespacedEvent(p: { namespace: string; body: CoreV1Event }): Promise<unknown>;
  patchNamespacedEvent(p: { name: string; namespace: string; body: object }, options?: ReturnType<typeof setHeaderOptions>): Promise<unknown>;
}

/**
 * The two calls over the lean path (http.ts): a cold start records ~2,000 Events, and client-node
 * parsed each created Event back into a CoreV1Event nobody reads (issue #10). Same bodies, same
 * failures (a status in `code`, the body as text).
 */
export function eventApiOver(http: KubeHttp): EventApi {
  const events = (namespace: string): string => `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
  return {
    createNamespacedEvent: (p) => http.send({ method: 'POST', path: events(p.namespace), body: JSON.stringify(p.body) }),
    // The recorder only sends merge patches (a count bump).
    patchNamespacedEvent: (p) => http.send({ method: 'PATCH', path: `${events(p.namespace)}/${encodeURIComponent(p.name)}`, body: JSON.stringify(p.body), contentType: PatchStrategy.MergePatch }),
  };
}

export interface EventRecorderOptions {
  core: EventApi;
  component: string;
  instance: string;
  log: Logger;
  /** Events for cluster-scoped objects (IPPools) go to this namespace, as the real recorder uses "default". */
  clusterScopedNamespace?: string;
  onError?: () => void;
  /** An Event was dropped because the backlog was full. */
  onDrop?: () => void;
}

interface PendingEvent {
  target: EventTarget;
  type: EventType;
  reason: string;
  message: string;
}

export class EventRecorder implements EventSink {
  readonly #o: EventRecorderOptions;
  readonly #seen = new Map<string, { name: string; namespace: string; count: number; at: number }>();
  readonly #queue: PendingEvent[] = [];
  #inFlight = 0;
  #held = 0;
  #dropped = 0;
  #idle: (() => void)[] = [];

  constructor(o: EventRecorderOptions) {
    this.#o = o;
  }

  emit(target: EventTarget, type: EventType, reason: string, message: string): void {
    if (this.#queue.length >= MAX_QUEUED) {
      this.#o.onDrop?.();
      // One log line per burst of drops, not one per Event.
      if (this.#dropped++ === 0) this.#o.log.warn({ reason, object: target.name }, 'event backlog full; dropping events until it drains');
      return;
    }
    this.#queue.push({ target, type, reason, message });
    this.#pump();
  }

  /**
   * A controller's cold start wrote 2,000 Events beside its 10,000 Service statuses, and the API
   * server's time for them came out of the statuses' (issue #10): the Events wait for the writes.
   */
  holdWhile(work: Promise<unknown>): void {
    this.#held++;
    const release = (): void => {
      this.#held--;
      this.#pump();
    };
    work.then(release, release);
  }

  /** Resolves when every queued Event has been written (or failed). */
  flush(): Promise<void> {
    if (this.#inFlight === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (this.#inFlight < IN_FLIGHT && this.#held === 0) {
      const next = this.#queue.shift();
      if (next === undefined) break;
      this.#inFlight++;
      void this.#send(next.target, next.type, next.reason, next.message).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
    if (this.#queue.length === 0 && this.#dropped > 0) {
      this.#o.log.warn({ dropped: this.#dropped }, 'event backlog drained');
      this.#dropped = 0;
    }
    if (this.#inFlight === 0 && this.#queue.length === 0) for (const done of this.#idle.splice(0)) done();
  }

  async #send(target: EventTarget, type: EventType, reason: string, message: string): Promise<void> {
    const namespace = target.namespace ?? this.#o.clusterScopedNamespace ?? 'default';
    const key = `${target.kind}/${namespace}/${target.name}/${target.uid ?? ''}/${reason}/${message}`;
    const now = Date.now();
    const prior = this.#seen.get(key);
    try {
      if (prior !== undefined && now - prior.at < DEDUPE_MS) {
        prior.count++;
        prior.at = now;
        await this.#o.core.patchNamespacedEvent(
          { name: prior.name, namespace: prior.namespace, body: { count: prior.count, lastTimestamp: new Date(now).toISOString() } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        return;
      }
      const name = `${target.name}.${now.toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
      const body: CoreV1Event = {
        metadata: { name, namespace },
        involvedObject: { kind: target.kind, apiVersion: target.apiVersion, namespace: target.namespace, name: target.name, uid: target.uid },
        type,
        reason,
        message,
        count: 1,
        firstTimestamp: new Date(now),
        lastTimestamp: new Date(now),
        source: { component: this.#o.component },
        reportingComponent: this.#o.component,
        reportingInstance: this.#o.instance,
      };
      await this.#o.core.createNamespacedEvent({ namespace, body });
      if (this.#seen.size >= MAX_REMEMBERED) this.#seen.delete(this.#seen.keys().next().value ?? '');
      this.#seen.set(key, { name, namespace, count: 1, at: now });
    } catch (err) {
      this.#o.onError?.();
      this.#o.log.warn({ reason, object: `${namespace}/${target.name}`, err: errorMessage(err) }, 'could not record event');
    }
  }
}
