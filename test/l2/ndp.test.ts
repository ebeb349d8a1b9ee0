import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setIcmpv6Checksum } from '../../src/l2/icmpv6.ts';
import type { Ipv6 } from '../../src/l2/ip.ts';
import {
  advertisementFor,
  decodeNdp,
  decodeNdpFrame,
  encodeNdp,
  encodeNdpFrame,
  ipv6MulticastMac,
  isMulticastIpv6,
  isSolicitedNodeAddress,
  ndpFrame,
  solicitedNodeAddress,
  unsolicitedAdvertisement,
  type NdpEnvelope,
  type NeighborAdvertisement,
  type NeighborSolicitation,
} from '../../src/l2/ndp.ts';
import { hex, mac, MAC_A, MAC_B, toHex, v6 } from './helpers.ts';

const VIP = v6('2001:db8::10');
const CLIENT = v6('2001:db8::1');
const NS: NeighborSolicitation = { type: 'neighbor-solicitation', target: VIP, sourceLinkLayer: MAC_A, otherOptions: [] };
const NA: NeighborAdvertisement = {
  type: 'neighbor-advertisement',
  router: false,
  solicited: true,
  override: true,
  target: VIP,
  targetLinkLayer: MAC_B,
  otherOptions: [],
};
const TO_GROUP: NdpEnvelope = { src: CLIENT, dst: solicitedNodeAddress(VIP), hopLimit: 255 };

test('solicited-node address and multicast MAC (RFC 4291 §2.7.1, RFC 2464 §7)', () => {
  // RFC 4291 §2.7.1's own example: 4037::01:800:200E:8C6C → FF02::1:FF0E:8C6C.
  assert.equal(solicitedNodeAddress(v6('4037::01:800:200E:8C6C')), 'ff02::1:ff0e:8c6c');
  assert.equal(solicitedNodeAddress(v6('2001:db8::2')), 'ff02::1:ff00:2');
  assert.equal(ipv6MulticastMac(v6('ff02::1:ff0e:8c6c')), '33:33:ff:0e:8c:6c');
  assert.equal(ipv6MulticastMac(v6('ff02::1')), '33:33:00:00:00:01');
  assert.equal(isSolicitedNodeAddress(v6('ff02::1:ff00:2')), true);
  assert.equal(isSolicitedNodeAddress(v6('ff02::1')), false);
  assert.equal(isSolicitedNodeAddress(v6('ff02::1:fe00:2')), false);
  assert.equal(isSolicitedNodeAddress(v6('ff02::2:ff00:2')), false);
  assert.equal(isSolicitedNodeAddress(v6('ff05::1:ff00:2')), false);
});

test('isMulticastIpv6 is ff00::/8, not any text starting with ff', () => {
  assert.equal(isMulticastIpv6(v6('ff02::1')), true);
  assert.equal(isMulticastIpv6(v6('ff0e::1234')), true);
  assert.equal(isMulticastIpv6(v6('ff::1')), false); // 00ff::1
  assert.equal(isMulticastIpv6(v6('fe80::1')), false);
});

test('NS and NA round-trip through encodeNdp/decodeNdp', () => {
  const unicast: NdpEnvelope = { src: v6('2001:db8::10'), dst: CLIENT, hopLimit: 255 };
  const messages: [NeighborSolicitation | NeighborAdvertisement, NdpEnvelope][] = [
    [NS, TO_GROUP],
    [{ ...NS, sourceLinkLayer: null }, TO_GROUP],
    [{ ...NS, sourceLinkLayer: null, otherOptions: [{ type: 14, data: hex('7f3e17c52307') }] }, { ...TO_GROUP, src: v6('::') }],
    [NA, unicast],
    [{ ...NA, router: true, solicited: false, override: false, targetLinkLayer: null }, { ...unicast, dst: v6('ff02::1') }],
    [{ ...NA, otherOptions: [{ type: 200, data: hex('00112233445566778899aabbccdd') }] }, unicast],
  ];
  for (const [message, envelope] of messages) {
    const bytes = encodeNdp(message, envelope.src, envelope.dst);
    assert.deepEqual(decodeNdp(bytes, envelope), { ok: true, value: message });
  }
});

test('encodeNdp lays out an NA with flags, target and a target link-layer option', () => {
  const bytes = encodeNdp(NA, VIP, CLIENT);
  assert.equal(toHex(bytes.subarray(4)), '60000000' + '20010db8000000000000000000000010' + '0201' + '02000000000b');
  assert.equal(bytes[0], 136);
});

/** An NS or NA with a byte changed, re-checksummed so that validation reaches the rule under test. */
function mutated(message: NeighborSolicitation | NeighborAdvertisement, envelope: NdpEnvelope, change: (b: Uint8Array) => Uint8Array | void): Uint8Array {
  const bytes = encodeNdp(message, envelope.src, envelope.dst);
  const out = change(bytes) ?? bytes;
  setIcmpv6Checksum(envelope.src, envelope.dst, out);
  return out;
}

test('RFC 4861 §7.1.1 / §7.1.2 validation, each rule with its code', () => {
  const dad: NdpEnvelope = { src: v6('::'), dst: solicitedNodeAddress(VIP), hopLimit: 255 };
  const nsNoSlla = { ...NS, sourceLinkLayer: null };
  const cases: [string, Uint8Array, NdpEnvelope, string][] = [
    ['3 bytes', hex('870000'), TO_GROUP, 'truncated'],
    ['echo request', mutated(NS, TO_GROUP, (b) => void (b[0] = 128)), TO_GROUP, 'not-ndp'],
    ['router advertisement', mutated(NS, TO_GROUP, (b) => void (b[0] = 134)), TO_GROUP, 'not-ndp'],
    ['hop limit 254', encodeNdp(NS, TO_GROUP.src, TO_GROUP.dst), { ...TO_GROUP, hopLimit: 254 }, 'bad-hop-limit'],
    ['hop limit 64', encodeNdp(NS, TO_GROUP.src, TO_GROUP.dst), { ...TO_GROUP, hopLimit: 64 }, 'bad-hop-limit'],
    ['checksum off by one', (() => { const b = encodeNdp(NS, TO_GROUP.src, TO_GROUP.dst); b[3] = b[3]! ^ 1; return b; })(), TO_GROUP, 'bad-checksum'],
    ['code 1', mutated(NS, TO_GROUP, (b) => void (b[1] = 1)), TO_GROUP, 'bad-code'],
    ['20 bytes', mutated(nsNoSlla, TO_GROUP, (b) => b.slice(0, 20)), TO_GROUP, 'bad-icmp-length'],
    ['multicast target', encodeNdp({ ...NS, target: v6('ff02::1') }, TO_GROUP.src, TO_GROUP.dst), TO_GROUP, 'target-multicast'],
    ['option length 0', mutated(NS, TO_GROUP, (b) => void (b[25] = 0)), TO_GROUP, 'bad-option-length'],
    ['option past the end', mutated(NS, TO_GROUP, (b) => void (b[25] = 2)), TO_GROUP, 'bad-option-length'],
    ['stray byte after options', mutated(NS, TO_GROUP, (b) => Uint8Array.from([...b, 1])), TO_GROUP, 'bad-option-length'],
    ['DAD to all-nodes', encodeNdp(nsNoSlla, dad.src, v6('ff02::1')), { ...dad, dst: v6('ff02::1') }, 'dad-bad-destination'],
    ['DAD unicast', encodeNdp(nsNoSlla, dad.src, VIP), { ...dad, dst: VIP }, 'dad-bad-destination'],
    ['DAD with source link-layer option', encodeNdp(NS, dad.src, dad.dst), dad, 'dad-with-source-lla'],
    ['solicited NA to all-nodes', encodeNdp(NA, VIP, v6('ff02::1')), { src: VIP, dst: v6('ff02::1'), hopLimit: 255 }, 'solicited-to-multicast'],
  ];
  for (const [name, bytes, envelope, code] of cases) {
    const got = decodeNdp(bytes, envelope);
    assert.equal(got.ok ? 'ok' : got.error.code, code, name);
  }
  // And what the rules allow: DAD without options, an unsolicited NA to all-nodes.
  assert.ok(decodeNdp(encodeNdp(nsNoSlla, dad.src, dad.dst), dad).ok);
  assert.ok(decodeNdp(encodeNdp({ ...NA, solicited: false }, VIP, v6('ff02::1')), { src: VIP, dst: v6('ff02::1'), hopLimit: 255 }).ok);
});

test('options: the first link-layer option of a kind wins; a link-layer option of another size is kept raw', () => {
  const bytes = mutated(NS, TO_GROUP, (b) => Uint8Array.from([...b, 1, 1, 2, 0, 0, 0, 0, 0x99, 1, 2, ...new Array<number>(14).fill(0)]));
  const got = decodeNdp(bytes, TO_GROUP);
  assert.ok(got.ok && got.value.type === 'neighbor-solicitation');
  assert.equal(got.value.sourceLinkLayer, MAC_A);
  assert.deepEqual(got.value.otherOptions, [{ type: 1, data: new Uint8Array(14) }]);
});

test('NDP frames round-trip and their decode checks next header and ethertype', () => {
  const frame = ndpFrame(NS, { src: MAC_A, dst: ipv6MulticastMac(TO_GROUP.dst) }, { src: CLIENT, dst: TO_GROUP.dst });
  const bytes = encodeNdpFrame(frame);
  assert.deepEqual(decodeNdpFrame(bytes), { ok: true, value: frame });
  const udp = Uint8Array.from(bytes);
  udp[14 + 6] = 17;
  const notIcmp = decodeNdpFrame(udp);
  assert.equal(notIcmp.ok ? 'ok' : notIcmp.error.code, 'not-icmpv6');
  const arp = Uint8Array.from(bytes);
  arp[12] = 0x08;
  arp[13] = 0x06;
  const notIpv6 = decodeNdpFrame(arp);
  assert.equal(notIpv6.ok ? 'ok' : notIpv6.error.code, 'unsupported-ethertype');
  const lowHop = Uint8Array.from(bytes);
  lowHop[14 + 7] = 1;
  const forged = decodeNdpFrame(lowHop);
  assert.equal(forged.ok ? 'ok' : forged.error.code, 'bad-hop-limit');
});

test('advertisementFor: unicast to the solicitor with S=1, or to all-nodes with S=0 for DAD (RFC 4861 §7.2.4)', () => {
  const me = mac('02:00:00:00:00:0c');
  assert.deepEqual(advertisementFor(NS, CLIENT, me), {
    na: { type: 'neighbor-advertisement', router: false, solicited: true, override: true, target: VIP, targetLinkLayer: me, otherOptions: [] },
    dst: CLIENT,
  });
  const dad = advertisementFor({ ...NS, sourceLinkLayer: null }, v6('::'), me);
  assert.equal(dad.dst, 'ff02::1');
  assert.equal(dad.na.solicited, false);
  assert.equal(dad.na.override, true);
});

test('unsolicitedAdvertisement: to ff02::1 and 33:33:00:00:00:01, Override, from the VIP (RFC 4861 §7.2.6)', () => {
  const frame = unsolicitedAdvertisement(VIP, MAC_B);
  assert.deepEqual(frame.eth, { dst: '33:33:00:00:00:01', src: MAC_B, ethertype: 0x86dd });
  assert.deepEqual({ ...frame.ip }, { trafficClass: 0, flowLabel: 0, nextHeader: 58, hopLimit: 255, src: VIP, dst: 'ff02::1' as Ipv6 });
  assert.deepEqual(frame.ndp, { ...NA, solicited: false });
});
