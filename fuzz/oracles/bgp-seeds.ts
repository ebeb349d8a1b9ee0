// Seeds and structure-aware pieces for the BGP targets: the BIRD and FRR captures of
// test/bgp/codec/fixtures, messages built with the codec's encoders for the attributes the captures
// lack, and attribute templates the mutator splices into UPDATEs.
import { loadHexFixtures } from '../../test/support/hex-fixtures.ts';
import { buildOpen, encodeMessage, parsePrefix, type Prefix, type SessionContext } from '../../src/bgp/codec/index.ts';
import type { Rng } from '../engine/mutate.ts';

export const FIXTURES = loadHexFixtures(new URL('../../test/bgp/codec/fixtures/', import.meta.url));

function pfx(text: string): Prefix {
  const p = parsePrefix(text);
  if (p === null) throw new Error(`seed literal: ${text}`);
  return p;
}

const NEW: SessionContext = { fourOctetAs: true, maxLength: 4096 };
const OLD: SessionContext = { fourOctetAs: false, maxLength: 4096 };

/** Messages with what the captures do not carry: AS4_PATH, AGGREGATOR, LOCAL_PREF, MP_UNREACH with prefixes, ROUTE-REFRESH, unknown attributes. */
export function builtMessages(): Uint8Array[] {
  const v4 = [pfx('192.0.2.0/24'), pfx('198.51.100.128/25')];
  const v6 = [pfx('2001:db8::/48'), pfx('2001:db8:1::1/128')];
  return [
    encodeMessage({ type: 'update', update: { withdrawn: [pfx('203.0.113.0/24')], nlri: v4, attributes: { origin: 'egp', asPath: [{ type: 'sequence', asns: [23456, 65001] }, { type: 'set', asns: [1, 2] }], nextHop: '192.0.2.1', med: 7, localPref: 200, atomicAggregate: true, aggregator: { asn: 65001, address: '192.0.2.9' }, as4Path: [{ type: 'sequence', asns: [4200000000, 65001] }], as4Aggregator: { asn: 4200000000, address: '192.0.2.9' }, communities: [0xffffff01], other: [{ flags: 0xc0, type: 99, value: Uint8Array.of(1, 2, 3) }] } } }, OLD),
    encodeMessage({ type: 'update', update: { withdrawn: [], nlri: [], attributes: { origin: 'incomplete', asPath: [{ type: 'confed-sequence', asns: [64512] }], mpReach: { family: 'ipv6', nextHop: '2001:db8::1', linkLocalNextHop: 'fe80::1', nlri: v6 }, largeCommunities: [{ global: 1, local1: 2, local2: 3 }] } } }, NEW),
    encodeMessage({ type: 'update', update: { withdrawn: [], nlri: [], attributes: { mpUnreach: { family: 'ipv6', withdrawn: v6 } } } }, NEW),
    encodeMessage({ type: 'update', update: { withdrawn: [], nlri: [], attributes: { origin: 'igp', asPath: [], mpReach: { family: 'ipv4', nextHop: '192.0.2.1', nlri: v4 } } } }, NEW),
    encodeMessage({ type: 'route-refresh', routeRefresh: { afi: 2, safi: 1, subtype: 1 } }, NEW),
    encodeMessage({ type: 'open', open: buildOpen({ asn: 4200000000, holdTime: 3, bgpId: '192.0.2.7', capabilities: [{ kind: 'extended-message' }, { kind: 'enhanced-route-refresh' }, { kind: 'graceful-restart', restarting: true, notification: true, time: 4095, families: [{ afi: 1, safi: 1, forwarding: true }] }, { kind: 'unknown', code: 73, value: new Uint8Array(300).fill(0x61) }] }) }, NEW),
    encodeMessage({ type: 'notification', notification: { code: 6, subcode: 4, data: Uint8Array.of(3, 0xe2, 0x82, 0xac) } }, NEW),
  ];
}

/** Every captured message and every built one. */
export function bgpMessageSeeds(): Uint8Array[] {
  return [...FIXTURES.values(), ...builtMessages()];
}

/** Attribute TLVs (flags, type, length, value) to splice into UPDATEs: each known type, right and wrong. */
const TEMPLATES: readonly number[][] = [
  [0x40, 1, 1, 0], [0x40, 1, 1, 3], [0x40, 2, 0], [0x40, 2, 4, 2, 1, 0xfd, 0xe8], [0x50, 2, 0, 6, 2, 1, 0, 1, 0, 0x0e],
  [0x40, 2, 2, 2, 0], [0x40, 3, 4, 192, 0, 2, 1], [0x40, 3, 4, 224, 0, 0, 1], [0x80, 4, 4, 0, 0, 0, 1], [0x40, 5, 4, 0, 0, 0, 100],
  [0x40, 6, 0], [0xc0, 7, 6, 0xfd, 0xe8, 192, 0, 2, 1], [0xc0, 7, 8, 0, 0, 0xfd, 0xe8, 192, 0, 2, 1], [0xc0, 8, 4, 0xff, 0xff, 0xff, 1],
  [0x80, 14, 9, 0, 1, 1, 4, 192, 0, 2, 1, 0], [0x80, 14, 21, 0, 2, 1, 16, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0],
  [0x80, 15, 3, 0, 2, 1], [0x80, 15, 6, 0, 1, 1, 16, 10, 0], [0xc0, 17, 6, 2, 1, 0, 0, 0xfd, 0xe8], [0xc0, 18, 8, 0, 0, 0xfd, 0xe8, 192, 0, 2, 1],
  [0xc0, 32, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3], [0xc0, 99, 1, 0], [0x40, 99, 1, 0], [0x80, 128, 0], [0xe0, 16, 8, 0, 2, 0xfd, 0xe8, 0, 0, 0, 1],
];

/** Splices one template attribute at the start of an UPDATE's attributes and fixes the lengths; null when `d` is not a framed UPDATE. */
export function spliceAttribute(d: Uint8Array, rng: Rng): Uint8Array | null {
  if (d.length < 23 || d[18] !== 2) return null;
  const wlen = ((d[19] ?? 0) << 8) | (d[20] ?? 0);
  const ap = 21 + wlen;
  if (ap + 2 > d.length) return null;
  const alen = ((d[ap] ?? 0) << 8) | (d[ap + 1] ?? 0);
  const t = rng.pick(TEMPLATES) ?? [];
  const attr = Uint8Array.from(t);
  if (d.length + attr.length > 65535) return null;
  const out = new Uint8Array(d.length + attr.length);
  out.set(d.subarray(0, ap + 2), 0);
  const at = ap + 2 + (rng.chance(2) ? 0 : Math.min(alen, d.length - ap - 2));
  out.set(d.subarray(ap + 2, at), ap + 2);
  out.set(attr, at);
  out.set(d.subarray(at), at + attr.length);
  const nalen = alen + attr.length;
  out[ap] = (nalen >> 8) & 0xff;
  out[ap + 1] = nalen & 0xff;
  out[16] = (out.length >> 8) & 0xff;
  out[17] = out.length & 0xff;
  return out;
}
