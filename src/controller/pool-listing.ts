// The listed IPPool objects as the reconciler takes them. Every object with a name is passed on:
// a malformed one (a shape the schema refuses on a real API server but the stand-in, an older
// CRD or a hand-made object can carry; or a block or selector only a CEL rule refuses) gets a
// Valid=False condition naming the field and gives no new addresses (issue #14), instead of being
// skipped without a word.
import { ippoolShapeProblem, isIPPool, objectIdentity, poolShapeError } from '../api/ippool.ts';
import { HERALD_GROUP, HERALD_VERSION } from '../api/names.ts';
import type { IPPool } from '../api/generated/ippools.ts';

export interface PoolListing {
  pools: IPPool[];
  /** Pool name → why it is malformed, naming the field. */
  malformedPools: Map<string, string>;
  /** Problems of objects without a name: nothing can carry their status, the caller logs them. */
  unnamed: string[];
}

export function readPoolListing(listed: readonly unknown[]): PoolListing {
  const out: PoolListing = { pools: [], malformedPools: new Map(), unnamed: [] };
  for (const p of listed) {
    if (isIPPool(p)) {
      const shape = poolShapeError(p);
      if (shape !== undefined) out.malformedPools.set(p.metadata.name ?? '?', shape);
      out.pools.push(p);
      continue;
    }
    const problem = ippoolShapeProblem(p) ?? 'unreadable';
    const id = objectIdentity(p);
    if (id === undefined) {
      out.unnamed.push(problem);
      continue;
    }
    // Only the name (and version) is read; an empty spec stands in, so the reconciler keeps the
    // pool's last good spec, disabled, and says why (IpamReconciler#setPools).
    out.malformedPools.set(id.name, problem);
    out.pools.push({ apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, kind: 'IPPool', metadata: id, spec: { blocks: [] } });
  }
  return out;
}
