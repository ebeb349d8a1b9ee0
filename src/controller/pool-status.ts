// IPPool status from the allocator's view: decimal-string counts and Conflict / Valid conditions.
import type { IPPoolStatus } from '../api/ippool.ts';
import type { Condition } from '../api/conditions.ts';
import type { IPPool } from '../api/generated/ippools.ts';
import type { PoolStatusView } from '../api/ippool.ts';

function condition(prev: Condition[] | undefined, type: string, status: 'True' | 'False', reason: string, message: string, generation: number | undefined, now: Date): Condition {
  const old = prev?.find((c) => c.type === type);
  return {
    type,
    status,
    reason,
    message,
    observedGeneration: generation,
    lastTransitionTime: old !== undefined && old.status === status ? old.lastTransitionTime : now.toISOString(),
  } as Condition;
}

/** The reason of Valid=False: the first problem named is the selector's, or a block's. */
function invalidReason(parseError: string): 'InvalidSelector' | 'InvalidBlock' {
  return /^(spec\.)?serviceSelector\b/.test(parseError) ? 'InvalidSelector' : 'InvalidBlock';
}

/** Desired status for one pool, or null when the object already says it. `parseError` = the pool is invalid. */
export function desiredPoolStatus(pool: IPPool, view: PoolStatusView | undefined, parseError: string | undefined, now: Date): IPPoolStatus | null {
  const gen = pool.metadata.generation;
  const prev = pool.status?.conditions;
  const conflict = view?.conflict ?? { conflicting: false };
  const conditions: Condition[] = [
    conflict.conflicting
      ? condition(prev, 'Conflict', 'True', 'Overlap', conflict.message, gen, now)
      : condition(prev, 'Conflict', 'False', 'Resolved', 'no overlap with another pool or within this pool', gen, now),
    parseError !== undefined
      ? condition(prev, 'Valid', 'False', invalidReason(parseError), `${parseError}; the pool gives no addresses until this is fixed`, gen, now)
      : condition(prev, 'Valid', 'True', 'Valid', 'every block is valid', gen, now),
  ];
  const next: IPPoolStatus = {
    ipsTotal: (view?.total ?? 0n).toString(),
    ipsUsed: (view?.used ?? 0n).toString(),
    ipsAvailable: (view?.available ?? 0n).toString(),
    ipsReserved: (view?.reserved ?? 0n).toString(),
    observedGeneration: gen,
    conditions,
  };
  return sameStatus(pool.status, next) ? null : next;
}

function sameStatus(a: IPPoolStatus | undefined, b: IPPoolStatus): boolean {
  if (a === undefined) return false;
  if (a.ipsTotal !== b.ipsTotal || a.ipsUsed !== b.ipsUsed || a.ipsAvailable !== b.ipsAvailable || a.ipsReserved !== b.ipsReserved || a.observedGeneration !== b.observedGeneration) return false;
  const ac = a.conditions ?? [];
  const bc = b.conditions ?? [];
  return ac.length === bc.length && bc.every((c) => ac.some((o) => o.type === c.type && o.status === c.status && o.reason === c.reason && o.message === c.message && o.observedGeneration === c.observedGeneration));
}
