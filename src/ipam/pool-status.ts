// Pool status counts (docs/ipam.md, "Pool status"). Computed from the allocations on demand and
// cached by the allocator until something changes: cost follows the number of held and reserved
// addresses times the number of blocks, never the size of a pool.
import type { AddressBook } from './address-book.ts';
import type { PoolSet } from './pool-set.ts';
import type { PoolStatusView } from '../api/ippool.ts';

export function computeStatuses(pools: PoolSet, book: AddressBook): Map<string, PoolStatusView> {
  const used = new Map<string, bigint>();
  const reserved = new Map<string, bigint>();
  const bump = (m: Map<string, bigint>, name: string): void => {
    m.set(name, (m.get(name) ?? 0n) + 1n);
  };
  // An address inside two (overlapping) pools is used in the first by pool order only.
  for (const h of book.holdings()) {
    const pool = pools.containing(h.addr);
    if (pool !== undefined) bump(used, pool.name);
  }
  // A reserved address is unavailable in every pool that contains it.
  for (const r of book.reservations()) {
    if (book.holders(r.text).size > 0) continue;
    for (const pool of pools.allContaining(r.addr)) bump(reserved, pool.name);
  }
  const out = new Map<string, PoolStatusView>();
  for (const pool of pools.pools) {
    const u = used.get(pool.name) ?? 0n;
    const r = reserved.get(pool.name) ?? 0n;
    const left = pool.total - u - r;
    out.set(pool.name, {
      name: pool.name,
      total: pool.total,
      used: u,
      reserved: r,
      available: left > 0n ? left : 0n,
      conflict: pool.conflict === null ? { conflicting: false } : { conflicting: true, message: pool.conflict },
    });
  }
  return out;
}
