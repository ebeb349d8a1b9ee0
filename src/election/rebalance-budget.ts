// How fast this node starts rebalancing handovers (issue #10). A node that becomes a candidate
// (a restart, the end of its damping) is the first choice for its share of every VIP at once, and
// each holder handed that share over in one pass: at 5,000 VIPs on three nodes some 1,700
// handovers, each a Lease write, three watch events and an announcement, in one burst that
// starved the speakers into fences for a minute or more (bench/README.md, "Thirteenth session").
// A token bucket spreads them: REBALANCE_BURST at once, then REBALANCE_PER_S a second. Only
// rebalancing waits: a holder that is leaving or may no longer hold the VIP hands over at once.
// Pure: the caller passes times.

export const REBALANCE_BURST = 100;
export const REBALANCE_PER_S = 500;

export class RebalanceBudget {
  #tokens = REBALANCE_BURST;
  #at: number | null = null;

  /** One handover may start now (a token is taken), or not yet. */
  take(now: number): boolean {
    if (this.#at !== null && now > this.#at) this.#tokens = Math.min(REBALANCE_BURST, this.#tokens + ((now - this.#at) * REBALANCE_PER_S) / 1000);
    this.#at = this.#at === null ? now : Math.max(this.#at, now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** When the next token is there (for a VIP that must wait). */
  nextAt(now: number): number {
    return now + Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / REBALANCE_PER_S));
  }
}
