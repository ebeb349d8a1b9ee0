import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIP, formatRange, normalizeIP, parseCIDR, parseIP } from '../../src/api/addr.ts';

test('IPv4 parses to a bigint and back', () => {
  const r = parseIP('192.0.2.1');
  assert.deepEqual(r, { ok: true, value: { family: 'IPv4', value: 0xc0000201n } });
  assert.equal(formatIP({ family: 'IPv4', value: 0xc0000201n }), '192.0.2.1');
});

test('IPv6 normalises to RFC 5952 text', () => {
  const cases: Array<[string, string]> = [
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal zero runs is compressed (§4.2.3)
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed (§4.2.2)
    ['2001:0db8::0001', '2001:db8::1'],
    ['::', '::'],
    ['::ffff:c000:201', '::ffff:192.0.2.1'], // IPv4-mapped keeps the dotted quad (§5)
  ];
  for (const [input, want] of cases) assert.deepEqual(normalizeIP(input), { ok: true, value: want }, input);
});

test('inet_aton shorthands, leading zeros and zone ids are rejected', () => {
  for (const bad of ['192.0.2', '0xc0.0.2.1', '192.0.2.01', '3221225985', 'fe80::1%eth0', '192.0.2.256', '', 'x', '1::2::3']) {
    const r = parseIP(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.equal(r.error.code, 'InvalidIP');
  }
});

test('CIDR: bounds, prefix range, host bits', () => {
  assert.deepEqual(parseCIDR('192.0.2.0/24'), { ok: true, value: { family: 'IPv4', prefix: 24, first: 0xc0000200n, last: 0xc00002ffn } });
  const v6 = parseCIDR('2001:db8::/48');
  assert.ok(v6.ok);
  assert.equal(v6.value.last - v6.value.first + 1n, 1n << 80n);
  const host = parseCIDR('192.0.2.1/24');
  assert.ok(!host.ok);
  assert.equal(host.error.code, 'InvalidCIDR');
  assert.match(host.error.message, /host bits set; the network is 192\.0\.2\.0\/24/);
  for (const bad of ['192.0.2.0/33', '192.0.2.0/', '192.0.2.0', '192.0.2.0/024', '2001:db8::/129', '192.0.2.0/24/1', 'a/8']) {
    const r = parseCIDR(bad);
    assert.ok(!r.ok, bad);
    assert.equal(r.error.code, 'InvalidCIDR');
  }
  assert.deepEqual(parseCIDR('192.0.2.7/32'), { ok: true, value: { family: 'IPv4', prefix: 32, first: 0xc0000207n, last: 0xc0000207n } });
});

test('ranges print as one address or first-last', () => {
  assert.equal(formatRange('IPv4', 0xc0000201n, 0xc0000201n), '192.0.2.1');
  assert.equal(formatRange('IPv6', 0x20010db8n << 96n, (0x20010db8n << 96n) + 15n), '2001:db8::-2001:db8::f');
});
