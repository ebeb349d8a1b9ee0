// The pool set as the allocator uses it: every IPPool parsed once per `setPools`, in allocation
// order (by name), with its validity and conflict, and the questions the allocator asks of it:
// which pool holds this address, which pools may give this Service an address, and why not.
import { formatIP, type Addr } from '../api/addr.ts';
import { locate, parseBlocks, usableCount, type BlockRange } from './blocks.ts';
import { findPoolConflicts } from './pool-conflicts.ts';
import { matchesSelector, validateSelector } from '../api/selector.ts';
import { SERVICE_NAME_KEY, SERVICE_NAMESPACE_KEY } from '../api/names.ts';
import type { PoolErrors, PoolView, Release } from './types.ts';
import type { Family } from '../api/addr.ts';

export interface Pool {
  readonly name: string;
  readonly view: PoolView;
  /** The blocks that parsed (all of them for a valid pool). */
  readonly ranges: readonly BlockRange[];
  /** Why the pool is invalid, or null. An invalid pool gives nothing and keeps nothing. */
  readonly error: string | null;
  /** The overlap that makes this pool Conflicting, or null. */
  readonly conflict: string | null;
  /** Usable addresses (0 for an invalid pool). */
  readonly total: bigint;
}

export type PoolFailure = { reason: 'NoPool' | 'PoolSelectorMismatch'; message: string };

// Plain loops here and in containing(): these run for every held address on every pass (100
// pools × 11,000 addresses at a cold start), and the closures of some()/find() were 140 MB of
// garbage in one pass (issue #10, bench/README.md IPAM Finding 7).
function holds(pool: Pool, addr: Addr): boolean {
  for (const r of pool.ranges) if (locate(r, addr.family, addr.value) === 'usable') return true;
  return false;
}

function quoteNames(pools: readonly Pool[]): string {
  return pools.map((p) => `"${p.name}"`).join(', ');
}

export class PoolSet {
  /** Every pool, ordered by name: the allocation order. */
  readonly pools: readonly Pool[];
  readonly errors: PoolErrors = new Map();
  private readonly byName = new Map<string, Pool>();

  constructor(views: readonly PoolView[]) {
    // Kubernetes object names are unique in a cluster-scoped kind; the first of a duplicate wins.
    const unique = new Map<string, PoolView>();
    for (const v of views) if (!unique.has(v.name)) unique.set(v.name, v);
    const parsed = [...unique.values()].map((view) => {
      const { ranges, errors } = parseBlocks(view.blocks, view.allowFirstLastIPs);
      const selectorError = validateSelector(view.serviceSelector);
      const messages = [...errors, ...(selectorError ? [selectorError] : [])].map((e) => e.message);
      return { view, ranges, error: messages.length > 0 ? messages.join('; ') : null };
    });
    // Invalid pools hold nothing, so they cannot take a range from a valid one.
    const conflicts = findPoolConflicts(
      parsed.filter((p) => p.error === null).map((p) => ({ name: p.view.name, createdAt: p.view.createdAt, ranges: p.ranges })),
    );
    this.pools = parsed
      .map((p) => ({
        name: p.view.name,
        view: p.view,
        ranges: p.ranges,
        error: p.error,
        conflict: conflicts.get(p.view.name) ?? null,
        total: p.error === null ? usableCount(p.ranges) : 0n,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const pool of this.pools) {
      this.byName.set(pool.name, pool);
      if (pool.error !== null) this.errors.set(pool.name, pool.error);
    }
  }

  get(name: string): Pool | undefined {
    return this.byName.get(name);
  }

  /** The first valid pool, by name, whose usable ranges hold the address (disabled and conflicting included). */
  containing(addr: Addr): Pool | undefined {
    for (const p of this.pools) if (p.error === null && holds(p, addr)) return p;
    return undefined;
  }

  /** Every valid pool whose usable ranges hold the address. */
  allContaining(addr: Addr): Pool[] {
    return this.pools.filter((p) => p.error === null && holds(p, addr));
  }

  /** Why an address that no valid pool holds cannot be kept: the Release for it. */
  outside(addr: Addr): Release {
    const ip = formatIP(addr);
    for (const pool of this.pools) {
      for (const r of pool.ranges) {
        const where = locate(r, addr.family, addr.value);
        if (where === 'reservedEnd' && pool.error === null) {
          const end = addr.value === r.first ? 'first' : 'last';
          return {
            ip,
            reason: 'Reserved',
            message: `${ip} is the ${end} address of block ${r.text} of pool "${pool.name}", which reserves it (allowFirstLastIPs is false)`,
          };
        }
        if (where !== 'outside' && pool.error !== null) {
          return { ip, reason: 'PoolRemoved', message: `${ip} is in pool "${pool.name}", which is invalid: ${pool.error}` };
        }
      }
    }
    return { ip, reason: 'PoolRemoved', message: `${ip} is no longer in any IPPool (the pool was deleted or its blocks changed)` };
  }

  /** True when the pool may give new addresses at all. */
  static allocating(pool: Pool): boolean {
    return pool.error === null && !pool.view.disabled && pool.conflict === null;
  }

  /** Pools that may give this Service a new address of the family, in allocation order. */
  eligible(labels: ReadonlyMap<string, string>, family: Family): Pool[] {
    return this.pools.filter(
      (p) => PoolSet.allocating(p) && p.ranges.some((r) => r.family === family) && matchesSelector(p.view.serviceSelector, labels),
    );
  }

  /** The first eligible pool holding the address, or undefined. */
  eligibleHolding(labels: ReadonlyMap<string, string>, addr: Addr): Pool | undefined {
    return this.eligible(labels, addr.family).find((p) => holds(p, addr));
  }

  /** Why no pool is eligible for a new address of the family (call when `eligible` is empty). */
  noEligible(labels: ReadonlyMap<string, string>, family: Family): PoolFailure {
    const withFamily = this.pools.filter((p) => p.ranges.some((r) => r.family === family));
    const state = (p: Pool): string => `"${p.name}" ${p.error !== null ? 'is invalid' : p.view.disabled ? 'is disabled' : 'conflicts'}`;
    const selecting = withFamily.filter((p) => p.error === null && matchesSelector(p.view.serviceSelector, labels));
    if (selecting.length > 0) {
      return {
        reason: 'NoPool',
        message: `the IPPools with ${family} addresses that select this Service cannot give new ones (${selecting.map(state).join(', ')})`,
      };
    }
    const usable = withFamily.filter((p) => PoolSet.allocating(p));
    if (usable.length === 0) {
      const detail = withFamily.length > 0 ? ` (${withFamily.map(state).join(', ')})` : '';
      return {
        reason: 'NoPool',
        message: `no usable IPPool has ${family} addresses${detail}; create or enable an IPPool with a ${family} block`,
      };
    }
    const n = usable.length;
    return {
      reason: 'PoolSelectorMismatch',
      message:
        `${n} IPPool${n === 1 ? '' : 's'} with ${family} addresses (${quoteNames(usable)}) ` +
        `${n === 1 ? 'does' : 'do'} not select this Service; add labels that a pool's serviceSelector matches, ` +
        `or select it there by ${SERVICE_NAMESPACE_KEY} / ${SERVICE_NAME_KEY}`,
    };
  }

  /** Why a requested address cannot come from a pool for this Service, or null if it can. */
  requestBlocker(labels: ReadonlyMap<string, string>, addr: Addr): string | null {
    if (this.eligibleHolding(labels, addr) !== undefined) return null;
    const pool = this.containing(addr);
    if (pool === undefined) return this.outside(addr).message;
    if (pool.view.disabled) return `pool "${pool.name}" is disabled`;
    if (pool.conflict !== null) return `pool "${pool.name}" conflicts: ${pool.conflict}`;
    return `pool "${pool.name}" does not select this Service`;
  }

  static describe(pools: readonly Pool[]): string {
    return `${pools.length === 1 ? 'pool' : 'pools'} ${quoteNames(pools)}`;
  }
}
