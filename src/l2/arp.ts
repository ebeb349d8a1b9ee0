// ARP (RFC 826) for Ethernet and IPv4 only: 28 bytes after the Ethernet header.
//   htype(2)=1 ptype(2)=0x0800 hlen(1)=6 plen(1)=4 op(2) sha(6) spa(4) tha(6) tpa(4)
// Announcements follow RFC 5227 §3 (request form) and RFC 2002 §4.6 (reply form).
import {
  BROADCAST_MAC,
  decodeEthernet,
  encodeEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  macFromBytes,
  macToBytes,
  ZERO_MAC,
  type EthernetHeader,
  type Mac,
} from './ethernet.ts';
import { u8, u16 } from '../api/bytes.ts';
import { IPV4_UNSPECIFIED, ipv4FromBytes, ipv4ToBytes, type Ipv4 } from './ip.ts';
import { fail, ok, truncated } from './result.ts';
import type { Result } from '../api/result.ts';
import type { L2Error } from './result.ts';

export type ArpOp = 'request' | 'reply';

export interface ArpPacket {
  readonly op: ArpOp;
  readonly senderMac: Mac;
  readonly senderIp: Ipv4;
  readonly targetMac: Mac;
  readonly targetIp: Ipv4;
}

export interface ArpFrame {
  readonly eth: EthernetHeader;
  readonly arp: ArpPacket;
}

export const ARP_PACKET_LEN = 28;
const ARP_FIXED_LEN = 8; // htype, ptype, hlen, plen, op: enough to tell what the rest must be
const HTYPE_ETHERNET = 1; // RFC 826 "ar$hrd", IANA ARP hardware type 1
const OPS: Readonly<Record<number, ArpOp>> = { 1: 'request', 2: 'reply' };
const OP_CODES: Readonly<Record<ArpOp, number>> = { request: 1, reply: 2 };

/**
 * Decodes an ARP packet (the Ethernet payload; trailing padding is ignored). The checks run in
 * RFC 826's order: hardware type, protocol type, their lengths, then the opcode.
 */
export function decodeArp(payload: Uint8Array): Result<ArpPacket, L2Error> {
  if (payload.length < ARP_FIXED_LEN) return truncated('ARP header', ARP_FIXED_LEN, payload.length);
  const htype = u16(payload, 0);
  if (htype !== HTYPE_ETHERNET) return fail('bad-htype', `ARP hardware type ${htype}, want 1 (Ethernet)`);
  const ptype = u16(payload, 2);
  if (ptype !== ETHERTYPE_IPV4) return fail('bad-ptype', `ARP protocol type 0x${ptype.toString(16)}, want 0x0800 (IPv4)`);
  const hlen = u8(payload, 4);
  if (hlen !== 6) return fail('bad-hlen', `ARP hardware address length ${hlen}, want 6`);
  const plen = u8(payload, 5);
  if (plen !== 4) return fail('bad-plen', `ARP protocol address length ${plen}, want 4`);
  const opcode = u16(payload, 6);
  const op = OPS[opcode];
  if (op === undefined) return fail('unknown-op', `ARP opcode ${opcode}, want 1 (request) or 2 (reply)`);
  if (payload.length < ARP_PACKET_LEN) return truncated('ARP packet', ARP_PACKET_LEN, payload.length);
  return ok({
    op,
    senderMac: macFromBytes(payload, 8),
    senderIp: ipv4FromBytes(payload, 14),
    targetMac: macFromBytes(payload, 18),
    targetIp: ipv4FromBytes(payload, 24),
  });
}

export function encodeArp(packet: ArpPacket): Uint8Array {
  const out = new Uint8Array(ARP_PACKET_LEN);
  out.set([0, HTYPE_ETHERNET, ETHERTYPE_IPV4 >> 8, ETHERTYPE_IPV4 & 0xff, 6, 4, 0, OP_CODES[packet.op]], 0);
  out.set(macToBytes(packet.senderMac), 8);
  out.set(ipv4ToBytes(packet.senderIp), 14);
  out.set(macToBytes(packet.targetMac), 18);
  out.set(ipv4ToBytes(packet.targetIp), 24);
  return out;
}

/** Decodes a whole frame that must carry ARP (`unsupported-ethertype` otherwise). */
export function decodeArpFrame(frame: Uint8Array): Result<ArpFrame, L2Error> {
  const eth = decodeEthernet(frame);
  if (!eth.ok) return eth;
  const { header, payload } = eth.value;
  if (header.ethertype !== ETHERTYPE_ARP) {
    return fail('unsupported-ethertype', `ethertype 0x${header.ethertype.toString(16)} is not ARP`);
  }
  const arp = decodeArp(payload);
  return arp.ok ? ok({ eth: header, arp: arp.value }) : arp;
}

export function encodeArpFrame(frame: ArpFrame): Uint8Array {
  return encodeEthernet(frame.eth, encodeArp(frame.arp));
}

/**
 * The answer to a request (RFC 826, "Packet Reception"): our MAC for the asked address, sent to
 * the requester's hardware address. For an RFC 5227 probe (sender IP 0.0.0.0) the target IP is
 * then 0.0.0.0 too, as the Linux kernel answers (test/l2/fixtures/arp-probe-reply.linux.hex).
 */
export function arpReplyTo(request: ArpPacket, mac: Mac): ArpFrame {
  return {
    eth: { dst: request.senderMac, src: mac, ethertype: ETHERTYPE_ARP },
    arp: { op: 'reply', senderMac: mac, senderIp: request.targetIp, targetMac: request.senderMac, targetIp: request.senderIp },
  };
}

/**
 * A gratuitous ARP, broadcast, with sender and target IP both `ip`. Request form: RFC 5227 §3
 * "ARP Announcement", target MAC ignored and set to zero. Reply form: RFC 2002 §4.6, target MAC
 * set to the MAC being announced. Both are sent because some hosts only update their cache from
 * one of them (RFC 5227 §3 discusses why the request form is preferred).
 */
export function arpAnnouncement(ip: Ipv4, mac: Mac, form: ArpOp): ArpFrame {
  return {
    eth: { dst: BROADCAST_MAC, src: mac, ethertype: ETHERTYPE_ARP },
    arp: { op: form, senderMac: mac, senderIp: ip, targetMac: form === 'request' ? ZERO_MAC : mac, targetIp: ip },
  };
}

/** Sender and target IP equal: an announcement (RFC 5227 §3) in either form, not a question. */
export function isGratuitous(packet: ArpPacket): boolean {
  return packet.senderIp === packet.targetIp && packet.senderIp !== IPV4_UNSPECIFIED;
}

/** RFC 5227 §2.1.1 ARP Probe: a request with sender IP 0.0.0.0, checking an address is free. */
export function isProbe(packet: ArpPacket): boolean {
  return packet.op === 'request' && packet.senderIp === IPV4_UNSPECIFIED;
}
