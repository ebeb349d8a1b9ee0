// UPDATE, RFC 4271 §4.3: withdrawn-length(2) withdrawn total-attribute-length(2) attributes NLRI.
// The IPv4 fields are here; IPv6 travels in MP_REACH/MP_UNREACH attributes (RFC 4760). Errors
// carry the RFC 7606 action: the decoder collects every problem and reports the most severe.
// End-of-RIB (RFC 4724 §2) is an empty UPDATE for IPv4 and a bare MP_UNREACH for others.
import { put16, u16 } from '../../api/bytes.ts';
import { ATTR_AS_PATH, ATTR_MP_UNREACH, ATTR_NEXT_HOP, ATTR_ORIGIN, type PathAttributes } from './attributes.ts';
import { decodeAttributes, type DecodeContext } from './attr-decode.ts';
import { attributesLength, writeAttributes, type EncodeContext } from './attr-encode.ts';
import { bgpError, fail, ok, SEVERITY, withAction, type BgpError } from './errors.ts';
import { HEADER_LEN, MAX_MESSAGE_LEN, MSG_UPDATE, newMessage } from './header.ts';
import { decodePrefixes, prefixWireLength, writePrefix } from './prefix.ts';
import { AFI_IPV4, FAMILY_AFI, SAFI_UNICAST, type AfiSafi, type Family, type Prefix } from './family.ts';
import type { Result } from '../../api/result.ts';

export interface Update {
  /** IPv4 Withdrawn Routes. */
  readonly withdrawn: readonly Prefix[];
  readonly attributes: PathAttributes;
  /** IPv4 Network Layer Reachability Information. */
  readonly nlri: readonly Prefix[];
}

export interface DecodedUpdate {
  readonly update: Update;
  /** Attributes dropped under RFC 7606 attribute-discard (the UPDATE is otherwise processed). */
  readonly discarded: readonly BgpError[];
}

export function updateLength(u: Update, ctx: EncodeContext): number {
  let n = HEADER_LEN + 4 + attributesLength(u.attributes, ctx);
  for (const p of u.withdrawn) n += prefixWireLength(p);
  for (const p of u.nlri) n += prefixWireLength(p);
  return n;
}

/** Encodes one UPDATE. Longer than `maxLength` is a caller bug (use packUpdates) and throws. */
export function encodeUpdate(u: Update, ctx: EncodeContext, maxLength: number = MAX_MESSAGE_LEN): Uint8Array {
  const length = updateLength(u, ctx);
  if (length > maxLength) throw new RangeError(`UPDATE of ${length} octets exceeds ${maxLength}; split it with packUpdates`);
  const out = newMessage(MSG_UPDATE, length);
  let o = HEADER_LEN + 2;
  for (const p of u.withdrawn) o = writePrefix(out, o, p);
  put16(out, HEADER_LEN, o - HEADER_LEN - 2);
  const attrsAt = o + 2;
  o = writeAttributes(out, attrsAt, u.attributes, ctx);
  put16(out, attrsAt - 2, o - attrsAt);
  for (const p of u.nlri) o = writePrefix(out, o, p);
  return out;
}

/** Decodes an UPDATE body (after the header). */
export function decodeUpdate(body: Uint8Array, ctx: DecodeContext): Result<DecodedUpdate, BgpError> {
  const end = body.length;
  // RFC 7606 §5.1 (and §4 first case): lengths that overrun the message leave nothing to trust.
  if (end < 4) return fail('malformed-attribute-list', `UPDATE body of ${end} octets`);
  const wlen = u16(body, 0);
  if (4 + wlen > end) return fail('malformed-attribute-list', `Withdrawn Routes Length ${wlen} overruns the message`);
  const alen = u16(body, 2 + wlen);
  const attrsAt = 4 + wlen;
  if (attrsAt + alen > end) return fail('malformed-attribute-list', `Total Path Attribute Length ${alen} overruns the message`);
  // RFC 7606 §5.3: an unparsable NLRI or Withdrawn Routes field cannot be treated as withdraw.
  const withdrawn = decodePrefixes(body, 2, 2 + wlen, 'ipv4');
  if (!withdrawn.ok) return withdrawn;
  const nlri = decodePrefixes(body, attrsAt + alen, end, 'ipv4');
  if (!nlri.ok) return nlri;
  const { attrs, errors } = decodeAttributes(body, attrsAt, attrsAt + alen, ctx);
  const problems = [...errors];
  // §6.3 / RFC 7606 §3(d): well-known mandatory attributes of an UPDATE that announces routes;
  // NEXT_HOP only with IPv4 NLRI in the NLRI field (RFC 4760 §3).
  if (nlri.value.length > 0 || attrs.mpReach !== undefined) {
    const missing: Array<[number, string]> = [];
    if (attrs.origin === undefined) missing.push([ATTR_ORIGIN, 'ORIGIN']);
    if (attrs.asPath === undefined) missing.push([ATTR_AS_PATH, 'AS_PATH']);
    if (attrs.nextHop === undefined && nlri.value.length > 0) missing.push([ATTR_NEXT_HOP, 'NEXT_HOP']);
    // One malformed (so absent) is reported missing as well; its own error, found first and at
    // least as severe (treat-as-withdraw or session-reset), is the one reported (RFC 7606 §3).
    for (const [type, name] of missing) problems.push(bgpError('missing-well-known-attribute', `${name} missing`, Uint8Array.of(type), 'treat-as-withdraw'));
  }
  const update: Update = { withdrawn: withdrawn.value, attributes: attrs, nlri: nlri.value };
  let worst: BgpError | undefined;
  for (const e of problems) if (worst === undefined || SEVERITY[e.action] > SEVERITY[worst.action]) worst = e;
  if (worst === undefined || worst.action === 'attribute-discard') return ok({ update, discarded: problems });
  if (worst.action === 'session-reset') return { ok: false, error: worst };
  return { ok: false, error: withAction(worst, 'treat-as-withdraw', allPrefixes(update)) };
}

/** Every prefix an UPDATE names, announced or withdrawn: what treat-as-withdraw withdraws. */
export function allPrefixes(u: Update): Prefix[] {
  return [...u.withdrawn, ...u.nlri, ...(u.attributes.mpReach?.nlri ?? []), ...(u.attributes.mpUnreach?.withdrawn ?? [])];
}

/** The End-of-RIB marker of a family (RFC 4724 §2). */
export function endOfRib(family: Family): Update {
  if (family === 'ipv4') return { withdrawn: [], attributes: {}, nlri: [] };
  return { withdrawn: [], attributes: { mpUnreach: { family, withdrawn: [] } }, nlri: [] };
}

/** The AFI/SAFI whose End-of-RIB this UPDATE is, or null (RFC 4724 §2). */
export function endOfRibOf(u: Update): AfiSafi | null {
  if (u.withdrawn.length > 0 || u.nlri.length > 0) return null;
  const keys = Object.keys(u.attributes);
  if (keys.length === 0) return { afi: AFI_IPV4, safi: SAFI_UNICAST };
  if (keys.length !== 1) return null;
  const mp = u.attributes.mpUnreach;
  if (mp !== undefined) return mp.withdrawn.length === 0 ? { afi: FAMILY_AFI[mp.family], safi: SAFI_UNICAST } : null;
  // An MP_UNREACH of an AFI/SAFI the codec does not interpret: AFI(2) SAFI(1) and nothing else.
  const raw = u.attributes.other;
  const only = raw?.length === 1 ? raw[0] : undefined;
  if (only !== undefined && only.type === ATTR_MP_UNREACH && only.value.length === 3) {
    return { afi: u16(only.value, 0), safi: only.value[2] ?? 0 };
  }
  return null;
}
