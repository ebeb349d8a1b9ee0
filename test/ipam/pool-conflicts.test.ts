import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBlocks } from '../../src/ipam/blocks.ts';
import { findPoolConflicts } from '../../src/ipam/pool-conflicts.ts';
import type { BlockSpec } from '../../src/ipam/types.ts';

const p = (name: string, createdAt: number, blocks: BlockSpec[]) => ({ name, createdAt, ranges: parseBlocks(blocks, true).ranges });

test('the newer pool conflicts and the message names both blocks and the older pool', () => {
  const got = findPoolConflicts([
    p('amber', 2, [{ cidr: '192.0.2.0/28' }]),
    p('blue', 1, [{ start: '192.0.2.8', stop: '192.0.2.20' }]),
  ]);
  assert.deepEqual([...got], [['amber', 'block 192.0.2.0/28 overlaps block 192.0.2.8-192.0.2.20 of older pool "blue"']]);
});

test('equal creation times: the name decides', () => {
  const got = findPoolConflicts([p('b', 5, [{ cidr: '2001:db8::/64' }]), p('a', 5, [{ cidr: '2001:db8::/48' }])]);
  assert.deepEqual([...got.keys()], ['b']);
});

test('adjacent or different-family blocks do not overlap', () => {
  const got = findPoolConflicts([
    p('a', 1, [{ cidr: '192.0.2.0/28' }]),
    p('b', 2, [{ cidr: '192.0.2.16/28' }, { cidr: '2001:db8::/64' }]),
    p('c', 3, [{ cidr: '2001:db8:1::/64' }]),
  ]);
  assert.equal(got.size, 0);
});

test('overlapping blocks inside one pool make it conflicting', () => {
  const got = findPoolConflicts([p('a', 1, [{ cidr: '192.0.2.0/28' }, { start: '192.0.2.15' }])]);
  assert.deepEqual([...got], [['a', 'block 192.0.2.0/28 overlaps block 192.0.2.15 of the same pool']]);
});

test('several overlaps: the first is named and the rest counted', () => {
  const got = findPoolConflicts([
    p('old', 1, [{ cidr: '192.0.2.0/24' }]),
    p('new', 2, [{ cidr: '192.0.2.0/28' }, { cidr: '192.0.2.64/28' }]),
  ]);
  assert.match(got.get('new') ?? '', /^block 192\.0\.2\.0\/28 overlaps block 192\.0\.2\.0\/24 of older pool "old" \(and 1 more overlaps\)$/);
  assert.equal(got.has('old'), false);
});
