// Path attributes to bytes: flags(1) type(1) length(1, or 2 with Extended Length) value (RFC 4271
// §4.3). Order: MP_REACH_NLRI, MP_UNREACH_NLRI, then ascending type code (§5 "SHOULD order ...
// ascending"; BIRD 2 and FRR both put the MP attributes first, test/bgp/codec/fixtures, and so a
// receiver finds the NLRI before the rest). MP_REACH_NLRI always uses the 2-octet length, as both
// do, so the packer can grow its NLRI in place; other attributes only when over 255 octets.
import { put16, put32 } from '../../api/bytes.ts';
import { asPathLength, needsAs4, writeAsPath } from './aspath.ts';
import {
  ATTR_AGGREGATOR, ATTR_AS4_AGGREGATOR, ATTR_AS4_PATH, ATTR_AS_PATH, ATTR_ATOMIC_AGGREGATE, ATTR_COMMUNITIES,
  ATTR_LARGE_COMMUNITY, ATTR_LOCAL_PREF, ATTR_MED, ATTR_MP_REACH, ATTR_MP_UNREACH, ATTR_NEXT_HOP, ATTR_ORIGIN,
  FLAG_EXTENDED_LENGTH, KNOWN_FLAGS, ORIGINS, type Aggregator, type PathAttributes,
} from './attributes.ts';
import { mpReachLength, mpUnreachLength, writeMpReach, writeMpUnreach } from './mp.ts';
import { AS_TRANS } from './open.ts';
import { addressBytes } from './prefix.ts';

export interface EncodeContext {
  /** Both sides sent the 4-octet AS capability (RFC 6793): AS_PATH carries 4-octet ASNs. */
  readonly fourOctetAs: boolean;
}

interface Item {
  readonly flags: number;
  readonly type: number;
  readonly length: number;
  readonly write: (out: Uint8Array, o: number) => void;
}

function fixed(type: number, length: number, write: Item['write']): Item {
  return { flags: KNOWN_FLAGS[type] ?? 0, type, length, write };
}

function aggregatorItem(type: number, a: Aggregator, asnBytes: 2 | 4): Item {
  return fixed(type, asnBytes + 4, (out, o) => {
    if (asnBytes === 4) put32(out, o, a.asn);
    else put16(out, o, a.asn > 0xffff ? AS_TRANS : a.asn);
    out.set(addressBytes(a.address, 4), o + asnBytes);
  });
}

/**
 * The attributes to write. For a 2-octet session (RFC 6793 §4.2.2) ASNs above 65535 become
 * AS_TRANS and the true path goes in AS4_PATH (without confederation segments), the true
 * aggregator in AS4_AGGREGATOR, unless the caller gave those already.
 */
function items(attrs: PathAttributes, ctx: EncodeContext): Item[] {
  const asnBytes = ctx.fourOctetAs ? 4 : 2;
  const list: Item[] = [];
  if (attrs.origin !== undefined) {
    const v = ORIGINS.indexOf(attrs.origin);
    list.push(fixed(ATTR_ORIGIN, 1, (out, o) => { out[o] = v; }));
  }
  if (attrs.asPath !== undefined) {
    const path = attrs.asPath;
    list.push(fixed(ATTR_AS_PATH, asPathLength(path, asnBytes), (out, o) => { writeAsPath(out, o, path, asnBytes); }));
  }
  if (attrs.nextHop !== undefined) {
    const nh = addressBytes(attrs.nextHop, 4);
    list.push(fixed(ATTR_NEXT_HOP, 4, (out, o) => { out.set(nh, o); }));
  }
  if (attrs.med !== undefined) {
    const v = attrs.med;
    list.push(fixed(ATTR_MED, 4, (out, o) => { put32(out, o, v); }));
  }
  if (attrs.localPref !== undefined) {
    const v = attrs.localPref;
    list.push(fixed(ATTR_LOCAL_PREF, 4, (out, o) => { put32(out, o, v); }));
  }
  if (attrs.atomicAggregate) list.push(fixed(ATTR_ATOMIC_AGGREGATE, 0, () => {}));
  if (attrs.aggregator !== undefined) list.push(aggregatorItem(ATTR_AGGREGATOR, attrs.aggregator, asnBytes));
  if (attrs.communities !== undefined) {
    const cs = attrs.communities;
    list.push(fixed(ATTR_COMMUNITIES, 4 * cs.length, (out, o) => { cs.forEach((c, i) => put32(out, o + 4 * i, c)); }));
  }
  if (attrs.mpReach !== undefined) {
    const mp = attrs.mpReach;
    list.push({ ...fixed(ATTR_MP_REACH, mpReachLength(mp), (out, o) => { writeMpReach(out, o, mp); }), flags: (KNOWN_FLAGS[ATTR_MP_REACH] ?? 0) | FLAG_EXTENDED_LENGTH });
  }
  if (attrs.mpUnreach !== undefined) {
    const mp = attrs.mpUnreach;
    list.push(fixed(ATTR_MP_UNREACH, mpUnreachLength(mp), (out, o) => { writeMpUnreach(out, o, mp); }));
  }
  const as4Path = attrs.as4Path ?? (!ctx.fourOctetAs && attrs.asPath && needsAs4(attrs.asPath)
    ? attrs.asPath.filter((s) => s.type === 'sequence' || s.type === 'set')
    : undefined);
  if (as4Path !== undefined) list.push(fixed(ATTR_AS4_PATH, asPathLength(as4Path, 4), (out, o) => { writeAsPath(out, o, as4Path, 4); }));
  const as4Aggregator = attrs.as4Aggregator ?? (!ctx.fourOctetAs && attrs.aggregator && attrs.aggregator.asn > 0xffff ? attrs.aggregator : undefined);
  if (as4Aggregator !== undefined) list.push(aggregatorItem(ATTR_AS4_AGGREGATOR, as4Aggregator, 4));
  if (attrs.largeCommunities !== undefined) {
    const ls = attrs.largeCommunities;
    list.push(fixed(ATTR_LARGE_COMMUNITY, 12 * ls.length, (out, o) => {
      ls.forEach((l, i) => { put32(out, o + 12 * i, l.global); put32(out, o + 12 * i + 4, l.local1); put32(out, o + 12 * i + 8, l.local2); });
    }));
  }
  for (const a of attrs.other ?? []) {
    const value = a.value;
    list.push({ flags: a.flags & 0xe0, type: a.type, length: value.length, write: (out, o) => { out.set(value, o); } });
  }
  const rank = (t: number) => (t === ATTR_MP_REACH ? -2 : t === ATTR_MP_UNREACH ? -1 : t);
  return list.sort((x, y) => rank(x.type) - rank(y.type)); // stable: `other` keeps its order within a type
}

function itemLength(it: Item): number {
  const ext = (it.flags & FLAG_EXTENDED_LENGTH) !== 0 || it.length > 255;
  return (ext ? 4 : 3) + it.length;
}

/** Octets the attributes take on the wire (the Total Path Attribute Length). */
export function attributesLength(attrs: PathAttributes, ctx: EncodeContext): number {
  let n = 0;
  for (const it of items(attrs, ctx)) n += itemLength(it);
  return n;
}

/** Writes the attributes at `o`; returns the offset after them. */
export function writeAttributes(out: Uint8Array, o: number, attrs: PathAttributes, ctx: EncodeContext): number {
  for (const it of items(attrs, ctx)) {
    const ext = (it.flags & FLAG_EXTENDED_LENGTH) !== 0 || it.length > 255;
    out[o] = it.flags | (ext ? FLAG_EXTENDED_LENGTH : 0);
    out[o + 1] = it.type;
    if (ext) put16(out, o + 2, it.length);
    else out[o + 2] = it.length;
    o += ext ? 4 : 3;
    it.write(out, o);
    o += it.length;
  }
  return o;
}

export function encodeAttributes(attrs: PathAttributes, ctx: EncodeContext): Uint8Array {
  const out = new Uint8Array(attributesLength(attrs, ctx));
  writeAttributes(out, 0, attrs, ctx);
  return out;
}
