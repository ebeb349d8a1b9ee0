// The packer: as few UPDATEs as fit, each within the limit, decoding back to exactly the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMessage, packAnnouncements, packWithdrawals, type PathAttributes } from '../../../src/bgp/codec/index.ts';
import { hosts, NEW, pfx, toHex, unpack } from './helpers.ts';

const ATTRS: PathAttributes = { origin: 'igp', asPath: [{ type: 'sequence', asns: [64500] }], nextHop: '192.0.2.1', communities: [0xffffff01] };
const V6: PathAttributes = { origin: 'igp', asPath: [{ type: 'sequence', asns: [64500] }], mpReach: { family: 'ipv6', nextHop: '2001:db8::1', linkLocalNextHop: 'fe80::1', nlri: [] } };

test('10,000 IPv4 /32s: the fewest 4096-octet UPDATEs, decoding to the input', () => {
  const prefixes = hosts('ipv4', 10_000);
  const messages = packAnnouncements(ATTRS, prefixes, NEW);
  const overhead = 19 + 4 + 4 + 7 + 7 + 7; // header, lengths, ORIGIN, AS_PATH (1 ASN), NEXT_HOP, COMMUNITIES (1)
  const perMessage = Math.floor((4096 - overhead) / 5);
  assert.equal(messages.length, Math.ceil(10_000 / perMessage));
  assert.ok(messages.slice(0, -1).every((m) => m.length > 4096 - 5), 'every message but the last is full');
  const back = unpack(messages, NEW);
  assert.deepEqual(back.prefixes, prefixes);
  for (const a of back.attributes) assert.deepEqual(a, ATTRS);
});

test('IPv6 /128s in MP_REACH_NLRI with global and link-local next hops', () => {
  const prefixes = hosts('ipv6', 3000);
  const messages = packAnnouncements(V6, prefixes, NEW);
  const back = unpack(messages, NEW);
  assert.deepEqual(back.prefixes, prefixes);
  for (const a of back.attributes) assert.deepEqual(a, V6);
  const perMessage = Math.floor((4096 - (19 + 4 + 4 + 5 + 32 + 4 + 9)) / 17);
  assert.equal(messages.length, Math.ceil(3000 / perMessage));
});

test('a packed message is byte for byte what encodeUpdate makes of the same UPDATE', () => {
  const few = [pfx('192.0.2.0/24'), pfx('192.0.2.7/32'), pfx('0.0.0.0/0')];
  const [packed] = packAnnouncements(ATTRS, few, NEW);
  assert.ok(packed);
  assert.equal(toHex(packed), toHex(encodeMessage({ type: 'update', update: { withdrawn: [], attributes: ATTRS, nlri: few } }, NEW)));
  const six = [pfx('2001:db8::/32'), pfx('2001:db8::1/128')];
  const [mp] = packAnnouncements(V6, six, NEW);
  assert.ok(mp);
  const mpReach = V6.mpReach && { ...V6.mpReach, nlri: six };
  assert.equal(toHex(mp), toHex(encodeMessage({ type: 'update', update: { withdrawn: [], attributes: { ...V6, mpReach }, nlri: [] } }, NEW)));
  const [w4] = packWithdrawals('ipv4', few, NEW);
  assert.ok(w4);
  assert.equal(toHex(w4), toHex(encodeMessage({ type: 'update', update: { withdrawn: few, attributes: {}, nlri: [] } }, NEW)));
  const [w6] = packWithdrawals('ipv6', six, NEW);
  assert.ok(w6);
  assert.equal(toHex(w6), toHex(encodeMessage({ type: 'update', update: { withdrawn: [], attributes: { mpUnreach: { family: 'ipv6', withdrawn: six } }, nlri: [] } }, NEW)));
});

test('withdrawals: IPv4 in Withdrawn Routes, IPv6 in MP_UNREACH_NLRI, both split to fit', () => {
  for (const family of ['ipv4', 'ipv6'] as const) {
    const prefixes = hosts(family, 5000);
    const messages = packWithdrawals(family, prefixes, NEW);
    assert.deepEqual(unpack(messages, NEW).prefixes, prefixes, family);
    assert.ok(messages.length > 1);
  }
});

test('RFC 8654 extended messages: 65535 octets hold 16 times as many', () => {
  const prefixes = hosts('ipv4', 100_000);
  const ext = { ...NEW, maxLength: 65535 };
  const big = packAnnouncements(ATTRS, prefixes, ext);
  assert.equal(big.length, Math.ceil(100_000 / Math.floor((65535 - 48) / 5)));
  assert.deepEqual(unpack(big, ext).prefixes, prefixes);
});

test('nothing to pack gives no messages; a prefix of the wrong family is a caller bug', () => {
  assert.deepEqual(packAnnouncements(ATTRS, [], NEW), []);
  assert.deepEqual(packWithdrawals('ipv6', [], NEW), []);
  assert.throws(() => packAnnouncements(ATTRS, [pfx('2001:db8::/32')], NEW), TypeError);
  assert.throws(() => packAnnouncements({ ...ATTRS, communities: new Array(1100).fill(1) }, [pfx('192.0.2.0/24')], NEW), RangeError);
});
