// The election of one node, put together (docs/l2.md, "The shell, step by step"): peers, the
// guard and one state machine per VIP. Pure: the shell passes events and `now`, and carries
// out the actions it gets back; nothing here touches a socket, a timer or the API.
import type { Heartbeat, LeaseNote } from './heartbeat.ts';
import type { NodeStamp } from './peers.ts';
import type { L2Timings } from './timings.ts';
import type { LeaseRecord, LeaseView, VipAction, VipContext, VipState, WriteResult } from './vip-machine.ts';
import { Deadlines } from './deadlines.ts';
import { NodeGuard } from './guard.ts';
import { NodeLeaseCadence } from './node-lease.ts';
import { NoteLog } from './notes.ts';
import { rankNodes } from './hash.ts';
import { PeerTable } from './peers.ts';
import { behind, checkNote, initialVip, observeApi, observeNote, stepVip, writeFinished } from './vip-machine.ts';

/** One VIP of the desired state, as the election needs it (src/speaker computes it). */
export interface DesiredVip {
  /** Eligible node → the policies it is eligible through. */
  nodes: ReadonlyMap<string, readonly string[]>;
  /** Eligible but ranked last (cordoned, being scaled down). */
  demoted: ReadonlySet<string>;
  /** This node has an interface to answer on. */
  servable: boolean;
}

export interface ElectionOptions {
  me: string;
  /** Distinct per process start (e.g. its start time in ms). */
  incarnation: number;
  timings: L2Timings;
  startedAt: number;
  /** Heartbeats are authenticated (a key is configured): a note may then start an announcement. */
  trustNotes: boolean;
  /**
   * Step every VIP at every tick and event, as before issue #10: the reference that
   * test/election/sparse-passes.test.ts holds the sparse passes against. Not for production.
   */
  fullPasses?: boolean;
}

const MAX_NOTES = 16;
const NONE: readonly string[] = [];

export class Election {
  readonly #o: ElectionOptions;
  readonly #t: L2Timings;
  readonly #peers: PeerTable;
  readonly #guard: NodeGuard;
  #desired = new Map<string, DesiredVip>();
  #order = new Map<string, string[]>();
  #policies: readonly string[] = [];
  readonly #vips = new Map<string, VipState>();
  #synced = false;
  #draining = false;
  #seq = 0;
  readonly #notes: NoteLog;
  readonly #nodeLease: NodeLeaseCadence;
  #syncInFlight = false;
  /** Per VIP, when to step it again if nothing happens (issue #10: a heap, not a scan of every VIP). */
  readonly #wakes = new Deadlines();
  /** VIPs whose wake-up time has passed and that no step has taken yet: the next tick steps them. */
  readonly #due = new Set<string>();
  /** VIPs waiting for their takeover turn: the only ones the API round trip (the stagger) changes. */
  readonly #orphans = new Set<string>();
  /** `#inputs` and the API round trip at the last full pass (null: the next tick makes one). */
  #lastInputs: string | null = null;
  #rttAtPass = 0;
  /** Recent API round trip (ms): rises at once with a slow answer, falls by a quarter of the gap per answer. */
  #apiRttMs = 0;
  /** The API refused us (401) since the last list: see onLeaseSync. */
  #storeReplaced = false;
  /** Per probing peer: the nodes missing from its heard list when we last looked (see #owesProbeAnswer). */
  readonly #probeAnswered = new Map<string, ReadonlySet<string>>();

  constructor(o: ElectionOptions) {
    this.#o = o;
    this.#t = o.timings;
    this.#peers = new PeerTable(o.me, o.incarnation, o.timings, o.startedAt);
    this.#guard = new NodeGuard(o.timings, this.#peers, o.startedAt);
    this.#nodeLease = new NodeLeaseCadence(o.timings);
    this.#notes = new NoteLog(o.timings.noteTtlMs, MAX_NOTES);
  }

  get me(): string {
    return this.#o.me;
  }

  // ---- events -------------------------------------------------------------------------------

  /**
   * The speaker recomputes its desired state on every cluster change and every 5 s: only the VIPs
   * whose entry changed (or that came or went) are ranked and stepped again; re-ranking and
   * stepping all 1,000 each time was a steady cost of its own (issue #10).
   */
  setDesired(vips: ReadonlyMap<string, DesiredVip>, servablePolicies: readonly string[], now: number): VipAction[] {
    this.#enter(now);
    const changed: string[] = [];
    for (const ip of this.#desired.keys()) if (!vips.has(ip)) changed.push(ip);
    const order = new Map<string, string[]>();
    for (const [ip, d] of vips) {
      const before = this.#desired.get(ip);
      const kept = before !== undefined && sameDesired(before, d) ? this.#order.get(ip) : undefined;
      // The full ranking of each VIP's eligible nodes, computed once: candidates are a filter of it.
      order.set(ip, kept ?? rankNodes(ip, d.nodes.keys(), d.demoted));
      if (kept === undefined) changed.push(ip);
    }
    this.#desired = new Map(vips);
    this.#order = order;
    this.#policies = [...servablePolicies];
    for (const ip of vips.keys()) if (!this.#vips.has(ip)) this.#vips.set(ip, initialVip(ip));
    return this.#react(now, changed);
  }

  onHeartbeat(m: Heartbeat, now: number): VipAction[] {
    this.#enter(now);
    this.#peers.heard(m, now);
    const changed: string[] = [];
    for (const note of m.notes) {
      const s = this.#vips.get(note.ip);
      // Untrusted notes may only take a VIP away from us, never give us one.
      if (s === undefined || (note.holder === this.#o.me && !this.#o.trustNotes)) continue;
      const next = observeNote(s, note, this.#o.me);
      if (next !== s) {
        this.#setVip(next, now);
        changed.push(note.ip);
      }
    }
    this.#guard.update(now);
    // Most heartbeats change nothing that a decision depends on: only the VIPs a note changed
    // are stepped then, not all of them (issue #10).
    return this.#react(now, changed);
  }

  onNodeLease(node: string, stamp: NodeStamp | null, now: number): VipAction[] {
    this.#enter(now);
    if (node === this.#o.me) return [];
    this.#peers.know(node, now);
    this.#peers.stamped(node, stamp, now);
    // A peer lost someone and asks for evidence: renew our node Lease soon, if we can give it some.
    if (stamp?.probing === true) {
      if (this.#owesProbeAnswer(node, stamp, now)) this.#nodeLease.probeRequested();
    } else this.#probeAnswered.delete(node);
    return this.#react(now, []);
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
    const missing = [this.#o.me, ...this.#peers.freshlyHeard(now).map((p) => p.node)].filter((n) => n !== prober && !listed.has(n));
    const before = this.#probeAnswered.get(prober);
    this.#probeAnswered.set(prober, new Set(missing));
    return missing.some((n) => before?.has(n) !== true);
  }

  onLease(ip: string, view: LeaseView, now: number): VipAction[] {
    this.#enter(now);
    const s = this.#vips.get(ip);
    if (s === undefined) return [];
    if (view.kind === 'present') {
      this.#peers.know(view.record.holder, now);
      // A transition we saw happen proves its writer alive (a start-up list proves nothing).
      const w = view.record.writer;
      if (w !== undefined && s.lease.kind === 'present' && view.record.epoch > s.lease.record.epoch) this.#peers.proveLife(w.node, w.incarnation, w.seq, now);
    }
    this.#setVip(observeApi(s, view, this.#o.me), now);
    return this.#evaluate(ip, this.#pass(now));
  }

  /**
   * A full list of the VIP Leases, sent at `startedAt`: Leases not in it are absent as of the
   * list's resourceVersion `listVersion`, when given. An entry older than what the watch showed meanwhile changes nothing
   * (issue #10, `isNews` in vip-machine.ts). After the API refused us (401), the store may have
   * been replaced, with versions that start over: that list is taken as it is.
   */
  onLeaseSync(leases: ReadonlyMap<string, LeaseRecord>, startedAt: number, now: number, listVersion: string | null = null): VipAction[] {
    this.#enter(now);
    const version = listVersion;
    const fresh = this.#storeReplaced;
    this.#storeReplaced = false;
    for (const [ip, s0] of this.#vips) {
      const s = fresh ? { ...s0, apiVersion: null } : s0;
      const rec = leases.get(ip);
      if (rec !== undefined) this.#peers.know(rec.holder, now);
      const view: LeaseView = rec !== undefined ? { kind: 'present', record: rec } : version === null ? { kind: 'absent' } : { kind: 'absent', asOf: version };
      this.#setVip(observeApi(s, view, this.#o.me), now);
    }
    this.#synced = true;
    this.#syncInFlight = false;
    this.#guard.synced(startedAt);
    this.#retryNow();
    return this.#evaluateAll(now);
  }

  onWriteResult(ip: string, result: WriteResult, now: number): VipAction[] {
    this.#enter(now);
    const s = this.#vips.get(ip);
    if (s === undefined || s.pending === null) return [];
    const { op, sentAt } = s.pending;
    // A stamped write that succeeded is API contact as good as a node Lease renewal.
    if (result.ok) this.#guard.apiOk(sentAt);
    else if (result.refused === true) this.#refused(sentAt);
    // A conflict is an answer too: the round trip counts.
    if (result.ok || result.conflict) this.#sampleApiRtt(now - sentAt);
    const next = writeFinished(s, result, this.#o.me, now, this.#t.writeRetryMs);
    this.#setVip(next, now);
    const actions = this.#evaluate(ip, this.#pass(now));
    if (result.ok && op !== 'delete' && next.lease.kind === 'present') {
      const note: LeaseNote = { ip, holder: next.lease.record.holder, epoch: next.lease.record.epoch };
      this.#notes.add(note, now);
      actions.push({ kind: 'notify', ip, note, to: op === 'handover' ? note.holder : null });
    }
    return actions;
  }

  /**
   * The API refused a request sent at `startedAt` with 401 Unauthorized: fenced until a later
   * request succeeds and the Leases are re-listed (NodeGuard.refused; docs/l2.md, "Refused
   * credentials").
   */
  onApiRefused(startedAt: number, now: number): void {
    this.#enter(now);
    this.#refused(startedAt);
  }

  #refused(startedAt: number): void {
    this.#guard.refused(startedAt);
    // The store may have been replaced (etcd restored or wiped): its resourceVersions may start
    // over, so the next list is not ordered against what we saw before (issue #10).
    this.#storeReplaced = true;
  }

  /** The node Lease write sent at `startedAt` finished. */
  onApiResult(ok: boolean, startedAt: number, now: number): void {
    this.#enter(now);
    if (ok) {
      this.#guard.apiOk(startedAt);
      this.#sampleApiRtt(now - startedAt);
    }
    // The API is back after failures: retry failed VIP writes now, not after their pause.
    if (this.#nodeLease.finished(ok)) this.#retryNow();
  }

  /**
   * The takeover stagger is S plus this node's recent API round trip: candidate k writes only once
   * candidate k − 1's write, had it been sent, would have reached it by the watch. With a fixed S,
   * an API answering slower than S let every candidate write every orphan: in a 10-node join,
   * 1,383 of 2,895 VIP Lease writes lost a race, 1,291 of them takes (bench/l2 Findings 1 and 6),
   * load that slowed the API further. Taking later is never less safe; it only lengthens a failover whose first
   * choice failed, and only while the API is slow.
   */
  #sampleApiRtt(ms: number): void {
    const rtt = Math.max(0, ms);
    this.#apiRttMs = rtt >= this.#apiRttMs ? rtt : this.#apiRttMs + (rtt - this.#apiRttMs) / 4;
  }

  /**
   * The API is reachable again: retry failed writes at once, and restart the takeover stagger.
   * While the first choice's writes were failing, everyone's turn came; restarting keeps the
   * rank order instead of a race of all candidates.
   */
  #retryNow(): void {
    for (const [ip, s] of this.#vips) if (s.retryAt > 0 || s.orphanSince !== null) this.#vips.set(ip, { ...s, retryAt: 0, orphanSince: null });
    // States changed without a step: the next tick steps every VIP.
    this.#lastInputs = null;
  }

  /**
   * Every h, and at the wake-ups the shell schedules. A full pass only when something every VIP
   * reads has changed (`#inputs`); otherwise only the VIPs whose wake-up time has come, and the
   * orphans when the takeover stagger moved. Stepping all 1,000 VIPs ten times a second was most
   * of a speaker's CPU at steady state (issue #10).
   */
  tick(now: number): VipAction[] {
    this.#enter(now);
    const inputs = this.#inputs(now);
    if (inputs !== this.#lastInputs || this.#o.fullPasses === true) return this.#evaluateAll(now, inputs);
    for (const ip of this.#wakes.popThrough(now)) this.#due.add(ip);
    if (this.#apiRttMs !== this.#rttAtPass) {
      this.#rttAtPass = this.#apiRttMs;
      for (const ip of this.#orphans) this.#due.add(ip);
    }
    if (this.#due.size === 0) return [];
    const pass = this.#pass(now);
    const out: VipAction[] = [];
    for (const ip of [...this.#due]) out.push(...this.#evaluate(ip, pass));
    return out;
  }

  /**
   * The self-check (issue #10; docs/l2.md, "Observations are ordered"): the shell's cache of the
   * VIP Leases, kept by its watch, against this node's view. Every observation in the cache
   * should have reached the view; a VIP whose view is behind it (`behind` in vip-machine.ts) lost
   * one on the way, and it is applied now. With the ordering rule this finds nothing: a repair is
   * a bug to report, and the VIPs repaired are returned for that.
   */
  checkLeases(cache: ReadonlyMap<string, LeaseRecord>, now: number): { actions: VipAction[]; repaired: string[] } {
    this.#enter(now);
    if (!this.#synced) return { actions: [], repaired: [] };
    const pass = this.#pass(now);
    const actions: VipAction[] = [];
    const repaired: string[] = [];
    for (const [ip, s] of [...this.#vips]) {
      const rec = cache.get(ip);
      if (!behind(s, rec)) continue;
      repaired.push(ip);
      if (rec !== undefined) this.#peers.know(rec.holder, now);
      this.#setVip(observeApi(s, rec === undefined ? { kind: 'absent' } : { kind: 'present', record: rec }, this.#o.me), now);
      actions.push(...this.#evaluate(ip, pass));
    }
    return { actions, repaired };
  }

  /** VIPs whose view comes from a peer's note the API has not confirmed yet, with the note's epoch. */
  unconfirmedNotes(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [ip, s] of this.#vips) if (s.lease.kind === 'present' && s.lease.record.version === null) out.set(ip, s.lease.record.epoch);
    return out;
  }

  /**
   * The self-check read a Lease whose view came from a note at `epoch` that had gone unconfirmed
   * for a whole check period (`checkNote` in vip-machine.ts): `repaired` when the note was stale.
   */
  onNoteCheck(ip: string, epoch: number, view: LeaseView, now: number): { actions: VipAction[]; repaired: boolean } {
    this.#enter(now);
    const s = this.#vips.get(ip);
    if (s === undefined) return { actions: [], repaired: false };
    const next = checkNote(s, epoch, view, this.#o.me);
    if (next === s) return { actions: [], repaired: false };
    const stale = next.lease.kind !== 'present' || next.lease.record.epoch < epoch;
    this.#setVip(next, now);
    return { actions: this.#evaluate(ip, this.#pass(now)), repaired: stale };
  }

  /** SIGTERM: hand everything over (or release it), then stop. */
  drain(now: number): VipAction[] {
    this.#enter(now);
    this.#draining = true;
    return this.#evaluateAll(now);
  }

  /**
   * Nothing held or being written: the process may exit. A node whose credentials are refused
   * (401) answers nothing and can write nothing, so there is nothing to wait for.
   */
  drained(): boolean {
    if (this.#guard.refusedAt !== null) return true;
    for (const s of this.#vips.values()) if (s.answering || s.pending !== null || (s.lease.kind === 'present' && s.lease.record.holder === this.#o.me && s.lease.record.version !== null)) return false;
    return true;
  }

  // ---- outputs for the shell ----------------------------------------------------------------

  /** The next heartbeat to send to every peer (records its send time for acknowledgements). */
  heartbeat(now: number): Heartbeat {
    this.#enter(now);
    this.#seq = (this.#seq + 1) >>> 0;
    this.#peers.sent(this.#seq, now);
    const api = this.#guard.apiOkAt;
    return {
      node: this.#o.me,
      incarnation: this.#o.incarnation,
      seq: this.#seq,
      // Fenced, or not yet revalidated after a fence: either way this node answers nothing, and
      // peers must not count on it. Said only while fenced, a node cut from the API that stalled
      // past F (its peers reach the API, so they cannot vouch for it) looked ready: it was handed
      // its VIPs back and they went dark until the API returned (L2 chaos api-cut-stall, #14).
      fenced: !this.#guard.mayAnswer(now),
      leaving: this.#leaving(now),
      warming: !this.#warm(now + 2 * this.#t.heartbeatIntervalMs),
      apiAgeMs: api === null ? null : Math.max(0, now - api),
      policies: this.#policies,
      heard: this.#peers.heardList(now),
      notes: this.#notes.current(now),
    };
  }

  /** The responder's check at reply time. */
  mayAnswer(ip: string, now: number): boolean {
    this.#guard.update(now);
    const s = this.#vips.get(ip);
    return s !== undefined && s.answering && this.#desired.has(ip) && s.lease.kind === 'present' && s.lease.record.holder === this.#o.me && this.#guard.mayAnswer(now);
  }

  /** After a fence: re-list the VIP Leases (once unfenced, and not while a list is running). */
  wantsLeaseSync(now: number): boolean {
    this.#guard.update(now);
    return this.#guard.revalidating && !this.#guard.fencedAt(now) && !this.#syncInFlight;
  }

  leaseSyncStarted(): void {
    this.#syncInFlight = true;
  }

  /** The list failed (the API is unreachable); the shell may try again. */
  leaseSyncFailed(): void {
    this.#syncInFlight = false;
  }

  /** Should the node Lease be written now (renewal every R, or every h while probing)? */
  wantsNodeLeaseWrite(now: number): boolean {
    return this.#nodeLease.due(now, this.#probing(now));
  }

  /** The stamp to write into the node Lease; marks the write as sent. */
  nodeLeaseWriteStarted(now: number): NodeStamp {
    this.#nodeLease.started(now);
    return { incarnation: this.#o.incarnation, seq: this.#seq, heard: this.#peers.freshlyHeard(now), probing: this.#probing(now) };
  }

  /**
   * Probing (docs/l2.md, "Probing"): our own contact is older than P (keep the API contact
   * fresh, so we do not fence, and give peers evidence of us), or a peer went silent and we
   * want its evidence before D.
   */
  #probing(now: number): boolean {
    const contact = this.#peers.contactAt;
    const lost = this.#guard.hasPeers() && (contact === null || now - contact > this.#t.probeAfterMs);
    return lost || this.#peers.awaitingEvidence(now);
  }

  /** The earliest future time a tick could change something; null = none (the shell also ticks every h). */
  nextWakeAt(now: number): number | null {
    // Wake-ups already passed are left for the next tick, as before (they are not lost: #due).
    for (const ip of this.#wakes.popThrough(now)) this.#due.add(ip);
    let at = this.#wakes.earliest() ?? Infinity;
    const fence = this.#guard.fenceDeadline();
    if (fence > now) at = Math.min(at, fence);
    // Also when a peer becomes a stable candidate (a handover to it may be due), and when it would
    // be declared dead or takeable as fenced (its VIPs may be taken then). Per peer, not per VIP:
    // these move with every heartbeat, and a per-VIP copy went stale and woke for nothing.
    for (const n of this.#peers.nodes()) {
      for (const t of [this.#peers.stableAt(n), this.#peers.deadAt(n), this.#peers.fencedTakeableAt(n)]) if (t !== null && t > now) at = Math.min(at, t);
    }
    return at === Infinity ? null : at;
  }

  /** For metrics, logs and tests. */
  view(now: number): { fenced: boolean; revalidating: boolean; leaving: boolean; answering: string[]; peers: Record<string, string> } {
    const peers: Record<string, string> = {};
    for (const n of this.#peers.nodes()) peers[n] = this.#peers.state(n, now);
    const answering = [...this.#vips.values()].filter((s) => s.answering).map((s) => s.ip);
    return { fenced: this.#guard.fencedAt(now), revalidating: this.#guard.revalidating, leaving: this.#leaving(now), answering, peers };
  }

  /** The API refused us (401) since the last list: the next one is not ordered against older views (onLeaseSync). */
  get storeReplaced(): boolean {
    return this.#storeReplaced;
  }

  /** The holder this node believes a VIP has (null: unknown or absent). */
  holderOf(ip: string): string | null {
    const s = this.#vips.get(ip);
    return s?.lease.kind === 'present' ? s.lease.record.holder : null;
  }

  // ---- internals ----------------------------------------------------------------------------

  #enter(now: number): void {
    this.#peers.tick(now);
    this.#guard.update(now);
  }

  /**
   * Past the warm-up of D + J with a synced Lease view: by then every peer that is up has been
   * heard and is stable, so all nodes rank alike and a cold-started cluster does not race for
   * every VIP. Until 2h before then, heartbeats say `warming`, so peers do not count on this
   * node to take; the flag clears 2h early so that peers have heard it when the warm-up ends
   * (otherwise every node would find all others still warming and rank itself first).
   */
  #warm(now: number): boolean {
    return this.#synced && now - this.#o.startedAt >= this.#t.peerDeadAfterMs + this.#t.stableAfterMs;
  }

  #leaving(now: number): boolean {
    return this.#draining || this.#guard.yielding(now);
  }

  #setVip(next: VipState, now: number): void {
    const prev = this.#vips.get(next.ip);
    this.#vips.set(next.ip, next);
    // Every transition we observe is repeated to peers for a while (notes); the first sight of
    // a Lease (start-up list) is not a transition.
    if (next.lease.kind === 'present' && prev?.lease.kind === 'present' && prev.lease.record.epoch < next.lease.record.epoch) {
      const { holder, epoch } = next.lease.record;
      this.#notes.add({ ip: next.ip, holder, epoch }, now);
    }
  }

  /**
   * What every VIP's decision reads besides its own state and its wake-up time (`#pass`,
   * `#context`): this node's guard and warm-up, and per peer its liveness, fence, candidacy and
   * freshness. While this is what the last full pass saw, a VIP whose state no event changed
   * decides as it did then (stepVip is a function of state and context; its deadlines are in
   * #wakes), so only changed and due VIPs are stepped (issue #10). The guard is still asked at
   * reply time (mayAnswer), so no answer ever rests on this.
   */
  #inputs(now: number): string {
    const g = this.#guard;
    const p = this.#peers;
    const parts: (string | boolean)[] = [g.mayAnswer(now), g.fencedAt(now), g.revalidating, this.#leaving(now), this.#warm(now)];
    for (const n of p.nodes()) parts.push(n, p.state(n, now), p.fenced(n, now), p.candidateAny(n, now, g.apiOkAt), p.fresh(n, now));
    return parts.join('|');
  }

  /** A full pass if `#inputs` changed, else a step of the VIPs in `changed` only. */
  #react(now: number, changed: readonly string[]): VipAction[] {
    const inputs = this.#inputs(now);
    if (inputs !== this.#lastInputs || this.#o.fullPasses === true) return this.#evaluateAll(now, inputs);
    if (changed.length === 0) return [];
    const pass = this.#pass(now);
    const out: VipAction[] = [];
    for (const ip of changed) out.push(...this.#evaluate(ip, pass));
    return out;
  }

  #evaluateAll(now: number, inputs = this.#inputs(now)): VipAction[] {
    this.#lastInputs = inputs;
    this.#rttAtPass = this.#apiRttMs;
    this.#due.clear();
    const pass = this.#pass(now);
    const out: VipAction[] = [];
    for (const ip of [...this.#vips.keys()]) out.push(...this.#evaluate(ip, pass));
    return out;
  }

  /** What every VIP's decision shares in one pass, computed once (candidacy memoised). */
  #pass(now: number): Pass {
    const fenced = this.#guard.fencedAt(now);
    const memo = new Map<string, Map<readonly string[], boolean>>();
    const dead = new Map<string, boolean>();
    return {
      now,
      leaving: this.#leaving(now),
      mayAnswer: this.#guard.mayAnswer(now),
      mayWrite: !fenced && this.#warm(now),
      candidate: (node, policies) => {
        let byPolicies = memo.get(node);
        if (byPolicies === undefined) memo.set(node, (byPolicies = new Map()));
        let v = byPolicies.get(policies);
        if (v === undefined) byPolicies.set(policies, (v = this.#peers.candidate(node, policies, now, this.#guard.apiOkAt)));
        return v;
      },
      takeable: (holder) => {
        let v = dead.get(holder);
        if (v === undefined) dead.set(holder, (v = this.#peers.state(holder, now) === 'dead' || this.#peers.fenced(holder, now)));
        return v;
      },
    };
  }

  #context(ip: string, pass: Pass): VipContext {
    const me = this.#o.me;
    const d = this.#desired.get(ip);
    const ranked: string[] = [];
    if (d !== undefined) {
      for (const node of this.#order.get(ip) ?? []) {
        if (node === me ? d.servable && !pass.leaving : pass.candidate(node, d.nodes.get(node) ?? NONE)) ranked.push(node);
      }
    }
    return {
      now: pass.now,
      me,
      wanted: d !== undefined,
      ranked,
      takeable: pass.takeable,
      mayAnswer: pass.mayAnswer,
      mayWrite: pass.mayWrite,
      fresh: (node) => node === me || this.#peers.fresh(node, pass.now),
      takeoverStaggerMs: this.#t.takeoverStaggerMs + this.#apiRttMs,
      rebalanceAfterMs: this.#t.stableAfterMs,
    };
  }

  #evaluate(ip: string, pass: Pass): VipAction[] {
    this.#due.delete(ip);
    const s = this.#vips.get(ip);
    if (s === undefined) return [];
    const now = pass.now;
    const step = stepVip(s, this.#context(ip, pass));
    this.#vips.set(ip, step.state);
    // Every write carries our heartbeat round: peers that cannot hear us take it as evidence.
    const writer = { node: this.#o.me, incarnation: this.#o.incarnation, seq: this.#seq };
    const actions = step.actions.map((a) => (a.kind === 'write' ? { ...a, writer } : a));
    const holder = step.state.lease.kind === 'present' ? step.state.lease.record.holder : null;
    // Wake for a stagger, a retry or a rebalance (a holder's death is a peer's deadline: nextWakeAt).
    if (step.wakeAt !== null && step.wakeAt > now) this.#wakes.set(ip, step.wakeAt);
    else this.#wakes.delete(ip);
    if (step.state.orphanSince !== null) this.#orphans.add(ip);
    else this.#orphans.delete(ip);
    if (!this.#desired.has(ip) && !step.state.answering && step.state.pending === null && holder !== this.#o.me) {
      this.#vips.delete(ip);
      this.#wakes.delete(ip);
      this.#orphans.delete(ip);
    }
    return actions;
  }
}

/** Same eligible nodes with the same policies, same demoted nodes, same servability. */
function sameDesired(a: DesiredVip, b: DesiredVip): boolean {
  if (a === b) return true;
  if (a.servable !== b.servable || a.nodes.size !== b.nodes.size || a.demoted.size !== b.demoted.size) return false;
  for (const n of a.demoted) if (!b.demoted.has(n)) return false;
  for (const [n, policies] of a.nodes) {
    const other = b.nodes.get(n);
    if (other === undefined || other.length !== policies.length || policies.some((p, i) => other[i] !== p)) return false;
  }
  return true;
}

interface Pass {
  now: number;
  leaving: boolean;
  mayAnswer: boolean;
  mayWrite: boolean;
  candidate: (node: string, policies: readonly string[]) => boolean;
  takeable: (holder: string) => boolean;
}
