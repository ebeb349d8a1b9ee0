// What the pool set tells a user (src/ipam/pool-set.ts): the allocation order, which pools count,
// and the messages that become a Service's `IPAMRequestSatisfied` condition and its `IPReleased`
// Events (docs/ipam.md). Written against the survivors of mutation testing (issue #15,
// docs/mutation-testing.md): no test read these messages whole before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIP, type Addr } from '../../src/api/addr.ts';
import { PoolSet } from '../../src/ipam/pool-set.ts';
import { pool } from './fixtures.ts';

const NO_LABELS: ReadonlyMap<string, string> = new Map();
const TEAM_X = { matchLabels: { team: 'x' }, matchExpressions: [] };

function addr(text: string): Addr {
  const r = parseIP(text);
  assert.ok(r.ok, text);
  return r.value;
}

test('pools are kept in name order whatever the input order, found by name, and the first of a duplicate name wins', () => {
  const set = new PoolSet([pool('c', ['192.0.2.32/28']), pool('a', ['192.0.2.0/28']), pool('b', ['192.0.2.16/28']), pool('a', ['198.51.100.0/28'])]);
  assert.deepEqual(set.pools.map((p) => p.name), ['a', 'b', 'c']);
  assert.deepEqual(set.get('a')?.view.blocks, [{ cidr: '192.0.2.0/28' }]);
  assert.equal(set.get('b')?.name, 'b');
  assert.equal(set.get('zz'), undefined);
});

test('an invalid pool says every problem, holds nothing, and takes no range from a valid pool', () => {
  const set = new PoolSet([
    pool('bad', ['192.0.2.0/33', '192.0.2.0/30-x', '198.51.100.0/28'], { createdAt: -5 }),
    pool('a', ['198.51.100.0/28'], { createdAt: 3 }),
  ]);
  assert.equal(set.errors.get('bad')?.split('; ').length, 2, set.errors.get('bad'));
  assert.match(set.errors.get('bad') ?? '', /^blocks\[0\]: "192\.0\.2\.0\/33": the prefix length must be a number from 0 to 32; blocks\[1\]: /);
  assert.equal(set.get('a')?.conflict, null, 'the older pool is invalid, so its overlap does not count');
  assert.equal(set.get('bad')?.total, 0n);
  assert.deepEqual(set.allContaining(addr('198.51.100.4')).map((p) => p.name), ['a']);
  assert.deepEqual(set.allContaining(addr('203.0.113.4')), []);
});

test('outside(): the reserved first and last address, a pool that is invalid, or no pool at all', () => {
  const set = new PoolSet([pool('a', ['198.51.100.0/28'], { allowFirstLastIPs: false }), pool('bad', ['192.0.2.0/28', '192.0.2.0/33'])]);
  assert.deepEqual(set.outside(addr('198.51.100.0')), {
    ip: '198.51.100.0',
    reason: 'Reserved',
    message: '198.51.100.0 is the first address of block 198.51.100.0/28 of pool "a", which reserves it (allowFirstLastIPs is false)',
  });
  assert.equal(set.outside(addr('198.51.100.15')).message, '198.51.100.15 is the last address of block 198.51.100.0/28 of pool "a", which reserves it (allowFirstLastIPs is false)');
  assert.deepEqual(set.outside(addr('192.0.2.5')), {
    ip: '192.0.2.5',
    reason: 'PoolRemoved',
    message: '192.0.2.5 is in pool "bad", which is invalid: blocks[1]: "192.0.2.0/33": the prefix length must be a number from 0 to 32',
  });
  assert.deepEqual(set.outside(addr('203.0.113.1')), {
    ip: '203.0.113.1',
    reason: 'PoolRemoved',
    message: '203.0.113.1 is no longer in any IPPool (the pool was deleted or its blocks changed)',
  });
});

test('noEligible(): pools that select the Service but cannot give, each with its state', () => {
  const set = new PoolSet([pool('c', ['192.0.2.0/28'], { disabled: true }), pool('d', ['192.0.2.0/29'], { createdAt: 9 }), pool('bad', ['192.0.2.64/33'])]);
  assert.deepEqual(set.eligible(NO_LABELS, 'IPv4'), []);
  assert.deepEqual(set.noEligible(NO_LABELS, 'IPv4'), {
    reason: 'NoPool',
    message: 'the IPPools with IPv4 addresses that select this Service cannot give new ones ("c" is disabled, "d" conflicts)',
  });
});

test('noEligible(): no usable pool of the family, naming the unusable ones when there are', () => {
  const invalid = new PoolSet([pool('bad', ['198.51.100.0/28', '192.0.2.0/33'], { serviceSelector: TEAM_X })]);
  assert.deepEqual(invalid.noEligible(NO_LABELS, 'IPv4'), {
    reason: 'NoPool',
    message: 'no usable IPPool has IPv4 addresses ("bad" is invalid); create or enable an IPPool with a IPv4 block',
  });
  const v4only = new PoolSet([pool('a', ['198.51.100.0/28'])]);
  assert.deepEqual(v4only.noEligible(NO_LABELS, 'IPv6'), {
    reason: 'NoPool',
    message: 'no usable IPPool has IPv6 addresses; create or enable an IPPool with a IPv6 block',
  });
});

test('noEligible(): usable pools that do not select the Service, one or several, dual-stack pools among them', () => {
  const one = new PoolSet([pool('b', ['198.51.100.0/28', '2001:db8::/124'], { serviceSelector: TEAM_X })]);
  assert.deepEqual(one.noEligible(NO_LABELS, 'IPv4'), {
    reason: 'PoolSelectorMismatch',
    message:
      '1 IPPool with IPv4 addresses ("b") does not select this Service; add labels that a pool\'s serviceSelector matches, ' +
      'or select it there by io.kubernetes.service.namespace / io.kubernetes.service.name',
  });
  const two = new PoolSet([pool('b', ['2001:db8::/124', '198.51.100.0/28'], { serviceSelector: TEAM_X }), pool('e', ['192.0.2.0/28'], { serviceSelector: TEAM_X })]);
  assert.match(two.noEligible(NO_LABELS, 'IPv4').message, /^2 IPPools with IPv4 addresses \("b", "e"\) do not select this Service; /);
  assert.deepEqual(two.eligible(new Map([['team', 'x']]), 'IPv4').map((p) => p.name), ['b', 'e']);
});

test('requestBlocker(): why a requested address cannot be had, or null when it can', () => {
  const set = new PoolSet([
    pool('a', ['198.51.100.0/28']),
    pool('b', ['203.0.113.0/28'], { serviceSelector: TEAM_X }),
    pool('c', ['192.0.2.0/28'], { disabled: true }),
    pool('d', ['192.0.2.0/29'], { createdAt: 9 }),
  ]);
  assert.equal(set.requestBlocker(NO_LABELS, addr('198.51.100.3')), null);
  assert.equal(set.requestBlocker(NO_LABELS, addr('203.0.113.3')), 'pool "b" does not select this Service');
  assert.equal(set.requestBlocker(new Map([['team', 'x']]), addr('203.0.113.3')), null);
  assert.equal(set.requestBlocker(NO_LABELS, addr('192.0.2.9')), 'pool "c" is disabled');
  // The first pool by name that holds it conflicts with an older one (disabled, so it gives nothing either).
  const conflicting = new PoolSet([pool('m', ['192.0.2.0/28'], { disabled: true }), pool('k', ['192.0.2.0/29'], { createdAt: 9 })]);
  assert.equal(conflicting.requestBlocker(NO_LABELS, addr('192.0.2.3')), 'pool "k" conflicts: block 192.0.2.0/29 overlaps block 192.0.2.0/28 of older pool "m"');
  assert.equal(set.requestBlocker(NO_LABELS, addr('198.18.0.1')), '198.18.0.1 is no longer in any IPPool (the pool was deleted or its blocks changed)');
});
