import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IntervalSet } from '../../src/ipam/interval-set.ts';

test('consecutive members collapse into one run', () => {
  const s = new IntervalSet();
  for (let i = 0n; i < 1000n; i++) s.add(i * 1n + 10n);
  assert.equal(s.runs, 1);
  assert.equal(s.size, 1000n);
  assert.equal(s.lowestFreeIn(10n, 2000n), 1010n);
  s.delete(500n);
  assert.equal(s.runs, 2);
  assert.equal(s.lowestFreeIn(10n, 2000n), 500n);
  assert.equal(s.lowestFreeIn(10n, 499n), undefined);
});

test('behaves like a plain set (model check)', () => {
  const op = fc.record({ add: fc.boolean(), v: fc.bigInt({ min: 0n, max: 40n }) });
  const query = fc.tuple(fc.bigInt({ min: 0n, max: 45n }), fc.bigInt({ min: 0n, max: 45n }));
  fc.assert(
    fc.property(fc.array(op, { maxLength: 120 }), fc.array(query, { maxLength: 10 }), (ops, queries) => {
      const s = new IntervalSet();
      const model = new Set<bigint>();
      for (const { add, v } of ops) {
        assert.equal(add ? s.add(v) : s.delete(v), add ? !model.has(v) : model.has(v));
        if (add) model.add(v);
        else model.delete(v);
      }
      assert.equal(s.size, BigInt(model.size));
      for (let v = 0n; v <= 45n; v++) assert.equal(s.has(v), model.has(v));
      for (const [lo, hi] of queries) {
        let want: bigint | undefined;
        for (let v = lo; v <= hi; v++) {
          if (!model.has(v)) {
            want = v;
            break;
          }
        }
        assert.equal(s.lowestFreeIn(lo, hi), want);
      }
    }),
    { numRuns: 300 },
  );
});
