// Many prefixes into as few UPDATEs as fit the negotiated maximum (4096, RFC 8654: 65535). The
// attributes are encoded once; a first pass splits the prefixes into messages by arithmetic, a
// second writes every message into one preallocated buffer, so the per-prefix work is a length
// octet and a few byte copies (no objects). IPv4 goes in the NLRI / Withdrawn Routes fields,
// IPv6 in MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760), laid out as encodeUpdate lays them out.
import { put16 } from '../../api/bytes.ts';
import { ATTR_MP_REACH, ATTR_MP_UNREACH, FLAG_EXTENDED_LENGTH, FLAG_OPTIONAL, type PathAttributes } from './attributes.ts';
import { encodeAttributes, type EncodeContext } from './attr-encode.ts';
import { HEADER_LEN, MAX_MESSAGE_LEN, MSG_UPDATE, writeHeader } from './header.ts';
import { mpReachHeadLength, writeMpReachHead } from './mp.ts';
import { FAMILY_AFI, SAFI_UNICAST, type Family, type Prefix } from './family.ts';

export interface PackContext extends EncodeContext {
  readonly maxLength?: number;
}

/** Splits prefixes into runs whose wire size fits `capacity`: returns [end index, bytes] per run. */
function split(prefixes: readonly Prefix[], family: Family, capacity: number): Array<readonly [number, number]> {
  const runs: Array<readonly [number, number]> = [];
  let bytes = 0;
  for (let i = 0; i < prefixes.length; i++) {
    const p = prefixes[i] as Prefix;
    if (p.family !== family) throw new TypeError(`packing ${family} prefixes, got a ${p.family} one at index ${i}`);
    const size = 1 + p.bytes.length;
    if (bytes + size > capacity) {
      runs.push([i, bytes]);
      bytes = 0;
    }
    bytes += size;
  }
  if (prefixes.length > 0) runs.push([prefixes.length, bytes]);
  return runs;
}

/** Writes prefixes[from, to) at o; the hot loop. */
function writeRun(out: Uint8Array, o: number, prefixes: readonly Prefix[], from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const p = prefixes[i] as Prefix;
    const b = p.bytes;
    out[o++] = p.length;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: both branches copy the same octets; 8 picks the faster (bench)
    if (b.length > 8) {
      out.set(b, o); // IPv6: one native copy beats a 16-step loop
      o += b.length;
    } else for (let k = 0; k < b.length; k++) out[o++] = b[k] as number;
  }
  return o;
}

function capacityOrThrow(maxLength: number, overhead: number): number {
  const capacity = maxLength - overhead;
  if (capacity < 17) throw new RangeError(`attributes leave ${capacity} octets of ${maxLength} for prefixes`);
  return capacity;
}

/**
 * UPDATEs announcing `prefixes` (one family) with `attributes`. For IPv4, attributes carry
 * NEXT_HOP and the prefixes go in the NLRI field; for IPv6, attributes carry `mpReach` (family
 * and next hops; its `nlri` is ignored) and the prefixes go in it.
 */
export function packAnnouncements(attributes: PathAttributes, prefixes: readonly Prefix[], ctx: PackContext): Uint8Array[] {
  const maxLength = ctx.maxLength ?? MAX_MESSAGE_LEN;
  const mp = attributes.mpReach;
  if (mp === undefined) {
    const attrs = encodeAttributes(attributes, ctx);
    const overhead = HEADER_LEN + 4 + attrs.length;
    const runs = split(prefixes, 'ipv4', capacityOrThrow(maxLength, overhead));
    const out = new Uint8Array(runs.reduce((n, [, bytes]) => n + overhead + bytes, 0));
    const messages: Uint8Array[] = [];
    let o = 0;
    let from = 0;
    for (const [to, bytes] of runs) {
      const start = o;
      writeHeader(out, o, MSG_UPDATE, overhead + bytes);
      put16(out, o + HEADER_LEN, 0);
      put16(out, o + HEADER_LEN + 2, attrs.length);
      out.set(attrs, o + HEADER_LEN + 4);
      o = writeRun(out, start + overhead, prefixes, from, to);
      messages.push(out.subarray(start, o));
      from = to;
    }
    return messages;
  }
  const { mpReach: _, ...rest } = attributes;
  const tail = encodeAttributes(rest, ctx); // after MP_REACH_NLRI, which goes first
  const head = mpReachHeadLength(mp);
  const overhead = HEADER_LEN + 4 + 4 + head + tail.length;
  const runs = split(prefixes, mp.family, capacityOrThrow(maxLength, overhead));
  const out = new Uint8Array(runs.reduce((n, [, bytes]) => n + overhead + bytes, 0));
  const messages: Uint8Array[] = [];
  let o = 0;
  let from = 0;
  for (const [to, bytes] of runs) {
    const start = o;
    writeHeader(out, o, MSG_UPDATE, overhead + bytes);
    put16(out, o + HEADER_LEN, 0);
    put16(out, o + HEADER_LEN + 2, 4 + head + bytes + tail.length);
    o += HEADER_LEN + 4;
    out[o] = FLAG_OPTIONAL | FLAG_EXTENDED_LENGTH;
    out[o + 1] = ATTR_MP_REACH;
    put16(out, o + 2, head + bytes);
    o = writeMpReachHead(out, o + 4, mp);
    o = writeRun(out, o, prefixes, from, to);
    out.set(tail, o);
    o += tail.length;
    messages.push(out.subarray(start, o));
    from = to;
  }
  return messages;
}

/** UPDATEs withdrawing `prefixes` of one family: Withdrawn Routes for IPv4, MP_UNREACH_NLRI otherwise. */
export function packWithdrawals(family: Family, prefixes: readonly Prefix[], ctx: PackContext): Uint8Array[] {
  const maxLength = ctx.maxLength ?? MAX_MESSAGE_LEN;
  const v4 = family === 'ipv4';
  // IPv6: MP_UNREACH header, 4 octets when its value passes 255 (else 3, see below), AFI, SAFI.
  const overhead = HEADER_LEN + 4 + (v4 ? 0 : 4 + 3);
  const runs = split(prefixes, family, capacityOrThrow(maxLength, overhead));
  const short = (bytes: number) => !v4 && 3 + bytes <= 255; // a 1-octet attribute length suffices
  const out = new Uint8Array(runs.reduce((n, [, bytes]) => n + overhead + bytes - (short(bytes) ? 1 : 0), 0));
  const messages: Uint8Array[] = [];
  let o = 0;
  let from = 0;
  for (const [to, bytes] of runs) {
    const start = o;
    const s = short(bytes);
    writeHeader(out, o, MSG_UPDATE, overhead + bytes - (s ? 1 : 0));
    o += HEADER_LEN;
    if (v4) {
      put16(out, o, bytes);
      o = writeRun(out, o + 2, prefixes, from, to);
      // Stryker disable next-line CallExpression: the buffer is new and zero-filled; the write names the field
      put16(out, o, 0); // Total Path Attribute Length
      o += 2;
    } else {
      // Stryker disable next-line CallExpression: the buffer is new and zero-filled; the write names the field
      put16(out, o, 0); // Withdrawn Routes Length
      put16(out, o + 2, (s ? 3 : 4) + 3 + bytes);
      o += 4;
      out[o] = FLAG_OPTIONAL | (s ? 0 : FLAG_EXTENDED_LENGTH);
      out[o + 1] = ATTR_MP_UNREACH;
      if (s) out[o + 2] = 3 + bytes;
      else put16(out, o + 2, 3 + bytes);
      o += s ? 3 : 4;
      put16(out, o, FAMILY_AFI[family]);
      out[o + 2] = SAFI_UNICAST;
      o = writeRun(out, o + 3, prefixes, from, to);
    }
    messages.push(out.subarray(start, o));
    from = to;
  }
  return messages;
}
