// The VIP Lease writes one node has out, or answered but not yet seen back through its own watch,
// and what their ages say about the API's round trip for the takeover stagger (docs/l2.md,
// "Ownership"). Pure: the caller passes times.
import { compareVersions } from './vip-machine.ts';

/** An answered write whose echo never comes (a watch restarted past it) stops counting after this long (ms). */
export const ECHO_WAIT_MS = 2_000;

interface Out {
  sentAt: number;
  /** The resourceVersion the answer named; null while the write is out. */
  version: string | null;
}

/**
 * Our VIP Lease writes out now, or answered and not yet back through our watch, each with when it
 * was sent, oldest first: a Map keeps the order of insertion, and a VIP has one write at a time.
 */
export class WritesOut {
  readonly #out = new Map<string, Out>();

  /** A write for `ip` went out at `sentAt` (replacing any entry of that VIP). */
  sent(ip: string, sentAt: number): void {
    this.#out.delete(ip);
    this.#out.set(ip, { sentAt, version: null });
  }

  /**
   * The write for `ip` was answered: `version`, the resourceVersion it wrote, until the watch
   * shows it (`echoed`); null when there is nothing to wait for (it failed, or the watch showed
   * that version before the answer came).
   */
  answered(ip: string, version: string | null): void {
    const o = this.#out.get(ip);
    if (o === undefined) return;
    if (version === null) this.#out.delete(ip);
    else o.version = version;
  }

  /** The watch showed `ip` at `version` (null: at a version it did not say, e.g. a re-list): an answered write at or before it is back. */
  echoed(ip: string, version: string | null): void {
    const o = this.#out.get(ip);
    if (o === undefined || o.version === null) return;
    if (version === null || compareVersions(version, o.version) !== -1) this.#out.delete(ip);
  }

  /**
   * The API round trip the takeover stagger allows for: the recent one (`rttMs`, NodeContact),
   * or, while a write of ours has been out or unseen by our watch longer than that, its age
   * rounded up to a power of two (so that the orphans are stepped again a few times per slow
   * write, not at every tick).
   *
   * Out: until an answer came, a candidate behind the first one took as soon as S plus the round
   * trip sampled before had passed, beside the first one's take still on its way: at a crash
   * every survivor writes at once, and with 10 speakers sharing 2 CPUs with the API server one
   * crash of 90 VIPs cost up to 147 VIP Lease writes (bench/README.md, the election at scale,
   * Finding 3). Unseen: on kube-apiserver the watch fell behind the answers in the same burst; a
   * next choice whose takes had all been answered took 300 ms after the first choice's take had
   * been, still not in its watch (3 of 4 runs on 10 speakers: 91–93 writes for 90 VIPs). The
   * watch delivers in order, so once our own takes are back, so is every write before them.
   * Taking later is never less safe. `stillOut` says whether an unanswered entry's write is still
   * out: one whose VIP left the table before the answer is dropped, so a lost answer cannot hold
   * the stagger up for good; an answered entry counts for ECHO_WAIT_MS at most.
   */
  apiRtt(now: number, rttMs: number, stillOut: (ip: string, sentAt: number) => boolean): number {
    for (const [ip, o] of this.#out) {
      if (o.version === null ? !stillOut(ip, o.sentAt) : now - o.sentAt > ECHO_WAIT_MS) {
        // Stryker disable next-line CallExpression: dropping only bounds the map; the entry is skipped either way
        this.#out.delete(ip);
        continue;
      }
      return now - o.sentAt <= rttMs ? rttMs : 2 ** Math.ceil(Math.log2(now - o.sentAt));
    }
    return rttMs;
  }

  /** The VIP left the table: nothing of it is waited for. */
  forget(ip: string): void {
    this.#out.delete(ip);
  }
}
