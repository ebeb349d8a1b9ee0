// Responder decisions as tables (STYLE.md lesson 7): one row per situation, the expected outcome
// as `reply:<ip>`, `drop:<reason>` or `conflict:<ip>@<mac>`; reply contents are checked below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arpAnnouncement, decodeArpFrame, encodeArpFrame, type ArpFrame, type ArpPacket } from '../../src/l2/arp.ts';
import { BROADCAST_MAC, ETHERTYPE_ARP, ZERO_MAC, type Mac } from '../../src/l2/ethernet.ts';
import type { Ipv6 } from '../../src/l2/ip.ts';
import {
  decodeNdp,
  decodeNdpFrame,
  encodeNdp,
  encodeNdpFrame,
  ipv6MulticastMac,
  ndpFrame,
  solicitedNodeAddress,
  unsolicitedAdvertisement,
  type NdpMessage,
} from '../../src/l2/ndp.ts';
import {
  respondToFrame,
  respondToIcmpv6,
  type FrameDecision,
  type FrameMeta,
  type Icmpv6Decision,
  type Icmpv6Meta,
  type ResponderView,
} from '../../src/l2/responder.ts';
import { hex, IFACE_B, mac, MAC_A, MAC_B, v4, v6, view } from './helpers.ts';

// This node is B (02:00:00:00:00:0b, ifindex 3): it holds 192.0.2.10 and 2001:db8::10, and its own
// addresses are 192.0.2.2 and 2001:db8::2. A (02:00:00:00:00:0a) is a client on the segment.
const VIP4 = v4('192.0.2.10');
const VIP6 = v6('2001:db8::10');
const NODE4 = v4('192.0.2.2');
const NODE6 = v6('2001:db8::2');
const VIEW: ResponderView = view(IFACE_B, [VIP4, VIP6], [NODE4, NODE6]);
const MAC_C = mac('02:00:00:00:00:0c');
const BROADCAST_IN: FrameMeta = { ifindex: 3, packetType: 'broadcast', vlan: null };
const HOST_IN: FrameMeta = { ifindex: 3, packetType: 'host', vlan: null };
const MULTICAST_IN: FrameMeta = { ifindex: 3, packetType: 'multicast', vlan: null };

function summary(decision: FrameDecision | Icmpv6Decision): string {
  if (decision.kind === 'drop') return `drop:${decision.reason}`;
  if (decision.kind === 'conflict') return `conflict:${decision.ip}@${decision.mac ?? 'unknown'}`;
  return `reply:${decision.ip}`;
}

function arpFrame(arp: Partial<ArpPacket>, eth: { dst?: Mac; src?: Mac } = {}): Uint8Array {
  const packet: ArpPacket = { op: 'request', senderMac: MAC_A, senderIp: v4('192.0.2.1'), targetMac: ZERO_MAC, targetIp: VIP4, ...arp };
  const frame: ArpFrame = { eth: { dst: eth.dst ?? BROADCAST_MAC, src: eth.src ?? packet.senderMac, ethertype: ETHERTYPE_ARP }, arp: packet };
  return encodeArpFrame(frame);
}

function withByte(frame: Uint8Array, offset: number, value: number): Uint8Array {
  const out = Uint8Array.from(frame);
  out[offset] = value;
  return out;
}

const REQUEST = arpFrame({});

test('ARP decisions', () => {
  const rows: [string, Uint8Array, FrameMeta, string][] = [
    ['broadcast request for a held VIP', REQUEST, BROADCAST_IN, 'reply:192.0.2.10'],
    ['request unicast to our MAC (cache refresh)', arpFrame({}, { dst: MAC_B }), HOST_IN, 'reply:192.0.2.10'],
    ['RFC 5227 probe (sender 0.0.0.0) for a held VIP', arpFrame({ senderIp: v4('0.0.0.0') }), BROADCAST_IN, 'reply:192.0.2.10'],
    ['request for an address not held', arpFrame({ targetIp: v4('192.0.2.11') }), BROADCAST_IN, 'drop:target-not-held'],
    ['request for the node\'s own address', arpFrame({ targetIp: NODE4 }), BROADCAST_IN, 'drop:own-address'],
    ['request unicast to another MAC', arpFrame({}, { dst: MAC_C }), { ...HOST_IN, packetType: 'otherhost' }, 'drop:not-for-us'],
    ['request to a multicast MAC', arpFrame({}, { dst: mac('01:00:5e:00:00:01') }), MULTICAST_IN, 'drop:not-for-us'],
    ['our own request, looped back', arpFrame({ senderMac: MAC_B }), { ...BROADCAST_IN, packetType: 'outgoing' }, 'drop:outgoing'],
    ['from our MAC', arpFrame({ senderMac: MAC_B }), BROADCAST_IN, 'drop:own-mac'],
    ['sender MAC ours, Ethernet source not', arpFrame({ senderMac: MAC_B }, { src: MAC_A }), BROADCAST_IN, 'drop:own-mac'],
    ['broadcast sender MAC', arpFrame({ senderMac: BROADCAST_MAC }, { src: MAC_A }), BROADCAST_IN, 'drop:bad-sender-mac'],
    ['multicast Ethernet source', arpFrame({}, { src: mac('03:00:00:00:00:01') }), BROADCAST_IN, 'drop:bad-sender-mac'],
    ['reply about another address', arpFrame({ op: 'reply', targetMac: MAC_B, targetIp: v4('192.0.2.1'), senderIp: v4('192.0.2.20') }, { dst: MAC_B }), HOST_IN, 'drop:not-arp-request'],
    ['gratuitous request from a peer, not ours', encodeArpFrame(arpAnnouncement(v4('192.0.2.20'), MAC_A, 'request')), BROADCAST_IN, 'drop:gratuitous-from-peer'],
    ['gratuitous request from a peer for a held VIP', encodeArpFrame(arpAnnouncement(VIP4, MAC_A, 'request')), BROADCAST_IN, 'conflict:192.0.2.10@02:00:00:00:00:0a'],
    ['gratuitous reply from a peer for a held VIP', encodeArpFrame(arpAnnouncement(VIP4, MAC_A, 'reply')), BROADCAST_IN, 'conflict:192.0.2.10@02:00:00:00:00:0a'],
    ['a peer answering for a held VIP', arpFrame({ op: 'reply', senderIp: VIP4, targetMac: MAC_B, targetIp: NODE4 }, { dst: MAC_B }), HOST_IN, 'conflict:192.0.2.10@02:00:00:00:00:0a'],
    ['a peer asking with a held VIP as source', arpFrame({ senderIp: VIP4, targetIp: v4('192.0.2.1') }), BROADCAST_IN, 'conflict:192.0.2.10@02:00:00:00:00:0a'],
    ['received on another interface', REQUEST, { ...BROADCAST_IN, ifindex: 4 }, 'drop:wrong-interface'],
    ['tag stripped by the kernel into PACKET_AUXDATA', REQUEST, { ...BROADCAST_IN, vlan: 10 }, 'drop:vlan-tagged'],
    ['tag in the bytes', hex('ffffffffffff02000000000a8100000a' + Buffer.from(REQUEST.subarray(12)).toString('hex')), BROADCAST_IN, 'drop:vlan-tagged'],
    ['13 bytes', REQUEST.subarray(0, 13), BROADCAST_IN, 'drop:truncated'],
    ['ARP header cut short', REQUEST.subarray(0, 30), BROADCAST_IN, 'drop:truncated'],
    ['htype 6', withByte(REQUEST, 15, 6), BROADCAST_IN, 'drop:bad-htype'],
    ['ptype IPv6', withByte(withByte(REQUEST, 16, 0x86), 17, 0xdd), BROADCAST_IN, 'drop:bad-ptype'],
    ['hlen 8', withByte(REQUEST, 18, 8), BROADCAST_IN, 'drop:bad-hlen'],
    ['plen 16', withByte(REQUEST, 19, 16), BROADCAST_IN, 'drop:bad-plen'],
    ['op 3 (RARP)', withByte(REQUEST, 21, 3), BROADCAST_IN, 'drop:unknown-op'],
    ['IPv4 frame', withByte(REQUEST, 13, 0x00), BROADCAST_IN, 'drop:unsupported-ethertype'],
  ];
  for (const [name, frame, meta, want] of rows) assert.equal(summary(respondToFrame(VIEW, frame, meta)), want, name);
});

test('ARP reply: to the requester\'s MAC, our MAC for the VIP, 42 bytes', () => {
  const decision = respondToFrame(VIEW, REQUEST, BROADCAST_IN);
  assert.ok(decision.kind === 'reply');
  assert.equal(decision.frame.length, 42);
  assert.deepEqual(decodeArpFrame(decision.frame), {
    ok: true,
    value: {
      eth: { dst: MAC_A, src: MAC_B, ethertype: ETHERTYPE_ARP },
      arp: { op: 'reply', senderMac: MAC_B, senderIp: VIP4, targetMac: MAC_A, targetIp: v4('192.0.2.1') },
    },
  });
});

test('a decode failure carries the codec message for logs', () => {
  const decision = respondToFrame(VIEW, withByte(REQUEST, 15, 6), BROADCAST_IN);
  assert.ok(decision.kind === 'drop');
  assert.match(decision.message ?? '', /hardware type 6/);
});

// --- NDP -----------------------------------------------------------------------------------------

const CLIENT6 = v6('2001:db8::1');
const NS = (target: Ipv6 = VIP6, sourceLinkLayer: Mac | null = MAC_A): NdpMessage => ({ type: 'neighbor-solicitation', target, sourceLinkLayer, otherOptions: [] });
const NA = (target: Ipv6, lla: Mac | null, solicited = false): NdpMessage => ({
  type: 'neighbor-advertisement', router: false, solicited, override: true, target, targetLinkLayer: lla, otherOptions: [],
});

function nsFrame(message: NdpMessage, ip: { src?: Ipv6; dst?: Ipv6 } = {}, eth: { src?: Mac; dst?: Mac } = {}): Uint8Array {
  const dst = ip.dst ?? solicitedNodeAddress(message.target);
  return encodeNdpFrame(ndpFrame(message, { src: eth.src ?? MAC_A, dst: eth.dst ?? ipv6MulticastMac(dst) }, { src: ip.src ?? CLIENT6, dst }));
}

const SOLICITATION = nsFrame(NS());

test('NDP decisions on frames (AF_PACKET)', () => {
  const dad = nsFrame(NS(VIP6, null), { src: v6('::') });
  const rows: [string, Uint8Array, FrameMeta, string][] = [
    ['NS to the solicited-node group for a held VIP', SOLICITATION, MULTICAST_IN, 'reply:2001:db8::10'],
    ['NS unicast to our MAC (NUD) without a source link-layer option', nsFrame(NS(VIP6, null), { dst: VIP6 }, { dst: MAC_B }), HOST_IN, 'reply:2001:db8::10'],
    ['DAD probe from :: for a held VIP', dad, MULTICAST_IN, 'reply:2001:db8::10'],
    ['NS for an address not held', nsFrame(NS(v6('2001:db8::11'))), MULTICAST_IN, 'drop:target-not-held'],
    ['NS for the node\'s own address', nsFrame(NS(NODE6)), MULTICAST_IN, 'drop:own-address'],
    ['NS unicast to another MAC', nsFrame(NS(), { dst: VIP6 }, { dst: MAC_C }), { ...HOST_IN, packetType: 'otherhost' }, 'drop:not-for-us'],
    ['NS from our MAC', nsFrame(NS(VIP6, MAC_B), {}, { src: MAC_B }), MULTICAST_IN, 'drop:own-mac'],
    ['NS whose source link-layer option is ours', nsFrame(NS(VIP6, MAC_B)), MULTICAST_IN, 'drop:own-mac'],
    ['NS whose source link-layer option is multicast', nsFrame(NS(VIP6, mac('33:33:00:00:00:01'))), MULTICAST_IN, 'drop:bad-sender-mac'],
    ['NS from a held VIP by a peer', nsFrame(NS(CLIENT6), { src: VIP6 }), MULTICAST_IN, 'conflict:2001:db8::10@02:00:00:00:00:0a'],
    ['unsolicited NA from a peer for a held VIP', encodeNdpFrame(unsolicitedAdvertisement(VIP6, MAC_A)), MULTICAST_IN, 'conflict:2001:db8::10@02:00:00:00:00:0a'],
    ['NA without option from a peer for a held VIP', nsFrame(NA(VIP6, null, true), { src: VIP6, dst: NODE6 }, { dst: MAC_B }), HOST_IN, 'conflict:2001:db8::10@02:00:00:00:00:0a'],
    ['NA for another address', encodeNdpFrame(unsolicitedAdvertisement(CLIENT6, MAC_A)), MULTICAST_IN, 'drop:not-neighbor-solicitation'],
    ['NA naming our MAC', encodeNdpFrame(unsolicitedAdvertisement(VIP6, MAC_B)), { ...MULTICAST_IN }, 'drop:own-mac'],
    ['our own NA, looped back', encodeNdpFrame(unsolicitedAdvertisement(VIP6, MAC_B)), { ...MULTICAST_IN, packetType: 'outgoing' }, 'drop:outgoing'],
    ['hop limit 64 (crossed a router)', withByte(SOLICITATION, 21, 64), MULTICAST_IN, 'drop:bad-hop-limit'],
    ['checksum broken', withByte(SOLICITATION, 57, SOLICITATION[57]! ^ 0xff), MULTICAST_IN, 'drop:bad-checksum'],
    ['next header UDP', withByte(SOLICITATION, 20, 17), MULTICAST_IN, 'drop:not-icmpv6'],
    ['IPv4 in an IPv6 frame', withByte(SOLICITATION, 14, 0x45), MULTICAST_IN, 'drop:bad-ip-version'],
    ['cut inside the IPv6 payload', SOLICITATION.subarray(0, 70), MULTICAST_IN, 'drop:truncated'],
    ['echo request', echoRequestFrame(), MULTICAST_IN, 'drop:not-ndp'],
    ['DAD probe carrying a source link-layer option', nsFrame(NS(), { src: v6('::') }), MULTICAST_IN, 'drop:dad-with-source-lla'],
    ['tag stripped by the kernel', SOLICITATION, { ...MULTICAST_IN, vlan: 20 }, 'drop:vlan-tagged'],
  ];
  for (const [name, frame, meta, want] of rows) assert.equal(summary(respondToFrame(VIEW, frame, meta)), want, name);
});

function echoRequestFrame(): Uint8Array {
  const icmp = hex('8000 0000 0001 0001'); // type 128, checksum not even filled in: the type decides first
  const frame = Uint8Array.from([...SOLICITATION.subarray(0, 54), ...icmp]);
  frame[19] = icmp.length; // payload length
  return frame;
}

test('NA reply to a multicast NS: unicast to the solicitor\'s link-layer option, S=1 O=1, our MAC, from the VIP', () => {
  const decision = respondToFrame(VIEW, SOLICITATION, MULTICAST_IN);
  assert.ok(decision.kind === 'reply');
  assert.deepEqual(decodeNdpFrame(decision.frame), {
    ok: true,
    value: {
      eth: { dst: MAC_A, src: MAC_B, ethertype: 0x86dd },
      ip: { trafficClass: 0, flowLabel: 0, nextHeader: 58, hopLimit: 255, src: VIP6, dst: CLIENT6 },
      ndp: NA(VIP6, MAC_B, true),
    },
  });
});

test('NA reply to an NS without a link-layer option goes to the frame\'s Ethernet source', () => {
  const decision = respondToFrame(VIEW, nsFrame(NS(VIP6, null), { dst: VIP6 }, { src: MAC_C, dst: MAC_B }), HOST_IN);
  assert.ok(decision.kind === 'reply');
  const got = decodeNdpFrame(decision.frame);
  assert.ok(got.ok);
  assert.equal(got.value.eth.dst, MAC_C);
});

test('NA reply to a DAD probe: to ff02::1 and 33:33:00:00:00:01 with S=0 (RFC 4861 §7.2.4)', () => {
  const decision = respondToFrame(VIEW, nsFrame(NS(VIP6, null), { src: v6('::') }), MULTICAST_IN);
  assert.ok(decision.kind === 'reply');
  const got = decodeNdpFrame(decision.frame);
  assert.ok(got.ok);
  assert.equal(got.value.eth.dst, '33:33:00:00:00:01');
  assert.equal(got.value.ip.dst, 'ff02::1');
  assert.deepEqual(got.value.ndp, NA(VIP6, MAC_B, false));
});

// --- the ICMPv6-socket path ------------------------------------------------------------------------

const SOCKET_IN: Icmpv6Meta = { ifindex: 3, src: CLIENT6, dst: solicitedNodeAddress(VIP6), hopLimit: 255 };

test('NDP decisions on ICMPv6 messages (raw socket, IPv6 stripped, hop limit from ancillary data)', () => {
  const ns = encodeNdp(NS(), SOCKET_IN.src, SOCKET_IN.dst);
  const dadMeta: Icmpv6Meta = { ...SOCKET_IN, src: v6('::') };
  const rows: [string, Uint8Array, Icmpv6Meta, string][] = [
    ['NS for a held VIP', ns, SOCKET_IN, 'reply:2001:db8::10'],
    ['DAD probe', encodeNdp(NS(VIP6, null), dadMeta.src, dadMeta.dst), dadMeta, 'reply:2001:db8::10'],
    ['hop limit 254 (IPV6_HOPLIMIT)', ns, { ...SOCKET_IN, hopLimit: 254 }, 'drop:bad-hop-limit'],
    ['on another interface (IPV6_PKTINFO)', ns, { ...SOCKET_IN, ifindex: 7 }, 'drop:wrong-interface'],
    ['checksum for other addresses', ns, { ...SOCKET_IN, src: v6('2001:db8::99') }, 'drop:bad-checksum'],
    ['NS for an address not held', encodeNdp(NS(v6('2001:db8::11')), SOCKET_IN.src, SOCKET_IN.dst), SOCKET_IN, 'drop:target-not-held'],
    ['NS for the node\'s own address', encodeNdp(NS(NODE6), SOCKET_IN.src, SOCKET_IN.dst), SOCKET_IN, 'drop:own-address'],
    ['NS with our MAC as source option', encodeNdp(NS(VIP6, MAC_B), SOCKET_IN.src, SOCKET_IN.dst), SOCKET_IN, 'drop:own-mac'],
    ['NA for a held VIP without an option: MAC unknown', encodeNdp(NA(VIP6, null), VIP6, v6('ff02::1')), { ...SOCKET_IN, src: VIP6, dst: v6('ff02::1') }, 'conflict:2001:db8::10@unknown'],
    ['NA for a held VIP with an option', encodeNdp(NA(VIP6, MAC_C), VIP6, v6('ff02::1')), { ...SOCKET_IN, src: VIP6, dst: v6('ff02::1') }, 'conflict:2001:db8::10@02:00:00:00:00:0c'],
    ['2 bytes', hex('8700'), SOCKET_IN, 'drop:truncated'],
  ];
  for (const [name, message, meta, want] of rows) assert.equal(summary(respondToIcmpv6(VIEW, message, meta)), want, name);
});

test('ICMPv6-socket replies name the destination: the solicitor, or ff02::1 for DAD', () => {
  const unicast = respondToIcmpv6(VIEW, encodeNdp(NS(), SOCKET_IN.src, SOCKET_IN.dst), SOCKET_IN);
  assert.ok(unicast.kind === 'reply');
  assert.equal(unicast.dst, CLIENT6);
  assert.deepEqual(decodeNdp(unicast.message, { src: VIP6, dst: CLIENT6, hopLimit: 255 }), { ok: true, value: NA(VIP6, MAC_B, true) });
  const dadMeta: Icmpv6Meta = { ...SOCKET_IN, src: v6('::') };
  const dad = respondToIcmpv6(VIEW, encodeNdp(NS(VIP6, null), dadMeta.src, dadMeta.dst), dadMeta);
  assert.ok(dad.kind === 'reply');
  assert.equal(dad.dst, 'ff02::1');
  assert.deepEqual(decodeNdp(dad.message, { src: VIP6, dst: v6('ff02::1'), hopLimit: 255 }), { ok: true, value: NA(VIP6, MAC_B, false) });
});

test('nothing held: every request is target-not-held, nothing is a conflict', () => {
  const empty = view(IFACE_B, [], [NODE4, NODE6]);
  assert.equal(summary(respondToFrame(empty, REQUEST, BROADCAST_IN)), 'drop:target-not-held');
  assert.equal(summary(respondToFrame(empty, SOLICITATION, MULTICAST_IN)), 'drop:target-not-held');
  assert.equal(summary(respondToFrame(empty, encodeArpFrame(arpAnnouncement(VIP4, MAC_A, 'request')), BROADCAST_IN)), 'drop:gratuitous-from-peer');
});

test('a VIP that is also a node address is never answered: the kernel owns it', () => {
  const both = view(IFACE_B, [NODE4, NODE6], [NODE4, NODE6]);
  assert.equal(summary(respondToFrame(both, arpFrame({ targetIp: NODE4 }), BROADCAST_IN)), 'drop:own-address');
  assert.equal(summary(respondToFrame(both, nsFrame(NS(NODE6)), MULTICAST_IN)), 'drop:own-address');
});
