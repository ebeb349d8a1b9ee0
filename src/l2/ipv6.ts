// The fixed IPv6 header (RFC 8200 §3), for NDP frames received and sent on AF_PACKET.
//   version(4)=6 traffic class(8) flow label(20) | payload length(16) next header(8) hop limit(8)
//   source(128) destination(128)
// Extension headers are not walked: NDP messages carry none in practice, and one before ICMPv6
// makes the frame `not-icmpv6` to the NDP decoder, which drops it.
import { u8, u16, put16 } from '../api/bytes.ts';
import { ipv6FromBytes, ipv6ToBytes, type Ipv6 } from './ip.ts';
import { fail, ok, truncated } from './result.ts';
import type { Result } from '../api/result.ts';
import type { L2Error } from './result.ts';

export const IPV6_HEADER_LEN = 40;
export const NEXT_HEADER_ICMPV6 = 58;

export interface Ipv6Header {
  readonly trafficClass: number; // 0..255
  readonly flowLabel: number; // 0..0xfffff
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly src: Ipv6;
  readonly dst: Ipv6;
}

export interface Ipv6Packet {
  readonly header: Ipv6Header;
  /** Exactly `payload length` bytes: anything after them in the frame is link-layer padding. */
  readonly payload: Uint8Array;
}

export function decodeIpv6(bytes: Uint8Array): Result<Ipv6Packet, L2Error> {
  if (bytes.length < IPV6_HEADER_LEN) return truncated('IPv6 header', IPV6_HEADER_LEN, bytes.length);
  const version = u8(bytes, 0) >> 4;
  if (version !== 6) return fail('bad-ip-version', `IP version ${version} in an IPv6 frame`);
  const payloadLength = u16(bytes, 4);
  const end = IPV6_HEADER_LEN + payloadLength;
  if (bytes.length < end) return truncated('IPv6 payload', end, bytes.length);
  return ok({
    header: {
      trafficClass: ((u8(bytes, 0) & 0x0f) << 4) | (u8(bytes, 1) >> 4),
      flowLabel: ((u8(bytes, 1) & 0x0f) << 16) | u16(bytes, 2),
      nextHeader: u8(bytes, 6),
      hopLimit: u8(bytes, 7),
      src: ipv6FromBytes(bytes, 8),
      dst: ipv6FromBytes(bytes, 24),
    },
    payload: bytes.subarray(IPV6_HEADER_LEN, end),
  });
}

export function encodeIpv6(header: Ipv6Header, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(IPV6_HEADER_LEN + payload.length);
  out[0] = 0x60 | ((header.trafficClass >> 4) & 0x0f);
  out[1] = ((header.trafficClass & 0x0f) << 4) | ((header.flowLabel >> 16) & 0x0f);
  put16(out, 2, header.flowLabel & 0xffff);
  put16(out, 4, payload.length);
  out[6] = header.nextHeader & 0xff;
  out[7] = header.hopLimit & 0xff;
  out.set(ipv6ToBytes(header.src), 8);
  out.set(ipv6ToBytes(header.dst), 24);
  out.set(payload, IPV6_HEADER_LEN);
  return out;
}
