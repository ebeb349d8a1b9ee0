// At most `limit` requests in flight; the rest wait their turn, first come first served. Issue #10:
// a speaker taking 1,000 VIPs at once sent 1,000 Lease writes at once, and the pool (undici's
// then, node:http's Agent now: neither limits connections) opened a connection for each: the heap snapshot of a speaker at steady state
// held 1,021 sockets, their parsers and buffers (about half its 270 MB peak RSS), and the API
// server got 1,000 requests in one instant. client-go spends 5 queries/s by default.
export class Gate {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = Math.max(1, Math.floor(limit));
  }

  /** Runs `fn` once a place is free; the place is given back when its promise settles. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running++;
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      // The place passes straight to the next waiter, so #running never dips and rises again.
      if (next !== undefined) next();
      else this.#running--;
    }
  }

  /** Requests waiting for a place (for tests and metrics). */
  get waiting(): number {
    return this.#waiting.length;
  }
}
