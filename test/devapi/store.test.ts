// The object store's list order (etcd's key order: namespace, then name) and its cost.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ObjectStore } from '../../src/devapi/store.ts';

test('regression: bench/README.md IPAM Finding 4 — store lists stay in key order without re-sorting on every call', () => {
  const store = new ObjectStore(100);
  const obj = (ns: string, name: string, v = 0) => ({ metadata: { namespace: ns, name }, v });
  const names = (): string[] => store.list('s').map((o) => `${String((o['metadata'] as { namespace: string }).namespace)}/${String((o['metadata'] as { name: string }).name)}`);
  for (const [ns, n] of [['b', 'x'], ['a', 'z'], ['a', 'y'], ['', 'c'], ['a-b', 'a']]) store.create('s', obj(ns ?? '', n ?? ''));
  assert.deepEqual(names(), ['/c', 'a/y', 'a/z', 'a-b/a', 'b/x']);
  // An update keeps the order (and the cached keys); a create and a delete change it.
  const cur = store.get('s', 'a', 'y');
  assert.ok(cur !== undefined);
  store.update('s', obj('a', 'y', 1), cur);
  assert.deepEqual(names(), ['/c', 'a/y', 'a/z', 'a-b/a', 'b/x']);
  assert.equal(store.list('s')[1]?.['v'], 1);
  store.create('s', obj('a', 'a'));
  const gone = store.get('s', 'b', 'x');
  assert.ok(gone !== undefined);
  store.remove('s', gone);
  assert.deepEqual(names(), ['/c', 'a/a', 'a/y', 'a/z', 'a-b/a']);
  assert.deepEqual(store.list('s', 'a').length, 3);
  // 20,000 objects, 200 lists: with a sort per call this took seconds. Counted, not timed: the
  // lists sort at most once between changes, and a change makes the next list sort again.
  const big = new ObjectStore(10);
  for (let i = 0; i < 20_000; i++) big.create('leases', obj('herald-system', `l-${i}`));
  const sorts = countSorts(() => {
    for (let i = 0; i < 200; i++) assert.equal(big.list('leases').length, 20_000);
  });
  assert.ok(sorts <= 1, `200 lists sorted ${sorts} times`);
  big.create('leases', obj('herald-system', 'l-new'));
  assert.equal(countSorts(() => big.list('leases')), 1, 'a create is sorted in at the next list');
});

/** How many times Array.prototype.sort ran inside `fn`. */
function countSorts(fn: () => unknown): number {
  const sort = Array.prototype.sort;
  let n = 0;
  Array.prototype.sort = function (this: unknown[], compare?: (a: unknown, b: unknown) => number) {
    n++;
    return sort.call(this, compare);
  } as typeof sort;
  try {
    fn();
  } finally {
    Array.prototype.sort = sort;
  }
  return n;
}
