// The node Lease of a speaker on L2 standby (l2-gate.ts): no heartbeats and no election run, but
// `herald status` still lists the speaker and its BGP sessions from this Lease. It carries no
// heartbeat stamp or addresses (standbyNodeLeaseBody), so an L2 peer reads it as an absent node.
// Written when the published annotations change (a BGP session moved) and at least every
// `renewMs`, slower than an L2 speaker's R: nothing fails over on it, and at 1,000 nodes a
// standby cluster's renewals are 100 writes/s instead of 500 (issue #10's API budget).
import type { Logger } from 'pino';
import type { KubeHttp } from '../kube/http.ts';
import { leasePath } from '../kube/http.ts';
import { apiStatus, errorMessage } from '../kube/client.ts';
import { nodeLeaseName } from '../election/lease-names.ts';
import { asLease, standbyNodeLeaseBody } from '../election/lease-objects.ts';
import { REQUEST_TIMEOUT_MS } from '../election/lease-adapter.ts';

export interface StandbyLeaseOptions {
  http: KubeHttp;
  node: string;
  namespace: string;
  log: Logger;
  /** The longest time between two writes. */
  renewMs: number;
  /** How often the annotations are compared with the last written (no request when equal). */
  checkMs: number;
  /** Annotations for operators (the BGP session states). */
  annotations: () => Readonly<Record<string, string>>;
  wall?: () => number;
  /** Each request is aborted after this long (default REQUEST_TIMEOUT_MS, as the L2 Lease writes). */
  requestTimeoutMs?: number;
  /** Called after each write attempt (tests, metrics). */
  onWrite?: (ok: boolean) => void;
}

export class StandbyLease {
  readonly #o: StandbyLeaseOptions;
  readonly #wall: () => number;
  readonly #acquiredMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #inflight: Promise<void> | null = null;
  #version: string | null = null;
  #written: string | null = null;
  #writtenAt = -Infinity;

  constructor(o: StandbyLeaseOptions) {
    this.#o = o;
    this.#wall = o.wall ?? Date.now;
    this.#acquiredMs = this.#wall();
  }

  start(): void {
    this.#check();
    this.#timer = setInterval(() => this.#check(), this.#o.checkMs);
  }

  /** Stops renewing; `remove`: delete the Lease too (a clean exit, not a hand-over to the L2 speaker). */
  async stop(opts: { remove: boolean }): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#inflight;
    if (!opts.remove) return;
    try {
      await this.#o.http.send({ method: 'DELETE', path: leasePath(this.#o.namespace, nodeLeaseName(this.#o.node)), signal: this.#signal() });
    } catch (err) {
      if (apiStatus(err) !== 404) this.#o.log.warn({ node: this.#o.node, err: errorMessage(err) }, 'could not delete the node Lease');
    }
  }

  /** An API server that takes the connection and never answers must not stop the renewals, nor hold up stop(). */
  #signal(): AbortSignal {
    return AbortSignal.timeout(this.#o.requestTimeoutMs ?? REQUEST_TIMEOUT_MS);
  }

  #check(): void {
    if (this.#inflight !== null) return;
    const annotations = this.#o.annotations();
    const text = JSON.stringify(annotations);
    const now = this.#wall();
    if (text === this.#written && now - this.#writtenAt < this.#o.renewMs) return;
    this.#inflight = this.#write(annotations, now).then(
      (ok) => {
        if (ok) {
          this.#written = text;
          this.#writtenAt = now;
        }
        this.#inflight = null;
        this.#o.onWrite?.(ok);
      },
      // #write catches every request error; this is a bug in it, said rather than swallowed.
      (err: unknown) => {
        this.#inflight = null;
        this.#o.log.error({ node: this.#o.node, err: errorMessage(err) }, 'standby node Lease write failed unexpectedly');
        this.#o.onWrite?.(false);
      },
    );
  }

  /** PUT with the version of our last write; create when there is none; a conflict or a missing version reads it first. */
  async #write(annotations: Readonly<Record<string, string>>, now: number): Promise<boolean> {
    const { http, node, namespace } = this.#o;
    const durationSeconds = Math.ceil((3 * this.#o.renewMs) / 1000);
    const body = standbyNodeLeaseBody(node, namespace, this.#acquiredMs, now, durationSeconds, annotations);
    const path = leasePath(namespace, nodeLeaseName(node));
    const put = async (version: string): Promise<string | null> => {
      const b = { ...body, metadata: { ...body.metadata, resourceVersion: version } };
      return asLease(await http.json({ method: 'PUT', path, body: JSON.stringify(b), signal: this.#signal() }))?.metadata?.resourceVersion ?? null;
    };
    try {
      if (this.#version === null) {
        try {
          this.#version = asLease(await http.json({ method: 'POST', path: leasePath(namespace), body: JSON.stringify(body), signal: this.#signal() }))?.metadata?.resourceVersion ?? null;
          return true;
        } catch (err) {
          // 409 AlreadyExists: an earlier incarnation's Lease, L2 or standby: take it over.
          if (apiStatus(err) !== 409) throw err;
        }
        const current = asLease(await http.json({ method: 'GET', path, signal: this.#signal() }));
        this.#version = await put(current?.metadata?.resourceVersion ?? '');
        return true;
      }
      try {
        this.#version = await put(this.#version);
      } catch (err) {
        const code = apiStatus(err);
        if (code !== 409 && code !== 404) throw err;
        // Someone else wrote it (or deleted it): start again from a create at the next check.
        this.#version = null;
        return false;
      }
      return true;
    } catch (err) {
      this.#version = null;
      this.#o.log.warn({ node, err: errorMessage(err), code: apiStatus(err) }, 'node Lease renewal failed');
      return false;
    }
  }
}
