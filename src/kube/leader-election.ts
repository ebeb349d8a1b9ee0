// Lease-based leader election among controller replicas (the client-go leaderelection design:
// a coordination.k8s.io/v1 Lease; expiry judged by when *we* last saw the record change, so
// clocks need not agree between nodes). The decision is a pure function; the loop is the shell.
import { V1MicroTime } from '@kubernetes/client-node';
import type { V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { CauseThrottle } from './api-health.ts';
import { classifyThrown, describeRequest } from './api-problem.ts';
import type { ApiRequest, ProblemContext } from './api-problem.ts';
import { apiStatus, errorMessage } from './client.ts';
import { isKubeObject, leasePath } from './http.ts';
import type { KubeHttp } from './http.ts';

export interface ElectionTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

// client-go's defaults for controllers (15 s / 10 s / 2 s).
export const DEFAULT_ELECTION_TIMINGS: ElectionTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

export interface ObservedLease {
  holder: string;
  /** A value that changes whenever the holder renews (its renewTime text). */
  renewMark: string;
  /** Local monotonic time at which renewMark last changed. */
  observedAt: number;
  leaseDurationMs: number;
}

export type ElectionStep = 'take' | 'renew' | 'wait';

/** Pure: may `me` take the lease now? */
export function electionStep(observed: ObservedLease | null, me: string, now: number): ElectionStep {
  if (observed === null || observed.holder === '') return 'take';
  if (observed.holder === me) return 'renew';
  return now - observed.observedAt > observed.leaseDurationMs ? 'take' : 'wait';
}

/** The three calls the elector makes; client-node's CoordinationV1Api satisfies it, and so does leaseApiOver. */
export interface LeaseApi {
  readNamespacedLease(p: { name: string; namespace: string }): Promise<V1Lease>;
  createNamespacedLease(p: { namespace: string; body: V1Lease }): Promise<V1Lease>;
  replaceNamespacedLease(p: { name: string; namespace: string; body: V1Lease }): Promise<V1Lease>;
}

/**
 * The three calls as plain JSON over the lean path (http.ts), so the controller loads none of
 * client-node's generated clients and models (issue #10). The answers are the server's JSON: a
 * renewTime stays the server's text, microseconds included, which is all #observe compares.
 */
export function leaseApiOver(http: KubeHttp): LeaseApi {
  const lease = async (answer: Promise<unknown>): Promise<V1Lease> => {
    const v = await answer;
    if (!isKubeObject<V1Lease>(v)) throw new Error('the API server answered a Lease request with something that is not an object');
    return v;
  };
  return {
    readNamespacedLease: (p) => lease(http.json({ method: 'GET', path: leasePath(p.namespace, p.name) })),
    createNamespacedLease: (p) => lease(http.json({ method: 'POST', path: leasePath(p.namespace), body: JSON.stringify(p.body) })),
    replaceNamespacedLease: (p) => lease(http.json({ method: 'PUT', path: leasePath(p.namespace, p.name), body: JSON.stringify(p.body) })),
  };
}

export interface LeaderElectorOptions {
  api: LeaseApi;
  namespace: string;
  name: string;
  identity: string;
  timings?: ElectionTimings;
  log: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  now?: () => number;
  /**
   * The server and RBAC file named in failure messages. `watched`: an ApiHealth sees this
   * client's requests and logs API problems once per cause (issue #13), so the elector logs
   * those at debug only; otherwise it logs each cause once, then at most once a minute.
   */
  problems?: ProblemContext & { watched: boolean };
}

/**
 * Failed attempts of a replica that does not lead are retried after retryPeriod, doubling up to
 * half the lease duration (issue #13): a leader keeps its period, it must renew in time; a
 * standby that cannot reach the API server cannot take over anyway, and once the server answers
 * again it is at most half a lease duration late.
 */
export function retryDelay(t: ElectionTimings, leading: boolean, failures: number): number {
  if (leading || failures === 0) return t.retryPeriodMs;
  return Math.min(t.retryPeriodMs * 2 ** Math.min(failures - 1, 16), Math.max(t.retryPeriodMs, t.leaseDurationMs / 2));
}

/**
 * A Lease's times are MicroTime: RFC 3339 with exactly six fractional digits. A real
 * kube-apiserver refuses a plain Date's three with 400 Bad Request, so no controller ever led
 * there (issue #8; the stand-in had accepted both).
 */
function microTime(ms: number): V1MicroTime {
  return new V1MicroTime(ms);
}

export class LeaderElector {
  readonly #o: LeaderElectorOptions;
  readonly #t: ElectionTimings;
  #observed: ObservedLease | null = null;
  #leading = false;
  #lastRenew = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #ticking: Promise<void> = Promise.resolve();
  /** Consecutive failed attempts (backoff while not leading; issue #13). */
  #failures = 0;
  /** The request in flight, for the failure message. */
  #request: ApiRequest | undefined;
  readonly #throttle = new CauseThrottle();

  constructor(o: LeaderElectorOptions) {
    this.#o = o;
    this.#t = o.timings ?? DEFAULT_ELECTION_TIMINGS;
  }

  get leading(): boolean {
    return this.#leading;
  }

  start(): void {
    this.#ticking = this.#tick();
  }

  #now(): number {
    return this.#o.now?.() ?? performance.now();
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#tryAcquireOrRenew();
      if (this.#failures > 0) this.#throttle.reset();
      this.#failures = 0;
    } catch (err) {
      this.#failures++;
      this.#failed(err);
    }
    if (this.#leading && this.#now() - this.#lastRenew > this.#t.renewDeadlineMs) {
      // Could not renew in time: another replica may take over, so stop acting at once.
      this.#leading = false;
      this.#o.log.error({ lease: this.#o.name }, 'lost leadership: could not renew the lease in time');
      this.#o.onStoppedLeading();
    }
    if (!this.#stopped) {
      this.#timer = setTimeout(() => {
        this.#ticking = this.#tick();
      }, retryDelay(this.#t, this.#leading, this.#failures));
    }
  }

  /**
   * A namespace that does not exist answered "HTTP-Code: 404" every 2 s, forever (issue #13):
   * now the cause is classified and said once, then at most once a minute.
   */
  #failed(err: unknown): void {
    const ctx = this.#o.problems ?? { server: '', watched: false };
    const problem = classifyThrown(err, this.#request, ctx);
    const fields = { lease: `${this.#o.namespace}/${this.#o.name}`, failures: this.#failures, retryMs: retryDelay(this.#t, this.#leading, this.#failures) };
    if (problem !== null && ctx.watched) {
      this.#o.log.debug({ ...fields, code: problem.code }, `leader election request failed: ${problem.message}`);
      return;
    }
    const message = problem?.message ?? errorMessage(err);
    if (this.#throttle.shouldLog(problem?.key ?? message, this.#now())) this.#o.log.warn({ ...fields, err: message }, 'leader election request failed');
    else this.#o.log.debug({ ...fields, err: message }, 'leader election request failed');
  }

  #observe(lease: V1Lease | null): void {
    if (lease === null) {
      this.#observed = null;
      return;
    }
    const holder = lease.spec?.holderIdentity ?? '';
    const renewMark = `${holder}|${String(lease.spec?.renewTime ?? '')}`;
    if (this.#observed === null || this.#observed.renewMark !== renewMark) {
      this.#observed = { holder, renewMark, observedAt: this.#now(), leaseDurationMs: (lease.spec?.leaseDurationSeconds ?? 15) * 1000 };
    }
  }

  async #tryAcquireOrRenew(): Promise<void> {
    const { api, namespace, name, identity } = this.#o;
    let lease: V1Lease | null;
    try {
      this.#request = describeRequest('GET', leasePath(namespace, name));
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (apiStatus(err) !== 404) throw err;
      lease = null;
    }
    this.#observe(lease);
    const step = electionStep(this.#observed, identity, this.#now());
    if (step === 'wait') return;
    const nowDate = microTime(Date.now());
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.#t.leaseDurationMs / 1000),
      renewTime: nowDate,
      acquireTime: step === 'take' ? nowDate : lease?.spec?.acquireTime ?? nowDate,
      leaseTransitions: (lease?.spec?.leaseTransitions ?? 0) + (step === 'take' && lease !== null ? 1 : 0),
    };
    let written: V1Lease;
    if (lease === null) {
      this.#request = describeRequest('POST', leasePath(namespace));
      written = await api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec } });
    } else {
      // PUT with the resourceVersion we read: two replicas racing get one 409 (optimistic concurrency).
      this.#request = describeRequest('PUT', leasePath(namespace, name));
      written = await api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec } });
    }
    this.#observe(written);
    this.#lastRenew = this.#now();
    // stop() may have come while this request was in flight: never start leading after it.
    if (!this.#leading && !this.#stopped) {
      this.#leading = true;
      this.#o.log.info({ lease: name, identity }, 'became leader');
      this.#o.onStartedLeading();
    }
  }

  /** Stop; when leading, hand the lease back so another replica takes over without waiting for expiry. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#ticking;
    // A take that completed during stop() holds the lease without leading: hand it back too.
    const held = this.#leading || this.#observed?.holder === this.#o.identity;
    this.#leading = false;
    if (!held) return;
    const { api, namespace, name } = this.#o;
    try {
      const lease = await api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity === this.#o.identity) {
        await api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } } });
      }
    } catch (err) {
      this.#o.log.warn({ lease: name, err: errorMessage(err) }, 'could not release the lease; the next leader waits for it to expire');
    }
  }
}
