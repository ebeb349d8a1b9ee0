// Damping after a fence (issue #10, "Also"; docs/l2.md, "Damping"): the VIPs taken from a node
// that fenced recently rank it after every other candidate, so rebalancing does not hand them
// back to it, for a period that doubles with each fence that follows within the longest period.
// It stays their candidate: when nobody else can take one, it takes it, so damping never leaves
// a VIP dark; and VIPs that were not taken from it (a share it is due on joining) are not damped. Without it, a stall longer than D cost two Lease writes per VIP of the
// stalled node (the take, then the hand-back J after it returned), and on a loaded machine the
// hand-back's work could stall the next node (bench/README.md, "Election at scale").
// Pure: the caller passes the time.

export interface DampingTimings {
  /** How long a node that fenced once is ranked last. */
  baseMs: number;
  /** The longest period; also how long a node must go without fencing for the count to start over. */
  maxMs: number;
}

export const DEFAULT_DAMPING: Readonly<DampingTimings> = { baseMs: 30_000, maxMs: 600_000 };

interface Record {
  /** The last heartbeat said `fenced`. */
  fenced: boolean;
  /** Fence episodes counted towards the period, and when the last one began. */
  count: number;
  lastFenceAt: number;
  /** Ranked last until then. */
  until: number;
}

const NOBODY: ReadonlySet<string> = new Set();

export class FenceDamping {
  readonly #t: DampingTimings;
  readonly #nodes = new Map<string, Record>();
  #memo: { now: number; damped: ReadonlySet<string> } | null = null;

  constructor(timings: DampingTimings) {
    this.#t = timings;
  }

  /**
   * A heartbeat from `node` (ours too) said whether it is fenced: fenced, or not yet revalidated
   * after a fence. The period runs from its last `fenced` heartbeat, so a long fence is damped
   * from its end. Returns whether the node is damped now.
   */
  heard(node: string, fenced: boolean, now: number): boolean {
    let r = this.#nodes.get(node);
    if (!fenced && r === undefined) return false;
    if (r === undefined) this.#nodes.set(node, (r = { fenced: false, count: 0, lastFenceAt: -Infinity, until: -Infinity }));
    if (fenced) {
      if (!r.fenced) {
        // A new episode: it counts towards a longer period unless the node went a whole longest
        // period without one.
        r.count = now - r.lastFenceAt <= this.#t.maxMs ? r.count + 1 : 1;
        r.lastFenceAt = now;
      }
      r.until = Math.max(r.until, now + Math.min(this.#t.baseMs * 2 ** (r.count - 1), this.#t.maxMs));
      this.#memo = null;
    }
    r.fenced = fenced;
    return now < r.until;
  }

  /** The nodes ranked last at `now`. */
  dampedAt(now: number): ReadonlySet<string> {
    if (this.#memo?.now === now) return this.#memo.damped;
    let out: Set<string> | null = null;
    for (const [node, r] of this.#nodes) if (now < r.until) (out ??= new Set()).add(node);
    const damped = out ?? NOBODY;
    this.#memo = { now, damped };
    return damped;
  }

  /** When some node's damping ends after `now` (a rebalance may be due then); Infinity when none. */
  nextEndAt(now: number): number {
    let at = Infinity;
    for (const r of this.#nodes.values()) if (r.until > now && r.until < at) at = r.until;
    return at;
  }
}
