// What one speaker knows about its peers (docs/l2.md, "Liveness"): direct heartbeats, reports
// of witnesses, and evidence of life from node Lease stamps. Plain state in virtual time: the
// caller passes `now` (ms, monotonic) to every method and nothing here reads a clock.
import type { Heartbeat, HeardEntry } from './heartbeat.ts';
import type { L2Timings } from './timings.ts';
import { stallAfterMs } from './timings.ts';

export type PeerState = 'alive' | 'unreachable' | 'pending' | 'dead';

/** The stamp a speaker writes into its node Lease on every renewal. */
export interface NodeStamp {
  incarnation: number;
  seq: number;
  /**
   * Peers the writer heard within 2h, with the last round heard from each: a witness through the
   * API for nodes that cannot hear them (annotation `herald.dev/heard`).
   */
  heard: readonly StampedPeer[];
  /** The writer lost a peer and asks everyone to renew now, so it gets evidence before D. */
  probing: boolean;
}

export interface StampedPeer {
  node: string;
  incarnation: number;
  seq: number;
}

interface PeerRecord {
  /** Last direct heartbeat: local arrival time, and what it said. */
  heardAt: number | null;
  incarnation: number | null;
  seq: number;
  fenced: boolean;
  /** Arrival of the first heartbeat of the current unbroken run that said `fenced`. */
  fencedSince: number | null;
  leaving: boolean;
  warming: boolean;
  apiAgeMs: number | null;
  policies: ReadonlySet<string>;
  /** `policies` sorted and joined ('' for none): which candidacy it is, in the pass inputs. */
  policyKey: string;
  /** `policyKey` as a number, the same for the same key in this table (0 for ''). */
  policyId: number;
  /** Newest time anybody (we or a witness) heard it; start of the current unbroken alive period. */
  lastAliveAt: number | null;
  aliveSince: number | null;
  /** Node Lease: the last stamp seen (the first is only a baseline) and when it proved life. */
  stamp: NodeStamp | null;
  evidenceAt: number | null;
  /** When this node first appeared to us (heartbeat, witness report, node Lease or Lease holder). */
  knownAt: number;
}

/** A peer's state as two bits of its pass-input code. */
const STATE_CODE = { alive: 0, unreachable: 1, pending: 2, dead: 3 } as const;

/** How many own send times are remembered, to turn acknowledged seqs back into times. */
const SENT_LOG = 256;

export class PeerTable {
  readonly me: string;
  readonly incarnation: number;
  readonly #t: L2Timings;
  readonly #peers = new Map<string, PeerRecord>();
  readonly #sent = new Map<number, number>();
  /** Policy keys seen, numbered from 1 ('' is 0): ids never change, so pass inputs compare. */
  readonly #policyIds = new Map<string, number>([['', 0]]);
  #listeningSince: number;
  #lastTick: number;
  #contactAt: number | null = null;

  constructor(me: string, incarnation: number, timings: L2Timings, now: number) {
    this.me = me;
    this.incarnation = incarnation;
    this.#t = timings;
    this.#listeningSince = now;
    this.#lastTick = now;
  }

  #record(node: string, now: number): PeerRecord {
    let r = this.#peers.get(node);
    if (r === undefined) {
      // Stryker disable next-line BooleanLiteral,StringLiteral: never read before heard() sets them (fenced(), candidate() and candidateAny() want a direct heartbeat; fencedSince, null until then, decides the rest)
      r = { heardAt: null, incarnation: null, seq: 0, fenced: false, fencedSince: null, leaving: false, warming: false, apiAgeMs: null, policies: new Set(), policyKey: '', policyId: 0, lastAliveAt: null, aliveSince: null, stamp: null, evidenceAt: null, knownAt: now };
      this.#peers.set(node, r);
    }
    return r;
  }

  #policyId(key: string): number {
    let id = this.#policyIds.get(key);
    if (id === undefined) this.#policyIds.set(key, (id = this.#policyIds.size));
    return id;
  }

  #sawAlive(r: PeerRecord, at: number): void {
    if (r.lastAliveAt === null || at - r.lastAliveAt > this.#t.peerDeadAfterMs) r.aliveSince = at;
    if (r.lastAliveAt === null || at > r.lastAliveAt) r.lastAliveAt = at;
  }

  /** Makes a node known (from a node Lease or as a Lease holder) without evidence of life. */
  know(node: string, now: number): void {
    if (node !== this.me && node !== '') this.#record(node, now);
  }

  /** Called on every tick: a gap longer than 2h means we stalled, so we listen afresh for D. */
  tick(now: number): void {
    if (now - this.#lastTick > stallAfterMs(this.#t)) this.#listeningSince = now;
    this.#lastTick = Math.max(this.#lastTick, now);
  }

  /** Records that heartbeat `seq` left at `now` (for acknowledgements). */
  sent(seq: number, now: number): void {
    this.#sent.set(seq, now);
    if (this.#sent.size > SENT_LOG) {
      const oldest = this.#sent.keys().next();
      if (oldest.done !== true) this.#sent.delete(oldest.value);
    }
  }

  /** A heartbeat arrived directly from its sender. */
  heard(m: Heartbeat, now: number): void {
    if (m.node === this.me) return;
    const r = this.#record(m.node, now);
    const restarted = r.incarnation !== m.incarnation;
    if (restarted) r.aliveSince = now; // a restarted process starts a new stable period
    this.#sawAlive(r, now);
    r.heardAt = now;
    r.incarnation = m.incarnation;
    r.seq = m.seq;
    if (!m.fenced) r.fencedSince = null;
    else if (!r.fenced || r.fencedSince === null || restarted) r.fencedSince = now;
    r.fenced = m.fenced;
    r.leaving = m.leaving;
    r.warming = m.warming;
    r.apiAgeMs = m.apiAgeMs;
    // The key is read per peer on every event (PassInputs): made here, once per heartbeat, not
    // there, once per peer per event (issue #10: the simulator's Finding 5).
    r.policies = new Set(m.policies);
    r.policyKey = [...r.policies].sort().join(',');
    r.policyId = this.#policyId(r.policyKey);
    for (const h of m.heard) {
      if (h.node === this.me) {
        // An acknowledgement: the sender heard our heartbeat h.seq, which left at a time we know.
        const at = h.incarnation === this.incarnation ? this.#sent.get(h.seq) : undefined;
        if (at !== undefined && (this.#contactAt === null || at > this.#contactAt)) this.#contactAt = at;
      } else {
        // A witness report: only direct hearings are reported, so no chain keeps a dead node alive.
        this.#sawAlive(this.#record(h.node, now), now - h.ageMs);
      }
    }
  }

  /** The last node Lease stamp seen of `node` (null: none, or it is gone). */
  lastStamp(node: string): NodeStamp | null {
    return this.#peers.get(node)?.stamp ?? null;
  }

  /** A node Lease stamp was observed (null: the Lease is gone). Returns whether it proved life. */
  stamped(node: string, stamp: NodeStamp | null, now: number): boolean {
    if (node === this.me) return false;
    const r = this.#record(node, now);
    if (stamp === null) {
      r.stamp = null;
      r.evidenceAt = null;
      return false;
    }
    const prior = r.stamp;
    r.stamp = stamp;
    if (prior === null || (prior.incarnation === stamp.incarnation && prior.seq === stamp.seq)) return false;
    // What the writer heard proves life of those nodes by the same rule (a witness through the API).
    for (const h of stamp.heard) this.proveLife(h.node, h.incarnation, h.seq, now);
    return this.proveLife(node, stamp.incarnation, stamp.seq, now);
  }

  /**
   * A write by `node`, seen as it happened (not in a start-up list), stamped with its heartbeat
   * round. It proves life after we last heard the node if it comes from a new process or is at
   * least 2 rounds beyond its last heartbeat we received (one round could have been sent just
   * before a crash). No clocks are compared.
   */
  proveLife(node: string, incarnation: number, seq: number, now: number): boolean {
    if (node === this.me || node === '') return false;
    const r = this.#record(node, now);
    const proves = r.incarnation === null || incarnation !== r.incarnation || seq >= r.seq + 2;
    if (proves) r.evidenceAt = now;
    return proves;
  }

  /**
   * Is a peer we heard silent for more than P, not yet dead, and without evidence since? Then
   * we ask everyone (through our node Lease) to renew now, so evidence arrives before D.
   */
  awaitingEvidence(now: number): boolean {
    return this.awaited(now).length > 0;
  }

  /** The peers `awaitingEvidence` is about: heard, silent for more than P, not dead, no evidence since. */
  awaited(now: number): string[] {
    const out: string[] = [];
    for (const [node, r] of this.#peers) {
      if (r.heardAt === null || now - r.heardAt <= this.#t.probeAfterMs) continue;
      if (r.evidenceAt !== null && r.evidenceAt >= r.heardAt) continue;
      if (this.state(node, now) !== 'dead') out.push(node);
    }
    return out;
  }

  state(node: string, now: number): PeerState {
    return node === this.me ? 'alive' : this.#stateOf(this.#peers.get(node), now);
  }

  #stateOf(r: PeerRecord | undefined, now: number): PeerState {
    const D = this.#t.peerDeadAfterMs;
    if (r?.lastAliveAt != null && now - r.lastAliveAt <= D) return 'alive';
    // Evidence proves life after the last heartbeat we heard; a heartbeat heard since supersedes it.
    if (r?.evidenceAt != null && (r.heardAt === null || r.evidenceAt > r.heardAt) && now - r.evidenceAt <= this.#t.evidenceTtlMs) return 'unreachable';
    const since = Math.max(this.#listeningSince, r?.knownAt ?? now);
    return now - since <= D ? 'pending' : 'dead';
  }

  /** The time by which `node` is dead unless heard again (for deadlines); null if no such time. */
  deadAt(node: string): number | null {
    const r = this.#peers.get(node);
    if (r === undefined) return null;
    // Read per peer whenever the election plans its wake-up: plain maxima, no array per call.
    const D = this.#t.peerDeadAfterMs;
    let at = Math.max(this.#listeningSince, r.knownAt, r.lastAliveAt ?? -Infinity) + D;
    if (r.evidenceAt !== null && (r.heardAt === null || r.evidenceAt > r.heardAt)) at = Math.max(at, r.evidenceAt + this.#t.evidenceTtlMs);
    return at + 1;
  }

  /** Direct heartbeat within D and what it said: a candidate must be reachable. */
  #direct(r: PeerRecord | undefined, now: number): r is PeerRecord & { heardAt: number } {
    return r !== undefined && r.heardAt !== null && now - r.heardAt <= this.#t.peerDeadAfterMs;
  }

  /** Heard directly within 2h: there right now (a handover target). */
  fresh(node: string, now: number): boolean {
    return this.#freshOf(this.#peers.get(node), now);
  }

  #freshOf(r: PeerRecord | undefined, now: number): boolean {
    const at = r?.heardAt;
    return at != null && now - at <= 2 * this.#t.heartbeatIntervalMs;
  }

  /**
   * Its VIPs may be taken now although it is heard: it said `fenced` in a heartbeat heard within
   * D, and has said so for D − F without a break (bench/l2 Finding 6). A holder that wakes from a
   * stall longer than F − h is fenced only until its next heartbeat is acknowledged (about one
   * round), so taking at its first `fenced` heartbeat moved all its VIPs away and, J later, back:
   * two writes and two Events per VIP for every stall on a loaded machine. D − F after the first
   * `fenced` heartbeat the node has been out of touch for at least D, as long as a crashed
   * holder's peers wait. Taking later is never less safe: the node does not answer while fenced.
   */
  fenced(node: string, now: number): boolean {
    return this.#fencedOf(this.#peers.get(node), now);
  }

  #fencedOf(r: PeerRecord | undefined, now: number): boolean {
    if (!this.#direct(r, now) || !r.fenced || r.fencedSince === null) return false;
    return now - r.fencedSince >= this.#t.peerDeadAfterMs - this.#t.fenceAfterMs;
  }

  /** When `fenced(node)` turns true if nothing else is heard (for the election's wake-ups); null = not pending. */
  fencedTakeableAt(node: string): number | null {
    const r = this.#peers.get(node);
    if (r === undefined || !r.fenced || r.fencedSince === null) return null;
    return r.fencedSince + this.#t.peerDeadAfterMs - this.#t.fenceAfterMs;
  }

  /**
   * May this peer be given a VIP of one of `policies`? Heard directly, alive without a break for
   * J, neither fenced, leaving nor warming up (it says it can take now), serving one of the
   * policies, and able to write: its last API
   * success is not older than ours by more than api-stale-after. The comparison is relative,
   * so during an outage of the whole API nobody is staler than anyone, and rankings still agree.
   */
  candidate(node: string, policies: readonly string[], now: number, ourApiOkAt: number | null): boolean {
    const r = this.#peers.get(node);
    return this.#eligible(r, now, ourApiOkAt) && policies.some((p) => r.policies.has(p));
  }

  /** `candidate` but for the policies: heard, stable, not fenced, leaving or warming, API fresh. */
  #eligible(r: PeerRecord | undefined, now: number, ourApiOkAt: number | null): r is PeerRecord & { heardAt: number } {
    if (!this.#direct(r, now) || r.fenced || r.leaving || r.warming || r.aliveSince === null) return false;
    if (now - r.aliveSince < this.#t.stableAfterMs) return false;
    if (r.apiAgeMs === null) return false;
    return ourApiOkAt === null || r.heardAt - r.apiAgeMs >= ourApiOkAt - this.#t.apiStaleAfterMs;
  }

  /** A candidate for some policy, and which ('' for none): a change here may change rankings. */
  candidateAny(node: string, now: number, ourApiOkAt: number | null): string {
    const r = this.#peers.get(node);
    return this.#eligible(r, now, ourApiOkAt) ? r.policyKey : '';
  }

  /**
   * What a pass reads of each peer at `now`, one number per peer in the table's order (peers
   * are never forgotten, so a position names a peer): its state, fenced, fresh, damped, and its
   * candidacy (`candidateAny`, as a number: 0 for none). Read on every event (PassInputs), so
   * one lookup per peer instead of one per question, and numbers instead of strings (issue #10).
   */
  inputCodes(now: number, ourApiOkAt: number | null, damped: ReadonlySet<string>, out: number[]): void {
    for (const [node, r] of this.#peers) {
      // Bits, not arithmetic: only whether two codes are equal is ever read.
      const candidacy = this.#eligible(r, now, ourApiOkAt) ? r.policyId : 0;
      out.push(STATE_CODE[this.#stateOf(r, now)] | ((this.#fencedOf(r, now) ? 1 : 0) << 2) | ((this.#freshOf(r, now) ? 1 : 0) << 3) | ((damped.has(node) ? 1 : 0) << 4) | (candidacy << 5));
    }
  }

  /** When `node` becomes a candidate by stability alone; null if not waiting for that. */
  stableAt(node: string): number | null {
    const r = this.#peers.get(node);
    return r?.aliveSince == null ? null : r.aliveSince + this.#t.stableAfterMs;
  }

  /** Last heard directly (for the failover metric). */
  heardAt(node: string): number | null {
    return this.#peers.get(node)?.heardAt ?? null;
  }

  /** Send time of our newest acknowledged heartbeat. */
  get contactAt(): number | null {
    return this.#contactAt;
  }

  /** The peers we hear directly now, for our own heartbeat (acknowledgements and witness). */
  heardList(now: number): HeardEntry[] {
    const out: HeardEntry[] = [];
    for (const [node, r] of this.#peers) {
      if (this.#direct(r, now) && r.incarnation !== null) out.push({ node, incarnation: r.incarnation, seq: r.seq, ageMs: now - r.heardAt });
    }
    return out;
  }

  /** Peers that could take a VIP from us: heard, witnessed or stamped within E before `asOf`. */
  knownPeers(asOf: number): string[] {
    const E = this.#t.evidenceTtlMs;
    const out: string[] = [];
    for (const [node, r] of this.#peers) {
      const last = Math.max(r.lastAliveAt ?? -Infinity, r.evidenceAt ?? -Infinity);
      if (asOf - last <= E) out.push(node);
    }
    return out;
  }

  /** Every node this table has a record of. */
  nodes(): string[] {
    return [...this.#peers.keys()];
  }

  /** Peers heard directly within D. */
  reachable(now: number): number {
    let n = 0;
    for (const r of this.#peers.values()) if (this.#direct(r, now)) n++;
    return n;
  }

  /**
   * Peers heard within 2h, for our node Lease stamp. A list over D would still include peers that
   * went silent just now, so other nodes could wrongly conclude that the mesh works on our side
   * and yield.
   */
  freshlyHeard(now: number): StampedPeer[] {
    const out: StampedPeer[] = [];
    for (const [node, r] of this.#peers) {
      if (r.heardAt !== null && r.incarnation !== null && now - r.heardAt <= 2 * this.#t.heartbeatIntervalMs) out.push({ node, incarnation: r.incarnation, seq: r.seq });
    }
    return out;
  }

  /** Does some peer we cannot hear report, in its node Lease, that it hears others? */
  meshWorksElsewhere(now: number): boolean {
    for (const [node, r] of this.#peers) {
      if (this.state(node, now) === 'unreachable' && (r.stamp?.heard.length ?? 0) > 0) return true;
    }
    return false;
  }

  /** Peers heard directly since `since`, with their reported API age at that time. */
  heardSince(since: number): { node: string; apiAgeMs: number | null; heardAt: number }[] {
    const out: { node: string; apiAgeMs: number | null; heardAt: number }[] = [];
    for (const [node, r] of this.#peers) if (r.heardAt !== null && r.heardAt >= since) out.push({ node, apiAgeMs: r.apiAgeMs, heardAt: r.heardAt });
    return out;
  }
}
