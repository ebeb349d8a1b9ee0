// From an Adj-RIB-Out delta to UPDATE messages (RFC 4271 §4.3, RFC 4760): the path attributes
// Herald originates, the same on every node so routers merge the paths into ECMP (issue #4):
// ORIGIN IGP, AS_PATH of our AS alone toward eBGP peers and empty toward iBGP ones, no MED,
// next hop self; LOCAL_PREF only toward iBGP peers, where it is mandatory (§5.1.5). Pure.
import { endOfRib, encodeMessage, packAnnouncements, packWithdrawals, parsePrefix } from './codec/index.ts';
import type { Family, PathAttributes, Prefix, SessionContext } from './codec/index.ts';
import type { AnnounceGroup, RibDelta } from './rib-out.ts';

/** RFC 4271 §5.1.5: the usual default, sent when no policy sets one. */
export const DEFAULT_LOCAL_PREF = 100;

export interface OriginationContext {
  localAsn: number;
  ibgp: boolean;
  /** Next hop self: the session's local IPv4 address (or the node's, on an IPv6 session). */
  nextHopV4: string | null;
  /** The node's global IPv6 address on the link toward the peer. */
  nextHopV6: string | null;
  /** Its link-local address, sent as the second next hop when the peer shares the link (RFC 2545 §3). */
  linkLocalV6: string | null;
  /** Negotiated families, as the codec names them. */
  families: readonly Family[];
  wire: SessionContext;
}

export interface Origination {
  messages: Uint8Array[];
  /** Prefixes left out, with why (no next hop of that family, family not negotiated). */
  skipped: { prefix: string; reason: string }[];
}

function prefixes(texts: readonly string[], skipped: Origination['skipped']): Prefix[] {
  const out: Prefix[] = [];
  for (const t of texts) {
    const p = parsePrefix(t);
    if (p === null) skipped.push({ prefix: t, reason: 'not a prefix' });
    else out.push(p);
  }
  return out;
}

function attributesFor(g: AnnounceGroup, ctx: OriginationContext): PathAttributes | string {
  const base: PathAttributes = {
    origin: 'igp',
    asPath: ctx.ibgp ? [] : [{ type: 'sequence', asns: [ctx.localAsn] }],
    ...(ctx.ibgp ? { localPref: g.attrs.localPreference ?? DEFAULT_LOCAL_PREF } : {}),
    ...(g.attrs.communities.length > 0 ? { communities: g.attrs.communities } : {}),
    ...(g.attrs.largeCommunities.length > 0 ? { largeCommunities: g.attrs.largeCommunities } : {}),
  };
  if (g.family === 'ipv4') return ctx.nextHopV4 === null ? 'no IPv4 next hop on this session' : { ...base, nextHop: ctx.nextHopV4 };
  if (ctx.nextHopV6 === null) return 'no global IPv6 next hop on this session';
  return { ...base, mpReach: { family: 'ipv6', nextHop: ctx.nextHopV6, ...(ctx.linkLocalV6 === null ? {} : { linkLocalNextHop: ctx.linkLocalV6 }), nlri: [] } };
}

/** The UPDATEs for a delta: withdrawals first (a route that moves attributes is re-announced, not withdrawn). */
export function originate(delta: RibDelta, ctx: OriginationContext): Origination {
  const skipped: Origination['skipped'] = [];
  const messages: Uint8Array[] = [];
  const pack = { fourOctetAs: ctx.wire.fourOctetAs, maxLength: ctx.wire.maxLength };
  for (const w of delta.withdraw) {
    if (!ctx.families.includes(w.family)) continue;
    messages.push(...packWithdrawals(w.family, prefixes(w.prefixes, skipped), pack));
  }
  for (const g of delta.announce) {
    if (!ctx.families.includes(g.family)) {
      for (const p of g.prefixes) skipped.push({ prefix: p, reason: `${g.family} unicast was not negotiated with the peer` });
      continue;
    }
    const attrs = attributesFor(g, ctx);
    if (typeof attrs === 'string') {
      for (const p of g.prefixes) skipped.push({ prefix: p, reason: attrs });
      continue;
    }
    messages.push(...packAnnouncements(attrs, prefixes(g.prefixes, skipped), pack));
  }
  return { messages, skipped };
}

/** RFC 4724 §2: one End-of-RIB per negotiated family once the initial table is sent. */
export function endOfRibMessages(ctx: OriginationContext): Uint8Array[] {
  return ctx.families.map((f) => encodeMessage({ type: 'update', update: endOfRib(f) }, ctx.wire));
}
