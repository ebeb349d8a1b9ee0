// The allocator's range arithmetic at its edges: the interval set keeps maximal runs (its memory
// is the number of runs), usableCount is the size of a union however the blocks lie, locate
// tells usable from reserved ends, invalid blocks say what is wrong, an invalid pool is read as
// far as it goes, and pool overlaps are per family and inclusive. Written against the survivors
// of mutation testing (issue #15, docs/mutation-testing.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IntervalSet } from '../../src/ipam/interval-set.ts';
import { locate, parseBlock, parseBlocks, readableBlocks, usableCount, type BlockRange } from '../../src/ipam/blocks.ts';
import { findPoolConflicts } from '../../src/ipam/pool-conflicts.ts';
import type { BlockSpec } from '../../src/ipam/types.ts';

function runsOf(model: ReadonlySet<bigint>): number {
  let runs = 0;
  for (const v of model) if (!model.has(v - 1n)) runs++;
  return runs;
}

test('property: the interval set always holds maximal runs, and deleting splits or trims them exactly', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ add: fc.boolean(), v: fc.bigInt({ min: 0n, max: 16n }) }), { maxLength: 80 }), (ops) => {
      const s = new IntervalSet();
      const model = new Set<bigint>();
      for (const { add, v } of ops) {
        if (add) {
          s.add(v);
          model.add(v);
        } else {
          s.delete(v);
          model.delete(v);
        }
        assert.equal(s.runs, runsOf(model));
        assert.equal(s.size, BigInt(model.size));
        for (let x = 0n; x <= 17n; x++) assert.equal(s.has(x), model.has(x), `${x} after ${add ? 'add' : 'delete'} ${v}`);
      }
    }),
    { numRuns: 300 },
  );
  const s = new IntervalSet();
  assert.equal(s.lowestFreeIn(5n, 4n), undefined, 'an empty interval');
});

test('property: usableCount is the size of the union of the usable parts, in any order, per family', () => {
  const v4 = (n: number): string => `192.0.2.${n}`;
  const v6 = (n: number): string => `2001:db8::${n.toString(16)}`;
  const block = fc.record({ six: fc.boolean(), a: fc.integer({ min: 0, max: 30 }), b: fc.integer({ min: 0, max: 30 }), cidr: fc.boolean() });
  fc.assert(
    fc.property(fc.array(block, { maxLength: 6 }), fc.boolean(), (blocks, allowEnds) => {
      const specs: BlockSpec[] = blocks.map(({ six, a, b, cidr }) => {
        const ip = six ? v6 : v4;
        if (cidr) return { cidr: `${ip(a & ~3)}/${six ? 126 : 30}` };
        return { start: ip(Math.min(a, b)), stop: ip(Math.max(a, b)) };
      });
      const { ranges } = parseBlocks(specs, allowEnds);
      const members = new Set<string>();
      for (const r of ranges) for (let x = r.usableFirst; x <= r.usableLast; x++) members.add(`${r.family} ${x}`);
      assert.equal(usableCount(ranges), BigInt(members.size));
    }),
    { numRuns: 300 },
  );
});

test('locate: outside (other family, below, above), a reserved end, or usable, boundaries included', () => {
  const cidr = parseBlock({ cidr: '192.0.2.0/29' }, false);
  assert.ok(cidr.ok);
  const r: BlockRange = cidr.value;
  const at = (n: number): bigint => r.first + BigInt(n);
  assert.equal(locate(r, 'IPv6', at(3)), 'outside');
  assert.equal(locate(r, 'IPv4', r.first - 1n), 'outside');
  assert.equal(locate(r, 'IPv4', r.last + 1n), 'outside');
  assert.equal(locate(r, 'IPv4', r.first), 'reservedEnd');
  assert.equal(locate(r, 'IPv4', r.last), 'reservedEnd');
  assert.equal(locate(r, 'IPv4', at(1)), 'usable');
  assert.equal(locate(r, 'IPv4', at(6)), 'usable');
  const open = parseBlock({ cidr: '192.0.2.0/29' }, true);
  assert.ok(open.ok);
  assert.equal(locate(open.value, 'IPv4', open.value.first), 'usable');
  assert.equal(locate(open.value, 'IPv4', open.value.last), 'usable');
});

test('invalid blocks say what is wrong', () => {
  const table: [BlockSpec, string, string][] = [
    [{ cidr: '192.0.2.0/24', start: '192.0.2.1' } as never, 'InvalidBlock', 'a block needs exactly one of cidr or start'],
    [{} as never, 'InvalidBlock', 'a block needs exactly one of cidr or start'],
    [{ start: 'nope' }, 'InvalidRange', 'start: '],
    [{ start: '192.0.2.1', stop: 'nope' }, 'InvalidRange', 'stop: '],
    [{ start: '192.0.2.1', stop: '2001:db8::1' }, 'InvalidRange', 'start 192.0.2.1 and stop 2001:db8::1 are of different families'],
    [{ start: '192.0.2.9', stop: '192.0.2.1' }, 'InvalidRange', 'start 192.0.2.9 is after stop 192.0.2.1'],
  ];
  for (const [spec, code, message] of table) {
    const r = parseBlock(spec, true);
    assert.ok(!r.ok, JSON.stringify(spec));
    assert.equal(r.error.code, code, JSON.stringify(spec));
    // "start: " and "stop: " are followed by the address parser's own message.
    if (message.endsWith(': ')) assert.ok(r.error.message.startsWith(message) && r.error.message.length > message.length, r.error.message);
    else assert.equal(r.error.message, message);
  }
  // A field of the wrong type is as good as absent.
  assert.ok(parseBlock({ cidr: 5, start: '192.0.2.1' } as never, true).ok);
  assert.ok(parseBlock({ cidr: '192.0.2.0/30', start: 5 } as never, true).ok);
  assert.deepEqual(parseBlocks([], true).errors, [{ code: 'NoBlocks', message: 'the pool has no blocks' }]);
});

test('readableBlocks: what cannot be read as a network is dropped, never thrown on; host bits are masked at any prefix', () => {
  const dropped: BlockSpec[] = [{ start: '192.0.2.9', stop: '192.0.2.1' }, { cidr: 5 } as never, { cidr: '192.0.2.300/24' }, { cidr: '192.0.2.0/-1' }, { cidr: '192.0.2.0/33' }, { cidr: '192.0.2.1' }, { cidr: '/24' }];
  assert.deepEqual(readableBlocks(dropped), []);
  assert.deepEqual(readableBlocks([{ cidr: '192.0.2.1/0' }, { cidr: '2001:db8::1/64' }]), [{ cidr: '0.0.0.0/0' }, { cidr: '2001:db8::/64' }]);
});

test('pool overlaps: one shared address is an overlap; equal numbers in different families are not; names break ties in any order', () => {
  const range = (spec: BlockSpec): BlockRange => {
    const r = parseBlock(spec, true);
    assert.ok(r.ok);
    return r.value;
  };
  const p = (name: string, ...specs: BlockSpec[]): { name: string; createdAt: number; ranges: BlockRange[] } => ({ name, createdAt: 0, ranges: specs.map(range) });
  assert.deepEqual([...findPoolConflicts([p('a', { cidr: '192.0.2.0/30' }), p('b', { start: '192.0.2.3', stop: '192.0.2.9' })]).keys()], ['b']);
  // ::c000:200/126 holds the same numbers as 192.0.2.0/30, in another family.
  assert.deepEqual(findPoolConflicts([p('a', { cidr: '192.0.2.0/30' }), p('b', { cidr: '::c000:200/126' })]).size, 0);
  for (const order of [['a', 'b'], ['b', 'a']]) {
    const conflicts = findPoolConflicts(order.map((n) => p(n, { cidr: '192.0.2.0/30' })));
    assert.deepEqual([...conflicts.keys()], ['b'], order.join(','));
  }
});
