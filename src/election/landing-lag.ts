// How late other nodes' VIP Lease writes land here, through the API and its watch: evidence of a
// burst the API is still working through, for the takeover stagger (docs/l2.md, "Take"). Pure:
// the shell measures each lag (its wall clock against the writer's acquireTime) and passes it in
// with the time.

/** Lags counted for the stagger: the largest seen within this long (ms). */
export const LANDING_WINDOW_MS = 1_000;
/** A lag beyond this (ms, above the writer's usual) is a watch gap or a clock step, not a queue: not counted. */
export const LANDING_CAP_MS = 1_000;

/**
 * At a crash every survivor writes its takes at once, and the API answers that burst in no
 * particular order: with 10 speakers on 2 CPUs one node's takes were all answered within 116 ms
 * while another's waited 344 ms. The first node's round trip said 116 ms, so as second choice it
 * took after S + 116 ms, beside the first choice's take still queued: one take lost its race and
 * one hand-back followed J later, three writes for one VIP (bench/README.md, the election at
 * scale, Finding 3). What that node could see meanwhile was the burst itself: the other takes
 * kept landing in its watch 250–300 ms after their writers sent them. A write sent at the same
 * moment as the first choice's may take as long, so the stagger counts the largest such lag of
 * the last second, as writes-out.ts counts our own writes still out. Taking later is never less
 * safe; it lengthens only a takeover whose first choice did not write.
 *
 * Lags are measured on two clocks, the writer's and ours, so each writer's smallest lag stands
 * for its offset plus the usual path, and only the excess above it counts: a node whose clock is
 * off by seconds (no NTP) neither inflates the stagger nor hides a burst.
 */
export class LandingLag {
  /** Each writer's smallest lag seen (ms): its clock's offset from ours plus the quickest landing. */
  readonly #base = new Map<string, number>();
  /** Excess lags of the window, largest first; each later entry landed after the one before. */
  #recent: { at: number; lagMs: number }[] = [];

  /** A write by `writer`, a transition, reached this node `lagMs` after its writer sent it. */
  seen(writer: string, lagMs: number, now: number): void {
    if (!Number.isFinite(lagMs)) return;
    const base = this.#base.get(writer);
    if (base === undefined || lagMs < base) {
      this.#base.set(writer, lagMs);
      return;
    }
    const excess = lagMs - base;
    if (excess > LANDING_CAP_MS) return;
    // Entries no larger than this one and older can never be the window's largest again.
    const recent = this.#recent;
    while (recent.length > 0 && (recent[recent.length - 1]?.lagMs ?? Infinity) <= excess) recent.pop();
    recent.push({ at: now, lagMs: excess });
  }

  /** The largest excess lag that landed within the window before `now`; 0 when none. */
  lagMs(now: number): number {
    const recent = this.#recent;
    let drop = 0;
    while (drop < recent.length && (recent[drop]?.at ?? Infinity) < now - LANDING_WINDOW_MS) drop++;
    if (drop > 0) this.#recent = recent.slice(drop);
    return this.#recent[0]?.lagMs ?? 0;
  }
}
