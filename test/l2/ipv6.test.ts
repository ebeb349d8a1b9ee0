import { test } from 'node:test';
import assert from 'node:assert/strict';
import { icmpv6Checksum, setIcmpv6Checksum, verifyIcmpv6Checksum } from '../../src/l2/icmpv6.ts';
import { ipv4FromBytes, ipv4ToBytes, ipv6FromBytes, ipv6ToBytes, isIpv4, parseIp, parseIpv4, parseIpv6 } from '../../src/l2/ip.ts';
import { decodeIpv6, encodeIpv6, NEXT_HEADER_ICMPV6, type Ipv6Header } from '../../src/l2/ipv6.ts';
import { fixture, hex, toHex, v4, v6 } from './helpers.ts';

test('parseIp gives the IPAM canonical form; family-specific parsers refuse the other family', () => {
  assert.deepEqual(parseIp('2001:DB8:0:0:0:0:0:1'), { ok: true, value: '2001:db8::1' });
  assert.deepEqual(parseIp('192.0.2.1'), { ok: true, value: '192.0.2.1' });
  assert.deepEqual(parseIp('::FFFF:192.0.2.1'), { ok: true, value: '::ffff:192.0.2.1' });
  for (const bad of ['192.0.2', '0x0a.0.0.1', '2001:db8::1%eth0', '', 'fe80::1::2']) {
    const got = parseIp(bad);
    assert.equal(got.ok ? 'ok' : got.error.code, 'bad-ip', bad);
  }
  const notV4 = parseIpv4('2001:db8::1');
  assert.equal(notV4.ok ? 'ok' : notV4.error.code, 'bad-ip');
  const notV6 = parseIpv6('192.0.2.1');
  assert.equal(notV6.ok ? 'ok' : notV6.error.code, 'bad-ip');
  assert.equal(isIpv4(v4('192.0.2.1')), true);
  assert.equal(isIpv4(v6('::ffff:192.0.2.1')), false);
});

test('addresses from and to bytes', () => {
  assert.equal(ipv4FromBytes(hex('00c0000201'), 1), '192.0.2.1');
  assert.equal(toHex(ipv4ToBytes(v4('203.0.113.255'))), 'cb0071ff');
  assert.equal(ipv6FromBytes(hex('20010db8000000000000000000000001'), 0), '2001:db8::1');
  assert.equal(ipv6FromBytes(hex('fe80000000000000000000fffe00000a'), 0), 'fe80::ff:fe00:a');
  assert.equal(ipv6FromBytes(new Uint8Array(16), 0), '::');
  assert.equal(toHex(ipv6ToBytes(v6('ff02::1:ff00:2'))), 'ff0200000000000000000001ff000002');
});

const HEADER: Ipv6Header = { trafficClass: 0xb8, flowLabel: 0x4103e, nextHeader: NEXT_HEADER_ICMPV6, hopLimit: 255, src: v6('fe80::ff:fe00:a'), dst: v6('ff02::1:ff00:2') };

test('IPv6 header round-trips, traffic class and flow label straddling their nibbles', () => {
  const bytes = encodeIpv6(HEADER, hex('01020304'));
  assert.equal(toHex(bytes.subarray(0, 8)), '6b84103e00043aff');
  const got = decodeIpv6(bytes);
  assert.ok(got.ok);
  assert.deepEqual(got.value.header, HEADER);
  assert.equal(toHex(got.value.payload), '01020304');
});

test('decodeIpv6 stops the payload at its length (link padding after it) and says truncated before', () => {
  const bytes = encodeIpv6(HEADER, hex('01020304'));
  const padded = decodeIpv6(Uint8Array.from([...bytes, 0, 0, 0]));
  assert.equal(padded.ok && toHex(padded.value.payload), '01020304');
  for (const n of [0, 39, 40, 43]) {
    const got = decodeIpv6(bytes.subarray(0, n));
    assert.equal(got.ok ? 'ok' : got.error.code, 'truncated', `${n} bytes`);
  }
  const v4header = Uint8Array.from(bytes);
  v4header[0] = 0x45;
  const got = decodeIpv6(v4header);
  assert.equal(got.ok ? 'ok' : got.error.code, 'bad-ip-version');
});

test('ICMPv6 checksum equals what the Linux kernel and ndisc6 put on the wire (RFC 4443 §2.3)', () => {
  for (const name of ['ns-multicast.ndisc6', 'na-solicited.linux', 'ns-dad.linux', 'na-dad-defence.linux', 'na-unicast-no-tlla.linux']) {
    const frame = fixture(name);
    const ip = decodeIpv6(frame.subarray(14));
    assert.ok(ip.ok, name);
    const { src, dst } = ip.value.header;
    const message = ip.value.payload;
    assert.equal(icmpv6Checksum(src, dst, message), (message[2]! << 8) | message[3]!, name);
    assert.equal(verifyIcmpv6Checksum(src, dst, message), true, name);
    // The pseudo-header counts: the same message between other addresses does not verify.
    assert.equal(verifyIcmpv6Checksum(dst, v6('2001:db8::99'), message), false, name);
  }
});

test('checksum: odd lengths pad with zero; both one\'s complement zeros verify; a flipped bit fails', () => {
  const src = v6('2001:db8::1');
  const dst = v6('2001:db8::2');
  const odd = hex('80 00 0000 0001 0002 ab');
  setIcmpv6Checksum(src, dst, odd);
  assert.equal(verifyIcmpv6Checksum(src, dst, odd), true);
  // Same words as the odd message padded, but the pseudo-header length is 10, not 9: one less.
  const even = hex('80 00 0000 0001 0002 ab00');
  assert.equal(icmpv6Checksum(src, dst, even), icmpv6Checksum(src, dst, odd) - 1);
  odd[6] = odd[6]! ^ 0x10;
  assert.equal(verifyIcmpv6Checksum(src, dst, odd), false);
  assert.equal(verifyIcmpv6Checksum(src, dst, hex('800000')), false, 'shorter than the ICMPv6 header');
  // A message whose checksum computes to 0x0000 may carry 0xffff instead: the same sum.
  const zero = hex('80 00 0000 0000');
  const fill = icmpv6Checksum(src, dst, zero);
  zero[4] = fill >> 8; // put the needed value into the body, so the checksum itself becomes 0
  zero[5] = fill & 0xff;
  assert.equal(icmpv6Checksum(src, dst, zero), 0);
  assert.equal(verifyIcmpv6Checksum(src, dst, zero), true);
  zero[2] = 0xff;
  zero[3] = 0xff;
  assert.equal(verifyIcmpv6Checksum(src, dst, zero), true);
});
