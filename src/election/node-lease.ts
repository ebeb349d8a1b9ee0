// When a speaker writes its node Lease (docs/l2.md, "Probing"): every R normally; every h while
// probing or when a peer asked for evidence; never two writes at once. Virtual time.
import type { L2Timings } from './timings.ts';

export class NodeLeaseCadence {
  readonly #t: L2Timings;
  #sentAt: number | null = null;
  #inFlight = false;
  // Stryker disable next-line BooleanLiteral: read only once a write was started, which clears it
  #answerDue = false;
  #failing = false;

  constructor(timings: L2Timings) {
    this.#t = timings;
  }

  /** A peer's stamp says it is probing: renew soon, so it gets our stamp and heard list. */
  probeRequested(): void {
    this.#answerDue = true;
  }

  due(now: number, probing: boolean): boolean {
    if (this.#inFlight) return false;
    if (this.#sentAt === null) return true;
    const since = now - this.#sentAt;
    return since >= this.#t.nodeLeaseRenewMs || ((probing || this.#answerDue) && since >= this.#t.heartbeatIntervalMs);
  }

  started(now: number): void {
    this.#sentAt = now;
    this.#inFlight = true;
    this.#answerDue = false;
  }

  /** The write finished; true when it succeeded after failures (the API is back). */
  finished(ok: boolean): boolean {
    this.#inFlight = false;
    const recovered = ok && this.#failing;
    this.#failing = !ok;
    return recovered;
  }
}
