// Applies the reconciler's writes: Service and IPPool status through their /status
// subresources, with the resourceVersion the decision was made on as a precondition. A 409 means the object
// moved under us; the key is re-queued and decided again on the newer object, never forced.
import { PatchStrategy } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeLink } from '../kube/client.ts';
import { apiStatus, errorMessage } from '../kube/client.ts';
import { serviceStatusPath } from '../kube/http.ts';
import { HERALD_GROUP, HERALD_VERSION, IPPOOL_PLURAL } from '../api/names.ts';
import type { OwnWrites } from './own-writes.ts';
import type { PoolWrite, ServiceWrite } from './reconciler.ts';

const MERGE_PATCH: string = PatchStrategy.MergePatch;

export interface StatusWriterOptions {
  clients: KubeLink;
  log: Logger;
  concurrency: number;
  /** Decide again after a conflict or failure: a Service key, or null for pool statuses (every pass recomputes them). */
  retry: (key: string | null) => void;
  onError?: (verb: 'patch' | 'update', resource: string) => void;
  /** Told of every Service status write, so the watch's echo of it is known (own-writes.ts; issue #10). */
  own?: OwnWrites;
  /** A watch update that came while a write was in flight was not its echo: decide the Service again. */
  decideAgain?: (key: string) => void;
}

export class StatusWriter {
  readonly #o: StatusWriterOptions;
  #inflight: Promise<void> = Promise.resolve();

  constructor(o: StatusWriterOptions) {
    this.#o = o;
  }

  /**
   * Writes everything, Services first, at most `concurrency` requests at a time; resolves when all
   * are done. Takes the arrays and empties them as it goes, so that a write is let go once sent: a
   * cold start's 10,000 desired statuses were all held until the last was written (issue #10).
   */
  write(services: ServiceWrite[], pools: PoolWrite[]): Promise<void> {
    const total = services.length + pools.length;
    services.reverse();
    pools.reverse();
    const worker = async (): Promise<void> => {
      for (;;) {
        const w = services.pop();
        if (w !== undefined) {
          await this.#service(w);
          continue;
        }
        const p = pools.pop();
        if (p === undefined) return;
        await this.#pool(p);
      }
    };
    const run = Promise.all(Array.from({ length: Math.min(this.#o.concurrency, total) }, worker)).then(() => undefined);
    this.#inflight = run;
    return run;
  }

  drain(): Promise<void> {
    return this.#inflight;
  }

  async #service(w: ServiceWrite): Promise<void> {
    const { http } = this.#o.clients;
    const name = w.service.metadata?.name ?? '';
    const namespace = w.service.metadata?.namespace ?? '';
    // A merge patch carrying only the status and the resourceVersion the decision was made on:
    // the server still refuses it with 409 if the object moved (the precondition), and neither
    // side serialises the whole Service. `ingress: null` deletes the list when clearing it.
    const body = { metadata: { resourceVersion: w.service.metadata?.resourceVersion }, status: { ...w.status, loadBalancer: { ingress: w.status.loadBalancer?.ingress ?? null } } };
    const { own, decideAgain } = this.#o;
    own?.begin(w.key);
    let version: string | undefined;
    try {
      // The lean path (kube/http.ts): a cold start sends 10,000 of these, and client-node spent
      // ~0.5 ms of CPU on each and parsed every answer into a V1Service (issue #10,
      // bench/README.md IPAM Finding 5). Of the answer only the new resourceVersion is read.
      version = await http.sendForVersion({ method: 'PATCH', path: serviceStatusPath(namespace, name), body: JSON.stringify(body), contentType: MERGE_PATCH });
    } catch (err) {
      if (own?.end(w.key, undefined) === true) decideAgain?.(w.key);
      const code = apiStatus(err);
      if (code === 404) return; // deleted meanwhile: the watch brings the DELETE
      if (code !== 409) {
        this.#o.onError?.('patch', 'services/status');
        this.#o.log.warn({ service: w.key, code, err: errorMessage(err) }, 'service status write failed; will retry');
      }
      this.#o.retry(w.key);
      return;
    }
    if (own?.end(w.key, version) === true) decideAgain?.(w.key);
  }

  async #pool(w: PoolWrite): Promise<void> {
    const name = w.pool.metadata.name ?? '';
    try {
      await this.#o.clients.http.send({ method: 'PUT', path: `/apis/${HERALD_GROUP}/${HERALD_VERSION}/${IPPOOL_PLURAL}/${encodeURIComponent(name)}/status`, body: JSON.stringify({ ...w.pool, status: w.status }) });
    } catch (err) {
      const code = apiStatus(err);
      if (code === 404) return;
      if (code !== 409) {
        this.#o.onError?.('update', 'ippools/status');
        this.#o.log.warn({ pool: name, code, err: errorMessage(err) }, 'pool status write failed; will retry');
      }
      this.#o.retry(null);
    }
  }
}
