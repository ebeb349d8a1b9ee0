// Applies the reconciler's writes: Service and IPPool status through their /status
// subresources, with the resourceVersion the decision was made on as a precondition. A 409 means the object
// moved under us; the key is re-queued and decided again on the newer object, never forced.
import { PatchStrategy } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClients } from '../kube/client.ts';
import { apiStatus, errorMessage } from '../kube/client.ts';
import { serviceStatusPath } from '../kube/http.ts';
import { HERALD_GROUP, HERALD_VERSION, IPPOOL_PLURAL } from '../api/names.ts';
import type { PoolWrite, ServiceWrite } from './reconciler.ts';

const MERGE_PATCH: string = PatchStrategy.MergePatch;

export interface StatusWriterOptions {
  clients: KubeClients;
  log: Logger;
  concurrency: number;
  /** Decide again after a conflict or failure: a Service key, or null for pool statuses (every pass recomputes them). */
  retry: (key: string | null) => void;
  onError?: (verb: 'patch' | 'update', resource: string) => void;
}

export class StatusWriter {
  readonly #o: StatusWriterOptions;
  #inflight: Promise<void> = Promise.resolve();

  constructor(o: StatusWriterOptions) {
    this.#o = o;
  }

  /** Writes everything, at most `concurrency` requests at a time; resolves when all are done. */
  write(services: readonly ServiceWrite[], pools: readonly PoolWrite[]): Promise<void> {
    const jobs: (() => Promise<void>)[] = [...services.map((w) => () => this.#service(w)), ...pools.map((w) => () => this.#pool(w))];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const job = jobs[next++];
        if (job !== undefined) await job();
      }
    };
    const run = Promise.all(Array.from({ length: Math.min(this.#o.concurrency, jobs.length) }, worker)).then(() => undefined);
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
    try {
      // The lean path (kube/http.ts): a cold start sends 10,000 of these, and client-node spent
      // ~0.5 ms of CPU on each and parsed every answer into a V1Service (issue #10,
      // bench/README.md IPAM Finding 5).
      await http.send({ method: 'PATCH', path: serviceStatusPath(namespace, name), body: JSON.stringify(body), contentType: MERGE_PATCH });
    } catch (err) {
      const code = apiStatus(err);
      if (code === 404) return; // deleted meanwhile: the watch brings the DELETE
      if (code !== 409) {
        this.#o.onError?.('patch', 'services/status');
        this.#o.log.warn({ service: w.key, code, err: errorMessage(err) }, 'service status write failed; will retry');
      }
      this.#o.retry(w.key);
    }
  }

  async #pool(w: PoolWrite): Promise<void> {
    const name = w.pool.metadata.name ?? '';
    try {
      await this.#o.clients.custom.replaceClusterCustomObjectStatus({
        group: HERALD_GROUP,
        version: HERALD_VERSION,
        plural: IPPOOL_PLURAL,
        name,
        body: { ...w.pool, status: w.status },
      });
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
