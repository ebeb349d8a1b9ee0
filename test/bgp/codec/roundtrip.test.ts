// Round trips of every message type and attribute (STYLE lesson 2), with the encodings the
// RFCs pin down checked byte for byte, and the helpers around them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AS_TRANS, buildOpen, decodeMessage, encodeKeepalive, encodeMessage, endOfRib, endOfRibOf, forPassOn, formatCommunity,
  formatPrefix, mergeAs4Path, openAsn, parseCommunity, parseLargeCommunity, parsePrefix, shutdownNotification, wireContext,
  WELL_KNOWN_COMMUNITIES as WK, type BgpMessage, type OutgoingMessage, type PathAttributes, type SessionContext, type Update,
} from '../../../src/bgp/codec/index.ts';
import { hex, NEW, OLD, pfx, toHex } from './helpers.ts';

function roundTrip(m: OutgoingMessage, ctx: SessionContext = NEW): BgpMessage {
  const r = decodeMessage(encodeMessage(m, ctx), ctx);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}
const upd = (attributes: PathAttributes, nlri: string[] = [], withdrawn: string[] = []): Update => ({ attributes, nlri: nlri.map(pfx), withdrawn: withdrawn.map(pfx) });
function assertUpdateRoundTrip(u: Update, ctx: SessionContext = NEW): void {
  assert.deepEqual(roundTrip({ type: 'update', update: u }, ctx), { type: 'update', update: u, discarded: [] });
}
const BASE: PathAttributes = { origin: 'igp', asPath: [{ type: 'sequence', asns: [64500] }], nextHop: '192.0.2.1' };

test('KEEPALIVE is the 19-octet header (RFC 4271 §4.4)', () => {
  assert.equal(toHex(encodeKeepalive()), 'ff'.repeat(16) + '001304');
  assert.deepEqual(roundTrip({ type: 'keepalive' }), { type: 'keepalive' });
});

test('OPEN with every known capability, and unknown ones kept raw', () => {
  const open = { myAs: 64500, holdTime: 90, bgpId: '192.0.2.1', capabilities: [
    { kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'multiprotocol', afi: 2, safi: 1 }, { kind: 'route-refresh' },
    { kind: 'enhanced-route-refresh' }, { kind: 'extended-message' }, { kind: 'four-octet-as', asn: 64500 },
    { kind: 'graceful-restart', restarting: true, notification: false, time: 4095, families: [{ afi: 1, safi: 1, forwarding: true }, { afi: 2, safi: 1, forwarding: false }] },
    { kind: 'unknown', code: 73, value: hex('0568657261 6c64 00') },
  ] } as const;
  assert.deepEqual(roundTrip({ type: 'open', open }), { type: 'open', open });
});

test('OPEN for a 4-octet ASN: My AS is AS_TRANS and the capability carries it (RFC 6793 §4.1)', () => {
  const open = buildOpen({ asn: 4200000001, holdTime: 90, bgpId: '192.0.2.9', capabilities: [] });
  assert.equal(open.myAs, AS_TRANS);
  const bytes = encodeMessage({ type: 'open', open }, NEW);
  assert.equal(toHex(bytes.subarray(19)), '04' + '5ba0' + '005a' + 'c0000209' + '08' + '0206' + '4104fa56ea01');
  const back = roundTrip({ type: 'open', open });
  assert.ok(back.type === 'open');
  assert.equal(openAsn(back.open), 4200000001);
  assert.equal(buildOpen({ asn: 64500, holdTime: 0, bgpId: '192.0.2.9', capabilities: [] }).myAs, 64500);
});

test('OPEN with more than 255 octets of capabilities uses RFC 9072 extended parameters', () => {
  const caps = Array.from({ length: 70 }, (_, i) => ({ kind: 'multiprotocol' as const, afi: 1000 + i, safi: 1 }));
  const open = { myAs: 64500, holdTime: 90, bgpId: '192.0.2.1', capabilities: caps };
  const bytes = encodeMessage({ type: 'open', open }, NEW);
  assert.equal(toHex(bytes.subarray(28, 35)), 'ff' + 'ff' + '01a7' + '02' + '01a4'); // 255, type 255, len 423, caps param of 420
  assert.deepEqual(roundTrip({ type: 'open', open }), { type: 'open', open });
});

// Families and hold time are the FSM's to negotiate (test/bgp/fsm.test.ts, issue #9); the codec
// settles only its own context.
test('wireContext: 4-octet AS and extended message when both OPENs carry them', () => {
  const local = buildOpen({ asn: 64500, holdTime: 90, bgpId: '192.0.2.1', capabilities: [
    { kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'multiprotocol', afi: 2, safi: 1 }, { kind: 'extended-message' }, { kind: 'route-refresh' }] });
  const peer = buildOpen({ asn: 65550, holdTime: 30, bgpId: '192.0.2.2', capabilities: [{ kind: 'multiprotocol', afi: 2, safi: 1 }, { kind: 'extended-message' }] });
  assert.deepEqual(wireContext(local, peer), { fourOctetAs: true, maxLength: 65535 });
  const old = wireContext(local, { myAs: 65001, holdTime: 0, bgpId: '192.0.2.3', capabilities: [] });
  assert.deepEqual(old, { fourOctetAs: false, maxLength: 4096 });
});

test('UPDATE: every attribute Herald interprets', () => {
  assertUpdateRoundTrip(upd({
    ...BASE, asPath: [{ type: 'set', asns: [64501, 64502] }, { type: 'sequence', asns: [4200000001, 64500] }, { type: 'confed-sequence', asns: [1] }, { type: 'confed-set', asns: [2, 3] }],
    med: 0xffffffff, localPref: 100, atomicAggregate: true, aggregator: { asn: 4200000001, address: '192.0.2.7' },
    communities: [WK.NO_EXPORT, WK.NO_ADVERTISE, WK.NO_EXPORT_SUBCONFED, WK.NO_PEER, WK.BLACKHOLE, ((65000 << 16) | 100) >>> 0],
    largeCommunities: [{ global: 4200000001, local1: 0, local2: 0xffffffff }],
    other: [{ flags: 0xc0, type: 40, value: hex('0102') }, { flags: 0x80 | 0x20, type: 99, value: new Uint8Array(0) }],
  }, ['192.0.2.0/24', '0.0.0.0/0', '192.0.2.255/32'], ['192.0.2.128/25']));
});

test('UPDATE: MP_REACH_NLRI IPv6 with a 16- and a 32-octet next hop (RFC 2545 §3), MP_UNREACH_NLRI', () => {
  const { nextHop: _, ...noNh } = BASE;
  assertUpdateRoundTrip(upd({ ...noNh, mpReach: { family: 'ipv6', nextHop: '2001:db8::1', nlri: [pfx('2001:db8:1::/48'), pfx('::/0')] } }));
  const ll = upd({ ...noNh, mpReach: { family: 'ipv6', nextHop: '2001:db8::1', linkLocalNextHop: 'fe80::1', nlri: [pfx('2001:db8::5/128')] } });
  assertUpdateRoundTrip(ll);
  assert.equal(encodeMessage({ type: 'update', update: ll }, NEW)[30], 32); // header, lengths, MP flags/type/len, AFI, SAFI: next hop length
  assertUpdateRoundTrip(upd({ mpUnreach: { family: 'ipv6', withdrawn: [pfx('2001:db8:1::/48')] } }));
  assertUpdateRoundTrip(upd({ ...noNh, mpReach: { family: 'ipv4', nextHop: '192.0.2.1', nlri: [pfx('192.0.2.0/24')] } }));
});

test('an attribute over 255 octets gets Extended Length (RFC 4271 §4.3)', () => {
  const communities = Array.from({ length: 100 }, (_, i) => ((64500 << 16) | i) >>> 0);
  const bytes = encodeMessage({ type: 'update', update: upd({ ...BASE, communities }, ['192.0.2.0/24']) }, NEW);
  const at = bytes.indexOf(0x08, 23 + 4 + 9 + 7); // after ORIGIN, AS_PATH, NEXT_HOP
  assert.deepEqual([bytes[at - 1], bytes[at], bytes[at + 1], bytes[at + 2]], [0xd0, 0x08, 0x01, 0x90]); // flags O|T|E, 400 octets
  assertUpdateRoundTrip(upd({ ...BASE, communities }, ['192.0.2.0/24']));
});

test('2-octet session: AS_TRANS in AS_PATH and AGGREGATOR, the truth in AS4_PATH / AS4_AGGREGATOR (RFC 6793 §4.2.2)', () => {
  const u = upd({ ...BASE, asPath: [{ type: 'sequence', asns: [4200000001, 64500] }], aggregator: { asn: 4200000001, address: '192.0.2.7' } }, ['192.0.2.0/24']);
  const r = roundTrip({ type: 'update', update: u }, OLD);
  assert.ok(r.type === 'update');
  const a = r.update.attributes;
  assert.deepEqual(a.asPath, [{ type: 'sequence', asns: [AS_TRANS, 64500] }]);
  assert.deepEqual(a.as4Path, [{ type: 'sequence', asns: [4200000001, 64500] }]);
  assert.deepEqual(a.aggregator, { asn: AS_TRANS, address: '192.0.2.7' });
  assert.deepEqual(a.as4Aggregator, { asn: 4200000001, address: '192.0.2.7' });
  assert.deepEqual(mergeAs4Path(a.asPath ?? [], a.as4Path ?? []), [{ type: 'sequence', asns: [4200000001, 64500] }]);
  assertUpdateRoundTrip(upd({ ...BASE, asPath: [{ type: 'sequence', asns: [65000, 64500] }] }, ['192.0.2.0/24']), OLD);
});

test('mergeAs4Path keeps the leading ASNs an OLD speaker prepended (RFC 6793 §4.2.3)', () => {
  const merged = mergeAs4Path([{ type: 'sequence', asns: [64999, AS_TRANS, 64500] }], [{ type: 'sequence', asns: [4200000001, 64500] }]);
  assert.deepEqual(merged, [{ type: 'sequence', asns: [64999] }, { type: 'sequence', asns: [4200000001, 64500] }]);
  assert.deepEqual(mergeAs4Path([{ type: 'sequence', asns: [1] }], [{ type: 'sequence', asns: [2, 3] }]), [{ type: 'sequence', asns: [1] }]);
});

test('unknown optional transitive attributes are passed on with Partial set; non-transitive ones dropped (§5)', () => {
  const a = forPassOn({ ...BASE, other: [{ flags: 0xc0, type: 40, value: hex('01') }, { flags: 0x80, type: 41, value: hex('02') }] });
  assert.deepEqual(a.other, [{ flags: 0xe0, type: 40, value: hex('01') }]);
  assert.equal(forPassOn(BASE), BASE);
});

test('End-of-RIB for IPv4 (empty UPDATE) and IPv6 (bare MP_UNREACH_NLRI), RFC 4724 §2', () => {
  assert.equal(toHex(encodeMessage({ type: 'update', update: endOfRib('ipv4') }, NEW)), 'ff'.repeat(16) + '0017' + '02' + '0000' + '0000');
  assert.equal(toHex(encodeMessage({ type: 'update', update: endOfRib('ipv6') }, NEW)), 'ff'.repeat(16) + '001d' + '02' + '0000' + '0006' + '800f03' + '000201');
  assert.deepEqual(endOfRibOf(endOfRib('ipv4')), { afi: 1, safi: 1 });
  assert.deepEqual(endOfRibOf(endOfRib('ipv6')), { afi: 2, safi: 1 });
  assert.deepEqual(endOfRibOf(upd({ other: [{ flags: 0x80, type: 15, value: hex('0019 46') }] })), { afi: 25, safi: 70 });
  assert.equal(endOfRibOf(upd({}, [], ['192.0.2.0/24'])), null);
  assert.equal(endOfRibOf(upd({ mpUnreach: { family: 'ipv6', withdrawn: [pfx('2001:db8::/32')] } })), null);
});

test('NOTIFICATION with an RFC 9003 shutdown communication, cut to 255 octets at a character boundary', () => {
  const n = shutdownNotification(2, 'maintenance window');
  assert.equal(toHex(n.data), '12' + toHex(Uint8Array.from(Buffer.from('maintenance window'))));
  const back = roundTrip({ type: 'notification', notification: n });
  assert.ok(back.type === 'notification');
  assert.equal(back.notification.communication, 'maintenance window');
  const long = shutdownNotification(4, 'é'.repeat(200)); // 400 octets of UTF-8
  assert.equal(long.data[0], 254);
  const cut = roundTrip({ type: 'notification', notification: long });
  assert.ok(cut.type === 'notification');
  assert.equal(cut.notification.communication, 'é'.repeat(127));
});

test('NOTIFICATION: a bad shutdown communication decodes with communication null (RFC 9003 §4)', () => {
  for (const data of ['05616263', '02c328', '']) {
    const r = roundTrip({ type: 'notification', notification: { code: 6, subcode: 2, data: hex(data) } });
    assert.ok(r.type === 'notification');
    assert.deepEqual([r.notification.communication, toHex(r.notification.data)], [null, data]);
  }
  const hold = roundTrip({ type: 'notification', notification: { code: 4, subcode: 0, data: new Uint8Array(0) } });
  assert.deepEqual(hold, { type: 'notification', notification: { code: 4, subcode: 0, data: new Uint8Array(0), communication: null } });
});

test('ROUTE-REFRESH with RFC 7313 subtypes', () => {
  for (const subtype of [0, 1, 2, 7]) {
    const routeRefresh = { afi: 2, safi: 1, subtype };
    assert.deepEqual(roundTrip({ type: 'route-refresh', routeRefresh }), { type: 'route-refresh', routeRefresh });
  }
  assert.equal(toHex(encodeMessage({ type: 'route-refresh', routeRefresh: { afi: 1, safi: 1, subtype: 1 } }, NEW)), 'ff'.repeat(16) + '0017' + '05' + '0001' + '01' + '01');
});

test('communities from text: numbers and well-known names (RFC 1997, RFC 3765, RFC 7999)', () => {
  assert.equal(parseCommunity('65000:100'), ((65000 << 16) | 100) >>> 0);
  assert.equal(parseCommunity('no-export'), WK.NO_EXPORT);
  assert.equal(parseCommunity('BLACKHOLE'), 0xffff029a);
  assert.equal(parseCommunity('NO_PEER'), 0xffffff04);
  assert.equal(parseCommunity('65536:1'), null);
  assert.equal(parseCommunity('1:2:3'), null);
  assert.equal(formatCommunity(WK.NO_ADVERTISE), 'NO_ADVERTISE');
  assert.equal(formatCommunity(((64500 << 16) | 7) >>> 0), '64500:7');
  assert.deepEqual(parseLargeCommunity('4200000001:1:2'), { global: 4200000001, local1: 1, local2: 2 });
  assert.equal(parseLargeCommunity('4294967296:1:2'), null);
});

test('prefixes from text are canonical: host bits cleared, RFC 5952 on the way out', () => {
  assert.equal(formatPrefix(pfx('192.0.2.77/24')), '192.0.2.0/24');
  assert.equal(formatPrefix(pfx('2001:DB8:0:0::1/128')), '2001:db8::1/128');
  assert.equal(formatPrefix(pfx('2001:db8:ffff::/33')), '2001:db8:8000::/33');
  assert.deepEqual([parsePrefix('192.0.2.0/33'), parsePrefix('192.0.2.0'), parsePrefix('x/1'), parsePrefix('::/129')], [null, null, null, null]);
});
