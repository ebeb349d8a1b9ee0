// Path attributes, RFC 4271 §4.3 and §5: the values Herald interprets and the flags each must
// carry. Encoding is in attr-encode.ts, decoding (with RFC 7606 actions) in attr-decode.ts.
import type { Family, Prefix } from './family.ts';

export const ATTR_ORIGIN = 1;
export const ATTR_AS_PATH = 2;
export const ATTR_NEXT_HOP = 3;
export const ATTR_MED = 4;
export const ATTR_LOCAL_PREF = 5;
export const ATTR_ATOMIC_AGGREGATE = 6;
export const ATTR_AGGREGATOR = 7;
export const ATTR_COMMUNITIES = 8; // RFC 1997
export const ATTR_MP_REACH = 14; // RFC 4760
export const ATTR_MP_UNREACH = 15;
export const ATTR_AS4_PATH = 17; // RFC 6793
export const ATTR_AS4_AGGREGATOR = 18;
export const ATTR_LARGE_COMMUNITY = 32; // RFC 8092

/** §4.3 attribute flags (high nibble). */
export const FLAG_OPTIONAL = 0x80;
export const FLAG_TRANSITIVE = 0x40;
export const FLAG_PARTIAL = 0x20;
export const FLAG_EXTENDED_LENGTH = 0x10;

const WELL_KNOWN = FLAG_TRANSITIVE;
const OPTIONAL_TRANSITIVE = FLAG_OPTIONAL | FLAG_TRANSITIVE;

/** The Optional and Transitive bits each known attribute must have (§5, RFC 4760 §3–4, RFC 6793 §3, RFC 8092 §3). */
export const KNOWN_FLAGS: Readonly<Record<number, number>> = {
  [ATTR_ORIGIN]: WELL_KNOWN,
  [ATTR_AS_PATH]: WELL_KNOWN,
  [ATTR_NEXT_HOP]: WELL_KNOWN,
  [ATTR_MED]: FLAG_OPTIONAL,
  [ATTR_LOCAL_PREF]: WELL_KNOWN,
  [ATTR_ATOMIC_AGGREGATE]: WELL_KNOWN,
  [ATTR_AGGREGATOR]: OPTIONAL_TRANSITIVE,
  [ATTR_COMMUNITIES]: OPTIONAL_TRANSITIVE,
  [ATTR_MP_REACH]: FLAG_OPTIONAL,
  [ATTR_MP_UNREACH]: FLAG_OPTIONAL,
  [ATTR_AS4_PATH]: OPTIONAL_TRANSITIVE,
  [ATTR_AS4_AGGREGATOR]: OPTIONAL_TRANSITIVE,
  [ATTR_LARGE_COMMUNITY]: OPTIONAL_TRANSITIVE,
};

export type Origin = 'igp' | 'egp' | 'incomplete';
export const ORIGINS: readonly Origin[] = ['igp', 'egp', 'incomplete'];

/** §4.3 AS_SET 1, AS_SEQUENCE 2; RFC 5065 §3 AS_CONFED_SEQUENCE 3, AS_CONFED_SET 4. */
export type SegmentType = 'set' | 'sequence' | 'confed-sequence' | 'confed-set';
export const SEGMENT_CODES: Readonly<Record<SegmentType, number>> = { set: 1, sequence: 2, 'confed-sequence': 3, 'confed-set': 4 };
export const SEGMENT_TYPES: Readonly<Record<number, SegmentType>> = { 1: 'set', 2: 'sequence', 3: 'confed-sequence', 4: 'confed-set' };

export interface AsPathSegment {
  readonly type: SegmentType;
  /** 1..255 ASNs (RFC 7606 §7.2: a zero-length segment is malformed). */
  readonly asns: readonly number[];
}

export interface Aggregator {
  readonly asn: number;
  readonly address: string;
}

/** RFC 8092 §3: Global Administrator, Local Data Part 1, Local Data Part 2. */
export interface LargeCommunity {
  readonly global: number;
  readonly local1: number;
  readonly local2: number;
}

/** RFC 4760 §3 for a family Herald speaks; `linkLocalNextHop` makes an IPv6 next hop 32 octets (RFC 2545 §3). */
export interface MpReach {
  readonly family: Family;
  readonly nextHop: string;
  readonly linkLocalNextHop?: string;
  readonly nlri: readonly Prefix[];
}

/** RFC 4760 §4; with no prefixes and nothing else in the UPDATE it is End-of-RIB (RFC 4724 §2). */
export interface MpUnreach {
  readonly family: Family;
  readonly withdrawn: readonly Prefix[];
}

/** An attribute Herald does not interpret (or an MP attribute of another AFI/SAFI), kept as sent. */
export interface RawAttribute {
  /** Optional, Transitive and Partial bits; Extended Length is recomputed on encode. */
  readonly flags: number;
  readonly type: number;
  readonly value: Uint8Array;
}

export interface PathAttributes {
  readonly origin?: Origin;
  readonly asPath?: readonly AsPathSegment[];
  /** IPv4 NEXT_HOP (the IPv6 one is in mpReach). */
  readonly nextHop?: string;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: true;
  readonly aggregator?: Aggregator;
  /** RFC 1997: 32-bit values, ASN in the high 16 bits; see WELL_KNOWN_COMMUNITIES. */
  readonly communities?: readonly number[];
  readonly largeCommunities?: readonly LargeCommunity[];
  readonly mpReach?: MpReach;
  readonly mpUnreach?: MpUnreach;
  readonly as4Path?: readonly AsPathSegment[];
  readonly as4Aggregator?: Aggregator;
  /** Attributes not interpreted, in type order. */
  readonly other?: readonly RawAttribute[];
}

/** Well-known communities (IANA registry): RFC 1997 §"Well-known Communities", RFC 3765, RFC 7999, RFC 8326. */
export const WELL_KNOWN_COMMUNITIES = {
  GRACEFUL_SHUTDOWN: 0xffff0000, // RFC 8326
  BLACKHOLE: 0xffff029a, // RFC 7999 §5
  NO_EXPORT: 0xffffff01,
  NO_ADVERTISE: 0xffffff02,
  NO_EXPORT_SUBCONFED: 0xffffff03,
  NO_PEER: 0xffffff04, // RFC 3765
} as const;

/** "65000:100" or a well-known name ("NO_EXPORT", "no-export") to a 32-bit community, or null. */
export function parseCommunity(text: string): number | null {
  const name = text.toUpperCase().replace(/-/g, '_');
  if (Object.hasOwn(WELL_KNOWN_COMMUNITIES, name)) return WELL_KNOWN_COMMUNITIES[name as keyof typeof WELL_KNOWN_COMMUNITIES];
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const hi = Number(m[1]);
  const lo = Number(m[2]);
  return hi > 0xffff || lo > 0xffff ? null : ((hi << 16) | lo) >>> 0;
}

export function formatCommunity(c: number): string {
  for (const [name, v] of Object.entries(WELL_KNOWN_COMMUNITIES)) if (v === c) return name;
  return `${c >>> 16}:${c & 0xffff}`;
}

/** "a:b:c" (RFC 8092 §3, each 32 bits) or null. */
export function parseLargeCommunity(text: string): LargeCommunity | null {
  const m = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/.exec(text);
  if (!m) return null;
  const [g, a, b] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return g > 0xffffffff || a > 0xffffffff || b > 0xffffffff ? null : { global: g, local1: a, local2: b };
}

/**
 * The attributes as passed on to another peer (RFC 4271 §5): unrecognized optional transitive
 * ones keep their value with the Partial bit set, unrecognized non-transitive ones are dropped.
 */
export function forPassOn(attrs: PathAttributes): PathAttributes {
  if (attrs.other === undefined) return attrs;
  const other = attrs.other
    .filter((a) => (a.flags & FLAG_TRANSITIVE) !== 0)
    .map((a) => ((a.flags & FLAG_OPTIONAL) !== 0 ? { ...a, flags: a.flags | FLAG_PARTIAL } : a));
  const { other: _dropped, ...rest } = attrs;
  return other.length > 0 ? { ...rest, other } : rest;
}
