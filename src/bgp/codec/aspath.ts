// AS_PATH and AS4_PATH values (RFC 4271 §4.3 type code 2; RFC 6793 §3): segments of
// type(1) count(1) ASNs, the ASNs 2 octets each between OLD speakers and 4 octets once both
// sides sent the 4-octet AS capability (and always in AS4_PATH).
import { put16, put32, u16, u32, u8 } from '../../api/bytes.ts';
import { SEGMENT_CODES, SEGMENT_TYPES, type AsPathSegment, type SegmentType } from './attributes.ts';
import { AS_TRANS } from './open.ts';

export function asPathLength(path: readonly AsPathSegment[], asnBytes: 2 | 4): number {
  let n = 0;
  for (const s of path) n += 2 + asnBytes * s.asns.length;
  return n;
}

/** Writes the segments at `o`; ASNs that do not fit 2 octets become AS_TRANS (RFC 6793 §4.2.2). */
export function writeAsPath(out: Uint8Array, o: number, path: readonly AsPathSegment[], asnBytes: 2 | 4): number {
  for (const s of path) {
    out[o] = SEGMENT_CODES[s.type];
    out[o + 1] = s.asns.length;
    o += 2;
    for (const asn of s.asns) {
      if (asnBytes === 4) put32(out, o, asn);
      else put16(out, o, asn > 0xffff ? AS_TRANS : asn);
      o += asnBytes;
    }
  }
  return o;
}

/**
 * Decodes segments from value[from, to). Null when malformed (RFC 7606 §7.2): an unknown
 * segment type, a zero count, or a segment overrunning the value (a lone trailing octet is
 * one: its header alone overruns).
 */
export function decodeAsPath(b: Uint8Array, from: number, to: number, asnBytes: 2 | 4): AsPathSegment[] | null {
  const path: AsPathSegment[] = [];
  let o = from;
  while (o < to) {
    const type: SegmentType | undefined = SEGMENT_TYPES[u8(b, o)];
    const count = u8(b, o + 1);
    if (type === undefined || count === 0 || o + 2 + count * asnBytes > to) return null;
    o += 2;
    const asns: number[] = [];
    for (let i = 0; i < count; i++, o += asnBytes) asns.push(asnBytes === 4 ? u32(b, o) : u16(b, o));
    path.push({ type, asns });
  }
  return path;
}

/** True when a path holds an ASN that needs 4 octets (and so needs AS4_PATH for an OLD peer). */
export function needsAs4(path: readonly AsPathSegment[]): boolean {
  return path.some((s) => s.asns.some((a) => a > 0xffff));
}

/**
 * RFC 6793 §4.2.3: the path a NEW speaker reconstructs from an OLD one's AS_PATH (with AS_TRANS)
 * and AS4_PATH. If AS_PATH is shorter than AS4_PATH the latter is ignored; otherwise the leading
 * (len(AS_PATH) − len(AS4_PATH)) ASNs of AS_PATH are kept and AS4_PATH follows. Path length
 * counts a set as 1 and confederation segments as 0 (RFC 4271 §9.1.2.2, RFC 5065 §5.3).
 */
export function mergeAs4Path(asPath: readonly AsPathSegment[], as4Path: readonly AsPathSegment[]): AsPathSegment[] {
  const len = (p: readonly AsPathSegment[]) =>
    p.reduce((n, s) => n + (s.type === 'sequence' ? s.asns.length : s.type === 'set' ? 1 : 0), 0);
  let keep = len(asPath) - len(as4Path);
  if (keep < 0) return [...asPath];
  const out: AsPathSegment[] = [];
  for (const s of asPath) {
    if (keep <= 0) break;
    if (s.type === 'sequence') {
      const take = s.asns.slice(0, keep);
      out.push({ type: 'sequence', asns: take });
      keep -= take.length;
    } else if (s.type === 'set') {
      out.push(s);
      keep -= 1;
    } else out.push(s);
  }
  return [...out, ...as4Path];
}
