// When the election steps which VIPs (issue #10: each event and tick costs what it changes, not a
// pass over every VIP). A full pass when something every VIP's decision reads has changed (the
// pass inputs); otherwise only the VIPs an event changed, those whose wake-up time has come, and
// the orphans when the takeover stagger moved. Pure: no clock, the caller passes times.
import type { NodeGuard } from './guard.ts';
import type { PeerTable } from './peers.ts';
import type { L2Timings } from './timings.ts';
import type { VipContext } from './vip-machine.ts';
import type { RebalanceBudget } from './rebalance-budget.ts';
import { Deadlines } from './deadlines.ts';

/** What every VIP's decision shares in one pass, computed once (candidacy memoised). */
export interface Pass {
  now: number;
  me: string;
  leaving: boolean;
  mayAnswer: boolean;
  mayWrite: boolean;
  candidate: (node: string, policies: readonly string[]) => boolean;
  /** The peers of an eligibility map (node → its policies) that are not candidates now, memoised per map. */
  excluded: (nodes: ReadonlyMap<string, readonly string[]>) => ReadonlySet<string>;
  takeable: (holder: string) => boolean;
  fresh: (node: string) => boolean;
  takeoverStaggerMs: number;
  rebalanceAfterMs: number;
  rebalance: () => true | number;
  /** Nodes that fenced recently (damping.ts): ranked after every other candidate. */
  damped: ReadonlySet<string>;
}

export interface PassOptions {
  me: string;
  now: number;
  leaving: boolean;
  warm: boolean;
  timings: L2Timings;
  apiRttMs: number;
  damped: ReadonlySet<string>;
  budget: RebalanceBudget;
}

const NOBODY: ReadonlySet<string> = new Set();

/** The node-wide part of a pass: this node's guard, warm-up and leaving, and its peers. */
export function makePass(guard: NodeGuard, peers: PeerTable, o: PassOptions): Pass {
  const { me, now } = o;
  const fenced = guard.fencedAt(now);
  const memo = new Map<string, Map<readonly string[], boolean>>();
  const dead = new Map<string, boolean>();
  const excluded = new Map<ReadonlyMap<string, readonly string[]>, ReadonlySet<string>>();
  const candidate = (node: string, policies: readonly string[]): boolean => {
    let byPolicies = memo.get(node);
    if (byPolicies === undefined) memo.set(node, (byPolicies = new Map()));
    let v = byPolicies.get(policies);
    if (v === undefined) byPolicies.set(policies, (v = peers.candidate(node, policies, now, guard.apiOkAt)));
    return v;
  };
  return {
    now,
    me,
    leaving: o.leaving,
    mayAnswer: guard.mayAnswer(now),
    mayWrite: !fenced && o.warm,
    candidate,
    // VIPs of one Service or policy share their eligibility map: one pass over its nodes serves
    // them all, where filtering each VIP's ranking node by node was most of a 100-node
    // simulation's time (issue #10).
    excluded: (nodes) => {
      let out = excluded.get(nodes);
      if (out === undefined) {
        let some: Set<string> | null = null;
        for (const [node, policies] of nodes) if (node !== me && !candidate(node, policies)) (some ??= new Set()).add(node);
        out = some ?? NOBODY;
        excluded.set(nodes, out);
      }
      return out;
    },
    takeable: (holder) => {
      let v = dead.get(holder);
      if (v === undefined) dead.set(holder, (v = peers.state(holder, now) === 'dead' || peers.fenced(holder, now)));
      return v;
    },
    fresh: (node) => node === me || peers.fresh(node, now),
    takeoverStaggerMs: o.timings.takeoverStaggerMs + o.apiRttMs,
    rebalanceAfterMs: o.timings.stableAfterMs,
    rebalance: () => o.budget.take(now) || o.budget.nextAt(now),
    damped: o.damped,
  };
}

/**
 * One VIP's context for stepVip. Its candidates are ranked when first read: a step that cannot
 * write never reads them (warm-up, fence, a write out).
 */
export class StepContext implements VipContext {
  readonly now: number;
  readonly me: string;
  readonly wanted: boolean;
  readonly takeable: (holder: string) => boolean;
  readonly mayAnswer: boolean;
  readonly mayWrite: boolean;
  readonly fresh: (node: string) => boolean;
  readonly takeoverStaggerMs: number;
  readonly rebalanceAfterMs: number;
  readonly rebalance: () => true | number;
  readonly #ip: string;
  readonly #pass: Pass;
  readonly #rank: (ip: string, pass: Pass) => readonly string[];
  #ranked: readonly string[] | null = null;

  constructor(ip: string, wanted: boolean, pass: Pass, rank: (ip: string, pass: Pass) => readonly string[]) {
    this.now = pass.now;
    this.me = pass.me;
    this.wanted = wanted;
    this.takeable = pass.takeable;
    this.mayAnswer = pass.mayAnswer;
    this.mayWrite = pass.mayWrite;
    this.fresh = pass.fresh;
    this.takeoverStaggerMs = pass.takeoverStaggerMs;
    this.rebalanceAfterMs = pass.rebalanceAfterMs;
    this.rebalance = pass.rebalance;
    this.#ip = ip;
    this.#pass = pass;
    this.#rank = rank;
  }

  get ranked(): readonly string[] {
    return (this.#ranked ??= this.#rank(this.#ip, this.#pass));
  }
}

/**
 * What every VIP's decision reads besides its own state and its wake-up time: this node's guard,
 * leaving and warm-up, and per peer its liveness, fence, candidacy and freshness. While this is
 * what the last full pass saw, a VIP whose state no event changed decides as it did then
 * (stepVip is a function of state and context; its deadlines are in the plan's wake-ups), so
 * only changed and due VIPs are stepped. The guard is still asked at reply time (mayAnswer), so
 * no answer ever rests on this. Read on every event, so as numbers into a reused array: joined
 * into one string, with 100 peers, it was a fifth of the simulator's time (issue #10).
 */
export class PassInputs {
  readonly #out: number[] = [];

  /** The inputs at `now`, in an array the next read reuses (PassPlan.fullPass copies it). */
  read(guard: NodeGuard, peers: PeerTable, now: number, leaving: boolean, warm: boolean, damped: ReadonlySet<string>): readonly number[] {
    const out = this.#out;
    out.length = 0;
    const fenced = guard.fencedAt(now);
    out.push(+guard.mayAnswer(now), +fenced, +guard.revalidating, +leaving, +warm);
    // Peers matter only to writes (whom to take from, whom to hand to): while this node may not
    // write, their changes change no decision, and a full pass for each would step every VIP for
    // nothing. With 100 nodes starting, each VIP was stepped hundreds of times in the warm-up.
    if (fenced || !warm) return out;
    out.push(+damped.has(peers.me));
    peers.inputCodes(now, guard.apiOkAt, damped, out);
    return out;
  }
}

/**
 * The earliest future time something node-wide may change a decision (Infinity: none): the fence
 * deadline; when a peer becomes a stable candidate (a handover to it may be due); when it would be
 * declared dead or takeable as fenced (its VIPs may be taken then); when a node's damping ends (its
 * VIPs may be handed back then). Per peer, not per VIP: these
 * move with every heartbeat, and a per-VIP copy went stale and woke for nothing.
 */
export function nodeWakeAt(guard: NodeGuard, peers: PeerTable, now: number, dampingEndsAt: number): number {
  let at = dampingEndsAt;
  const fence = guard.fenceDeadline();
  if (fence > now) at = Math.min(at, fence);
  const consider = (t: number | null): void => {
    if (t !== null && t > now && t < at) at = t;
  };
  for (const n of peers.nodes()) {
    consider(peers.stableAt(n));
    consider(peers.deadAt(n));
    consider(peers.fencedTakeableAt(n));
  }
  return at;
}

/** Which VIPs the next step of the election takes, and when it must wake. */
export class PassPlan {
  /** Per VIP, when to step it again if nothing happens (a heap, not a scan of every VIP). */
  readonly #wakes = new Deadlines();
  /** VIPs whose wake-up time has passed and that no step has taken yet: the next tick steps them. */
  readonly #due = new Set<string>();
  /** VIPs waiting for their takeover turn: the only ones the API round trip (the stagger) changes. */
  readonly #orphans = new Set<string>();
  /** The pass inputs and the API round trip at the last full pass (null: the next tick makes one). */
  #lastInputs: number[] | null = null;
  #rttAtPass = 0;

  /** Must this event or tick make a full pass? */
  needsFull(inputs: readonly number[], always: boolean): boolean {
    const last = this.#lastInputs;
    if (always || last === null || last.length !== inputs.length) return true;
    for (let i = 0; i < inputs.length; i++) if (inputs[i] !== last[i]) return true;
    return false;
  }

  /** A full pass starts: it steps every VIP, due or not. */
  fullPass(inputs: readonly number[], rttMs: number): void {
    this.#lastInputs = [...inputs];
    this.#rttAtPass = rttMs;
    this.#due.clear();
  }

  /** States changed without a step (retries and staggers restarted): the next tick steps every VIP. */
  invalidate(): void {
    this.#lastInputs = null;
  }

  /** The VIPs a sparse tick steps: wake-ups passed, and the orphans if the stagger moved since the last full pass. */
  dueAt(now: number, rttMs: number): string[] {
    this.#collect(now);
    if (rttMs !== this.#rttAtPass) {
      this.#rttAtPass = rttMs;
      for (const ip of this.#orphans) this.#due.add(ip);
    }
    return [...this.#due];
  }

  /** A VIP is being stepped: it is no longer due. */
  stepping(ip: string): void {
    this.#due.delete(ip);
  }

  /** The step's outcome: its wake-up time (if in the future) and whether it waits as an orphan. */
  stepped(ip: string, wakeAt: number | null, orphan: boolean, now: number): void {
    if (wakeAt !== null && wakeAt > now) this.#wakes.set(ip, wakeAt);
    else this.#wakes.delete(ip);
    if (orphan) this.#orphans.add(ip);
    else this.#orphans.delete(ip);
  }

  /** The VIP is gone from the table. */
  forget(ip: string): void {
    this.#wakes.delete(ip);
    this.#orphans.delete(ip);
  }

  /**
   * The earliest future wake-up of a VIP, or null. Wake-ups already passed are left for the next
   * tick, as before (they are not lost: they are due).
   */
  nextWakeAt(now: number): number | null {
    this.#collect(now);
    return this.#wakes.earliest();
  }

  #collect(now: number): void {
    for (const ip of this.#wakes.popThrough(now)) this.#due.add(ip);
  }
}
