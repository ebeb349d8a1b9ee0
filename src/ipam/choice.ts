// Where a Service's new address comes from (docs/ipam.md rules 5, 7 and 8): the address it
// requests, if it may have it; else one its sharing-key group already holds and it may join;
// else the lowest free address of the first eligible pool. Reads the allocator's state, changes
// nothing: the allocator attaches what is chosen.
import { formatIP, type Addr } from '../api/addr.ts';
import type { AddressBook } from './address-book.ts';
import { PoolSet, type Pool } from './pool-set.ts';
import type { HeldAddr } from './service-wants.ts';
import { sharingConflict } from './sharing.ts';
import type { ConditionReason } from './types.ts';
import type { ServiceView } from '../api/service.ts';
import type { Family } from '../api/addr.ts';

export interface Problem {
  reason: ConditionReason;
  message: string;
}

export type Choice = { held: HeldAddr; pool: Pool } | { problem: Problem };

export interface ChoiceContext {
  pools(): PoolSet;
  readonly book: AddressBook;
  /** The last view of a Service the allocator knows. */
  view(key: string): ServiceView;
  /** The address of the family a known Service holds. */
  held(key: string, family: Family): HeldAddr | undefined;
  /** Keys of the known Services with this sharing key. */
  group(sharingKey: string): Iterable<string>;
}

/** Why `view` cannot join the holders of `text`, or null. */
function holderConflict(ctx: ChoiceContext, view: ServiceView, text: string): { other: string; why: string } | null {
  for (const other of ctx.book.holders(text)) {
    if (other === view.key) continue;
    const why = sharingConflict(view, ctx.view(other));
    if (why !== null) return { other, why };
  }
  return null;
}

/** Rule 5: a requested address is given when an eligible pool has it, it is not reserved, and its holders accept. */
export function checkRequested(ctx: ChoiceContext, view: ServiceView, labels: ReadonlyMap<string, string>, h: HeldAddr): Choice {
  const unavailable = (why: string): Choice => ({
    problem: { reason: 'RequestedIPUnavailable', message: `requested ${h.text} is unavailable: ${why}` },
  });
  const pools = ctx.pools();
  const blocker = pools.requestBlocker(labels, h.addr);
  if (blocker !== null) return unavailable(blocker);
  const reservedFor = ctx.book.reservation(h.text);
  if (reservedFor !== undefined) return unavailable(`it is reserved (${reservedFor})`);
  const conflict = holderConflict(ctx, view, h.text);
  if (conflict !== null) {
    return {
      problem: {
        reason: 'IncompatibleSharing',
        message: `requested ${h.text} is held by ${conflict.other}, which cannot share it: ${conflict.why}`,
      },
    };
  }
  const pool = pools.eligibleHolding(labels, h.addr);
  return pool === undefined ? unavailable('no eligible pool') : { held: h, pool };
}

/** Rules 7–8: an address of the Service's key group, else the lowest free one of the first pool that has one. */
export function chooseAddress(ctx: ChoiceContext, view: ServiceView, labels: ReadonlyMap<string, string>, family: Family): Choice {
  const pools = ctx.pools();
  const eligible = pools.eligible(labels, family);
  if (eligible.length === 0) return { problem: pools.noEligible(labels, family) };
  const shared = joinable(ctx, view, labels, family);
  if (shared !== undefined) return shared;
  for (const pool of eligible) {
    for (const r of pool.ranges) {
      if (r.family !== family) continue;
      const value = ctx.book.lowestFree(family, r.usableFirst, r.usableLast);
      if (value === undefined) continue;
      const addr: Addr = { family, value };
      return { held: { addr, text: formatIP(addr) }, pool };
    }
  }
  return { problem: { reason: 'OutOfIPs', message: `no free ${family} address in ${PoolSet.describe(eligible)}` } };
}

/** The lowest address held by the Service's key group that it may join, if any. */
function joinable(ctx: ChoiceContext, view: ServiceView, labels: ReadonlyMap<string, string>, family: Family): Choice | undefined {
  if (view.sharing === null) return undefined;
  let best: { held: HeldAddr; pool: Pool } | undefined;
  for (const member of ctx.group(view.sharing.key)) {
    if (member === view.key) continue;
    const h = ctx.held(member, family);
    if (h === undefined || (best !== undefined && h.addr.value >= best.held.addr.value)) continue;
    if (ctx.book.reservation(h.text) !== undefined) continue;
    const pool = ctx.pools().eligibleHolding(labels, h.addr);
    if (pool === undefined || holderConflict(ctx, view, h.text) !== null) continue;
    best = { held: h, pool };
  }
  return best;
}
