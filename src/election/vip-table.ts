// The election's VIP table (docs/l2.md, "Who may announce a VIP" and "Ownership"): the desired
// state per VIP, each VIP's ranking of its eligible nodes, computed once per change of its entry,
// and this node's state machine of each VIP. Every Lease transition it records is noted for
// peers. Pure: no clock, no I/O; the caller passes `now`.
import type { NoteLog } from './notes.ts';
import type { Pass } from './passes.ts';
import type { VipState } from './vip-machine.ts';
import { rankNodes } from './hash.ts';
import { initialVip } from './vip-machine.ts';

/** One VIP of the desired state, as the election needs it (src/speaker computes it). */
export interface DesiredVip {
  /** Eligible node → the policies it is eligible through. */
  nodes: ReadonlyMap<string, readonly string[]>;
  /** Eligible but ranked last (cordoned, being scaled down). */
  demoted: ReadonlySet<string>;
  /** This node has an interface to answer on. */
  servable: boolean;
}

const NONE: readonly string[] = [];

export class VipTable {
  readonly #me: string;
  readonly #notes: NoteLog;
  #desired = new Map<string, DesiredVip>();
  #order = new Map<string, readonly string[]>();
  readonly #vips = new Map<string, VipState>();

  constructor(me: string, notes: NoteLog) {
    this.#me = me;
    this.#notes = notes;
  }

  /**
   * Takes a new desired state and returns the VIPs whose entry changed, came or went: only those
   * are ranked again (issue #10: re-ranking all 1,000 on every recomputation was a steady cost).
   * VIPs that went keep their state until `stepped` finds them done.
   */
  setDesired(vips: ReadonlyMap<string, DesiredVip>): string[] {
    const changed: string[] = [];
    for (const ip of this.#desired.keys()) if (!vips.has(ip)) changed.push(ip);
    const order = new Map<string, readonly string[]>();
    const desired = new Map<string, DesiredVip>();
    for (const [ip, d] of vips) {
      const before = this.#desired.get(ip);
      const kept = before !== undefined && sameDesired(before, d) ? this.#order.get(ip) : undefined;
      // The full ranking of each VIP's eligible nodes, computed once: candidates are a filter of it.
      order.set(ip, kept ?? rankingOf(ip, d));
      // An entry equal to the one held is not replaced: the speaker's periodic full pass gives the
      // same desired state again each minute, and its copy should die young (issue #10).
      desired.set(ip, kept !== undefined && before !== undefined ? before : d);
      if (kept === undefined) changed.push(ip);
    }
    // Nothing changed (no entry new, different or gone): the maps held stay, the new ones die young.
    if (changed.length > 0) {
      this.#desired = desired;
      this.#order = order;
    }
    for (const ip of vips.keys()) if (!this.#vips.has(ip)) this.#vips.set(ip, initialVip(ip));
    return changed;
  }

  wanted(ip: string): boolean {
    return this.#desired.has(ip);
  }

  get(ip: string): VipState | undefined {
    return this.#vips.get(ip);
  }

  /** Every VIP this node keeps a state for (desired, or still being let go). */
  states(): IterableIterator<VipState> {
    return this.#vips.values();
  }

  /** VIPs whose view comes from a peer's note the API has not confirmed yet, with the note's epoch. */
  unconfirmedNotes(): Map<string, number> {
    const out = new Map<string, number>();
    for (const s of this.#vips.values()) if (s.lease.kind === 'present' && s.lease.record.version === null) out.set(s.ip, s.lease.record.epoch);
    return out;
  }

  /** Nothing answered, being written, or held by this node as the API knows it (a drain is done). */
  holdsNothing(): boolean {
    for (const s of this.#vips.values()) if (s.answering || s.pending !== null || (s.lease.kind === 'present' && s.lease.record.holder === this.#me && s.lease.record.version !== null)) return false;
    return true;
  }

  /** The VIPs this node answers for. */
  answering(): string[] {
    return [...this.#vips.values()].filter((s) => s.answering).map((s) => s.ip);
  }

  /** A copy of the VIPs, for passes that step them (a step may delete one). */
  ips(): string[] {
    return [...this.#vips.keys()];
  }

  /** A copy of the entries, for passes that may replace states. */
  entries(): [string, VipState][] {
    return [...this.#vips];
  }

  /**
   * Records an observation's result. Every transition we observe is repeated to peers for a while
   * (notes); the first sight of a Lease (start-up list) is not a transition.
   */
  observed(next: VipState, now: number): void {
    const prev = this.#vips.get(next.ip);
    this.#vips.set(next.ip, next);
    if (next.lease.kind === 'present' && prev?.lease.kind === 'present' && prev.lease.record.epoch < next.lease.record.epoch) {
      const { holder, epoch } = next.lease.record;
      this.#notes.add({ ip: next.ip, holder, epoch }, now);
    }
  }

  /**
   * Records a step's result. Returns false when the VIP is done with and forgotten: no longer
   * desired, not answered, no write out, and not held by this node.
   */
  stepped(next: VipState): boolean {
    const holder = next.lease.kind === 'present' ? next.lease.record.holder : null;
    if (!this.#desired.has(next.ip) && !next.answering && next.pending === null && holder !== this.#me) {
      this.#vips.delete(next.ip);
      return false;
    }
    this.#vips.set(next.ip, next);
    return true;
  }

  /** Replaces a state without a transition (retry and stagger clocks restarted). */
  reset(next: VipState): void {
    this.#vips.set(next.ip, next);
  }

  /**
   * The candidates of a VIP, best first: a filter of its ranking. This node when it can serve the
   * VIP and is not leaving; a peer unless the pass excludes it for the policies it is eligible
   * through. Nodes damped after a fence (damping.ts) come last, except the VIP's holder: no VIP
   * is handed to a damped node, none is taken from one for being damped, and it takes one only
   * if nobody else does. The holder is the Lease's, which every node reads alike (bench/README.md,
   * L2 Finding 7: judged by the VIP's previous holder, which each node saw for itself and which
   * changes with every move, the rankings disagreed and the VIPs kept moving). With every node a
   * candidate and nothing damped, the ranking itself (read-only), in O(1).
   */
  ranked(ip: string, pass: Pass): readonly string[] {
    const d = this.#desired.get(ip);
    if (d === undefined) return NONE;
    const order = this.#order.get(ip) ?? NONE;
    const excluded = pass.excluded(d.nodes);
    const mine = d.servable && !pass.leaving;
    const holder = pass.damped.size === 0 ? null : holderOf(this.#vips.get(ip));
    const last = pass.damped.size === 0 ? NONE : order.filter((node) => node !== holder && pass.damped.has(node));
    if (excluded.size === 0 && (mine || !d.nodes.has(this.#me)) && last.length === 0) return order;
    const candidate = (node: string): boolean => (node === this.#me ? mine : !excluded.has(node));
    const out = order.filter((node) => candidate(node) && !last.includes(node));
    for (const node of last) if (candidate(node)) out.push(node);
    return out;
  }
}

function holderOf(s: VipState | undefined): string | null {
  return s?.lease.kind === 'present' ? s.lease.record.holder : null;
}

/**
 * The ranking of a VIP's eligible nodes, shared by every Election of the process that is given
 * the same DesiredVip object for it: a simulator of 100 nodes × 10,000 VIPs otherwise ranked
 * 100 nodes a million times each and kept 100 copies of every ranking (issue #10). A speaker
 * runs one Election and gains nothing; it pays a WeakMap lookup per changed VIP.
 */
const shared = new WeakMap<DesiredVip, { ip: string; order: readonly string[] }>();

function rankingOf(ip: string, d: DesiredVip): readonly string[] {
  const hit = shared.get(d);
  if (hit !== undefined && hit.ip === ip) return hit.order;
  const order = rankNodes(ip, d.nodes.keys(), d.demoted);
  shared.set(d, { ip, order });
  return order;
}

/** The same eligible nodes, each through the same policies (in order: the speaker sorts them). */
export function sameEligibility(a: ReadonlyMap<string, readonly string[]>, b: ReadonlyMap<string, readonly string[]>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [n, policies] of a) {
    const other = b.get(n);
    if (other === undefined || other.length !== policies.length || policies.some((p, i) => other[i] !== p)) return false;
  }
  return true;
}

/** Same eligible nodes with the same policies, same demoted nodes, same servability. */
export function sameDesired(a: DesiredVip, b: DesiredVip): boolean {
  if (a === b) return true;
  if (a.servable !== b.servable || a.demoted.size !== b.demoted.size) return false;
  for (const n of a.demoted) if (!b.demoted.has(n)) return false;
  return sameEligibility(a.nodes, b.nodes);
}
