// Fuzz target: one frame → the ARP and NDP codecs (Ethernet, ARP, IPv6, ICMPv6/NDP with options
// and checksum) and the responder's decision, on both of its paths (AF_PACKET frame, ICMPv6 socket
// message). The first input byte is the receive metadata (packet type, VLAN from auxdata, path).
// Oracle: nothing throws; an ARP frame re-encodes to its own first 42 bytes; an NDP frame survives
// encode → decode; a reply answers only for a held VIP that is not the node's own, from our MAC, and
// decodes as the right ARP reply or a valid NA (checksum, hop limit 255, target, Override); a
// conflict names a held VIP.
import { isDeepStrictEqual } from 'node:util';
import { loadHexFixtures } from '../test/support/hex-fixtures.ts';
import { decodeArpFrame, encodeArpFrame } from '../src/l2/arp.ts';
import type { Mac } from '../src/l2/ethernet.ts';
import { ipv6FromBytes, type IpAddress, type Ipv6 } from '../src/l2/ip.ts';
import { decodeNdp, decodeNdpFrame, encodeNdpFrame } from '../src/l2/ndp.ts';
import { respondToFrame, respondToIcmpv6, type FrameDecision, type Icmpv6Decision, type PacketType, type ResponderView } from '../src/l2/responder.ts';
import { check, type FuzzTarget } from './engine/target.ts';

const MAC = '02:00:00:00:00:0b' as Mac;
const HELD = new Set<IpAddress>(['192.0.2.2', '192.0.2.10', '2001:db8::2', '2001:db8::10', 'fe80::ff:fe00:b'] as IpAddress[]);
const OWN = new Set<IpAddress>(['192.0.2.11', '2001:db8::11'] as IpAddress[]);
const VIEW: ResponderView = { iface: { name: 'vb', ifindex: 3, mac: MAC }, held: HELD, own: OWN };
const PACKET_TYPES: readonly PacketType[] = ['host', 'broadcast', 'multicast', 'otherhost', 'outgoing'];
const REASONS = new Set([
  'truncated', 'unsupported-ethertype', 'vlan-tagged', 'bad-htype', 'bad-ptype', 'bad-hlen', 'bad-plen', 'unknown-op', 'bad-ip-version', 'not-icmpv6',
  'bad-checksum', 'not-ndp', 'bad-hop-limit', 'bad-code', 'bad-icmp-length', 'target-multicast', 'bad-option-length', 'dad-bad-destination',
  'dad-with-source-lla', 'solicited-to-multicast', 'wrong-interface', 'outgoing', 'own-mac', 'bad-sender-mac', 'not-for-us', 'not-arp-request',
  'gratuitous-from-peer', 'not-neighbor-solicitation', 'own-address', 'target-not-held',
]);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function checkCommon(d: FrameDecision | Icmpv6Decision): void {
  if (d.kind === 'drop') check(REASONS.has(d.reason), `unknown drop reason ${d.reason}`);
  if (d.kind === 'conflict') check(HELD.has(d.ip), `conflict for ${d.ip}, which is not held`);
  if (d.kind === 'reply') check(HELD.has(d.ip) && !OWN.has(d.ip), `reply for ${d.ip}: not a held VIP, or the node's own address`);
}

function frameDecision(frame: Uint8Array, packetType: PacketType, vlan: number | null): void {
  const d = respondToFrame(VIEW, frame, { ifindex: 3, packetType, vlan });
  checkCommon(d);
  if (d.kind !== 'reply') return;
  check(packetType !== 'outgoing' && vlan === null, 'replied to an outgoing or VLAN-tagged frame');
  const arp = decodeArpFrame(d.frame);
  if (arp.ok) {
    const a = arp.value;
    check(a.arp.op === 'reply' && a.arp.senderIp === d.ip && a.arp.senderMac === MAC && a.eth.src === MAC, () => `bad ARP reply ${hex(d.frame)}`);
    return;
  }
  const ndp = decodeNdpFrame(d.frame);
  check(ndp.ok, () => `the reply is neither ARP nor a valid NDP frame: ${ndp.ok ? '' : ndp.error.message}`);
  const na = ndp.value.ndp;
  check(na.type === 'neighbor-advertisement' && na.target === d.ip && na.targetLinkLayer === MAC && na.override && ndp.value.eth.src === MAC && ndp.value.ip.hopLimit === 255, 'bad NA reply (RFC 4861 §7.2.4)');
}

function icmpDecision(message: Uint8Array, src: Ipv6, dst: Ipv6, hopLimit: number): void {
  const d = respondToIcmpv6(VIEW, message, { ifindex: 3, src, dst, hopLimit });
  checkCommon(d);
  if (d.kind !== 'reply') return;
  const na = decodeNdp(d.message, { src: d.ip as Ipv6, dst: d.dst, hopLimit: 255 });
  check(na.ok && na.value.type === 'neighbor-advertisement' && na.value.target === d.ip && na.value.targetLinkLayer === MAC, 'the ICMPv6 reply is not a valid NA for the VIP');
  check(d.dst === (src === '::' ? 'ff02::1' : src), `NA sent to ${d.dst} for a solicitation from ${src} (RFC 4861 §7.2.4)`);
}

export const target: FuzzTarget = {
  name: 'l2-frame',
  description: 'metadata byte + frame → ARP/NDP decoders, re-encoding, respondToFrame and respondToIcmpv6',
  covers: ['/src/l2/arp.ts', '/src/l2/ndp.ts', '/src/l2/ethernet.ts', '/src/l2/ipv6.ts', '/src/l2/icmpv6.ts', '/src/l2/ip.ts', '/src/l2/responder.ts'],
  maxLen: 1600,
  seeds: () => {
    const fixtures = [...loadHexFixtures(new URL('../test/l2/fixtures/', import.meta.url)).values()];
    return [0x00, 0x01, 0x02, 0x08, 0x10].flatMap((cfg) => fixtures.map((f) => Buffer.concat([Uint8Array.of(cfg), f])));
  },
  run(data) {
    const cfg = data[0] ?? 0;
    // A Buffer, as the packet socket delivers frames; the decoders must not write into it.
    const frame = Buffer.from(data.subarray(1));
    // Codecs alone: whatever decodes re-encodes.
    const arp = decodeArpFrame(frame);
    if (arp.ok) check(hex(encodeArpFrame(arp.value)) === hex(frame.subarray(0, 42)), 'ARP frame does not re-encode to its bytes');
    const ndp = decodeNdpFrame(frame);
    if (ndp.ok) {
      const again = decodeNdpFrame(encodeNdpFrame(ndp.value));
      check(again.ok && isDeepStrictEqual(again.value, ndp.value), 'NDP frame does not survive encode → decode');
    }
    frameDecision(frame, PACKET_TYPES[cfg % 5] ?? 'host', (cfg & 0x08) !== 0 ? cfg >> 4 : null);
    // The ICMPv6 socket path: the message is the IPv6 payload, the envelope from the IPv6 header.
    if (frame.length >= 54) {
      const src = ipv6FromBytes(frame, 22);
      const dst = ipv6FromBytes(frame, 38);
      icmpDecision(frame.subarray(54), src, dst, (cfg & 0x10) !== 0 ? (frame[21] ?? 0) : 255);
    }
    check(frame.equals(data.subarray(1)), 'decoding wrote into the frame it was given');
  },
};
