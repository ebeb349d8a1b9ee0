// Ethernet II framing (IEEE 802.3 §3.2.6 with the DIX type field) and MAC addresses.
// Frames arrive from AF_PACKET without the FCS; the kernel strips the 802.1Q tag into ancillary
// data on most drivers, so a tag is seen either here (in the bytes) or in the receive metadata —
// the responder drops both ways: the speaker binds per interface and a tagged frame belongs to a
// VLAN sub-interface.
import { u8, u16, put16 } from '../api/bytes.ts';
import { fail, ok, truncated } from './result.ts';
import type { Result } from '../api/result.ts';
import type { L2Error } from './result.ts';

/** A MAC address as lower-case colon-separated text, `02:00:00:00:00:0a`. */
export type Mac = string & { readonly __brand: 'Mac' };

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff' as Mac;
export const ZERO_MAC = '00:00:00:00:00:00' as Mac;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
/** IEEE 802.1Q C-tag, 802.1ad S-tag, and the pre-standard 0x9100 Q-in-Q tag some switches send. */
export const VLAN_TPIDS: readonly number[] = [0x8100, 0x88a8, 0x9100];

export const ETHERNET_HEADER_LEN = 14;

export interface EthernetHeader {
  readonly dst: Mac;
  readonly src: Mac;
  readonly ethertype: number;
}

export interface EthernetFrame {
  readonly header: EthernetHeader;
  /** Everything after the header, padding included (ARP frames are padded to 60 bytes). */
  readonly payload: Uint8Array;
}

const MAC_TEXT = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

/** Accepts `aa:bb:cc:dd:ee:ff` or `aa-bb-cc-dd-ee-ff` in either case; returns the canonical form. */
export function parseMac(text: string): Result<Mac, L2Error> {
  if (!MAC_TEXT.test(text)) return fail('bad-mac', `"${text}" is not a MAC address (six hex octets)`);
  return ok(text.toLowerCase().replaceAll('-', ':') as Mac);
}

/** Two lower-case hex digits per byte value: every received frame's two MACs go through it (issue #10). */
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Reads 6 bytes at `offset`; the caller has checked the length. */
export function macFromBytes(bytes: Uint8Array, offset: number): Mac {
  const h = (i: number): string => HEX2[u8(bytes, offset + i)] ?? '';
  return `${h(0)}:${h(1)}:${h(2)}:${h(3)}:${h(4)}:${h(5)}` as Mac;
}

/** The value of one hex digit's char code, or -1. */
function nibble(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x57;
  return -1;
}

/**
 * The text to bytes, by char codes when it is six two-digit octets with colons (the canonical
 * `Mac`, every one the speaker makes): `split` and `Uint8Array.from` with a mapping function
 * cost 2–3 µs a MAC, four of them in every ARP reply (bench/l2/frame-cost.ts, issue #10). Any
 * other spelling a branded string might carry is read as before.
 */
export function macToBytes(mac: Mac): Uint8Array {
  const out = new Uint8Array(6);
  let fast = mac.length === 17;
  for (let i = 0; i < 6 && fast; i++) {
    const hi = nibble(mac.charCodeAt(i * 3));
    const lo = nibble(mac.charCodeAt(i * 3 + 1));
    fast = hi >= 0 && lo >= 0 && (i === 5 || mac.charCodeAt(i * 3 + 2) === 0x3a);
    out[i] = (hi << 4) | lo;
  }
  if (fast) return out;
  const parts = mac.split(':');
  if (parts.length !== 6) throw new TypeError(`not a MAC address: "${mac}"`); // forged brand: a bug
  return Uint8Array.from(parts, (part) => parseInt(part, 16));
}

/** The I/G bit (IEEE 802 §8.2): set for group addresses, broadcast included. */
export function isMulticastMac(mac: Mac): boolean {
  // Stryker disable next-line MethodExpression: parseInt stops at the first ':', so the whole text reads as its first octet
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

/** Splits a frame into header and payload; a VLAN tag in the bytes is `vlan-tagged`. */
export function decodeEthernet(frame: Uint8Array): Result<EthernetFrame, L2Error> {
  if (frame.length < ETHERNET_HEADER_LEN) return truncated('Ethernet header', ETHERNET_HEADER_LEN, frame.length);
  const ethertype = u16(frame, 12);
  if (VLAN_TPIDS.includes(ethertype)) {
    const vid = u16(frame, 14) & 0x0fff;
    const tag = frame.length >= 16 ? ` (VLAN ${vid})` : '';
    return fail('vlan-tagged', `802.1Q/802.1ad tag 0x${ethertype.toString(16)}${tag}: belongs to a VLAN sub-interface`);
  }
  return ok({
    header: { dst: macFromBytes(frame, 0), src: macFromBytes(frame, 6), ethertype },
    payload: frame.subarray(ETHERNET_HEADER_LEN),
  });
}

/**
 * Prepends an Ethernet II header. No padding to 60 bytes: the NIC driver pads short frames, as it
 * does for the kernel's own 42-byte ARP replies (see test/l2/fixtures/arp-reply.linux.hex).
 */
export function encodeEthernet(header: EthernetHeader, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(ETHERNET_HEADER_LEN + payload.length);
  frame.set(macToBytes(header.dst), 0);
  frame.set(macToBytes(header.src), 6);
  put16(frame, 12, header.ethertype);
  frame.set(payload, ETHERNET_HEADER_LEN);
  return frame;
}
