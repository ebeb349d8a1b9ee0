// The responder's decision for one received frame or ICMPv6 message: a reply to send, a drop with
// a stable reason, or a conflict to report (STYLE.md lesson 7: packet decisions are values; MetalLB
// layer2/arp.go returns a drop reason the same way). Pure: the speaker's socket loop calls it and
// acts on the value. The reasons are metric labels and log keys; keep them stable.
import { arpReplyTo, decodeArp, encodeArpFrame, isGratuitous } from './arp.ts';
import {
  BROADCAST_MAC,
  decodeEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV6,
  isMulticastMac,
  type EthernetHeader,
  type Mac,
} from './ethernet.ts';
import { IPV6_UNSPECIFIED, type IpAddress, type Ipv6 } from './ip.ts';
import { decodeIpv6, NEXT_HEADER_ICMPV6 } from './ipv6.ts';
import {
  advertisementFor,
  decodeNdp,
  encodeNdp,
  encodeNdpFrame,
  ipv6MulticastMac,
  ndpFrame,
  type NdpEnvelope,
  type NdpMessage,
  type NeighborSolicitation,
} from './ndp.ts';
import type { L2Error, L2ErrorCode } from './result.ts';

/** The interface a socket is bound to. */
export interface L2Interface {
  readonly name: string;
  readonly ifindex: number;
  readonly mac: Mac;
}

/** Membership only: the backend answers it from its live table, with no copy per change (issue #10). */
export interface HeldSet {
  has(ip: IpAddress): boolean;
}

/** What the responder knows about this node on one interface. */
export interface ResponderView {
  readonly iface: L2Interface;
  /** VIPs this node holds (its Lease) and announces on this interface. */
  readonly held: HeldSet;
  /** The node's own addresses: the kernel answers for those, the responder never does. */
  readonly own: ReadonlySet<IpAddress>;
}

/** `sll_pkttype` of an AF_PACKET read (linux/if_packet.h PACKET_HOST … PACKET_OUTGOING). */
export type PacketType = 'host' | 'broadcast' | 'multicast' | 'otherhost' | 'outgoing';

export interface FrameMeta {
  readonly ifindex: number;
  readonly packetType: PacketType;
  /**
   * The VLAN ID when the kernel moved an 802.1Q tag out of the bytes into PACKET_AUXDATA
   * (TP_STATUS_VLAN_VALID), as it does on drivers with VLAN offload; null when untagged.
   */
  readonly vlan: number | null;
}

/** An ICMPv6 socket's recvmsg: source address, IPV6_PKTINFO (destination, ifindex), IPV6_HOPLIMIT. */
export interface Icmpv6Meta extends NdpEnvelope {
  readonly ifindex: number;
}

export type DropReason =
  | L2ErrorCode // the frame failed to decode or to validate: the codec's code as it is
  | 'wrong-interface' // received on another interface than this view's
  | 'outgoing' // a frame this host sent, looped back to the packet socket
  | 'own-mac' // sent from our MAC (or claims it as sender)
  | 'bad-sender-mac' // a broadcast/multicast sender MAC: no host can own it
  | 'not-for-us' // unicast to another MAC (promiscuous mode, or a flooding switch)
  | 'not-arp-request' // an ARP reply about an address we do not hold
  | 'gratuitous-from-peer' // another host announcing an address we do not hold
  | 'not-neighbor-solicitation' // an NA about an address we do not hold
  | 'own-address' // asks for one of the node's own addresses: the kernel's to answer
  | 'target-not-held'; // asks for an address this node does not hold here

export interface Drop {
  readonly kind: 'drop';
  readonly reason: DropReason;
  /** The codec's explanation for decode failures; for logs, not for matching. */
  readonly message?: string;
}

/**
 * Another link-layer address announces or answers for a VIP we hold: a duplicate address on the
 * segment (RFC 5227 §2.4 (a) for ARP; for NDP the same evidence, an NA for or an NS from the
 * address). `mac` is null when an NA without a target link-layer option came over an ICMPv6
 * socket, which does not show the Ethernet source. Defending (re-announcing) is the speaker's call.
 */
export interface Conflict {
  readonly kind: 'conflict';
  readonly ip: IpAddress;
  readonly mac: Mac | null;
}

/** A frame to send on the interface the request came in on; `ip` is the VIP answered for. */
export interface FrameReply {
  readonly kind: 'reply';
  readonly ip: IpAddress;
  readonly frame: Uint8Array;
}

/**
 * An NA to send on an ICMPv6 socket to `dst` on the view's interface, with hop limit 255
 * (IPV6_UNICAST_HOPS / IPV6_MULTICAST_HOPS). The kernel picks the source address and rewrites
 * the checksum (RFC 3542 §3.1), so the one computed here (for source = the target) is a default.
 */
export interface Icmpv6Reply {
  readonly kind: 'reply';
  readonly ip: Ipv6;
  readonly dst: Ipv6;
  readonly message: Uint8Array;
}

export type FrameDecision = FrameReply | Drop | Conflict;
export type Icmpv6Decision = Icmpv6Reply | Drop | Conflict;

function drop(reason: DropReason): Drop {
  return { kind: 'drop', reason };
}

function dropError(error: L2Error): Drop {
  return { kind: 'drop', reason: error.code, message: error.message };
}

/** A frame from an AF_PACKET socket bound to `view.iface`: ARP or IPv6 NS/NA. */
export function respondToFrame(view: ResponderView, frame: Uint8Array, meta: FrameMeta): FrameDecision {
  if (meta.ifindex !== view.iface.ifindex) return drop('wrong-interface');
  if (meta.packetType === 'outgoing') return drop('outgoing');
  if (meta.vlan !== null) return { kind: 'drop', reason: 'vlan-tagged', message: `VLAN ${meta.vlan} (from PACKET_AUXDATA)` };
  const eth = decodeEthernet(frame);
  if (!eth.ok) return dropError(eth.error);
  const { header, payload } = eth.value;
  if (header.src === view.iface.mac) return drop('own-mac');
  if (isMulticastMac(header.src)) return drop('bad-sender-mac');
  if (header.ethertype === ETHERTYPE_ARP) return respondToArp(view, header, payload);
  if (header.ethertype === ETHERTYPE_IPV6) return respondToIpv6(view, header, payload);
  return { kind: 'drop', reason: 'unsupported-ethertype', message: `ethertype 0x${header.ethertype.toString(16)}` };
}

function respondToArp(view: ResponderView, eth: EthernetHeader, payload: Uint8Array): FrameDecision {
  const decoded = decodeArp(payload);
  if (!decoded.ok) return dropError(decoded.error);
  const arp = decoded.value;
  const { mac } = view.iface;
  if (arp.senderMac === mac) return drop('own-mac');
  if (isMulticastMac(arp.senderMac)) return drop('bad-sender-mac');
  // RFC 5227 §2.4 (a): any ARP packet, request or reply, whose sender IP is ours from another MAC.
  if (view.held.has(arp.senderIp)) return { kind: 'conflict', ip: arp.senderIp, mac: arp.senderMac };
  if (arp.op !== 'request') return drop('not-arp-request');
  if (isGratuitous(arp)) return drop('gratuitous-from-peer');
  if (eth.dst !== BROADCAST_MAC && eth.dst !== mac) return drop('not-for-us');
  if (view.own.has(arp.targetIp)) return drop('own-address');
  if (!view.held.has(arp.targetIp)) return drop('target-not-held');
  return { kind: 'reply', ip: arp.targetIp, frame: encodeArpFrame(arpReplyTo(arp, mac)) };
}

function respondToIpv6(view: ResponderView, eth: EthernetHeader, payload: Uint8Array): FrameDecision {
  const ip = decodeIpv6(payload);
  if (!ip.ok) return dropError(ip.error);
  const { header } = ip.value;
  if (header.nextHeader !== NEXT_HEADER_ICMPV6) return drop('not-icmpv6');
  const ndp = decodeNdp(ip.value.payload, header);
  if (!ndp.ok) return dropError(ndp.error);
  const decision = decideNdp(view, ndp.value, header, eth);
  if (decision.kind !== 'answer') return decision;
  const { solicitation } = decision;
  const { na, dst } = advertisementFor(solicitation, header.src, view.iface.mac);
  // Unicast replies go to the solicitor's link-layer option, else to the frame's source (an NS
  // unicast for NUD may omit the option, RFC 4861 §4.3); DAD replies to all-nodes (§7.2.4).
  const ethDst = dst === header.src ? (solicitation.sourceLinkLayer ?? eth.src) : ipv6MulticastMac(dst);
  // The NA's source is the target itself, as the Linux kernel sends it (fixtures na-*.linux.hex).
  const frame = ndpFrame(na, { src: view.iface.mac, dst: ethDst }, { src: solicitation.target, dst });
  return { kind: 'reply', ip: solicitation.target, frame: encodeNdpFrame(frame) };
}

/** An NS or NA from an ICMPv6 socket (the kernel stripped IPv6 and passed its fields as metadata). */
export function respondToIcmpv6(view: ResponderView, message: Uint8Array, meta: Icmpv6Meta): Icmpv6Decision {
  if (meta.ifindex !== view.iface.ifindex) return drop('wrong-interface');
  const ndp = decodeNdp(message, meta);
  if (!ndp.ok) return dropError(ndp.error);
  const decision = decideNdp(view, ndp.value, meta, null);
  if (decision.kind !== 'answer') return decision;
  const { solicitation } = decision;
  const { na, dst } = advertisementFor(solicitation, meta.src, view.iface.mac);
  return { kind: 'reply', ip: solicitation.target, dst, message: encodeNdp(na, solicitation.target, dst) };
}

interface Answer {
  readonly kind: 'answer';
  readonly solicitation: NeighborSolicitation;
}

/** The part both paths share. `eth` is null on an ICMPv6 socket, which does not show it. */
function decideNdp(view: ResponderView, ndp: NdpMessage, envelope: NdpEnvelope, eth: EthernetHeader | null): Answer | Drop | Conflict {
  const { mac } = view.iface;
  const ethSrc = eth?.src ?? null;
  if (ndp.type === 'neighbor-advertisement') {
    const advertiser = ndp.targetLinkLayer ?? ethSrc;
    if (advertiser === mac) return drop('own-mac');
    if (view.held.has(ndp.target)) return { kind: 'conflict', ip: ndp.target, mac: advertiser };
    return drop('not-neighbor-solicitation');
  }
  const solicitor = ndp.sourceLinkLayer ?? ethSrc;
  if (solicitor === mac) return drop('own-mac');
  if (solicitor !== null && isMulticastMac(solicitor)) return drop('bad-sender-mac');
  // Someone else uses a held VIP as its source address. A DAD probe (source ::) for a held VIP
  // is not a conflict yet: answering it is the defence that makes the prober back off (§7.2.4).
  if (envelope.src !== IPV6_UNSPECIFIED && view.held.has(envelope.src)) {
    return { kind: 'conflict', ip: envelope.src, mac: solicitor };
  }
  if (eth !== null && eth.dst !== mac && !isMulticastMac(eth.dst)) return drop('not-for-us');
  if (view.own.has(ndp.target)) return drop('own-address');
  if (!view.held.has(ndp.target)) return drop('target-not-held');
  return { kind: 'answer', solicitation: ndp };
}
