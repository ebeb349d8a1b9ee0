// Replay protection for heartbeats (issue #14): a signature proves who sent a heartbeat, not when.
// A host that captured node-b's signed heartbeats could send them again after node-b died and keep
// its VIPs dark. So a heartbeat counts only when it is newer than the last one counted from its
// node: a greater incarnation (a restart), or the same incarnation and a greater seq (RFC 1982
// serial arithmetic: seq is a u32 that wraps). An older or repeated one is `Stale` — a replay, or a
// datagram reordered on the way, whose news the newer one already brought. Pure, no clock.
//
// The node Lease (written through the API, which no forger on the segment can do) arbitrates
// between lives: an incarnation older than the one it names is refused, and a smaller one is
// believed once it names it (a node whose clock went back between two starts).

/** a is after b in u32 serial-number arithmetic (RFC 1982 §3.2). */
export function seqAfter(a: number, b: number): boolean {
  const d = (a - b) >>> 0;
  return d !== 0 && d < 0x80000000;
}

interface Last {
  incarnation: number;
  seq: number;
}

export class ReplayGuard {
  readonly #last = new Map<string, Last>();
  /** The incarnation each node's own Lease names now. */
  readonly #leased = new Map<string, number>();

  /** The node's Lease stamp changed (null: the Lease is gone). */
  onStamp(node: string, incarnation: number | null): void {
    if (incarnation === null) this.#leased.delete(node);
    else this.#leased.set(node, incarnation);
  }

  /**
   * `fresh`: newer than the last one counted from `node`, and now counted. `duplicate`: that same
   * heartbeat again (a dual-stack peer gets each one on both families; harmless, not an error).
   * `stale`: older — a replay, or reordered.
   */
  judge(node: string, incarnation: number, seq: number): 'fresh' | 'duplicate' | 'stale' {
    if (this.isLast(node, incarnation, seq)) return 'duplicate';
    return this.admit(node, incarnation, seq) ? 'fresh' : 'stale';
  }

  /** Whether this is the last heartbeat counted from `node` (read only). */
  isLast(node: string, incarnation: number, seq: number): boolean {
    const last = this.#last.get(node);
    return last !== undefined && last.incarnation === incarnation && last.seq === seq;
  }

  /** Counts the heartbeat if it is newer than the last one counted from `node`. */
  admit(node: string, incarnation: number, seq: number): boolean {
    const last = this.#last.get(node);
    const leased = this.#leased.get(node);
    // A life older than the one the node's own Lease names is over: only a replay can speak for it.
    if (leased !== undefined && incarnation < leased) return false;
    const fresh =
      last === undefined ||
      incarnation > last.incarnation ||
      (incarnation === last.incarnation && seqAfter(seq, last.seq)) ||
      (incarnation < last.incarnation && leased === incarnation);
    if (fresh) this.#last.set(node, { incarnation, seq });
    return fresh;
  }

  /** Forgets a node (it left the cluster). */
  forget(node: string): void {
    this.#last.delete(node);
    this.#leased.delete(node);
  }
}
