// Addresses as the L2 layer takes them from callers, and two encoding rules of RFC 4861: text of
// the wrong family is refused with `bad-ip` (never thrown, never passed on), a forged brand is a
// bug that throws and names the text, multicast and solicited-node addresses are told by their
// whole prefix, NS reserved bytes are zero, and options are padded to 8-byte units. Written
// against the survivors of mutation testing (issue #15, docs/mutation-testing.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { macToBytes, type Mac } from '../../src/l2/ethernet.ts';
import { ipv4ToBytes, ipv6ToBytes, parseIp, parseIpv4, parseIpv6, type Ipv4, type Ipv6 } from '../../src/l2/ip.ts';
import {
  decodeNdp,
  encodeNdp,
  isMulticastIpv6,
  isSolicitedNodeAddress,
  solicitedNodeAddress,
  type NeighborAdvertisement,
  type NeighborSolicitation,
} from '../../src/l2/ndp.ts';
import type { Result } from '../../src/api/result.ts';
import type { L2Error } from '../../src/l2/result.ts';
import { MAC_A, MAC_B, v6 } from './helpers.ts';

function outcome(result: Result<string, L2Error>): string {
  return result.ok ? result.value : result.error.code;
}

test('parsing address text: canonical form of the family asked for, bad-ip for anything else', () => {
  // text → [parseIp, parseIpv4, parseIpv6]
  const rows: [string, string, string, string][] = [
    ['192.0.2.1', '192.0.2.1', '192.0.2.1', 'bad-ip'],
    ['2001:DB8:0:0::1', '2001:db8::1', 'bad-ip', '2001:db8::1'],
    ['FF02:0:0:0:0:1:FF00:2', 'ff02::1:ff00:2', 'bad-ip', 'ff02::1:ff00:2'],
    // An IPv4-mapped IPv6 address is IPv6: it is not the IPv4 address it embeds.
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1', 'bad-ip', '::ffff:192.0.2.1'],
    ['::', '::', 'bad-ip', '::'],
    ['0.0.0.0', '0.0.0.0', '0.0.0.0', 'bad-ip'],
    // Unparsable text of either shape: an error value, not an exception.
    ['192.0.2', 'bad-ip', 'bad-ip', 'bad-ip'],
    ['0300.0.2.1', 'bad-ip', 'bad-ip', 'bad-ip'],
    ['2001:db8::1::2', 'bad-ip', 'bad-ip', 'bad-ip'],
    ['fe80::1%eth0', 'bad-ip', 'bad-ip', 'bad-ip'],
    ['', 'bad-ip', 'bad-ip', 'bad-ip'],
    ['vip', 'bad-ip', 'bad-ip', 'bad-ip'],
  ];
  for (const [text, any, four, six] of rows) {
    assert.deepEqual([outcome(parseIp(text)), outcome(parseIpv4(text)), outcome(parseIpv6(text))], [any, four, six], text);
  }
});

test('an address of the wrong family is refused with a message that quotes it and names the family wanted', () => {
  const four = parseIpv4('2001:db8::1');
  assert.deepEqual(four, { ok: false, error: { code: 'bad-ip', message: '"2001:db8::1" is not an IPv4 address' } });
  const six = parseIpv6('192.0.2.1');
  assert.deepEqual(six, { ok: false, error: { code: 'bad-ip', message: '"192.0.2.1" is not an IPv6 address' } });
  // Unparsable text: the parser's own message, which quotes the text too.
  const junk = parseIpv6('vip');
  assert.ok(!junk.ok && junk.error.message.includes('"vip"'), JSON.stringify(junk));
});

test('property: each parser accepts exactly its own family, and its answer parses to itself', () => {
  const v4Text = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
  const v6Text = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((p) => p.map((x) => x.toString(16)).join(':'));
  fc.assert(
    fc.property(fc.oneof(v4Text, v6Text), (text) => {
      const isFour = !text.includes(':');
      const four = parseIpv4(text);
      const six = parseIpv6(text);
      const wanted = isFour ? four : six;
      const other = isFour ? six : four;
      assert.ok(wanted.ok, text);
      assert.equal(outcome(parseIp(text)), wanted.value);
      assert.equal(outcome(parseIp(wanted.value)), wanted.value);
      assert.ok(!other.ok && other.error.code === 'bad-ip' && other.error.message.includes(`"${text}"`), text);
    }),
  );
});

test('a forged brand is a bug: the encoders throw a TypeError that quotes the text', () => {
  const forged: [string, () => unknown, RegExp][] = [
    ['IPv4 of three parts', () => ipv4ToBytes('192.0.2' as Ipv4), /^not an IPv4 address: "192\.0\.2"$/],
    ['IPv6 text as IPv4', () => ipv4ToBytes('2001:db8::1' as Ipv4), /^not an IPv4 address: "2001:db8::1"$/],
    ['IPv4 text as IPv6', () => ipv6ToBytes('192.0.2.1' as Ipv6), /^not an IPv6 address: "192\.0\.2\.1"$/],
    ['junk as IPv6', () => ipv6ToBytes('fe80::zz' as Ipv6), /^not an IPv6 address: "fe80::zz"$/],
    ['MAC of five octets', () => macToBytes('02:00:00:00:0a' as Mac), /^not a MAC address: "02:00:00:00:0a"$/],
    ['MAC with dashes', () => macToBytes('02-00-00-00-00-0a' as Mac), /^not a MAC address: "02-00-00-00-00-0a"$/],
  ];
  for (const [name, encode, message] of forged) {
    assert.throws(encode, (error: unknown) => error instanceof TypeError && message.test(error.message), name);
  }
});

test('multicast is ff00::/8 by the first group only, wherever else "ff" appears', () => {
  const rows: [string, boolean][] = [
    ['ff02::1', true],
    ['ff05::1:3', true],
    ['ff02::1:ff00:10', true],
    ['fe80::1', false],
    ['2001:db8::ff02:1', false],
    ['2001:db8::ff00:0:1', false],
    ['fe80::ff:fe00:a', false],
    ['::ffff:192.0.2.1', false],
  ];
  for (const [ip, multicast] of rows) assert.equal(isMulticastIpv6(v6(ip)), multicast, ip);
});

test('a solicited-node address is ff02::1:ffXX:XXXX exactly, not any address that starts that way', () => {
  const rows: [string, boolean][] = [
    ['ff02::1:ff00:10', true],
    ['ff02::1:ffab:cdef', true],
    ['ff02::1:ff00:0', true],
    // ff02:0:0:0:1:ff00:1:2 shares the text prefix but not the /104.
    ['ff02::1:ff00:1:2', false],
    ['ff02::1:ffab:cdef:0', false],
    ['ff02::1', false],
    ['ff02::2:ff00:10', false],
    ['2001:db8::10', false],
  ];
  for (const [ip, solicitedNode] of rows) assert.equal(isSolicitedNodeAddress(v6(ip)), solicitedNode, ip);
  // And every address's own group is one.
  for (const ip of ['2001:db8::10', 'fe80::1', '::', 'ff02::1:ff00:1:2']) assert.ok(isSolicitedNodeAddress(solicitedNodeAddress(v6(ip))), ip);
});

test('an NS has its 32 reserved bits zero (RFC 4861 §4.3), even from an object that carries NA flags', () => {
  const na: NeighborAdvertisement = {
    type: 'neighbor-advertisement',
    router: true,
    solicited: true,
    override: true,
    target: v6('2001:db8::10'),
    targetLinkLayer: MAC_B,
    otherOptions: [],
  };
  // An NS built by spreading an NA keeps its flags at run time; TypeScript does not object.
  const ns: NeighborSolicitation = { ...na, type: 'neighbor-solicitation', sourceLinkLayer: MAC_A };
  const bytes = encodeNdp(ns, v6('2001:db8::1'), v6('2001:db8::10'));
  assert.deepEqual([...bytes.subarray(4, 8)], [0, 0, 0, 0]);
  // The NA itself has R, S and O in the first reserved byte.
  assert.deepEqual([...encodeNdp(na, v6('2001:db8::10'), v6('2001:db8::1')).subarray(4, 8)], [0xe0, 0, 0, 0]);
});

test('property: an option is padded with zeros to whole 8-byte units (RFC 4861 §4.6) and decodes so', () => {
  const src = v6('2001:db8::1');
  const dst = v6('2001:db8::10');
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), (data) => {
      const ns: NeighborSolicitation = { type: 'neighbor-solicitation', target: dst, sourceLinkLayer: null, otherOptions: [{ type: 14, data }] };
      const bytes = encodeNdp(ns, src, dst);
      const units = Math.ceil((data.length + 2) / 8);
      assert.equal(bytes.length, 24 + 8 * units);
      assert.equal(bytes[25], units);
      const decoded = decodeNdp(bytes, { src, dst, hopLimit: 255 });
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.message);
      const padded = new Uint8Array(8 * units - 2);
      padded.set(data);
      assert.deepEqual(decoded.value.otherOptions, [{ type: 14, data: padded }]);
    }),
  );
});
