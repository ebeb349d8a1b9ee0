// The ICMPv6 checksum (RFC 4443 §2.3): the 16-bit one's complement of the one's complement sum
// of the IPv6 pseudo-header (RFC 8200 §8.1: source, destination, upper-layer length as 32 bits,
// three zero bytes, next header 58) and the ICMPv6 message with its checksum field as zero.
import { u8, put16 } from '../api/bytes.ts';
import { ipv6ToBytes, type Ipv6 } from './ip.ts';
import { NEXT_HEADER_ICMPV6 } from './ipv6.ts';

/** Offset of the checksum in the ICMPv6 header: type(1) code(1) checksum(2). */
const CHECKSUM_OFFSET = 2;

/** One's complement sum of the pseudo-header and the message, folded to 16 bits. */
function sum(src: Ipv6, dst: Ipv6, message: Uint8Array, skipChecksum: boolean): number {
  let total = addWords(0, ipv6ToBytes(src)) + addWords(0, ipv6ToBytes(dst));
  total += (message.length >>> 16) + (message.length & 0xffff) + NEXT_HEADER_ICMPV6;
  for (let i = 0; i < message.length; i += 2) {
    if (skipChecksum && i === CHECKSUM_OFFSET) continue;
    total += (u8(message, i) << 8) | u8(message, i + 1); // an odd last byte is padded with zero
  }
  while (total > 0xffff) total = (total & 0xffff) + Math.floor(total / 0x10000);
  return total;
}

function addWords(total: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i += 2) total += (u8(bytes, i) << 8) | u8(bytes, i + 1);
  return total;
}

/** The checksum a sender puts in bytes 2–3 of `message` (whatever they hold now is ignored). */
export function icmpv6Checksum(src: Ipv6, dst: Ipv6, message: Uint8Array): number {
  return ~sum(src, dst, message, true) & 0xffff;
}

/**
 * True when the stored checksum is right: the sum over everything, checksum included, is all
 * ones. Comparing sums rather than values accepts both one's complement zeros (0x0000, 0xffff).
 */
export function verifyIcmpv6Checksum(src: Ipv6, dst: Ipv6, message: Uint8Array): boolean {
  return message.length >= 4 && sum(src, dst, message, false) === 0xffff;
}

/** Writes the checksum into `message` in place. */
export function setIcmpv6Checksum(src: Ipv6, dst: Ipv6, message: Uint8Array): void {
  put16(message, CHECKSUM_OFFSET, icmpv6Checksum(src, dst, message));
}
