import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBlock, parseBlocks, readableBlocks, usableCount } from '../../src/ipam/blocks.ts';

test('CIDR block: first/last reserved only when asked and only above 2 addresses', () => {
  const open = parseBlock({ cidr: '192.0.2.0/30' }, true);
  assert.ok(open.ok);
  assert.equal(open.value.usableLast - open.value.usableFirst + 1n, 4n);
  const closed = parseBlock({ cidr: '192.0.2.0/30' }, false);
  assert.ok(closed.ok);
  assert.equal(closed.value.reservesEnds, true);
  assert.equal(closed.value.usableFirst, closed.value.first + 1n);
  assert.equal(closed.value.usableLast, closed.value.last - 1n);
  // RFC 3021 / RFC 6164: point-to-point prefixes keep both addresses.
  for (const cidr of ['192.0.2.0/31', '192.0.2.5/32', '2001:db8::/127', '2001:db8::/128']) {
    const b = parseBlock({ cidr }, false);
    assert.ok(b.ok, cidr);
    assert.equal(b.value.reservesEnds, false, cidr);
  }
  const v6 = parseBlock({ cidr: '2001:db8::/64' }, false);
  assert.ok(v6.ok);
  assert.equal(v6.value.reservesEnds, true);
});

test('start/stop blocks are literal: never reserve ends, stop defaults to start', () => {
  const r = parseBlock({ start: '192.0.2.10', stop: '192.0.2.20' }, false);
  assert.ok(r.ok);
  assert.equal(r.value.reservesEnds, false);
  assert.equal(r.value.text, '192.0.2.10-192.0.2.20');
  const one = parseBlock({ start: '2001:DB8::5' }, false);
  assert.ok(one.ok);
  assert.equal(one.value.text, '2001:db8::5');
  assert.equal(one.value.first, one.value.last);
});

test('invalid blocks are error values with codes', () => {
  const cases: Array<[Parameters<typeof parseBlock>[0], string]> = [
    [{ cidr: '192.0.2.1/24' }, 'InvalidCIDR'],
    [{ start: '192.0.2.20', stop: '192.0.2.10' }, 'InvalidRange'],
    [{ start: '192.0.2.1', stop: '2001:db8::1' }, 'InvalidRange'],
    [{ start: 'nope' }, 'InvalidRange'],
  ];
  for (const [spec, code] of cases) {
    const r = parseBlock(spec, true);
    assert.ok(!r.ok, JSON.stringify(spec));
    assert.equal(r.error.code, code);
  }
  const both = JSON.parse('{"cidr":"192.0.2.0/24","start":"192.0.2.1"}') as { cidr: string };
  const r = parseBlock(both, true);
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'InvalidBlock');
});

test('parseBlocks reports every bad block with its index; an empty list is an error', () => {
  const { ranges, errors } = parseBlocks([{ cidr: '192.0.2.0/28' }, { cidr: '192.0.2.1/28' }, { start: 'x' }], true);
  assert.equal(ranges.length, 1);
  assert.deepEqual(errors.map((e) => [e.code, e.message.slice(0, 9)]), [['InvalidCIDR', 'blocks[1]'], ['InvalidRange', 'blocks[2]']]);
  assert.deepEqual(parseBlocks([], true).errors.map((e) => e.code), ['NoBlocks']);
});

test('usableCount counts the union, per family, as bigint', () => {
  const { ranges } = parseBlocks(
    [{ cidr: '192.0.2.0/28' }, { start: '192.0.2.8', stop: '192.0.2.20' }, { cidr: '2001:db8::/48' }, { cidr: '2001:db8::/64' }],
    false,
  );
  // 192.0.2.1-14 ∪ 192.0.2.8-20 = 1..20 → 20; the /48 without its ends (the /64 lies inside it).
  assert.equal(usableCount(ranges), 20n + (1n << 80n) - 2n);
});

test('readableBlocks: an invalid pool read as far as it goes — valid blocks as they are, host bits masked, the rest dropped', () => {
  assert.deepEqual(
    readableBlocks([{ cidr: '198.51.100.7/29' }, { cidr: '2001:db8::1/64' }, { start: '198.51.100.40', stop: '198.51.100.35' }, { start: '203.0.113.1', stop: '203.0.113.9' }, { cidr: 'nonsense' }, { cidr: '198.51.100.0/40' }]),
    [{ cidr: '198.51.100.0/29' }, { cidr: '2001:db8::/64' }, { start: '203.0.113.1', stop: '203.0.113.9' }],
  );
});
