// What a decode error says. The responder counts drops by `code` (STYLE.md lesson 3), but the
// `message` is what reaches the log when an operator asks why a neighbour is not answered, so it
// must name the field and the value that failed (or, for `truncated`, what was needed and what
// was there). Also the boundaries where two checks could answer the same code with different
// words. Written against the survivors of mutation testing (issue #15, docs/mutation-testing.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeArp, decodeArpFrame, encodeArp, type ArpPacket } from '../../src/l2/arp.ts';
import { decodeEthernet, ETHERTYPE_IPV4, ETHERTYPE_IPV6, parseMac, ZERO_MAC } from '../../src/l2/ethernet.ts';
import { icmpv6Checksum, setIcmpv6Checksum, verifyIcmpv6Checksum } from '../../src/l2/icmpv6.ts';
import type { Ipv6 } from '../../src/l2/ip.ts';
import { decodeIpv6, encodeIpv6, NEXT_HEADER_ICMPV6, type Ipv6Header } from '../../src/l2/ipv6.ts';
import {
  decodeNdp,
  decodeNdpFrame,
  encodeNdp,
  encodeNdpFrame,
  ndpFrame,
  solicitedNodeAddress,
  type NdpEnvelope,
  type NeighborAdvertisement,
  type NeighborSolicitation,
} from '../../src/l2/ndp.ts';
import type { Result } from '../../src/api/result.ts';
import type { L2Error } from '../../src/l2/result.ts';
import { hex, MAC_A, MAC_B, v4, v6 } from './helpers.ts';

/** The error of a failed decode as `code: message`, or 'ok'. */
function said(result: Result<unknown, L2Error>): string {
  return result.ok ? 'ok' : `${result.error.code}: ${result.error.message}`;
}

interface Row {
  readonly name: string;
  readonly got: Result<unknown, L2Error>;
  /** The code, and what the message must say. */
  readonly code: string;
  readonly says: RegExp;
}

function check(rows: readonly Row[]): void {
  for (const { name, got, code, says } of rows) {
    assert.ok(!got.ok, `${name}: decoded`);
    assert.equal(got.error.code, code, name);
    assert.match(got.error.message, says, `${name}: ${said(got)}`);
  }
}

// --- ARP -----------------------------------------------------------------------------------------

const REQUEST: ArpPacket = { op: 'request', senderMac: MAC_A, senderIp: v4('192.0.2.1'), targetMac: ZERO_MAC, targetIp: v4('192.0.2.2') };

/** A valid ARP request with one field changed. */
function arpWith(edit: (b: Uint8Array) => void, length = 28): Uint8Array {
  const bytes = encodeArp(REQUEST).slice(0, length);
  edit(bytes);
  return bytes;
}

test('ARP errors name the field and its value, in RFC 826 order', () => {
  check([
    { name: '3 bytes', got: decodeArp(new Uint8Array(3)), code: 'truncated', says: /^ARP header: need 8 bytes, have 3$/ },
    { name: 'htype 6', got: decodeArp(arpWith((b) => (b[1] = 6))), code: 'bad-htype', says: /hardware type 6\b/ },
    { name: 'ptype 0x86dd', got: decodeArp(arpWith((b) => b.set([0x86, 0xdd], 2))), code: 'bad-ptype', says: /protocol type 0x86dd\b/ },
    { name: 'hlen 8', got: decodeArp(arpWith((b) => (b[4] = 8))), code: 'bad-hlen', says: /hardware address length 8\b/ },
    { name: 'plen 16', got: decodeArp(arpWith((b) => (b[5] = 16))), code: 'bad-plen', says: /protocol address length 16\b/ },
    { name: 'op 3', got: decodeArp(arpWith((b) => (b[7] = 3))), code: 'unknown-op', says: /opcode 3\b/ },
    { name: '20 bytes', got: decodeArp(arpWith(() => {}, 20)), code: 'truncated', says: /^ARP packet: need 28 bytes, have 20$/ },
    {
      name: 'an IPv4 frame to the ARP decoder',
      got: decodeArpFrame(hex('ffffffffffff 02000000000a 0800 4500')),
      code: 'unsupported-ethertype',
      says: /ethertype 0x800 is not ARP/,
    },
  ]);
});

test('property: a refused ARP field is named with the value found', () => {
  const notOne = fc.integer({ min: 0, max: 0xffff }).filter((v) => v !== 1);
  fc.assert(
    fc.property(notOne, (htype) => {
      const got = decodeArp(arpWith((b) => b.set([htype >> 8, htype & 0xff], 0)));
      return said(got) === `bad-htype: ARP hardware type ${htype}, want 1 (Ethernet)`;
    }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }).filter((v) => v !== 1 && v !== 2), (op) => {
      const got = decodeArp(arpWith((b) => b.set([op >> 8, op & 0xff], 6)));
      return !got.ok && got.error.code === 'unknown-op' && got.error.message.includes(`opcode ${op},`);
    }),
  );
});

// --- Ethernet ------------------------------------------------------------------------------------

test('Ethernet errors: the length, the tag and the VLAN it names when the frame holds one', () => {
  const tagged = (tpid: string, length: number) => hex(`ffffffffffff 02000000000a ${tpid} 0123 0806`).slice(0, length);
  check([
    { name: '10 bytes', got: decodeEthernet(new Uint8Array(10)), code: 'truncated', says: /^Ethernet header: need 14 bytes, have 10$/ },
    // The tag control information (PCP, DEI, VID) is bytes 14–15: named only when both are there.
    { name: '802.1Q, 17 bytes', got: decodeEthernet(tagged('8100', 17)), code: 'vlan-tagged', says: /tag 0x8100 \(VLAN 291\): belongs to a VLAN sub-interface/ },
    { name: '802.1Q, 16 bytes', got: decodeEthernet(tagged('8100', 16)), code: 'vlan-tagged', says: /tag 0x8100 \(VLAN 291\): / },
    { name: '802.1ad, 15 bytes', got: decodeEthernet(tagged('88a8', 15)), code: 'vlan-tagged', says: /^802\.1Q\/802\.1ad tag 0x88a8: belongs to a VLAN sub-interface$/ },
    { name: 'Q-in-Q 0x9100, 14 bytes', got: decodeEthernet(tagged('9100', 14)), code: 'vlan-tagged', says: /^802\.1Q\/802\.1ad tag 0x9100: belongs/ },
    { name: 'MAC text of five octets', got: parseMac('02:00:00:00:0a'), code: 'bad-mac', says: /"02:00:00:00:0a" is not a MAC address/ },
  ]);
});

// --- IPv6 ----------------------------------------------------------------------------------------

const CLIENT = v6('2001:db8::1');
const VIP = v6('2001:db8::10');
const IP_HEADER: Ipv6Header = { trafficClass: 0, flowLabel: 0, nextHeader: NEXT_HEADER_ICMPV6, hopLimit: 255, src: CLIENT, dst: VIP };

test('IPv6 header errors name the version found and the lengths', () => {
  const packet = encodeIpv6(IP_HEADER, new Uint8Array(100));
  const v4Header = packet.slice();
  v4Header[0] = 0x45;
  check([
    { name: '30 bytes', got: decodeIpv6(packet.subarray(0, 30)), code: 'truncated', says: /^IPv6 header: need 40 bytes, have 30$/ },
    { name: 'version 4', got: decodeIpv6(v4Header), code: 'bad-ip-version', says: /IP version 4 in an IPv6 frame/ },
    // Payload length 100: the header's 40 plus 100 are needed.
    { name: 'payload cut', got: decodeIpv6(packet.subarray(0, 90)), code: 'truncated', says: /^IPv6 payload: need 140 bytes, have 90$/ },
  ]);
});

// --- NDP -----------------------------------------------------------------------------------------

const NS: NeighborSolicitation = { type: 'neighbor-solicitation', target: VIP, sourceLinkLayer: null, otherOptions: [] };
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

/** ICMPv6 bytes with a checksum that is right for TO_GROUP, so that the later checks are reached. */
function signed(bytes: Uint8Array, envelope: NdpEnvelope = TO_GROUP): Uint8Array {
  const out = bytes.slice();
  if (out.length >= 4) setIcmpv6Checksum(envelope.src, envelope.dst, out);
  return out;
}

/** An NS without options followed by `tail` (options or stray bytes), checksum set. */
function nsWith(tail: string): Uint8Array {
  const base = encodeNdp(NS, TO_GROUP.src, TO_GROUP.dst);
  const out = new Uint8Array([...base, ...hex(tail)]);
  return signed(out);
}

test('NDP errors name the value refused: type, hop limit, code, length, target, addresses', () => {
  const ns = encodeNdp(NS, TO_GROUP.src, TO_GROUP.dst);
  const code1 = ns.slice();
  code1[1] = 1;
  const badSum = ns.slice();
  badSum[2] = (badSum[2] ?? 0) ^ 0xff;
  const multicastTarget = encodeNdp({ ...NS, target: v6('ff02::1') }, TO_GROUP.src, TO_GROUP.dst);
  const dad: NdpEnvelope = { src: v6('::'), dst: CLIENT, hopLimit: 255 };
  const dadLla: NdpEnvelope = { src: v6('::'), dst: TO_GROUP.dst, hopLimit: 255 };
  const allNodes: NdpEnvelope = { src: VIP, dst: v6('ff02::1'), hopLimit: 255 };
  check([
    { name: '3 bytes', got: decodeNdp(new Uint8Array([135, 0, 0]), TO_GROUP), code: 'truncated', says: /^ICMPv6 header: need 4 bytes, have 3$/ },
    { name: 'echo request', got: decodeNdp(signed(hex('8000 0000 0000 0000')), TO_GROUP), code: 'not-ndp', says: /ICMPv6 type 128 is neither NS/ },
    { name: 'hop limit 64', got: decodeNdp(ns, { ...TO_GROUP, hopLimit: 64 }), code: 'bad-hop-limit', says: /hop limit 64, want 255/ },
    { name: 'checksum', got: decodeNdp(badSum, TO_GROUP), code: 'bad-checksum', says: /ICMPv6 checksum mismatch/ },
    { name: 'code 1', got: decodeNdp(signed(code1), TO_GROUP), code: 'bad-code', says: /ICMPv6 code 1, want 0/ },
    { name: '20 bytes', got: decodeNdp(signed(ns.subarray(0, 20)), TO_GROUP), code: 'bad-icmp-length', says: /NDP message of 20 bytes, want ≥ 24/ },
    { name: 'multicast target', got: decodeNdp(multicastTarget, TO_GROUP), code: 'target-multicast', says: /target ff02::1 is a multicast address/ },
    {
      name: 'DAD to a unicast address',
      got: decodeNdp(encodeNdp(NS, dad.src, dad.dst), dad),
      code: 'dad-bad-destination',
      says: /NS from :: to 2001:db8::1, not a solicited-node address/,
    },
    {
      name: 'DAD with a source link-layer address',
      got: decodeNdp(encodeNdp({ ...NS, sourceLinkLayer: MAC_A }, dadLla.src, dadLla.dst), dadLla),
      code: 'dad-with-source-lla',
      says: /NS from :: carries a source link-layer address/,
    },
    {
      name: 'solicited NA to all-nodes',
      got: decodeNdp(encodeNdp(NA, allNodes.src, allNodes.dst), allNodes),
      code: 'solicited-to-multicast',
      says: /NA with the Solicited flag sent to ff02::1$/,
    },
  ]);
});

test('a 4-byte ICMPv6 message is a whole header: NS/NA checks run, and it is too short for NDP, not truncated', () => {
  check([
    { name: 'NS, 4 bytes', got: decodeNdp(signed(hex('8700 0000')), TO_GROUP), code: 'bad-icmp-length', says: /NDP message of 4 bytes/ },
    { name: 'echo reply, 4 bytes', got: decodeNdp(signed(hex('8100 0000')), TO_GROUP), code: 'not-ndp', says: /ICMPv6 type 129/ },
  ]);
});

test('option errors say which option, or how many stray bytes follow the last one', () => {
  check([
    // One stray byte after a whole 8-byte option (a nonce, type 14): too short to be an option.
    { name: '1 stray byte', got: decodeNdp(nsWith('0e01 000000000000 aa'), TO_GROUP), code: 'bad-option-length', says: /^1 stray u8\(s\) after the options$/ },
    { name: '1 stray byte, no options', got: decodeNdp(nsWith('aa'), TO_GROUP), code: 'bad-option-length', says: /^1 stray u8\(s\)/ },
    // Two bytes are a type and a length: judged as an option.
    { name: 'length 0 at the end', got: decodeNdp(nsWith('0e01 000000000000 0e00'), TO_GROUP), code: 'bad-option-length', says: /^option type 14 has length 0$/ },
    { name: 'length 1 in 2 bytes', got: decodeNdp(nsWith('0e01 000000000000 0e01'), TO_GROUP), code: 'bad-option-length', says: /^option type 14 runs past the message$/ },
    { name: 'length 2 in 8 bytes', got: decodeNdp(nsWith('0102 02000000000a'), TO_GROUP), code: 'bad-option-length', says: /^option type 1 runs past the message$/ },
  ]);
});

test('NDP frame errors name the ethertype and the next header', () => {
  const frame = ndpFrame(NS, { src: MAC_A, dst: MAC_B }, { src: TO_GROUP.src, dst: TO_GROUP.dst });
  const ipv4 = encodeNdpFrame({ ...frame, eth: { ...frame.eth, ethertype: ETHERTYPE_IPV4 } });
  const tcp = encodeNdpFrame({ ...frame, ip: { ...frame.ip, nextHeader: 6 } });
  assert.equal(frame.eth.ethertype, ETHERTYPE_IPV6);
  check([
    { name: 'IPv4 ethertype', got: decodeNdpFrame(ipv4), code: 'unsupported-ethertype', says: /ethertype 0x800 is not IPv6/ },
    { name: 'TCP', got: decodeNdpFrame(tcp), code: 'not-icmpv6', says: /IPv6 next header 6, want 58/ },
  ]);
});

test('property: the NDP checks name the type, hop limit and code they refuse', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 255 }).filter((t) => t !== 135 && t !== 136), (type) => {
      return said(decodeNdp(signed(new Uint8Array([type, 0, 0, 0])), TO_GROUP)).startsWith(`not-ndp: ICMPv6 type ${type} `);
    }),
  );
  const ns = encodeNdp(NS, TO_GROUP.src, TO_GROUP.dst);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 254 }), (hopLimit) => {
      return said(decodeNdp(ns, { ...TO_GROUP, hopLimit })).startsWith(`bad-hop-limit: hop limit ${hopLimit},`);
    }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 255 }), (code) => {
      const bytes = ns.slice();
      bytes[1] = code;
      return said(decodeNdp(signed(bytes), TO_GROUP)) === `bad-code: ICMPv6 code ${code}, want 0`;
    }),
  );
});

// --- ICMPv6 checksum -----------------------------------------------------------------------------

test('a message shorter than the ICMPv6 header has no checksum to verify, even when its words sum to all ones', () => {
  const src: Ipv6 = CLIENT;
  const dst: Ipv6 = VIP;
  for (const length of [0, 1, 2, 3]) {
    const message = new Uint8Array(length);
    if (length >= 2) {
      // Make the first word the one's complement of everything else: the whole sum is then 0xffff.
      const word = icmpv6Checksum(src, dst, message);
      message.set([word >> 8, word & 0xff], 0);
      assert.equal(icmpv6Checksum(src, dst, message), 0, `length ${length}: the words sum to all ones`);
    }
    assert.equal(verifyIcmpv6Checksum(src, dst, message), false, `length ${length}`);
  }
  // The same construction at 4 bytes, where the checksum field exists, verifies.
  assert.equal(verifyIcmpv6Checksum(src, dst, signed(hex('8700 0000'), { src, dst, hopLimit: 255 })), true);
});
