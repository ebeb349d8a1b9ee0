// Fuzz target: a JSON object → the IPPool path of the controller: isIPPool, poolShapeError
// (src/api/ippool.ts), poolView (src/ipam/k8s-adapter.ts) and a PoolSet with a valid
// neighbour pool (src/ipam/pool-set.ts, blocks.ts, selector.ts). Oracle: nothing throws (the guard
// exists so that a hand-edited or older object cannot crash the controller); what passes the guard
// and the shape check becomes a well-typed PoolView; a valid pool's ranges lie in one family each
// with first ≤ last; selection by the pool's selector does not throw.
import { poolView } from '../src/ipam/k8s-adapter.ts';
import { PoolSet } from '../src/ipam/pool-set.ts';
import { matchesSelector } from '../src/api/selector.ts';
import type { PoolView } from '../src/ipam/types.ts';
import { isIPPool, poolShapeError } from '../src/api/ippool.ts';
import { check, type FuzzTarget } from './engine/target.ts';
import { exampleObjects, jsonInput, mutateJson } from './oracles/json.ts';

const NEIGHBOUR: PoolView = { name: 'neighbour', createdAt: 0, blocks: [{ cidr: '198.51.100.0/24' }], allowFirstLastIPs: false, disabled: false, serviceSelector: null };
const LABELS = new Map([['app', 'web'], ['io.kubernetes.service.namespace', 'default'], ['constructor', 'x']]);
const isString = (v: unknown): v is string => typeof v === 'string';

/** What selection relies on: a string key and a list of string values (a string would match by substring). */
function wellTyped(v: PoolView): string | null {
  const s = v.serviceSelector;
  if (s === null) return null;
  for (const [i, e] of s.matchExpressions.entries()) {
    if (!isString(e.key) || !Array.isArray(e.values) || !e.values.every(isString)) return `matchExpressions[${i}] key or values are not strings`;
  }
  return null;
}

export const target: FuzzTarget = {
  name: 'crd-ippool',
  description: 'JSON object → isIPPool, poolShapeError, poolView, PoolSet; no throw, well-typed views',
  covers: ['/src/api/ippool.ts', '/src/ipam/k8s-adapter.ts', '/src/ipam/pool-set.ts', '/src/ipam/blocks.ts', '/src/api/addr.ts', '/src/api/selector.ts'],
  maxLen: 4096,
  customOneIn: 1,
  seeds: () => exampleObjects('IPPool'),
  mutate: mutateJson,
  run(data) {
    const obj = jsonInput(data);
    if (obj === undefined || !isIPPool(obj)) return;
    const shape = poolShapeError(obj);
    const view = poolView(obj);
    const set = new PoolSet([view, NEIGHBOUR]);
    if (shape !== undefined) return;
    const bad = wellTyped(view);
    check(bad === null, () => `an IPPool that passes isIPPool and poolShapeError gives an ill-typed PoolView: ${bad ?? ''}`);
    const pool = set.get(view.name === 'neighbour' ? 'neighbour' : view.name);
    check(pool !== undefined, 'the pool is missing from its PoolSet');
    if (pool.error === null) {
      check(pool.ranges.length === view.blocks.length && pool.ranges.every((r) => r.first <= r.last && r.usableFirst <= r.usableLast + 1n), 'ranges of a valid pool');
      matchesSelector(view.serviceSelector, LABELS);
    }
  },
};
