// One VIP as one node sees it (docs/l2.md, "Ownership: the per-VIP state machine"). Pure:
// observations and write results are folded into a plain state; `stepVip` decides, from the
// state and a context of virtual time, rankings and peer states, what to do next.
import type { LeaseNote } from './heartbeat.ts';

export interface LeaseRecord {
  /** '' when released. */
  holder: string;
  /** spec.leaseTransitions: +1 on every change of holder. */
  epoch: number;
  /** metadata.resourceVersion; null when known only from a peer's note (no write until the API confirms). */
  version: string | null;
  /** Who wrote this version, stamped with its heartbeat round (annotations on the Lease). */
  writer?: WriterStamp;
}

/** The annotations `herald.dev/writer`, `herald.dev/incarnation` and `herald.dev/seq` of a VIP Lease. */
export interface WriterStamp {
  node: string;
  incarnation: number;
  seq: number;
}

/**
 * What this node knows of one VIP Lease. `absent.asOf` is the resourceVersion at which the API
 * showed it absent (the deletion's, or the list's), when known: it orders the observation.
 */
export type LeaseView = { kind: 'unknown' } | { kind: 'absent'; asOf?: string } | { kind: 'present'; record: LeaseRecord };

export type WriteOp = 'take' | 'handover' | 'release' | 'delete';

export interface PendingWrite {
  op: WriteOp;
  holder: string;
  epoch: number;
  sentAt: number;
  /** `apiVersion` when the write was decided: the view it was based on (see `writeFinished`). */
  basis: string | null;
}

export type StartCause = 'take' | 'handover' | 'resume';
export type StopReason = 'lost' | 'handedOver' | 'released' | 'fenced' | 'gone';

export interface VipState {
  ip: string;
  lease: LeaseView;
  /**
   * resourceVersion of the newest observation from the API (a Lease's own; an absent one's
   * `asOf`): observations that are not newer are ignored (see `observeApi`).
   */
  apiVersion: string | null;
  answering: boolean;
  pending: PendingWrite | null;
  /** No write before this time (after a failed write). */
  retryAt: number;
  /**
   * After a conflict: no write until the API shows news of this Lease (any observation
   * `isNews` lets through: a newer version, or its deletion).
   */
  awaitingNews: boolean;
  /** Since when the VIP has been takeable, as this node sees it. */
  orphanSince: number | null;
  /** How this node came to hold the Lease, for the `start` action; how it stopped holding it. */
  gotBy: StartCause;
  gaveBy: 'handedOver' | 'released' | null;
  /** The holder before the current one (for the failover metric). */
  previousHolder: string | null;
  /** Since when this node has held the Lease (rebalancing waits J after that). */
  heldSince: number | null;
}

export type VipAction =
  /** The shell adds the writer stamp (Election does, see `Election#stampWrites`). */
  | { kind: 'write'; ip: string; op: WriteOp; holder: string; epoch: number; expect: { version: string } | null; writer?: WriterStamp }
  | { kind: 'start'; ip: string; cause: StartCause; from: string | null }
  | { kind: 'stop'; ip: string; reason: StopReason }
  /** Tell peers now (a heartbeat); `to` is the successor of a handover. */
  | { kind: 'notify'; ip: string; note: LeaseNote; to: string | null };

/** `refused`: the API answered 401 Unauthorized (docs/l2.md, "When the API server or etcd goes away"). */
export type WriteResult = { ok: true; version: string } | { ok: false; conflict: boolean; refused?: boolean };

export interface VipContext {
  now: number;
  me: string;
  /** Is the VIP still to be announced at all? */
  wanted: boolean;
  /** Candidates best first; this node is among them iff it may hold the VIP (eligible, serving, not leaving). */
  ranked: readonly string[];
  /** Holder is dead, or says it is fenced: its VIP may be taken. */
  takeable: (holder: string) => boolean;
  /** Guard: not fenced and revalidated. */
  mayAnswer: boolean;
  /** Guard and sync: not fenced, Lease view synced, past the start-up warm-up. */
  mayWrite: boolean;
  /** Heard within 2h: a handover goes to a node we know is there right now. */
  fresh: (node: string) => boolean;
  takeoverStaggerMs: number;
  /** J: a VIP is rebalanced to a better node only after we have held it this long. */
  rebalanceAfterMs: number;
  /** A rebalancing handover may start now (rebalance-budget.ts); else, when to ask again. */
  rebalance: () => true | number;
}

export function initialVip(ip: string): VipState {
  return { ip, lease: { kind: 'unknown' }, apiVersion: null, answering: false, pending: null, retryAt: 0, awaitingNews: false, orphanSince: null, gotBy: 'resume', gaveBy: null, previousHolder: null, heldSince: null };
}

function holderOf(v: LeaseView): string | null {
  return v.kind === 'present' ? v.record.holder : null;
}

function withLease(s: VipState, lease: LeaseView, me: string, byMe: boolean): VipState {
  const before = holderOf(s.lease);
  const after = holderOf(lease);
  if (before === after) return { ...s, lease };
  const next: VipState = { ...s, lease, previousHolder: before };
  if (after === me) {
    // The first sight of our own name after start-up is a resume, not a takeover.
    next.gotBy = byMe ? 'take' : s.lease.kind === 'unknown' ? 'resume' : 'handover';
    next.gaveBy = null;
  }
  return next;
}

const DECIMAL = /^[1-9][0-9]*$/;

/**
 * The order of two resourceVersions of one resource: -1, 0 or 1, or null when either is not a
 * positive decimal integer. Kubernetes v1.35 made them comparable this way (KEP-5504, "Comparable
 * Resource Version", client-go's `CompareResourceVersion`); before that they were etcd revisions
 * already. A server whose versions are not such numbers gets no order: every observation counts.
 */
export function compareVersions(a: string, b: string): -1 | 0 | 1 | null {
  if (!DECIMAL.test(a) || !DECIMAL.test(b)) return null;
  // Without leading zeros the longer number is the larger; of equal lengths, the text orders.
  if (a.length < b.length) return -1;
  if (a.length > b.length) return 1;
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

/** The resourceVersion an API observation is as of, when it says. */
export function versionOf(view: LeaseView): string | null {
  return view.kind === 'present' ? view.record.version : view.kind === 'absent' ? (view.asOf ?? null) : null;
}

/** The last API observation of a Lease: its kind and the resourceVersion it is as of. */
export interface Known {
  kind: LeaseView['kind'];
  version: string | null;
}

/**
 * Is the API observation `next` news after `known`? Not when it is the same version again, or
 * an older one. Issue #10: a list or a read answers with the Lease as it was when the server
 * handled the request, while the watch goes on, so the answer can reach the node after the watch
 * events of later writes (a write's own response too). Applied last, it took the node back to an
 * older holder for good: a VIP handed over to a node whose re-list after a short fence came back
 * later was left with a Lease naming that node, the node believing in the previous holder, and
 * the previous holder believing in the node. Nobody answered, and no later event came.
 * Without versions on both sides, everything is news (as before). A Lease absent as of the very
 * version it was last seen present is news: the informer's re-list reports a deletion that way.
 */
export function isNews(next: LeaseView, known: Known): boolean {
  if (known.kind === 'unknown') return true;
  const v = versionOf(next);
  if (v === null || known.version === null) return true;
  const c = compareVersions(v, known.version);
  if (c === null) return v !== known.version;
  if (c === 0) return next.kind === 'absent' && known.kind === 'present';
  return c === 1;
}

function knownOf(s: VipState): Known {
  return { kind: s.lease.kind, version: s.apiVersion };
}

/**
 * An observation from the API (watch event, list, a read after a conflict, the Lease cache in a
 * self-check) is applied only if it is news (issue #10, see `isNews`). News ends a conflict's
 * wait, a deletion too: the informer's re-list reports one as of the Lease's last version, which
 * may be the very version the conflicting write was based on; waiting for yet another version
 * of a deleted Lease could last for ever (issue #15, mutation testing Finding 2).
 */
export function observeApi(s: VipState, view: LeaseView, me: string): VipState {
  if (!isNews(view, knownOf(s))) return s;
  return { ...withLease(s, view, me, false), apiVersion: versionOf(view), awaitingNews: false };
}

/**
 * A note from a peer's heartbeat: accepted only when it is newer than what we know. Notes never
 * carry a resourceVersion, so they let us stop (or start, when trusted) but not write.
 */
export function observeNote(s: VipState, note: LeaseNote, me: string): VipState {
  if (s.lease.kind !== 'present' || note.epoch <= s.lease.record.epoch) return s;
  return withLease(s, { kind: 'present', record: { holder: note.holder, epoch: note.epoch, version: null } }, me, false);
}

/**
 * A read of a Lease whose view came from a note at `epoch`, sent after that note had gone
 * unconfirmed by the API for a while (the self-check, issue #10). Writes come before their notes,
 * so a read sent after the note that shows no version newer than the last one applied proves the
 * note stale: it spoke of an earlier life of the Lease (deleted and created again at a lower
 * epoch), or it was forged, and it would otherwise stand until that Lease happens to change. The
 * API's record replaces it. A newer version is applied as any observation; a newer note meanwhile
 * wins.
 */
export function checkNote(s: VipState, epoch: number, view: LeaseView, me: string): VipState {
  if (s.lease.kind !== 'present' || s.lease.record.version !== null || s.lease.record.epoch !== epoch) return s;
  if (isNews(view, knownOf(s))) return observeApi(s, view, me);
  // Nothing changed at the API: answering again is a resume (no Event), not a handover.
  // Stryker disable next-line BooleanLiteral: byMe only chooses gotBy, which is overwritten here
  return { ...withLease(s, view, me, false), gotBy: 'resume', apiVersion: versionOf(view) ?? s.apiVersion };
}

export function writeFinished(s: VipState, result: WriteResult, me: string, now: number, retryMs: number): VipState {
  const p = s.pending;
  if (p === null) return s;
  if (result.ok) {
    const version = result.version === '' ? null : result.version;
    const lease: LeaseView = p.op === 'delete' ? (version === null ? { kind: 'absent' } : { kind: 'absent', asOf: version }) : { kind: 'present', record: { holder: p.holder, epoch: p.epoch, version: result.version } };
    const gave = p.op === 'handover' ? 'handedOver' : p.op === 'release' ? 'released' : null;
    // The watch may have shown a later write before our response came (issue #10): keep that.
    // If that later write names us again (handed straight back), we gave nothing away: losing
    // the VIP later is 'lost', not this write's reason (issue #15 Finding 1).
    if (!isNews(lease, knownOf(s))) return { ...s, pending: null, gaveBy: holderOf(s.lease) === me ? null : (gave ?? s.gaveBy) };
    const next = withLease({ ...s, pending: null }, lease, me, true);
    return { ...next, apiVersion: version, gaveBy: gave ?? next.gaveBy };
  }
  // A conflict means the Lease changed under us: wait for news of it. If news came while the
  // write was out (the view is no longer the one the write was based on), the view is current
  // already: waiting for yet more would block this VIP's writes until some unrelated change.
  if (result.conflict) return { ...s, pending: null, awaitingNews: s.apiVersion === p.basis };
  // Anything else (API unreachable, 5xx) is retried after a pause.
  return { ...s, pending: null, retryAt: now + retryMs };
}

/**
 * The self-check (issue #10): is this node's view behind the Lease `cached` in the shell's
 * watch cache? Yes when the view is still unknown, or when the cache holds a later version: an
 * observation was lost on the way. A view ahead of the cache (a write's response, a read) is not.
 */
export function behind(s: VipState, cached: LeaseRecord | undefined): boolean {
  if (s.lease.kind === 'unknown') return true;
  return cached !== undefined && cached.version !== null && s.apiVersion !== null && compareVersions(cached.version, s.apiVersion) === 1;
}

/** A full list of the VIP Leases and the resourceVersion it is as of (null when not given). */
export interface LeaseList {
  leases: ReadonlyMap<string, LeaseRecord>;
  version: string | null;
}

export interface VipStep {
  state: VipState;
  actions: VipAction[];
  /** When to step again if nothing happens (a stagger expiring); null = only on events. */
  wakeAt: number | null;
}

// A view still unknown needs no test here: it names no holder and is not takeable, so `decide`
// finds nothing to write for it.
function canWrite(s: VipState, ctx: VipContext): boolean {
  return ctx.mayWrite && s.pending === null && ctx.now >= s.retryAt && !s.awaitingNews;
}

/** What to write now, if anything, and when to look again if nothing happens. */
type Decision = { op: WriteOp; holder: string } | { wakeAt: number | null };

const NOTHING: Decision = { wakeAt: null };

/** The write a node that may write would make now, from the Lease, the desired state and the ranking. */
function decide(s: VipState, ctx: VipContext, held: boolean, orphanSince: number | null): Decision {
  if (!ctx.wanted) return held ? { op: 'delete', holder: '' } : NOTHING;
  const first = ctx.ranked[0];
  if (held) {
    // Nobody may hold it, not even us (ineligible everywhere): release it.
    if (first === undefined) return { op: 'release', holder: '' };
    if (first === ctx.me) return NOTHING;
    if (ctx.ranked.includes(ctx.me)) {
      // Rebalancing to a better node: only after holding it for J (no ping-pong after a take),
      // and only to a node heard just now (not one that may have crashed, which is why we took).
      const due = (s.heldSince ?? ctx.now) + ctx.rebalanceAfterMs;
      if (ctx.now < due) return { wakeAt: due };
      if (!ctx.fresh(first)) return NOTHING;
      const turn = ctx.rebalance();
      return turn === true ? { op: 'handover', holder: first } : { wakeAt: turn };
    }
    // We may not hold it (leaving or ineligible), and every ranked node is another: hand over at
    // once, preferably to a node heard just now.
    return { op: 'handover', holder: ctx.ranked.find((n) => ctx.fresh(n)) ?? first };
  }
  // Not takeable as this node sees it, or not a candidate: nothing to do.
  const rank = ctx.ranked.indexOf(ctx.me);
  if (orphanSince === null || rank < 0) return NOTHING;
  // Candidate k waits k × S: the first choice takes at once, the next only if it did not.
  const due = orphanSince + rank * ctx.takeoverStaggerMs;
  return ctx.now < due ? { wakeAt: due } : { op: 'take', holder: ctx.me };
}

/** `s` with a write of `op` to `holder` pending, and that write; none while a peer's note is unconfirmed. */
function write(s: VipState, ctx: VipContext, op: WriteOp, holder: string): { state: VipState; action: VipAction | null } {
  const record = s.lease.kind === 'present' ? s.lease.record : null;
  const version = record === null ? undefined : record.version;
  if (version === null) return { state: s, action: null }; // wait for the API to confirm the note
  const epoch = record === null ? 0 : op === 'delete' ? record.epoch : record.epoch + 1;
  const expect = version === undefined ? null : { version };
  const pending: PendingWrite = { op, holder, epoch, sentAt: ctx.now, basis: s.apiVersion };
  return { state: { ...s, pending }, action: { kind: 'write', ip: s.ip, op, holder, epoch, expect } };
}

/** The decision for one VIP now. */
export function stepVip(s0: VipState, ctx: VipContext): VipStep {
  let s = s0;
  const held = holderOf(s.lease) === ctx.me;
  if (held !== (s.heldSince !== null)) s = { ...s, heldSince: held ? ctx.now : null };

  const takeable = s.lease.kind === 'absent' || (s.lease.kind === 'present' && (s.lease.record.holder === '' || (!held && ctx.takeable(s.lease.record.holder))));
  // The stagger counts from when this node could take: otherwise, at the end of the start-up
  // warm-up (or of a fence), every candidate would find its turn long past and all would write.
  const orphanSince = takeable && ctx.mayWrite ? (s.orphanSince ?? ctx.now) : null;
  if (orphanSince !== s.orphanSince) s = { ...s, orphanSince };

  // The write comes first, so that answering can follow it within the same step.
  let written: VipAction | null = null;
  let wakeAt: number | null = null;
  if (canWrite(s, ctx)) {
    const d = decide(s, ctx, held, orphanSince);
    if ('op' in d) ({ state: s, action: written } = write(s, ctx, d.op, d.holder));
    else wakeAt = d.wakeAt;
  } else if (s.retryAt > ctx.now) {
    // Set only by a failed write, which cleared `pending`; no write goes out before it passes.
    wakeAt = s.retryAt;
  }

  // Answering follows the Lease, the guard and the desired state, at once; and it stops the
  // moment this node writes the VIP away (handover, release, delete), a write decided just now
  // included: the successor may start on its watch event before this node has read its own
  // write's response (bench/l2 Finding 3), so a short gap is accepted rather than an overlap. A
  // failed write clears `pending` and the node answers again.
  const actions: VipAction[] = [];
  const givingUp = s.pending === null || s.pending.op === 'take' ? null : s.pending.op;
  const shouldAnswer = ctx.wanted && held && ctx.mayAnswer && givingUp === null;
  if (shouldAnswer && !s.answering) {
    actions.push({ kind: 'start', ip: s.ip, cause: s.gotBy, from: s.gotBy === 'resume' ? null : s.previousHolder });
    s = { ...s, answering: true, gotBy: 'resume' };
  } else if (!shouldAnswer && s.answering) {
    const reason: StopReason = !ctx.wanted ? 'gone' : givingUp === 'handover' ? 'handedOver' : givingUp !== null ? 'released' : held ? 'fenced' : (s.gaveBy ?? 'lost');
    actions.push({ kind: 'stop', ip: s.ip, reason });
    s = { ...s, answering: false };
  }
  if (written !== null) actions.push(written);
  return { state: s, actions, wakeAt };
}
