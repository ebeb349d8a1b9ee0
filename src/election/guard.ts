// The node-level safety rules of docs/l2.md, "Fencing, isolation and the API server being
// down": self-fencing, revalidation after a fence, and yielding when isolated. Virtual time.
import type { PeerTable } from './peers.ts';
import type { L2Timings } from './timings.ts';

export class NodeGuard {
  readonly #t: L2Timings;
  readonly #peers: PeerTable;
  readonly #startedAt: number;
  #apiOkAt: number | null = null;
  /** Send time of the request the API refused (401), while no later one succeeded. */
  #refusedAt: number | null = null;
  /** A refusal ended the last fence: only a re-list revalidates, peers cannot vouch (see refused). */
  #relistOnly = false;
  /** Start of the current fence, and whether the Lease view must be confirmed before answering. */
  #fencedSince: number | null = null;
  #lastConnectedAtFence: number | null = null;
  // Stryker disable next-line ArrayDeclaration: read only by #vouched, after a fence has set it
  #knownAtFence: string[] = [];
  #unfencedAt: number | null = null;
  #revalidate = false;
  #snapshotAt = Number.NaN;
  #peersAtConnect = 0;

  constructor(timings: L2Timings, peers: PeerTable, startedAt: number) {
    this.#t = timings;
    this.#peers = peers;
    this.#startedAt = startedAt;
  }

  /** A stamped write (node Lease or VIP Lease) sent at `startedAt` succeeded. */
  apiOk(startedAt: number): void {
    if (this.#apiOkAt === null || startedAt > this.#apiOkAt) this.#apiOkAt = startedAt;
    if (this.#refusedAt !== null && startedAt > this.#refusedAt) this.#refusedAt = null;
  }

  /**
   * The API refused a request sent at `startedAt` (401 Unauthorized): this node's credentials are
   * not valid in the cluster any more — its ServiceAccount is gone (etcd lost everything and was
   * restored from manifests; Herald was uninstalled) or its token was revoked. The Leases it
   * holds belong to a store it can no longer see, while a speaker with valid credentials may
   * take the same VIPs in the new one at epoch 0, which no epoch of ours can order against: a
   * split brain seen in the e2e lab (issue #8, the etcd wipe). So it fences at once, peers or
   * not, and says so in its heartbeats; it answers again only after a request succeeds and the
   * Leases are re-listed. A request sent before our last success does not count.
   */
  refused(startedAt: number): void {
    if (this.#apiOkAt !== null && startedAt <= this.#apiOkAt) return;
    if (this.#refusedAt === null || startedAt > this.#refusedAt) this.#refusedAt = startedAt;
    // Peers vouch that *they* wrote nothing while we were out of touch; a replaced store was
    // written by others (or by nobody), so after a refusal only a re-list revalidates.
    this.#relistOnly = true;
  }

  get refusedAt(): number | null {
    return this.#refusedAt;
  }

  get apiOkAt(): number | null {
    return this.#apiOkAt;
  }

  /** The last moment this node knew it was connected: peer contact or API success. */
  lastConnected(): number {
    return Math.max(this.#startedAt, this.#peers.contactAt ?? -Infinity, this.#apiOkAt ?? -Infinity);
  }

  /**
   * Fenced: peers exist that could take our VIPs (known within E before we lost touch), and for
   * F we have had neither peer contact nor API success. Pure in `now`: the responder calls this
   * at reply time, so a late timer or a stalled process never answers from stale state.
   */
  fencedAt(now: number): boolean {
    return this.#refusedAt !== null || (now - this.lastConnected() > this.#t.fenceAfterMs && this.hasPeers());
  }

  /**
   * Were there peers that could take our VIPs (heard, witnessed or proven alive within E) when
   * we last knew we were connected? The set is taken at that moment and kept while we are cut
   * off: a peer that appears later (a restart next to a lone node) does not fence us before it
   * acknowledges us, and a peer we lose sight of stays counted. The same answer decides probing,
   * so a node stops probing only when it also cannot fence.
   */
  hasPeers(): boolean {
    const last = this.lastConnected();
    if (last !== this.#snapshotAt) {
      this.#snapshotAt = last;
      this.#peersAtConnect = this.#peers.knownPeers(last).length;
    }
    return this.#peersAtConnect > 0;
  }

  /** When the fence would start if nothing is heard (for the shell's timer). */
  fenceDeadline(): number {
    return this.lastConnected() + this.#t.fenceAfterMs + 1;
  }

  /**
   * Advances the episode state. Call before applying any new event, so a fence that happened
   * while the process was stalled is seen before fresh contact hides it.
   */
  update(now: number): void {
    const fenced = this.fencedAt(now);
    if (fenced && this.#fencedSince === null) {
      // Stryker disable next-line ArithmeticOperator: only whether #fencedSince is null is ever read
      this.#fencedSince = this.#refusedAt ?? this.lastConnected() + this.#t.fenceAfterMs;
      this.#lastConnectedAtFence = this.lastConnected();
      this.#knownAtFence = this.#peers.knownPeers(this.lastConnected());
      this.#unfencedAt = null;
      this.#revalidate = true;
    } else if (!fenced && this.#fencedSince !== null) {
      this.#fencedSince = null;
      this.#unfencedAt = now;
    }
  }

  /** The shell re-listed the VIP Leases, starting at `startedAt`. */
  synced(startedAt: number): void {
    if (this.#revalidate && this.#unfencedAt !== null && startedAt >= this.#unfencedAt) {
      this.#revalidate = false;
      this.#relistOnly = false;
    }
  }

  /**
   * Revalidation through peers, for when the API is down: every peer we knew, heard since the
   * fence ended, had its last API success (any successful write) at least one heartbeat before
   * we lost touch. What they wrote before that reached us by the watch or by heartbeat notes;
   * after it they wrote nothing, so our Lease view is current.
   */
  #vouched(): boolean {
    if (this.#unfencedAt === null || this.#lastConnectedAtFence === null) return false;
    const lostAt = this.#lastConnectedAtFence;
    const known = this.#knownAtFence;
    const heard = new Map(this.#peers.heardSince(this.#unfencedAt).map((h) => [h.node, h]));
    return known.every((node) => {
      const h = heard.get(node);
      if (h === undefined) return false;
      const theirs = h.apiAgeMs === null ? -Infinity : h.heardAt - h.apiAgeMs;
      return theirs + this.#t.heartbeatIntervalMs <= lostAt;
    });
  }

  /** May this node answer at all now (per VIP, the Lease must also name it)? */
  mayAnswer(now: number): boolean {
    if (this.fencedAt(now)) return false;
    if (this.#revalidate && !this.#relistOnly && this.#vouched()) this.#revalidate = false;
    return !this.#revalidate;
  }

  get revalidating(): boolean {
    return this.#revalidate;
  }

  /**
   * Isolated (we hear no peer, though peers we knew are alive by their node Leases) while one of
   * them reports that it hears others: the fault is on our side. We take nothing, since the
   * holders we cannot hear may be fine, and we hand our VIPs over. Hearing no peer already
   * means D of silence, so there is no further wait. In a two-node cluster the other side
   * hears nobody either, so neither yields.
   */
  yielding(now: number): boolean {
    return this.#peers.reachable(now) === 0 && this.hasPeers() && this.#peers.meshWorksElsewhere(now);
  }
}
