// OPEN, RFC 4271 §4.2: version(1)=4 my-AS(2) hold-time(2) BGP-identifier(4) opt-len(1) params,
// each param type(1) length(1) value; type 2 carries capabilities (RFC 5492 §4). RFC 9072
// extended parameters (opt-len 255, type 255, then 2-octet lengths) are read and, when the
// capabilities exceed 255 octets, written. Checks follow RFC 4271 §6.2.
import { put16, u16, u32, u8 } from '../../api/bytes.ts';
import { capabilityLength, decodeCapabilities, findCapability, writeCapability, type Capability } from './capabilities.ts';
import { bgpError, fail, ok, u16Data, type BgpError } from './errors.ts';
import { HEADER_LEN, MSG_OPEN, newMessage } from './header.ts';
import { addressBytes, formatAddress } from './prefix.ts';
import type { Result } from '../../api/result.ts';

export const BGP_VERSION = 4;
/** RFC 6793 §9: the 2-octet My AS of a speaker whose ASN needs 4 octets. */
export const AS_TRANS = 23456;
const PARAM_CAPABILITIES = 2;
const PARAM_EXTENDED = 255; // RFC 9072 §2

export interface Open {
  /** The 2-octet My Autonomous System field: the ASN, or AS_TRANS (use `openAsn` for the ASN). */
  readonly myAs: number;
  /** Seconds: 0 or ≥ 3 (§4.2). */
  readonly holdTime: number;
  /** Dotted-quad BGP Identifier. */
  readonly bgpId: string;
  readonly capabilities: readonly Capability[];
}

/** An OPEN for `asn`: My AS is AS_TRANS above 65535 and the 4-octet AS capability is added (RFC 6793 §4.1). */
export function buildOpen(o: { asn: number; holdTime: number; bgpId: string; capabilities: readonly Capability[] }): Open {
  const caps = findCapability(o.capabilities, 'four-octet-as') ? o.capabilities : [...o.capabilities, { kind: 'four-octet-as' as const, asn: o.asn }];
  return { myAs: o.asn > 0xffff ? AS_TRANS : o.asn, holdTime: o.holdTime, bgpId: o.bgpId, capabilities: caps };
}

/** The peer's ASN: from its 4-octet AS capability if it sent one, else My AS (RFC 6793 §4.1). */
export function openAsn(open: Open): number {
  return findCapability(open.capabilities, 'four-octet-as')?.asn ?? open.myAs;
}

export function encodeOpen(open: Open): Uint8Array {
  let capsLen = 0;
  for (const c of open.capabilities) capsLen += capabilityLength(c);
  const extended = capsLen + 2 > 255; // one parameter holding every capability, as BIRD sends them
  const paramsLen = capsLen === 0 ? 0 : extended ? 3 + capsLen : 2 + capsLen;
  const out = newMessage(MSG_OPEN, HEADER_LEN + 10 + (extended ? 3 : 0) + paramsLen);
  let o = HEADER_LEN;
  out[o] = BGP_VERSION;
  put16(out, o + 1, open.myAs);
  put16(out, o + 3, open.holdTime);
  out.set(addressBytes(open.bgpId, 4), o + 5);
  o += 9;
  if (extended) {
    out[o] = 255; // RFC 9072 §2: non-extended length 255, type 255, extended length
    out[o + 1] = PARAM_EXTENDED;
    put16(out, o + 2, paramsLen);
    out[o + 4] = PARAM_CAPABILITIES;
    put16(out, o + 5, capsLen);
    o += 7;
  } else {
    out[o] = paramsLen;
    o += 1;
    if (capsLen > 0) {
      out[o] = PARAM_CAPABILITIES;
      out[o + 1] = capsLen;
      o += 2;
    }
  }
  for (const c of open.capabilities) o = writeCapability(out, o, c);
  return out;
}

/** Decodes an OPEN body (after the header) and applies the checks that need no configuration. */
export function decodeOpen(body: Uint8Array): Result<Open, BgpError> {
  if (body.length < 10) return fail('bad-message-length', `OPEN body of ${body.length} bytes`, u16Data(HEADER_LEN + body.length));
  const version = u8(body, 0);
  // §6.2: data is the largest locally supported version, 2 octets.
  if (version !== BGP_VERSION) return fail('unsupported-version', `BGP version ${version}`, u16Data(BGP_VERSION));
  const myAs = u16(body, 1);
  if (myAs === 0) return fail('bad-peer-as', 'My AS 0 (RFC 7607 §2)');
  const holdTime = u16(body, 3);
  if (holdTime === 1 || holdTime === 2) return fail('unacceptable-hold-time', `hold time ${holdTime} s (must be 0 or ≥ 3)`);
  const id = u32(body, 5);
  if (id === 0) return fail('bad-bgp-identifier', 'BGP Identifier 0.0.0.0 (RFC 6286 §2.2)');
  const bgpId = formatAddress(body.subarray(5, 9));
  let optLen = u8(body, 9);
  let o = 10;
  let extended = false;
  if (optLen === 255 && u8(body, 10) === PARAM_EXTENDED) {
    if (body.length < 13) return fail('malformed-optional-parameter', 'RFC 9072 extended length cut short');
    optLen = u16(body, 11);
    o = 13;
    extended = true;
  }
  if (o + optLen !== body.length) {
    return fail('malformed-optional-parameter', `optional parameters length ${optLen}, ${body.length - o} bytes follow`);
  }
  const capabilities: Capability[] = [];
  const end = o + optLen;
  const hdr = extended ? 3 : 2;
  while (o < end) {
    if (o + hdr > end) return fail('malformed-optional-parameter', 'optional parameter header cut short');
    const type = u8(body, o);
    const n = extended ? u16(body, o + 1) : u8(body, o + 1);
    if (o + hdr + n > end) return fail('malformed-optional-parameter', `optional parameter ${type} of length ${n} overruns`);
    // §6.2: only capabilities (RFC 5492) are supported; type 1 (authentication) is deprecated.
    if (type !== PARAM_CAPABILITIES) return fail('unsupported-optional-parameter', `optional parameter type ${type}`);
    const caps = decodeCapabilities(body, o + hdr, o + hdr + n, capabilities);
    if (!caps.ok) return caps;
    o += hdr + n;
  }
  return ok({ myAs, holdTime, bgpId, capabilities });
}

/**
 * RFC 6793 §4.1: My AS is AS_TRANS exactly when the 4-octet AS capability carries an ASN that
 * needs 4 octets. The one OPEN check the codec makes past decoding; the checks of RFC 4271 §6.2
 * that need configuration (peer AS, BGP Identifier, hold time) and the negotiation are the FSM's
 * alone (src/bgp/fsm.ts checkOpen and negotiate, issue #9). Null when consistent.
 */
export function checkFourOctetAs(open: Open): BgpError | null {
  const four = findCapability(open.capabilities, 'four-octet-as');
  if (four !== undefined && (four.asn === 0 || (four.asn <= 0xffff && four.asn !== open.myAs) || (four.asn > 0xffff && open.myAs !== AS_TRANS))) {
    return bgpError('bad-peer-as', `My AS ${open.myAs} disagrees with 4-octet AS ${four.asn}`);
  }
  return null;
}
