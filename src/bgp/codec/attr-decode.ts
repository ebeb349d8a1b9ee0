// Path attributes from bytes, with RFC 4271 §6.3 errors and the RFC 7606 action of each:
//   framing (§4 of 7606)            malformed attribute list      treat-as-withdraw
//   duplicate MP_(UN)REACH (§3g)    malformed attribute list      session-reset
//   other duplicates (§3g)          later copies dropped          attribute-discard
//   flags conflict (§3c)            attribute flags error         treat-as-withdraw (MP: session-reset, AS4: discard)
//   unknown well-known              unrecognized well-known       session-reset
//   ORIGIN §7.1, AS_PATH §7.2, NEXT_HOP §7.3, MED §7.4, LOCAL_PREF §7.5, COMMUNITIES §7.8,
//   LARGE_COMMUNITY (RFC 8092 §6)                                 treat-as-withdraw
//   ATOMIC_AGGREGATE §7.6, AGGREGATOR §7.7, AS4_PATH/AS4_AGGREGATOR (RFC 6793 §6),
//   LOCAL_PREF from an external peer §7.5                         attribute-discard
//   MP_REACH/MP_UNREACH §7.11, RFC 4760 §7   optional attribute error   session-reset
import { copy, u16, u32, u8 } from '../../api/bytes.ts';
import { decodeAsPath } from './aspath.ts';
import {
  ATTR_AGGREGATOR, ATTR_AS4_AGGREGATOR, ATTR_AS4_PATH, ATTR_AS_PATH, ATTR_ATOMIC_AGGREGATE, ATTR_COMMUNITIES,
  ATTR_LARGE_COMMUNITY, ATTR_LOCAL_PREF, ATTR_MED, ATTR_MP_REACH, ATTR_MP_UNREACH, ATTR_NEXT_HOP, ATTR_ORIGIN,
  FLAG_EXTENDED_LENGTH, FLAG_OPTIONAL, FLAG_TRANSITIVE, KNOWN_FLAGS, ORIGINS,
  type Aggregator, type LargeCommunity, type PathAttributes, type RawAttribute,
} from './attributes.ts';
import { bgpError, type BgpError, type BgpErrorCode, type ErrorAction } from './errors.ts';
import { decodeMpReach, decodeMpUnreach } from './mp.ts';
import { formatAddress } from './prefix.ts';

export interface DecodeContext {
  /** Both sides sent the 4-octet AS capability (RFC 6793): AS_PATH carries 4-octet ASNs. */
  readonly fourOctetAs: boolean;
  /** An external (eBGP) peer: LOCAL_PREF is discarded, whatever its length (RFC 7606 §7.5). */
  readonly external?: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface DecodedAttributes {
  readonly attrs: PathAttributes;
  /** Every problem found, each with its action; the caller keeps the most severe. */
  readonly errors: readonly BgpError[];
}

/** RFC 7606 action when an attribute's own value is malformed. */
const MALFORMED_ACTION: Readonly<Record<number, ErrorAction>> = {
  [ATTR_ATOMIC_AGGREGATE]: 'attribute-discard',
  [ATTR_AGGREGATOR]: 'attribute-discard',
  [ATTR_AS4_PATH]: 'attribute-discard',
  [ATTR_AS4_AGGREGATOR]: 'attribute-discard',
  [ATTR_MP_REACH]: 'session-reset',
  [ATTR_MP_UNREACH]: 'session-reset',
};

function aggregator(v: Uint8Array, asnBytes: 2 | 4): Aggregator {
  return { asn: asnBytes === 4 ? u32(v, 0) : u16(v, 0), address: formatAddress(v.subarray(asnBytes, asnBytes + 4)) };
}

/** Decodes value `v` of a known attribute into `out`; an error code and reason if malformed. */
function decodeKnown(type: number, v: Uint8Array, out: Mutable<PathAttributes>, ctx: DecodeContext): readonly [BgpErrorCode, string] | null {
  const n = v.length;
  const asnBytes = ctx.fourOctetAs ? 4 : 2;
  switch (type) {
    case ATTR_ORIGIN: {
      if (n !== 1) return ['attribute-length-error', `ORIGIN of ${n} octets`];
      const origin = ORIGINS[u8(v, 0)];
      if (origin === undefined) return ['invalid-origin', `ORIGIN ${u8(v, 0)}`];
      out.origin = origin;
      return null;
    }
    case ATTR_AS_PATH: {
      const path = decodeAsPath(v, 0, n, asnBytes);
      if (path === null) return ['malformed-as-path', `AS_PATH of ${n} octets with ${asnBytes}-octet ASNs is malformed`];
      out.asPath = path;
      return null;
    }
    case ATTR_NEXT_HOP: {
      if (n !== 4) return ['attribute-length-error', `NEXT_HOP of ${n} octets`];
      const first = u8(v, 0);
      // §6.3 "semantically incorrect": not a host address (0/8, multicast 224/4, class E and broadcast).
      if (first === 0 || first >= 224) return ['invalid-next-hop', `NEXT_HOP ${formatAddress(v)} is not a unicast address`];
      out.nextHop = formatAddress(v);
      return null;
    }
    case ATTR_MED:
    case ATTR_LOCAL_PREF:
      if (n !== 4) return ['attribute-length-error', `${type === ATTR_MED ? 'MULTI_EXIT_DISC' : 'LOCAL_PREF'} of ${n} octets`];
      if (type === ATTR_MED) out.med = u32(v, 0);
      else out.localPref = u32(v, 0);
      return null;
    case ATTR_ATOMIC_AGGREGATE:
      if (n !== 0) return ['attribute-length-error', `ATOMIC_AGGREGATE of ${n} octets`];
      out.atomicAggregate = true;
      return null;
    case ATTR_AGGREGATOR:
      if (n !== asnBytes + 4) return ['attribute-length-error', `AGGREGATOR of ${n} octets, want ${asnBytes + 4}`];
      out.aggregator = aggregator(v, asnBytes);
      return null;
    case ATTR_AS4_AGGREGATOR:
      if (n !== 8) return ['attribute-length-error', `AS4_AGGREGATOR of ${n} octets`];
      out.as4Aggregator = aggregator(v, 4);
      return null;
    case ATTR_AS4_PATH: {
      const path = decodeAsPath(v, 0, n, 4);
      if (path === null) return ['malformed-as-path', `AS4_PATH of ${n} octets is malformed`];
      out.as4Path = path;
      return null;
    }
    case ATTR_COMMUNITIES: {
      if (n === 0 || n % 4 !== 0) return ['attribute-length-error', `COMMUNITIES of ${n} octets`];
      const cs: number[] = [];
      for (let o = 0; o < n; o += 4) cs.push(u32(v, o));
      out.communities = cs;
      return null;
    }
    case ATTR_LARGE_COMMUNITY: {
      if (n === 0 || n % 12 !== 0) return ['attribute-length-error', `LARGE_COMMUNITY of ${n} octets`];
      const ls: LargeCommunity[] = [];
      for (let o = 0; o < n; o += 12) ls.push({ global: u32(v, o), local1: u32(v, o + 4), local2: u32(v, o + 8) });
      out.largeCommunities = ls;
      return null;
    }
  }
  return null; // MP_REACH and MP_UNREACH: decodeMp's
}

/** MP attributes: decoded into `out`, kept raw (another AFI/SAFI), or an error reason. */
function decodeMp(type: number, flags: number, v: Uint8Array, out: Mutable<PathAttributes>, other: RawAttribute[]): string | null {
  const keepRaw = () => other.push({ flags: flags & 0xe0, type, value: copy(v) });
  if (type === ATTR_MP_REACH) {
    const d = decodeMpReach(v);
    if (d.kind === 'malformed') return d.reason;
    if (d.kind === 'ok') out.mpReach = d.value;
    else keepRaw();
  } else {
    const d = decodeMpUnreach(v);
    if (d.kind === 'malformed') return d.reason;
    if (d.kind === 'ok') out.mpUnreach = d.value;
    else keepRaw();
  }
  return null;
}

/** Decodes the path attributes in b[from, to) (the Total Path Attribute Length is trusted, RFC 7606 §4). */
export function decodeAttributes(b: Uint8Array, from: number, to: number, ctx: DecodeContext): DecodedAttributes {
  const out: Mutable<PathAttributes> = {};
  const other: RawAttribute[] = [];
  const errors: BgpError[] = [];
  const seen = new Set<number>();
  let o = from;
  while (o < to) {
    const flags = u8(b, o);
    const ext = (flags & FLAG_EXTENDED_LENGTH) !== 0;
    const hdr = ext ? 4 : 3;
    if (o + hdr > to) {
      errors.push(bgpError('malformed-attribute-list', `${to - o} octets left, an attribute header needs ${hdr}`, undefined, 'treat-as-withdraw'));
      break;
    }
    const type = u8(b, o + 1);
    const n = ext ? u16(b, o + 2) : u8(b, o + 2);
    if (o + hdr + n > to) {
      errors.push(bgpError('malformed-attribute-list', `attribute ${type} of length ${n} overruns the attributes`, undefined, 'treat-as-withdraw'));
      break;
    }
    const start = o;
    const v = b.subarray(o + hdr, o + hdr + n);
    o += hdr + n;
    const data = () => copy(b, start, o); // §6.3: the erroneous attribute (type, length, value)
    if (seen.has(type)) {
      const mp = type === ATTR_MP_REACH || type === ATTR_MP_UNREACH;
      errors.push(bgpError('malformed-attribute-list', `attribute ${type} appears twice (RFC 7606 §3g)`, undefined, mp ? 'session-reset' : 'attribute-discard'));
      continue;
    }
    seen.add(type);
    const want = KNOWN_FLAGS[type];
    if (want === undefined) {
      if ((flags & FLAG_OPTIONAL) === 0) errors.push(bgpError('unrecognized-well-known-attribute', `well-known attribute ${type} unknown`, data()));
      else other.push({ flags: flags & 0xe0, type, value: copy(v) });
      continue;
    }
    const malformedAction = MALFORMED_ACTION[type] ?? 'treat-as-withdraw';
    if ((flags & (FLAG_OPTIONAL | FLAG_TRANSITIVE)) !== want) {
      errors.push(bgpError('attribute-flags-error', `attribute ${type} flags 0x${flags.toString(16)}`, data(), malformedAction));
      continue;
    }
    if (type === ATTR_MP_REACH || type === ATTR_MP_UNREACH) {
      const reason = decodeMp(type, flags, v, out, other);
      if (reason !== null) errors.push(bgpError('optional-attribute-error', reason, data(), 'session-reset'));
      continue;
    }
    if (type === ATTR_LOCAL_PREF && ctx.external === true) {
      errors.push(bgpError('local-pref-from-external', 'LOCAL_PREF from an external peer', data(), 'attribute-discard'));
      continue;
    }
    const problem = decodeKnown(type, v, out, ctx);
    if (problem !== null) errors.push(bgpError(problem[0], problem[1], data(), malformedAction));
  }
  if (other.length > 0) out.other = other.sort((x, y) => x.type - y.type);
  return { attrs: out, errors };
}
