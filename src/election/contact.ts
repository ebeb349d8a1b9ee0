// How one speaker keeps in touch (docs/l2.md, "Liveness" and "Probing"): its heartbeat rounds,
// its node Lease (renewal cadence, probing, answering peers' probes), its API round trip (the
// takeover stagger), the refusals that may mean a replaced store, and its re-lists of the VIP
// Leases. Pure: the caller passes times and carries out the writes.
import type { NodeGuard } from './guard.ts';
import type { Heartbeat, LeaseNote } from './heartbeat.ts';
import type { NodeStamp, PeerTable } from './peers.ts';
import type { L2Timings } from './timings.ts';
import { rankNodes } from './hash.ts';
import { NodeLeaseCadence } from './node-lease.ts';

/**
 * How many peers of a silent node ask about it at once (see `#mayAsk`): the first by rendezvous
 * rank of (silent node, peer). Two, so that one of them stalled or cut from the API does not
 * leave the silence unasked until the fallback.
 */
export const FIRST_ASKERS = 2;

/** Silent peers a node Lease write asks about, each with when it was last heard. */
type Asking = readonly (readonly [string, number | null])[];
// Stryker disable next-line ArrayDeclaration: read only when a successful write ends, for what a write started while not probing asked: nothing, or with a mutant one name no peer has (which asks nobody)
const NOTHING_ASKED: Asking = [];

export class NodeContact {
  readonly #me: string;
  readonly #incarnation: number;
  readonly #t: L2Timings;
  readonly #peers: PeerTable;
  readonly #guard: NodeGuard;
  readonly #nodeLease: NodeLeaseCadence;
  #seq = 0;
  #syncInFlight = false;
  /** Recent API round trip (ms): rises at once with a slow answer, falls by a quarter of the gap per answer. */
  #apiRttMs = 0;
  /** The API refused us (401) since the last list: see Election.onLeaseSync. */
  #storeReplaced = false;
  /**
   * Silent peers a successful probing write of ours already asked about (see `probing`), each
   * with the last time it was heard when asked: a peer heard again and lost anew is a new silence.
   * And those the write in flight asks about.
   */
  readonly #askedFor = new Map<string, number | null>();
  #asking: Asking = NOTHING_ASKED;
  /** Per probing peer: the nodes missing from its heard list when we last looked (see #owesProbeAnswer). */
  readonly #probeAnswered = new Map<string, ReadonlySet<string>>();
  /**
   * Per node: when a probing stamp of another node last newly left it out of its heard list, i.e.
   * asked everyone about it (see `#mayAsk`).
   */
  readonly #askedByOthers = new Map<string, number>();

  constructor(me: string, incarnation: number, timings: L2Timings, peers: PeerTable, guard: NodeGuard) {
    this.#me = me;
    this.#incarnation = incarnation;
    this.#t = timings;
    this.#peers = peers;
    this.#guard = guard;
    this.#nodeLease = new NodeLeaseCadence(timings);
  }

  /** The current heartbeat round (every write carries it: peers that cannot hear us take it as evidence). */
  get seq(): number {
    return this.#seq;
  }

  /** A new heartbeat round leaves now (its send time is kept for acknowledgements). */
  nextRound(now: number): number {
    this.#seq = (this.#seq + 1) >>> 0;
    this.#peers.sent(this.#seq, now);
    return this.#seq;
  }

  /**
   * The next heartbeat (a new round). `fenced` covers "not yet revalidated after a fence" too:
   * either way this node answers nothing, and peers must not count on it. Said only while fenced,
   * a node cut from the API that stalled past F (its peers reach the API, so they cannot vouch for
   * it) looked ready: it was handed its VIPs back and they went dark until the API returned (L2
   * chaos api-cut-stall, #14).
   */
  heartbeat(now: number, o: { leaving: boolean; warming: boolean; policies: readonly string[]; notes: LeaseNote[] }): Heartbeat {
    const seq = this.nextRound(now);
    const api = this.#guard.apiOkAt;
    return {
      node: this.#me,
      incarnation: this.#incarnation,
      seq,
      fenced: !this.#guard.mayAnswer(now),
      leaving: o.leaving,
      warming: o.warming,
      apiAgeMs: api === null ? null : Math.max(0, now - api),
      policies: o.policies,
      heard: this.#peers.heardList(now),
      notes: o.notes,
    };
  }

  /** A peer's node Lease changed (null: it is gone). */
  onNodeLease(node: string, stamp: NodeStamp | null, now: number): void {
    // Our own stamp compares with nothing: PeerTable keeps no stamp of ours.
    if (stamp?.probing === true) this.#noteAsked(this.#peers.lastStamp(node), stamp, now);
    this.#peers.stamped(node, stamp, now); // records the node as known, too
    // A peer lost someone and asks for evidence: renew our node Lease soon, if we can give it some.
    if (stamp?.probing === true) {
      if (this.#owesProbeAnswer(node, stamp, now)) this.#nodeLease.probeRequested();
    } else this.#probeAnswered.delete(node);
  }

  /**
   * Does our next renewal give the probing `prober` evidence it lacks (docs/l2.md, "Probing")? It
   * lacks evidence of the nodes missing from its heard list: ourselves, or peers we hear (we are
   * their witness). One renewal after they went missing is that evidence, and our renewals every
   * R keep it fresh within E. Answering every probing stamp instead (every h) made all N − 1
   * peers renew every h for as long as one node probed: with 10 nodes, 100 node-Lease writes/s
   * from one cut-off node, fanned out to every watch (bench/l2 Finding 6). So we answer when a
   * node we can vouch for newly goes missing from its list.
   */
  #owesProbeAnswer(prober: string, stamp: NodeStamp, now: number): boolean {
    const listed = new Set(stamp.heard.map((h) => h.node));
    const missing = [this.#me, ...this.#peers.freshlyHeard(now).map((p) => p.node)].filter((n) => n !== prober && !listed.has(n));
    const before = this.#probeAnswered.get(prober);
    this.#probeAnswered.set(prober, new Set(missing));
    return missing.some((n) => before?.has(n) !== true);
  }

  /**
   * Probing (docs/l2.md, "Probing"): our own contact is older than P (keep the API contact
   * fresh, so we do not fence, and give peers evidence of us), or a peer went silent and we
   * want its evidence before D.
   */
  probing(now: number): boolean {
    const contact = this.#peers.contactAt;
    const lost = this.#guard.hasPeers() && (contact === null || now - contact > this.#t.probeAfterMs);
    return lost || this.#unasked(now).length > 0;
  }

  /**
   * Silent peers no probe of ours has asked about yet, and that we are to ask about (`#mayAsk`).
   * One probing write per silence is the whole request: a witness answers a prober once per node
   * newly missing from its heard list (#owesProbeAnswer), so writing again every h until evidence
   * or D came asked nothing new. It cost every peer of a crashed node (D − P) / h ≈ 3.5 writes:
   * 291 node-Lease writes for one crash at 100 nodes (bench/README.md, the election at scale,
   * Finding 3).
   */
  #unasked(now: number): string[] {
    const awaited = this.#peers.awaited(now);
    // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: pruning only bounds the map; a pruned peer is awaited again only after it is heard again, with a later heardAt than its entry holds
    if (this.#askedFor.size > 0) {
      // Forget what no longer waits (heard again, proven alive or dead): bounded by the peers.
      const still = new Set(awaited);
      // Stryker disable next-line ConditionalExpression,CallExpression: the same bound
      for (const n of this.#askedFor.keys()) if (!still.has(n)) this.#askedFor.delete(n);
    }
    return awaited.filter((n) => (!this.#askedFor.has(n) || this.#askedFor.get(n) !== this.#peers.heardAt(n)) && this.#mayAsk(n, now));
  }

  /**
   * Is it ours to ask about the silent `node` (docs/l2.md, "Probing")? Every peer of a crashed
   * node asking once still cost 99 node-Lease writes per crash at 100 nodes, 57 beyond the steady
   * rate (bench/README.md, the election at scale, Finding 3), where one ask is enough: the
   * answers (the silent node's own renewal, its witnesses' renewals) reach every node by the same
   * watch. So the first FIRST_ASKERS by rendezvous rank of (node, peer) among us and the peers we
   * hear ask at once, and each next one only if no other node's probe has asked about this
   * silence by the time the one before it would have (h plus two of our API round trips later).
   *
   * The peers we hear lost `node` too, or they would list it in their heartbeats and it would not
   * be silent to us (a witness), so in a crash every survivor ranks the same set and exactly
   * FIRST_ASKERS write; in a split of the mesh each side ranks its own half, and its first ask.
   * An ask counts only if it came P or more after we last heard `node`: the answers it draws then
   * carry rounds at least 2 beyond the last one we heard, which is what evidence is (an earlier ask
   * concerned an earlier silence, whose answers prove nothing about this one).
   */
  #mayAsk(node: string, now: number): boolean {
    const heardAt = this.#peers.heardAt(node);
    // Stryker disable next-line ConditionalExpression,BooleanLiteral: awaited peers were heard; the guard is for the type
    if (heardAt === null) return true;
    const asked = this.#askedByOthers.get(node);
    // Stryker disable next-line ConditionalExpression: without the first test, undefined − heardAt is NaN and the second is false all the same; it is there for the type
    if (asked !== undefined && asked - heardAt >= this.#t.probeAfterMs) return false;
    // The silent node is not among the peers heard within 2h: it has been silent for P.
    const rank = rankNodes(node, [this.#me, ...this.#peers.freshlyHeard(now).map((p) => p.node)]).indexOf(this.#me);
    // The first askers' wait is P or less, which an awaited peer's silence has passed; the rest in
    // rank order, each once the ask of the one before would have reached it: in a crash with the
    // first askers cut from the API, one more write, not one per survivor.
    const behind = rank - FIRST_ASKERS + 1;
    return now - heardAt > this.#t.probeAfterMs + behind * (this.#t.heartbeatIntervalMs + 2 * this.#apiRttMs);
  }

  /**
   * A probing stamp of another node arrived: the nodes its heard list newly leaves out (listed in
   * its previous stamp, missing now) are asked about, since every witness and the node itself
   * answer that (#owesProbeAnswer answers a node newly missing since the writer's last probing
   * stamp, and one listed in the stamp before is such a node). A first stamp compares with
   * nothing and counts for nobody.
   */
  #noteAsked(previous: NodeStamp | null, stamp: NodeStamp, now: number): void {
    // Pruning only bounds the map (by the nodes): an ask from before a silence began never counts for it (#mayAsk).
    // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator,CallExpression: the bound
    for (const [n, at] of this.#askedByOthers) if (now - at > this.#t.peerDeadAfterMs) this.#askedByOthers.delete(n);
    if (previous === null) return;
    const listed = new Set(stamp.heard.map((h) => h.node));
    // An entry for ourselves is never read: we do not await ourselves.
    for (const h of previous.heard) if (!listed.has(h.node)) this.#askedByOthers.set(h.node, now);
  }

  /** Should the node Lease be written now (renewal every R, or every h while probing)? */
  wantsNodeLeaseWrite(now: number): boolean {
    return this.#nodeLease.due(now, this.probing(now));
  }

  /** The stamp to write into the node Lease; marks the write as sent. */
  nodeLeaseWriteStarted(now: number): NodeStamp {
    this.#nodeLease.started(now);
    const probing = this.probing(now);
    this.#asking = probing ? this.#unasked(now).map((n) => [n, this.#peers.heardAt(n)] as const) : NOTHING_ASKED;
    return { incarnation: this.#incarnation, seq: this.#seq, heard: this.#peers.freshlyHeard(now), probing };
  }

  /** The node Lease write sent at `startedAt` finished; true when the API is back after failures. */
  nodeLeaseWritten(ok: boolean, startedAt: number, now: number): boolean {
    if (ok) {
      this.#guard.apiOk(startedAt);
      this.sampleApiRtt(now - startedAt);
      for (const [n, heardAt] of this.#asking) this.#askedFor.set(n, heardAt);
    }
    this.#asking = NOTHING_ASKED;
    return this.#nodeLease.finished(ok);
  }

  get apiRttMs(): number {
    return this.#apiRttMs;
  }

  /**
   * The takeover stagger is S plus this node's recent API round trip: candidate k writes only once
   * candidate k − 1's write, had it been sent, would have reached it by the watch. With a fixed S,
   * an API answering slower than S let every candidate write every orphan: in a 10-node join,
   * 1,383 of 2,895 VIP Lease writes lost a race, 1,291 of them takes (bench/l2 Findings 1 and 6),
   * load that slowed the API further. Taking later is never less safe; it only lengthens a failover whose first
   * choice failed, and only while the API is slow.
   */
  sampleApiRtt(ms: number): void {
    const rtt = Math.max(0, ms);
    this.#apiRttMs = rtt >= this.#apiRttMs ? rtt : this.#apiRttMs + (rtt - this.#apiRttMs) / 4;
  }

  /**
   * The API refused a request sent at `startedAt` (401): fenced until a later request succeeds
   * and the Leases are re-listed (NodeGuard.refused). The store may have been replaced (etcd
   * restored or wiped): its resourceVersions may start over, so the next list is not ordered
   * against what we saw before (issue #10).
   */
  refused(startedAt: number): void {
    this.#guard.refused(startedAt);
    this.#storeReplaced = true;
  }

  get storeReplaced(): boolean {
    return this.#storeReplaced;
  }

  /** A list arrived: whether it must be taken as it is (a refusal came before it); the flag clears. */
  listArrived(): boolean {
    const fresh = this.#storeReplaced;
    this.#storeReplaced = false;
    this.#syncInFlight = false;
    return fresh;
  }

  /** After a fence: re-list the VIP Leases (once unfenced, and not while a list is running). */
  wantsLeaseSync(now: number): boolean {
    this.#guard.update(now);
    return this.#guard.revalidating && !this.#guard.fencedAt(now) && !this.#syncInFlight;
  }

  leaseSyncStarted(): void {
    this.#syncInFlight = true;
  }

  /** The sync ended without a list (it failed, or the watch caught up): another may start. */
  leaseSyncEnded(): void {
    this.#syncInFlight = false;
  }
}
