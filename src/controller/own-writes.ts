// Which Service watch events are only our own status writes coming back (issue #10). Each
// status write brings one watch event; deciding each again was a second reconcile pass over
// every Service after a cold start (0.4 s of CPU and ~30 MB of peak RSS for 10,000 Services,
// bench/README.md "Controller cold start, fifteenth session") that could decide nothing new.
//
// Why skipping one is exact: a status write is a merge patch with the resourceVersion the
// decision was made on as its precondition (status-writer.ts). When it succeeds, the object at
// the version it produced is the decided object with the decided status; a pass over it decides
// the same again. Any other change to the Service is another version, and is decided. So an event
// is skipped only when its resourceVersion is the one our write's answer named. The answer and the
// event come on different connections, in either order: an event that comes while the write is in
// flight is held until the answer says whose it was.
//
// Pure: no I/O, no clock.

/** What one Service's watch update needs: `decide` it, or nothing (`echo`: our own write). */
export type EventVerdict = 'decide' | 'echo';

export class OwnWrites {
  /** Writes in flight: the resourceVersion of the first update seen meanwhile, if any. */
  readonly #inFlight = new Map<string, string | null>();
  /** Writes done whose event has not come yet: the version each produced. */
  readonly #awaited = new Map<string, string>();

  /** A status write for `key` is being sent. */
  begin(key: string): void {
    this.#inFlight.set(key, null);
    this.#awaited.delete(key);
  }

  /**
   * The write ended: `version` is the resourceVersion its answer named, or undefined when it failed
   * or the answer named none. True when an update that came meanwhile was not this write (decide
   * the Service again).
   */
  end(key: string, version: string | undefined): boolean {
    const seen = this.#inFlight.get(key);
    this.#inFlight.delete(key);
    if (seen !== null && seen !== undefined) return seen !== version;
    if (version !== undefined) this.#awaited.set(key, version);
    return false;
  }

  /** A watch update of `key` at `version`. */
  update(key: string, version: string | undefined): EventVerdict {
    const seen = this.#inFlight.get(key);
    if (seen === null && version !== undefined) {
      // The write's answer has not come: hold this event until it says whose it is.
      this.#inFlight.set(key, version);
      return 'echo';
    }
    if (seen !== undefined) return 'decide';
    const awaited = this.#awaited.get(key);
    this.#awaited.delete(key);
    return awaited !== undefined && awaited === version ? 'echo' : 'decide';
  }

  /** The Service is gone (or its write's outcome no longer matters). */
  forget(key: string): void {
    this.#inFlight.delete(key);
    this.#awaited.delete(key);
  }

  /** Entries held (tests, and a bound check: every entry is removed by its answer or event). */
  get size(): number {
    return this.#inFlight.size + this.#awaited.size;
  }
}
