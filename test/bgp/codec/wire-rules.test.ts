// Prefixes, MP attributes, the framer's limit and the packer's edges rule by rule (issue #15: the
// survivors of the message half's mutation run): the text forms a prefix may take, what the
// encoders refuse and say, the MP_REACH/MP_UNREACH values RFC 4760 and RFC 7606 §7.11 refuse,
// the largest message the framer admits, and the packer's capacity and length-octet boundaries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addressBytes, BgpFramer, decodeMessage, decodePrefixes, formatAddress, formatPrefix, packAnnouncements, packWithdrawals,
  parsePrefix, type Prefix,
} from '../../../src/bgp/codec/index.ts';
import { decodeMpReach, decodeMpUnreach } from '../../../src/bgp/codec/mp.ts';
import { hex, hosts, MARKER, NEW, pfx, toHex, unpack } from './helpers.ts';

test('parsePrefix: an address, one slash and 1 to 3 digits, or null', () => {
  const refused = [
    '10.0.0.0', '::1', '2001:db8::', '10.0.0.0/', '10.0.0.0/x', '10.0.0.0/2x', '10.0.0.0/a24', '10.0.0.0/24a', '10.0.0.0/0024',
    '10.0.0.0/ 24', '10.0.0.0/-1', '/24', '10.0.0.0/33', '2001:db8::/129', '10.0.0/24', '10.0.0.0/24/24',
  ];
  for (const text of refused) assert.equal(parsePrefix(text), null, text);
  const accepted: ReadonlyArray<[string, string]> = [
    ['10.0.0.0/8', '10.0.0.0/8'], ['10.1.2.3/16', '10.1.0.0/16'], ['0.0.0.0/0', '0.0.0.0/0'], ['192.0.2.1/032', '192.0.2.1/32'],
    ['2001:db8::1/128', '2001:db8::1/128'], ['2001:db8:ffff::/33', '2001:db8:8000::/33'], ['::/0', '::/0'],
  ];
  for (const [text, canonical] of accepted) {
    const p = parsePrefix(text);
    assert.ok(p !== null, text);
    assert.equal(formatPrefix(p), canonical, text);
  }
});

test('formatAddress: dotted decimal for 4 octets, RFC 5952 text for 16', () => {
  assert.equal(formatAddress(hex('c0 00 02 01')), '192.0.2.1');
  assert.equal(formatAddress(hex('20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01')), '2001:db8::1');
  assert.equal(formatAddress(hex('00 00 00 00 00 00 00 00 00 00 00 00 c0 00 02 01')), '::c000:201');
});

test('addressBytes: the encoders refuse an address of the other family or none, quoting it', () => {
  assert.equal(toHex(addressBytes('192.0.2.1', 4)), 'c0000201');
  assert.equal(toHex(addressBytes('2001:db8::1', 16)), '20010db8000000000000000000000001');
  const cases: ReadonlyArray<[string, 4 | 16, string]> = [
    ['2001:db8::1', 4, 'not an IPv4 address: "2001:db8::1"'],
    ['192.0.2.1', 16, 'not an IPv6 address: "192.0.2.1"'],
    ['banana', 4, 'not an IPv4 address: "banana"'],
    ['banana', 16, 'not an IPv6 address: "banana"'],
  ];
  for (const [text, bytes, message] of cases) {
    assert.throws(() => addressBytes(text, bytes), (e: unknown) => e instanceof TypeError && e.message === message, text);
  }
});

test('decodePrefixes (RFC 4271 §4.3, RFC 4760 §5): a length past the family or octets past the end name both numbers', () => {
  const cases: ReadonlyArray<[string, 'ipv4' | 'ipv6', string]> = [
    ['21 0a 00 00 00 00', 'ipv4', 'ipv4 prefix length 33 > 32'],
    ['81 20 01', 'ipv6', 'ipv6 prefix length 129 > 128'],
    ['18 0a 00', 'ipv4', 'ipv4 prefix /24 needs 3 octets, 2 left'],
    ['08 0a 20 20 01', 'ipv4', 'ipv4 prefix /32 needs 4 octets, 2 left'],
    ['08 0a 10 0b 00 40 20 01', 'ipv6', 'ipv6 prefix /64 needs 8 octets, 2 left'],
  ];
  for (const [bytes, family, message] of cases) {
    const b = hex(bytes);
    const r = decodePrefixes(b, 0, b.length, family);
    assert.ok(!r.ok, bytes);
    assert.equal(r.error.code, 'invalid-network-field');
    assert.deepEqual([r.error.notification.code, r.error.notification.subcode], [3, 10]);
    assert.equal(r.error.message, message, bytes);
  }
  // A run that ends exactly at `to`, read from the middle of a buffer.
  const b = hex('ff 08 0a 10 0b 00 ff');
  const r = decodePrefixes(b, 1, 6, 'ipv4');
  assert.ok(r.ok);
  assert.deepEqual(r.value.map(formatPrefix), ['10.0.0.0/8', '11.0.0.0/16']);
});

test('MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760 §3–4, RFC 7606 §7.11): what is malformed, and why', () => {
  const v6nh = '20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01';
  const reach: ReadonlyArray<[string, string]> = [
    ['00 02 01 10', 'MP_REACH_NLRI of 4 octets'],
    [`00 02 01 10 ${v6nh.slice(0, 30)} 00`, 'next hop length 16 overruns MP_REACH_NLRI'],
    [`00 02 01 11 ${v6nh} 00`, 'next hop length 17 overruns MP_REACH_NLRI'],
    [`00 01 01 10 ${v6nh} 00`, 'ipv4 next hop length 16'],
    ['00 02 01 04 c0 00 02 01 00', 'ipv6 next hop length 4'],
    [`00 02 01 10 ${v6nh} 00 81 20`, 'ipv6 prefix length 129 > 128'],
  ];
  for (const [value, reason] of reach) assert.deepEqual(decodeMpReach(hex(value)), { kind: 'malformed', reason }, value);
  assert.deepEqual(decodeMpReach(hex(`00 02 01 10 ${v6nh} 00 80 ${v6nh}`)),
    { kind: 'ok', value: { family: 'ipv6', nextHop: '2001:db8::1', nlri: [pfx('2001:db8::1/128')] } });
  assert.deepEqual(decodeMpReach(hex('00 01 02 04 c0 00 02 01 00')), { kind: 'other-family' });

  const unreach: ReadonlyArray<[string, string]> = [
    ['', 'MP_UNREACH_NLRI of 0 octets'],
    ['00 02', 'MP_UNREACH_NLRI of 2 octets'],
    ['00 02 01 40 20 01', 'ipv6 prefix /64 needs 8 octets, 2 left'],
  ];
  for (const [value, reason] of unreach) assert.deepEqual(decodeMpUnreach(hex(value)), { kind: 'malformed', reason }, value);
  assert.deepEqual(decodeMpUnreach(hex('00 02 01')), { kind: 'ok', value: { family: 'ipv6', withdrawn: [] } });
  // Another AFI/SAFI (IPv4 multicast, L2VPN EVPN) is not this codec's to judge: kept raw, even with octets it cannot read.
  assert.deepEqual(decodeMpUnreach(hex('00 01 02')), { kind: 'other-family' });
  assert.deepEqual(decodeMpUnreach(hex('00 19 46 ff ff')), { kind: 'other-family' });
});

test('the framer never admits more than 4096 octets unless raised, and never more than 65535 (RFC 8654 §4)', () => {
  const keepalive = (length: number) => hex(`${MARKER} ${length.toString(16).padStart(4, '0')} 04`);
  const framer = new BgpFramer();
  framer.setMaxLength(1000); // below the RFC 4271 maximum: the maximum stays 4096
  assert.equal(framer.push(keepalive(4096)).error, null);
  const over = new BgpFramer();
  over.setMaxLength(1000);
  const r = over.push(keepalive(4097));
  assert.equal(r.error?.code, 'bad-message-length');
  assert.equal(r.error?.message, 'message length 4097 outside 19..4096');
  assert.equal(over.buffered, 0);
  // After an error the framer stays failed and holds nothing.
  assert.deepEqual(over.push(keepalive(19)), { frames: [], error: r.error });
  assert.equal(over.buffered, 0);
});

test('the framer: an empty chunk changes nothing, whole messages in pieces come out whole', () => {
  const framer = new BgpFramer();
  const ka = hex(`${MARKER} 0013 04`);
  assert.deepEqual(framer.push(new Uint8Array(0)), { frames: [], error: null });
  assert.deepEqual(framer.push(ka.subarray(0, 5)), { frames: [], error: null });
  assert.deepEqual(framer.push(new Uint8Array(0)), { frames: [], error: null });
  assert.equal(framer.buffered, 5);
  const out = framer.push(hex(`${toHex(ka.subarray(5))} ${toHex(ka)} ${toHex(ka.subarray(0, 18))}`));
  assert.deepEqual(out.frames.map(toHex), [toHex(ka), toHex(ka)]);
  assert.equal(framer.buffered, 18);
  assert.deepEqual(framer.push(ka.subarray(18)).frames.map(toHex), [toHex(ka)]);
  assert.equal(framer.buffered, 0);
});

test('packer: refuses a prefix of the other family, naming it and where it is', () => {
  const nextHop = { origin: 'igp' as const, asPath: [], nextHop: '192.0.2.1' };
  const mixed: Prefix[] = [pfx('10.0.0.0/8'), pfx('2001:db8::/32')];
  assert.throws(() => packAnnouncements(nextHop, mixed, NEW), (e: unknown) => e instanceof TypeError
    && e.message === 'packing ipv4 prefixes, got a ipv6 one at index 1');
  assert.throws(() => packWithdrawals('ipv6', [pfx('2001:db8::/32'), pfx('2001:db8:1::/48'), pfx('10.0.0.0/8')], NEW),
    (e: unknown) => e instanceof TypeError && e.message === 'packing ipv6 prefixes, got a ipv4 one at index 2');
});

test('packer: 17 octets for prefixes (one IPv6 /128) is the least it accepts', () => {
  // IPv4 withdrawals: header 19 + two length fields 4 = 23 octets of overhead.
  const [one] = packWithdrawals('ipv4', hosts('ipv4', 3), { ...NEW, maxLength: 40 });
  assert.ok(one !== undefined && one.length === 38);
  assert.throws(() => packWithdrawals('ipv4', hosts('ipv4', 3), { ...NEW, maxLength: 39 }),
    (e: unknown) => e instanceof RangeError && e.message === 'attributes leave 16 octets of 39 for prefixes');
});

test('packer: MP_UNREACH_NLRI takes a 1-octet length up to 255 octets of value, 2 octets past it (RFC 4271 §4.3)', () => {
  // 14 × /128 (17 octets) + one /104 (14 octets) = 252 octets of prefixes: AFI, SAFI and them make 255.
  const at255 = [...hosts('ipv6', 14), pfx('2001:db8:1::/104')];
  const [short] = packWithdrawals('ipv6', at255, NEW);
  assert.ok(short !== undefined);
  assert.equal(short.length, 19 + 4 + 3 + 255);
  assert.equal(toHex(short.subarray(19, 29)), '0000' + '0102' + '800fff' + '0002' + '01');
  // One octet more: /112 takes 15.
  const at256 = [...hosts('ipv6', 14), pfx('2001:db8:1::/112')];
  const [long] = packWithdrawals('ipv6', at256, NEW);
  assert.ok(long !== undefined);
  assert.equal(long.length, 19 + 4 + 4 + 256);
  assert.equal(toHex(long.subarray(19, 30)), '0000' + '0104' + '900f0100' + '0002' + '01');
  for (const [m, prefixes] of [[short, at255], [long, at256]] as const) {
    const r = decodeMessage(m, NEW);
    assert.ok(r.ok && r.value.type === 'update');
    assert.deepEqual(r.value.update.attributes.mpUnreach?.withdrawn, prefixes);
  }
});

test('packer: the messages lie back to back in one buffer they fill exactly (one allocation per call)', () => {
  const v6 = hosts('ipv6', 600);
  const v4 = hosts('ipv4', 1500);
  const all: Array<[string, Uint8Array[], Prefix[]]> = [
    ['ipv6 withdrawals', packWithdrawals('ipv6', v6, NEW), v6],
    ['ipv6 withdrawals, short', packWithdrawals('ipv6', v6.slice(0, 3), NEW), v6.slice(0, 3)],
    ['ipv4 withdrawals', packWithdrawals('ipv4', v4, NEW), v4],
    ['ipv4 announcements', packAnnouncements({ origin: 'igp', asPath: [], nextHop: '192.0.2.1' }, v4, NEW), v4],
    ['ipv6 announcements', packAnnouncements({ origin: 'igp', asPath: [], mpReach: { family: 'ipv6', nextHop: '2001:db8::1', nlri: [] } }, v6, NEW), v6],
  ];
  for (const [name, messages, prefixes] of all) {
    assert.ok(messages.length >= 1, name);
    let end = 0;
    for (const m of messages) {
      assert.equal(m.buffer, messages[0]?.buffer, name);
      assert.equal(m.byteOffset, end, name);
      end += m.length;
    }
    assert.equal(end, messages[0]?.buffer.byteLength, name);
    assert.deepEqual(unpack(messages, NEW).prefixes, prefixes, name);
  }
});
