// The election of one node, put together (docs/l2.md, "The shell, step by step"): peers, the
// guard and one state machine per VIP. Pure: the shell passes events and `now`, and carries
// out the actions it gets back; nothing here touches a socket, a timer or the API.
// The parts: vip-table.ts (the desired state, rankings and VIP states), passes.ts (which VIPs a
// step takes, and when to wake), contact.ts (heartbeat rounds, node Lease, API round trip).
import type { Heartbeat, LeaseNote } from './heartbeat.ts';
import type { NodeStamp } from './peers.ts';
import type { L2Timings } from './timings.ts';
import type { DampingTimings } from './damping.ts';
import type { Pass } from './passes.ts';
import type { DesiredVip } from './vip-table.ts';
import type { LeaseRecord, LeaseView, VipAction, WriteResult } from './vip-machine.ts';
import { NodeContact } from './contact.ts';
import { FenceDamping } from './damping.ts';
import { NodeGuard } from './guard.ts';
import { NoteLog } from './notes.ts';
import { makePass, nodeWakeAt, PassInputs, PassPlan, StepContext } from './passes.ts';
import { PeerTable } from './peers.ts';
import { VipTable } from './vip-table.ts';
import { WritesOut } from './writes-out.ts';
import { LandingLag } from './landing-lag.ts';
import { RebalanceBudget } from './rebalance-budget.ts';
import { behind, checkNote, compareVersions, observeApi, observeNote, stepVip, versionOf, writeFinished } from './vip-machine.ts';

export interface ElectionOptions {
  me: string;
  /** Distinct per process start (e.g. its start time in ms). */
  incarnation: number;
  timings: L2Timings;
  startedAt: number;
  /** Heartbeats are authenticated (a key is configured): a note may then start an announcement. */
  trustNotes: boolean;
  /** Step every VIP at every tick and event, as before issue #10: sparse-passes.test.ts's reference. Not for production. */
  fullPasses?: boolean;
  /** Damping after a fence (damping.ts; docs/l2.md, "Damping after a fence"): off unless given (DEFAULT_DAMPING). */
  damping?: DampingTimings | false;
}

const MAX_NOTES = 16;
const NOBODY: ReadonlySet<string> = new Set();

export class Election {
  readonly #o: ElectionOptions;
  readonly #t: L2Timings;
  readonly #peers: PeerTable;
  readonly #guard: NodeGuard;
  readonly #contact: NodeContact;
  readonly #notes: NoteLog;
  readonly #table: VipTable;
  readonly #plan = new PassPlan();
  readonly #damping: FenceDamping | null;
  readonly #inputsNow = new PassInputs();
  readonly #rank = (ip: string, pass: Pass): readonly string[] => this.#table.ranked(ip, pass);
  readonly #out = new WritesOut();
  readonly #landing = new LandingLag();
  readonly #budget = new RebalanceBudget();
  #policies: readonly string[] = [];
  #synced = false;
  #draining = false;

  constructor(o: ElectionOptions) {
    this.#o = o;
    this.#t = o.timings;
    this.#peers = new PeerTable(o.me, o.incarnation, o.timings, o.startedAt);
    this.#guard = new NodeGuard(o.timings, this.#peers, o.startedAt);
    this.#contact = new NodeContact(o.me, o.incarnation, o.timings, this.#peers, this.#guard);
    this.#notes = new NoteLog(o.timings.noteTtlMs, MAX_NOTES);
    this.#table = new VipTable(o.me, this.#notes);
    this.#damping = o.damping === undefined || o.damping === false ? null : new FenceDamping(o.damping);
  }

  get me(): string {
    return this.#o.me;
  }

  // ---- events -------------------------------------------------------------------------------

  /** A new desired state: only the VIPs whose entry changed, came or went are ranked and stepped again (issue #10). */
  setDesired(vips: ReadonlyMap<string, DesiredVip>, servablePolicies: readonly string[], now: number): VipAction[] {
    this.#enter(now);
    const changed = this.#table.setDesired(vips);
    this.#policies = [...servablePolicies];
    return this.#react(now, changed);
  }

  onHeartbeat(m: Heartbeat, now: number): VipAction[] {
    this.#enter(now);
    this.#peers.heard(m, now);
    if (m.node !== this.#o.me) this.#damping?.heard(m.node, m.fenced, now);
    const changed: string[] = [];
    for (const note of m.notes) {
      const s = this.#table.get(note.ip);
      // Untrusted notes may only take a VIP away from us, never give us one.
      if (s === undefined || (note.holder === this.#o.me && !this.#o.trustNotes)) continue;
      const next = observeNote(s, note, this.#o.me);
      if (next !== s) {
        this.#table.observed(next, now);
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
    this.#contact.onNodeLease(node, stamp, now);
    return this.#react(now, []);
  }

  /** A watch event of a VIP Lease; `lagMs`: from its writer's acquireTime to here, null if unknown (landing-lag.ts). */
  onLease(ip: string, view: LeaseView, now: number, lagMs: number | null = null): VipAction[] {
    this.#enter(now);
    const s = this.#table.get(ip);
    if (s === undefined) return [];
    this.#out.echoed(ip, versionOf(view));
    if (view.kind === 'present') {
      this.#peers.know(view.record.holder, now);
      // A transition we saw happen proves its writer alive (a start-up list proves nothing);
      // another node's says how late the API lands writes now (a burst it is still answering).
      const w = view.record.writer;
      const news = s.lease.kind === 'absent' || (s.lease.kind === 'present' && view.record.epoch > s.lease.record.epoch);
      if (w !== undefined && news && s.lease.kind === 'present') this.#peers.proveLife(w.node, w.incarnation, w.seq, now);
      if (w !== undefined && news && lagMs !== null && w.node !== this.#o.me) this.#landing.seen(w.node, lagMs, now);
    }
    this.#table.observed(observeApi(s, view, this.#o.me), now);
    return this.#evaluate(ip, this.#pass(now));
  }

  /**
   * A full list of the VIP Leases, sent at `startedAt`: Leases not in it are absent as of `listVersion`; an
   * entry older than the watch showed changes nothing (issue #10, `isNews`). After a 401 it is taken as it is.
   */
  onLeaseSync(leases: ReadonlyMap<string, LeaseRecord>, startedAt: number, now: number, listVersion: string | null = null): VipAction[] {
    this.#enter(now);
    const fresh = this.#contact.listArrived();
    for (const [ip, s0] of this.#table.entries()) {
      const s = fresh ? { ...s0, apiVersion: null } : s0;
      const rec = leases.get(ip);
      this.#out.echoed(ip, rec?.version ?? listVersion);
      if (rec !== undefined) this.#peers.know(rec.holder, now);
      const view: LeaseView = rec !== undefined ? { kind: 'present', record: rec } : listVersion === null ? { kind: 'absent' } : { kind: 'absent', asOf: listVersion };
      this.#table.observed(observeApi(s, view, this.#o.me), now);
    }
    this.#synced = true;
    this.#guard.synced(startedAt);
    this.#retryNow();
    return this.#evaluateAll(now);
  }

  /** The watch delivered a revision read by a request sent at `startedAt` (docs/l2.md, "Revalidation"): as good as a list then, unless a 401 came. */
  onCaughtUp(startedAt: number, now: number): VipAction[] {
    this.#enter(now);
    if (this.#contact.storeReplaced) return [];
    this.#contact.leaseSyncEnded();
    this.#guard.synced(startedAt);
    return this.#evaluateAll(now);
  }

  onWriteResult(ip: string, result: WriteResult, now: number): VipAction[] {
    this.#enter(now);
    const s = this.#table.get(ip);
    // Answered: counted for the stagger until our own watch shows it, unless it has (writes-out.ts).
    const seen = s?.apiVersion ?? null;
    this.#out.answered(ip, result.ok && (seen === null || compareVersions(seen, result.version) === -1) ? result.version : null);
    if (s === undefined || s.pending === null) return [];
    const { op, sentAt } = s.pending;
    // A stamped write that succeeded is API contact as good as a node Lease renewal.
    if (result.ok) this.#guard.apiOk(sentAt);
    else if (result.refused === true) this.#contact.refused(sentAt);
    // A conflict is an answer too: the round trip counts.
    if (result.ok || result.conflict) this.#contact.sampleApiRtt(now - sentAt);
    const next = writeFinished(s, result, this.#o.me, now, this.#t.writeRetryMs);
    this.#table.observed(next, now);
    const actions = this.#evaluate(ip, this.#pass(now));
    if (result.ok && op !== 'delete' && next.lease.kind === 'present') {
      const note: LeaseNote = { ip, holder: next.lease.record.holder, epoch: next.lease.record.epoch };
      this.#notes.add(note, now, true);
      actions.push({ kind: 'notify', ip, note, to: op === 'handover' ? note.holder : null });
    }
    return actions;
  }

  /** A request sent at `startedAt` refused with 401: fenced until a later one succeeds and the Leases are re-listed (docs/l2.md, "Refused credentials"). */
  onApiRefused(startedAt: number, now: number): void {
    this.#enter(now);
    this.#contact.refused(startedAt);
  }

  /** The node Lease write sent at `startedAt` finished. */
  onApiResult(ok: boolean, startedAt: number, now: number): void {
    this.#enter(now);
    // The API is back after failures: retry failed VIP writes now, not after their pause.
    if (this.#contact.nodeLeaseWritten(ok, startedAt, now)) this.#retryNow();
  }

  /** The API is reachable again: retry failed writes at once, and restart the takeover stagger (while the
   * first choice's writes failed, everyone's turn came; restarting keeps the rank order, not a race). */
  #retryNow(): void {
    for (const [, s] of this.#table.entries()) if (s.retryAt > 0 || s.orphanSince !== null) this.#table.reset({ ...s, retryAt: 0, orphanSince: null });
    // States changed without a step: the next tick steps every VIP.
    this.#plan.invalidate();
  }

  /**
   * Every h, and at the shell's wake-ups. A full pass only when something every VIP reads has changed
   * (passes.ts); else the VIPs whose wake-up came, and the orphans when the takeover stagger moved.
   * Stepping all 1,000 VIPs ten times a second was most of a speaker's CPU at rest (issue #10).
   */
  tick(now: number): VipAction[] {
    this.#enter(now);
    const inputs = this.#inputs(now);
    if (this.#plan.needsFull(inputs, this.#o.fullPasses === true)) return this.#evaluateAll(now, inputs);
    const due = this.#plan.dueAt(now, this.#apiRtt(now));
    if (due.length === 0) return [];
    const pass = this.#pass(now);
    const out: VipAction[] = [];
    for (const ip of due) out.push(...this.#evaluate(ip, pass));
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
    for (const [ip, s] of this.#table.entries()) {
      const rec = cache.get(ip);
      if (!behind(s, rec)) continue;
      repaired.push(ip);
      if (rec !== undefined) this.#peers.know(rec.holder, now);
      this.#table.observed(observeApi(s, rec === undefined ? { kind: 'absent' } : { kind: 'present', record: rec }, this.#o.me), now);
      actions.push(...this.#evaluate(ip, pass));
    }
    return { actions, repaired };
  }

  /** VIPs whose view comes from a peer's note the API has not confirmed yet, with the note's epoch. */
  unconfirmedNotes(): Map<string, number> {
    return this.#table.unconfirmedNotes();
  }

  /** The self-check read a Lease whose view came from a note at `epoch`, unconfirmed for a whole check period (`checkNote`): `repaired` when the note was stale. */
  onNoteCheck(ip: string, epoch: number, view: LeaseView, now: number): { actions: VipAction[]; repaired: boolean } {
    this.#enter(now);
    const s = this.#table.get(ip);
    if (s === undefined) return { actions: [], repaired: false };
    const next = checkNote(s, epoch, view, this.#o.me);
    if (next === s) return { actions: [], repaired: false };
    const stale = next.lease.kind !== 'present' || next.lease.record.epoch < epoch;
    this.#table.observed(next, now);
    return { actions: this.#evaluate(ip, this.#pass(now)), repaired: stale };
  }

  /** SIGTERM: hand everything over (or release it), then stop. */
  drain(now: number): VipAction[] {
    this.#enter(now);
    this.#draining = true;
    return this.#evaluateAll(now);
  }

  /** Nothing held or being written: the process may exit (refused credentials, 401: nothing to wait for). */
  drained(): boolean {
    return this.#guard.refusedAt !== null || this.#table.holdsNothing();
  }

  // ---- outputs for the shell ----------------------------------------------------------------

  /** The next heartbeat to send to every peer (records its send time for acknowledgements). */
  heartbeat(now: number): Heartbeat {
    this.#enter(now);
    const warming = !this.isWarm(now + 2 * this.#t.heartbeatIntervalMs);
    const m = this.#contact.heartbeat(now, { leaving: this.#leaving(now), warming, policies: this.#policies, notes: this.#notes.current(now) });
    // What peers hear of our fences, we damp in our own ranking too, so all rank alike.
    this.#damping?.heard(this.#o.me, m.fenced, now);
    return m;
  }

  /** The responder's check at reply time. */
  mayAnswer(ip: string, now: number): boolean {
    this.#guard.update(now);
    const s = this.#table.get(ip);
    return s !== undefined && s.answering && this.#table.wanted(ip) && s.lease.kind === 'present' && s.lease.record.holder === this.#o.me && this.#guard.mayAnswer(now);
  }

  /**
   * The fence alone (docs/l2.md, "Fencing"): may this node answer for anything now? A handover's old holder
   * asks it while it waits for the successor's announcement (the Lease names the successor: mayAnswer says no).
   */
  unfenced(now: number): boolean {
    this.#guard.update(now);
    return this.#guard.mayAnswer(now);
  }

  /** After a fence: re-list the VIP Leases (once unfenced, and not while a list is running). */
  wantsLeaseSync(now: number): boolean {
    return this.#contact.wantsLeaseSync(now);
  }

  leaseSyncStarted(): void {
    this.#contact.leaseSyncStarted();
  }
  /** The list failed (the API is unreachable); the shell may try again. */
  leaseSyncFailed(): void {
    this.#contact.leaseSyncEnded();
  }

  /** Should the node Lease be written now (renewal every R, or every h while probing)? */
  wantsNodeLeaseWrite(now: number): boolean {
    return this.#contact.wantsNodeLeaseWrite(now);
  }

  /** The stamp to write into the node Lease; marks the write as sent. */
  nodeLeaseWriteStarted(now: number): NodeStamp {
    return this.#contact.nodeLeaseWriteStarted(now);
  }

  /** The earliest future time a tick could change something; null = none (the shell also ticks every h). */
  nextWakeAt(now: number): number | null {
    const at = Math.min(this.#plan.nextWakeAt(now) ?? Infinity, nodeWakeAt(this.#guard, this.#peers, now, this.#damping?.nextEndAt(now) ?? Infinity));
    return at === Infinity ? null : at;
  }

  /** For metrics, logs and tests; what the fence is judged from too: the last peer contact, and the send time of the last API success. */
  view(now: number): { fenced: boolean; revalidating: boolean; leaving: boolean; answering: string[]; peers: Record<string, string>; peerContactAt: number | null; apiOkAt: number | null } {
    const peers: Record<string, string> = {};
    for (const n of this.#peers.nodes()) peers[n] = this.#peers.state(n, now);
    return { fenced: this.#guard.fencedAt(now), revalidating: this.#guard.revalidating, leaving: this.#leaving(now), answering: this.#table.answering(), peers, peerContactAt: this.#peers.contactAt, apiOkAt: this.#guard.apiOkAt };
  }

  /** The API refused us (401) since the last list: the next one is not ordered against older views (onLeaseSync). */
  get storeReplaced(): boolean {
    return this.#contact.storeReplaced;
  }

  /** The holder this node believes a VIP has (null: unknown or absent). */
  holderOf(ip: string): string | null {
    const s = this.#table.get(ip);
    return s?.lease.kind === 'present' ? s.lease.record.holder : null;
  }

  // ---- internals ----------------------------------------------------------------------------

  #enter(now: number): void {
    this.#peers.tick(now);
    this.#guard.update(now);
  }

  /**
   * Past the warm-up of D + J with a synced Lease view: every peer that is up has been heard and is
   * stable, so all rank alike and a cold-started cluster does not race for every VIP. Heartbeats say
   * `warming` until 2h before then, so peers do not count on this node to take yet, and have heard
   * it when the warm-up ends (else each would find the others warming and rank itself first). The
   * speaker is ready only once warm, so a rollout drains the next node only when this one can
   * succeed it (issue #12: drained earlier, that node had nobody to hand to and released its VIPs).
   */
  isWarm(now: number): boolean {
    return this.#synced && now - this.#o.startedAt >= this.#t.peerDeadAfterMs + this.#t.stableAfterMs;
  }

  #leaving(now: number): boolean {
    return this.#draining || this.#guard.yielding(now);
  }

  #inputs(now: number): readonly number[] {
    return this.#inputsNow.read(this.#guard, this.#peers, now, this.#leaving(now), this.isWarm(now), this.#damped(now));
  }

  #pass(now: number): Pass {
    return makePass(this.#guard, this.#peers, { me: this.#o.me, now, leaving: this.#leaving(now), warm: this.isWarm(now), timings: this.#t, apiRttMs: this.#apiRtt(now), damped: this.#damped(now), budget: this.#budget });
  }

  /** The round trip the takeover stagger allows for: our writes (writes-out.ts), and others' landing now (landing-lag.ts). */
  #apiRtt(now: number): number {
    return Math.max(this.#out.apiRtt(now, this.#contact.apiRttMs, (ip, at) => this.#table.get(ip)?.pending?.sentAt === at), this.#landing.lagMs(now));
  }

  #damped(now: number): ReadonlySet<string> {
    return this.#damping?.dampedAt(now) ?? NOBODY;
  }

  /** A full pass if the pass inputs changed, else a step of the VIPs in `changed` only. */
  #react(now: number, changed: readonly string[]): VipAction[] {
    const inputs = this.#inputs(now);
    if (this.#plan.needsFull(inputs, this.#o.fullPasses === true)) return this.#evaluateAll(now, inputs);
    if (changed.length === 0) return [];
    const pass = this.#pass(now);
    const out: VipAction[] = [];
    for (const ip of changed) out.push(...this.#evaluate(ip, pass));
    return out;
  }

  #evaluateAll(now: number, inputs: readonly number[] = this.#inputs(now)): VipAction[] {
    this.#plan.fullPass(inputs, this.#apiRtt(now));
    const pass = this.#pass(now);
    const out: VipAction[] = [];
    for (const ip of this.#table.ips()) out.push(...this.#evaluate(ip, pass));
    return out;
  }

  #evaluate(ip: string, pass: Pass): VipAction[] {
    this.#plan.stepping(ip);
    const s = this.#table.get(ip);
    if (s === undefined) return [];
    const step = stepVip(s, new StepContext(ip, this.#table.wanted(ip), pass, this.#rank));
    // Every write carries our heartbeat round: peers that cannot hear us take it as evidence.
    const writer = { node: this.#o.me, incarnation: this.#o.incarnation, seq: this.#contact.seq };
    const actions = step.actions.map((a) => (a.kind === 'write' ? { ...a, writer } : a));
    if (step.state.pending !== null && step.state.pending !== s.pending) this.#out.sent(ip, step.state.pending.sentAt);
    // Wake for a stagger, a retry or a rebalance (a holder's death is a peer's deadline: nextWakeAt).
    if (this.#table.stepped(step.state)) this.#plan.stepped(ip, step.wakeAt, step.state.orphanSince !== null, pass.now);
    else {
      this.#plan.forget(ip);
      this.#out.forget(ip);
    }
    return actions;
  }
}
