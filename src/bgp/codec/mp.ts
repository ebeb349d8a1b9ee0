// MP_REACH_NLRI and MP_UNREACH_NLRI values, RFC 4760 §3–4:
//   reach:   AFI(2) SAFI(1) next-hop-length(1) next-hop reserved(1)=0 NLRI
//   unreach: AFI(2) SAFI(1) withdrawn
// For IPv6 the next hop is 16 octets (global) or 32 (global then link-local), RFC 2545 §3.
// Errors here are problems of the value only; attr-decode.ts attaches the NOTIFICATION data and
// the RFC 7606 action (session reset: without a sound MP attribute the NLRI cannot be found).
import { put16, u16, u8 } from '../../api/bytes.ts';
import type { MpReach, MpUnreach } from './attributes.ts';
import { addressBytes, decodePrefixes, formatAddress, prefixWireLength, writePrefix } from './prefix.ts';
import { FAMILY_AFI, familyOf, SAFI_UNICAST } from './family.ts';

export type MpDecoded<T> = { readonly kind: 'ok'; readonly value: T } | { readonly kind: 'other-family' } | { readonly kind: 'malformed'; readonly reason: string };

export function nextHopLength(mp: MpReach): number {
  return mp.family === 'ipv4' ? 4 : mp.linkLocalNextHop !== undefined ? 32 : 16;
}

/** Octets of the value before the NLRI: AFI, SAFI, next-hop length, next hop, reserved. */
export function mpReachHeadLength(mp: MpReach): number {
  return 5 + nextHopLength(mp);
}

export function mpReachLength(mp: MpReach): number {
  let n = mpReachHeadLength(mp);
  for (const p of mp.nlri) n += prefixWireLength(p);
  return n;
}

/** Writes AFI … reserved at `o` (the packer appends NLRI itself); returns the offset after it. */
export function writeMpReachHead(out: Uint8Array, o: number, mp: MpReach): number {
  const nh = nextHopLength(mp);
  put16(out, o, FAMILY_AFI[mp.family]);
  out[o + 2] = SAFI_UNICAST;
  out[o + 3] = nh;
  out.set(addressBytes(mp.nextHop, mp.family === 'ipv4' ? 4 : 16), o + 4);
  if (mp.linkLocalNextHop !== undefined && mp.family === 'ipv6') out.set(addressBytes(mp.linkLocalNextHop, 16), o + 20);
  out[o + 4 + nh] = 0; // RFC 4760 §3 Reserved (was: Number of SNPAs)
  return o + 5 + nh;
}

export function writeMpReach(out: Uint8Array, o: number, mp: MpReach): number {
  o = writeMpReachHead(out, o, mp);
  for (const p of mp.nlri) o = writePrefix(out, o, p);
  return o;
}

export function mpUnreachLength(mp: MpUnreach): number {
  let n = 3;
  for (const p of mp.withdrawn) n += prefixWireLength(p);
  return n;
}

export function writeMpUnreach(out: Uint8Array, o: number, mp: MpUnreach): number {
  put16(out, o, FAMILY_AFI[mp.family]);
  out[o + 2] = SAFI_UNICAST;
  o += 3;
  for (const p of mp.withdrawn) o = writePrefix(out, o, p);
  return o;
}

export function decodeMpReach(v: Uint8Array): MpDecoded<MpReach> {
  if (v.length < 5) return { kind: 'malformed', reason: `MP_REACH_NLRI of ${v.length} octets` };
  const family = familyOf(u16(v, 0), u8(v, 2));
  if (family === null) return { kind: 'other-family' };
  const nh = u8(v, 3);
  if (5 + nh > v.length) return { kind: 'malformed', reason: `next hop length ${nh} overruns MP_REACH_NLRI` };
  // RFC 7606 §7.11: a next-hop length the AFI/SAFI does not allow makes the NLRI unlocatable.
  if (family === 'ipv4' ? nh !== 4 : nh !== 16 && nh !== 32) return { kind: 'malformed', reason: `${family} next hop length ${nh}` };
  const nlri = decodePrefixes(v, 5 + nh, v.length, family);
  if (!nlri.ok) return { kind: 'malformed', reason: nlri.error.message };
  const nextHop = formatAddress(v.subarray(4, family === 'ipv4' ? 8 : 20));
  const base = { family, nextHop, nlri: nlri.value };
  return { kind: 'ok', value: nh === 32 ? { ...base, linkLocalNextHop: formatAddress(v.subarray(20, 36)) } : base };
}

export function decodeMpUnreach(v: Uint8Array): MpDecoded<MpUnreach> {
  if (v.length < 3) return { kind: 'malformed', reason: `MP_UNREACH_NLRI of ${v.length} octets` };
  const family = familyOf(u16(v, 0), u8(v, 2));
  if (family === null) return { kind: 'other-family' };
  const withdrawn = decodePrefixes(v, 3, v.length, family);
  if (!withdrawn.ok) return { kind: 'malformed', reason: withdrawn.error.message };
  return { kind: 'ok', value: { family, withdrawn: withdrawn.value } };
}
