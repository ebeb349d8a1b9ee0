// Neighbor Solicitation and Advertisement (RFC 4861 §4.3, §4.4) with their options (§4.6), as an
// ICMPv6 message (what an ICMPv6 socket hands over) and as a whole Ethernet frame (AF_PACKET).
//   NS: type 135, code 0, checksum, reserved(32), target(128), options
//   NA: type 136, code 0, checksum, R|S|O + reserved(29), target(128), options
//   option: type(8) length(8, units of 8 bytes) data; link-layer address options carry a MAC
//   (RFC 2464 §6: length 1).
import { u8 } from '../api/bytes.ts';
import {
  decodeEthernet,
  encodeEthernet,
  ETHERTYPE_IPV6,
  macFromBytes,
  macToBytes,
  type EthernetHeader,
  type Mac,
} from './ethernet.ts';
import { setIcmpv6Checksum, verifyIcmpv6Checksum } from './icmpv6.ts';
import { IPV6_ALL_NODES, IPV6_UNSPECIFIED, ipv6FromBytes, ipv6ToBytes, type Ipv6 } from './ip.ts';
import { decodeIpv6, encodeIpv6, NEXT_HEADER_ICMPV6, type Ipv6Header } from './ipv6.ts';
import { fail, ok, truncated } from './result.ts';
import type { Result } from '../api/result.ts';
import type { L2Error } from './result.ts';

export const ICMPV6_NEIGHBOR_SOLICITATION = 135;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
/** RFC 4861 §7.1.1: a hop limit below 255 means the packet crossed a router; it is forged. */
export const NDP_HOP_LIMIT = 255;
export const OPTION_SOURCE_LINK_LAYER = 1;
export const OPTION_TARGET_LINK_LAYER = 2;
/** ICMPv6 header (4) + reserved/flags (4) + target (16): RFC 4861 §7.1.1 "24 or more octets". */
export const NDP_MIN_LEN = 24;

/** An option the codec does not interpret (e.g. the RFC 7527 DAD nonce), kept for re-encoding. */
export interface NdpOption {
  readonly type: number;
  /** The bytes after type and length: 8 × length − 2 of them. */
  readonly data: Uint8Array;
}

export interface NeighborSolicitation {
  readonly type: 'neighbor-solicitation';
  readonly target: Ipv6;
  readonly sourceLinkLayer: Mac | null;
  readonly otherOptions: readonly NdpOption[];
}

export interface NeighborAdvertisement {
  readonly type: 'neighbor-advertisement';
  readonly router: boolean;
  readonly solicited: boolean;
  readonly override: boolean;
  readonly target: Ipv6;
  readonly targetLinkLayer: Mac | null;
  readonly otherOptions: readonly NdpOption[];
}

export type NdpMessage = NeighborSolicitation | NeighborAdvertisement;

/**
 * What validation needs besides the ICMPv6 bytes: from the IPv6 header on AF_PACKET, or on an
 * ICMPv6 socket from recvmsg's source address, IPV6_PKTINFO and IPV6_HOPLIMIT (RFC 3542 §6).
 */
export interface NdpEnvelope {
  readonly src: Ipv6;
  readonly dst: Ipv6;
  readonly hopLimit: number;
}

export interface NdpFrame {
  readonly eth: EthernetHeader;
  readonly ip: Ipv6Header;
  readonly ndp: NdpMessage;
}

/** ff00::/8 (RFC 4291 §2.7). Canonical text spells a multicast address's first group in full. */
export function isMulticastIpv6(ip: Ipv6): boolean {
  return /^ff[0-9a-f]{2}:/.test(ip);
}

/** RFC 4291 §2.7.1: ff02::1:ff00:0/104 with the low 24 bits of the address. */
export function solicitedNodeAddress(ip: Ipv6): Ipv6 {
  const bytes = ipv6ToBytes(ip);
  const group = new Uint8Array(16);
  group.set([0xff, 0x02], 0);
  group.set([0x01, 0xff, u8(bytes, 13), u8(bytes, 14), u8(bytes, 15)], 11);
  return ipv6FromBytes(group, 0);
}

export function isSolicitedNodeAddress(ip: Ipv6): boolean {
  // Stryker disable next-line StringLiteral: a shortcut; every solicitedNodeAddress() has the prefix, so the equality decides
  return ip.startsWith('ff02::1:ff') && solicitedNodeAddress(ip) === ip;
}

/** RFC 2464 §7: 33:33 followed by the last four bytes of the group address. */
export function ipv6MulticastMac(group: Ipv6): Mac {
  const bytes = ipv6ToBytes(group);
  const mac = new Uint8Array([0x33, 0x33, u8(bytes, 12), u8(bytes, 13), u8(bytes, 14), u8(bytes, 15)]);
  return macFromBytes(mac, 0);
}

/**
 * Decodes and validates an NS or NA (RFC 4861 §7.1.1, §7.1.2). Checks run cheapest first, and a
 * message of another ICMPv6 type is `not-ndp` before its hop limit is looked at.
 */
export function decodeNdp(message: Uint8Array, envelope: NdpEnvelope): Result<NdpMessage, L2Error> {
  if (message.length < 4) return truncated('ICMPv6 header', 4, message.length);
  const type = u8(message, 0);
  if (type !== ICMPV6_NEIGHBOR_SOLICITATION && type !== ICMPV6_NEIGHBOR_ADVERTISEMENT) {
    return fail('not-ndp', `ICMPv6 type ${type} is neither NS (135) nor NA (136)`);
  }
  if (envelope.hopLimit !== NDP_HOP_LIMIT) {
    return fail('bad-hop-limit', `hop limit ${envelope.hopLimit}, want 255: the message crossed a router`);
  }
  if (!verifyIcmpv6Checksum(envelope.src, envelope.dst, message)) return fail('bad-checksum', 'ICMPv6 checksum mismatch');
  const code = u8(message, 1);
  if (code !== 0) return fail('bad-code', `ICMPv6 code ${code}, want 0`);
  if (message.length < NDP_MIN_LEN) return fail('bad-icmp-length', `NDP message of ${message.length} bytes, want ≥ 24`);
  const target = ipv6FromBytes(message, 8);
  if (isMulticastIpv6(target)) return fail('target-multicast', `target ${target} is a multicast address`);
  const options = decodeOptions(message.subarray(NDP_MIN_LEN));
  if (!options.ok) return options;
  const { linkLayer, other } = options.value;

  if (type === ICMPV6_NEIGHBOR_SOLICITATION) {
    const sourceLinkLayer = linkLayer.get(OPTION_SOURCE_LINK_LAYER) ?? null;
    if (envelope.src === IPV6_UNSPECIFIED) {
      if (!isSolicitedNodeAddress(envelope.dst)) {
        return fail('dad-bad-destination', `NS from :: to ${envelope.dst}, not a solicited-node address`);
      }
      if (sourceLinkLayer !== null) return fail('dad-with-source-lla', 'NS from :: carries a source link-layer address');
    }
    return ok({ type: 'neighbor-solicitation', target, sourceLinkLayer, otherOptions: other });
  }
  const flags = u8(message, 4);
  const solicited = (flags & 0x40) !== 0;
  if (solicited && isMulticastIpv6(envelope.dst)) {
    return fail('solicited-to-multicast', `NA with the Solicited flag sent to ${envelope.dst}`);
  }
  return ok({
    type: 'neighbor-advertisement',
    router: (flags & 0x80) !== 0,
    solicited,
    override: (flags & 0x20) !== 0,
    target,
    targetLinkLayer: linkLayer.get(OPTION_TARGET_LINK_LAYER) ?? null,
    otherOptions: other,
  });
}

interface DecodedOptions {
  /** The first source/target link-layer address option of each type. */
  linkLayer: Map<number, Mac>;
  other: NdpOption[];
}

function decodeOptions(bytes: Uint8Array): Result<DecodedOptions, L2Error> {
  const linkLayer = new Map<number, Mac>();
  const other: NdpOption[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 2) return fail('bad-option-length', `${bytes.length - at} stray u8(s) after the options`);
    const type = u8(bytes, at);
    const size = u8(bytes, at + 1) * 8;
    if (size === 0) return fail('bad-option-length', `option type ${type} has length 0`); // §7.1.1: loops forever otherwise
    if (at + size > bytes.length) return fail('bad-option-length', `option type ${type} runs past the message`);
    const isLinkLayer = type === OPTION_SOURCE_LINK_LAYER || type === OPTION_TARGET_LINK_LAYER;
    if (isLinkLayer && size === 8) {
      if (!linkLayer.has(type)) linkLayer.set(type, macFromBytes(bytes, at + 2));
    } else {
      // Unknown options are ignored (§4.6); a link-layer option of another size is not Ethernet's.
      // A copy as a plain Uint8Array: on a Buffer, slice() is a view (fuzz finding, test/l2/fuzz-findings.test.ts).
      other.push({ type, data: new Uint8Array(bytes.subarray(at + 2, at + size)) });
    }
    at += size;
  }
  return ok({ linkLayer, other });
}

/** Encodes with the checksum for `src` → `dst`. Link-layer option first, then the others. */
export function encodeNdp(message: NdpMessage, src: Ipv6, dst: Ipv6): Uint8Array {
  const options: NdpOption[] = [];
  const isNs = message.type === 'neighbor-solicitation';
  const linkLayer = isNs ? message.sourceLinkLayer : message.targetLinkLayer;
  if (linkLayer !== null) {
    options.push({ type: isNs ? OPTION_SOURCE_LINK_LAYER : OPTION_TARGET_LINK_LAYER, data: macToBytes(linkLayer) });
  }
  options.push(...message.otherOptions);
  const sizes = options.map((option) => Math.ceil((option.data.length + 2) / 8) * 8);
  const out = new Uint8Array(NDP_MIN_LEN + sizes.reduce((a, b) => a + b, 0));
  out[0] = isNs ? ICMPV6_NEIGHBOR_SOLICITATION : ICMPV6_NEIGHBOR_ADVERTISEMENT;
  if (!isNs) out[4] = (message.router ? 0x80 : 0) | (message.solicited ? 0x40 : 0) | (message.override ? 0x20 : 0);
  out.set(ipv6ToBytes(message.target), 8);
  let at = NDP_MIN_LEN;
  options.forEach((option, i) => {
    const size = sizes[i] ?? 8;
    out[at] = option.type;
    out[at + 1] = size / 8;
    out.set(option.data, at + 2); // the rest of the 8-byte unit stays zero padding
    at += size;
  });
  setIcmpv6Checksum(src, dst, out);
  return out;
}

/** Decodes Ethernet + IPv6 + NS/NA, with the hop limit and addresses of the IPv6 header. */
export function decodeNdpFrame(frame: Uint8Array): Result<NdpFrame, L2Error> {
  const eth = decodeEthernet(frame);
  if (!eth.ok) return eth;
  const { header, payload } = eth.value;
  if (header.ethertype !== ETHERTYPE_IPV6) {
    return fail('unsupported-ethertype', `ethertype 0x${header.ethertype.toString(16)} is not IPv6`);
  }
  const ip = decodeIpv6(payload);
  if (!ip.ok) return ip;
  const ipHeader = ip.value.header;
  if (ipHeader.nextHeader !== NEXT_HEADER_ICMPV6) {
    return fail('not-icmpv6', `IPv6 next header ${ipHeader.nextHeader}, want 58 (ICMPv6)`);
  }
  const ndp = decodeNdp(ip.value.payload, ipHeader);
  return ndp.ok ? ok({ eth: header, ip: ipHeader, ndp: ndp.value }) : ndp;
}

export function encodeNdpFrame(frame: NdpFrame): Uint8Array {
  const icmp = encodeNdp(frame.ndp, frame.ip.src, frame.ip.dst);
  return encodeEthernet(frame.eth, encodeIpv6(frame.ip, icmp));
}

/** Ethernet + IPv6 around an NDP message, hop limit 255, no traffic class or flow label. */
export function ndpFrame(ndp: NdpMessage, eth: { src: Mac; dst: Mac }, ip: { src: Ipv6; dst: Ipv6 }): NdpFrame {
  return {
    eth: { dst: eth.dst, src: eth.src, ethertype: ETHERTYPE_IPV6 },
    ip: { trafficClass: 0, flowLabel: 0, nextHeader: NEXT_HEADER_ICMPV6, hopLimit: NDP_HOP_LIMIT, src: ip.src, dst: ip.dst },
    ndp,
  };
}

/**
 * The answer to a solicitation for an address we hold (RFC 4861 §7.2.4): to the solicitor with
 * Solicited set, or — when the solicitor is `::`, a DAD probe — to all-nodes with Solicited
 * clear. Override is set: one node holds a VIP at a time and a failover must replace the cached
 * MAC at once, which a Solicited NA without Override does not do (§7.2.5). The target
 * link-layer address goes in always (§7.2.4 requires it for multicast solicitations).
 */
export function advertisementFor(solicitation: NeighborSolicitation, solicitor: Ipv6, mac: Mac): { na: NeighborAdvertisement; dst: Ipv6 } {
  const dad = solicitor === IPV6_UNSPECIFIED;
  return {
    na: {
      type: 'neighbor-advertisement',
      router: false,
      solicited: !dad,
      override: true,
      target: solicitation.target,
      targetLinkLayer: mac,
      otherOptions: [],
    },
    dst: dad ? IPV6_ALL_NODES : solicitor,
  };
}

/** RFC 4861 §7.2.6: an unsolicited NA to all-nodes with Override set, from the address itself. */
export function unsolicitedAdvertisement(ip: Ipv6, mac: Mac): NdpFrame {
  const na: NeighborAdvertisement = {
    type: 'neighbor-advertisement',
    router: false,
    solicited: false,
    override: true,
    target: ip,
    targetLinkLayer: mac,
    otherOptions: [],
  };
  return ndpFrame(na, { src: mac, dst: ipv6MulticastMac(IPV6_ALL_NODES) }, { src: ip, dst: IPV6_ALL_NODES });
}
