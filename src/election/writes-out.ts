// The VIP Lease writes one node has out, and what their ages say about the API's round trip
// for the takeover stagger (docs/l2.md, "Ownership"). Pure: the caller passes times.

/**
 * Our VIP Lease writes out now, each with when it was sent, oldest first: a Map keeps the order
 * of insertion, and a VIP has one write out at a time.
 */
export class WritesOut {
  readonly #out = new Map<string, number>();

  /** A write for `ip` went out at `sentAt` (replacing any entry of that VIP). */
  sent(ip: string, sentAt: number): void {
    this.#out.delete(ip);
    this.#out.set(ip, sentAt);
  }

  /** The write for `ip` was answered. */
  answered(ip: string): void {
    this.#out.delete(ip);
  }

  /**
   * The API round trip the takeover stagger allows for: the recent one (`rttMs`, NodeContact),
   * or, while a write of ours has been out longer than that, its age rounded up to a power of two
   * (so that the orphans are stepped again a few times per slow write, not at every tick). Its
   * answer, when it came, would raise the recent round trip at once; until then a candidate
   * behind the first one took as soon as S plus the round trip sampled before had passed, beside
   * the first one's take still on its way: at a crash every survivor writes at once, and with 10
   * speakers sharing 2 CPUs with the API server one crash of 90 VIPs cost up to 147 VIP Lease
   * writes (bench/README.md, the election at scale, Finding 3). Taking later is never less safe.
   * `stillOut` says whether an entry's write is still out: one whose VIP left the table before the
   * answer is dropped, so a lost answer cannot hold the stagger up for good.
   */
  apiRtt(now: number, rttMs: number, stillOut: (ip: string, sentAt: number) => boolean): number {
    for (const [ip, sentAt] of this.#out) {
      if (!stillOut(ip, sentAt)) {
        // Stryker disable next-line CallExpression: dropping only bounds the map; the entry is skipped either way
        this.#out.delete(ip);
        continue;
      }
      return now - sentAt <= rttMs ? rttMs : 2 ** Math.ceil(Math.log2(now - sentAt));
    }
    return rttMs;
  }
}
