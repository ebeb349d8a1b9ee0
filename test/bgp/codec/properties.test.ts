// Property tests of the BGP codec (STYLE lesson 2): encode → decode is the identity over
// arbitrary valid messages; decoding arbitrary or damaged bytes never throws and gives a value
// or an error value; the packer's output decodes back to exactly its input, each message under
// the limit and as few as fit; the framer gives the same messages however the stream is cut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BgpFramer, decodeMessage, encodeMessage, formatAddress, makePrefix, packAnnouncements, packWithdrawals, SEGMENT_CODES, type AsPathSegment, type BgpMessage, type Capability, type Family, type Open, type PathAttributes, type Prefix, type RawAttribute, type SessionContext, type Update } from '../../../src/bgp/codec/index.ts';
import { concat } from '../../../src/api/bytes.ts';
import { hex, MARKER, unpack } from './helpers.ts';
import type { Result } from '../../../src/api/result.ts';
import type { BgpError } from '../../../src/bgp/codec/errors.ts';

const RUNS = { numRuns: 300 };
const NEW_EXT: SessionContext = { fourOctetAs: true, maxLength: 65535 };
const OLD_EXT: SessionContext = { fourOctetAs: false, maxLength: 65535 };

/** fc.record with ordinary objects and absent (not undefined) optional keys, as the decoders build them. */
function record<T>(model: { [K in keyof T]-?: fc.Arbitrary<T[K]> }, optional = false): fc.Arbitrary<T> {
  return fc.record(model, optional ? { requiredKeys: [], noNullPrototype: true } : { noNullPrototype: true }) as fc.Arbitrary<T>;
}
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength });
const v4 = fc.tuple(fc.integer({ min: 1, max: 223 }), u8, u8, u8).map((b) => formatAddress(Uint8Array.from(b)));
const v6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatAddress);
const prefixArb = (family: Family): fc.Arbitrary<Prefix> =>
  fc.tuple(fc.integer({ min: 0, max: family === 'ipv4' ? 32 : 128 }), fc.uint8Array({ minLength: 16, maxLength: 16 }))
    .map(([length, addr]) => makePrefix(family, length, family === 'ipv4' ? addr.subarray(0, 4) : addr));
const prefixes = (family: Family, maxLength: number) => fc.array(prefixArb(family), { maxLength });

const segmentArb = (maxAsn: number): fc.Arbitrary<AsPathSegment> => record({
  type: fc.constantFrom(...(Object.keys(SEGMENT_CODES) as AsPathSegment['type'][])),
  asns: fc.array(fc.integer({ min: 0, max: maxAsn }), { minLength: 1, maxLength: 12 }),
});
const pathArb = (maxAsn: number) => fc.array(segmentArb(maxAsn), { maxLength: 5 });
const aggregatorArb = (maxAsn: number) => record({ asn: fc.integer({ min: 0, max: maxAsn }), address: v4 });
const KNOWN = new Set([1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 17, 18, 32]);
const otherArb: fc.Arbitrary<RawAttribute[]> = fc
  .uniqueArray(record({ flags: fc.constantFrom(0x80, 0xa0, 0xc0, 0xe0), type: u8.filter((t) => !KNOWN.has(t)), value: bytes(300) }), { selector: (a) => a.type, minLength: 1, maxLength: 3 })
  .map((list) => list.sort((a, b) => a.type - b.type));
const mpReachArb = fc.oneof(
  record({ family: fc.constant('ipv6' as const), nextHop: v6, nlri: prefixes('ipv6', 20) }),
  record({ family: fc.constant('ipv6' as const), nextHop: v6, linkLocalNextHop: v6, nlri: prefixes('ipv6', 20) }),
  record({ family: fc.constant('ipv4' as const), nextHop: v4, nlri: prefixes('ipv4', 20) }),
);
const mpUnreachArb = fc.oneof(
  record({ family: fc.constant('ipv6' as const), withdrawn: prefixes('ipv6', 20) }),
  record({ family: fc.constant('ipv4' as const), withdrawn: prefixes('ipv4', 20) }),
);

function attributesArb(four: boolean): fc.Arbitrary<PathAttributes> {
  const maxAsn = four ? 0xffffffff : 0xffff;
  return record<PathAttributes>({
    origin: fc.constantFrom('igp' as const, 'egp' as const, 'incomplete' as const),
    asPath: pathArb(maxAsn), nextHop: v4, med: u32, localPref: u32, atomicAggregate: fc.constant(true as const),
    aggregator: aggregatorArb(maxAsn), communities: fc.array(u32, { minLength: 1, maxLength: 20 }),
    largeCommunities: fc.array(record({ global: u32, local1: u32, local2: u32 }), { minLength: 1, maxLength: 5 }),
    mpReach: mpReachArb, mpUnreach: mpUnreachArb, as4Path: pathArb(0xffffffff),
    as4Aggregator: aggregatorArb(0xffffffff), other: otherArb,
  }, true);
}

/** RFC 4271 §6.3: an UPDATE announcing routes carries ORIGIN and AS_PATH, and NEXT_HOP with IPv4 NLRI. */
function updateArb(four: boolean): fc.Arbitrary<Update> {
  return fc.record({ withdrawn: prefixes('ipv4', 30), attributes: attributesArb(four), nlri: prefixes('ipv4', 30) }, { noNullPrototype: true })
    .map((u) => {
      const announces = u.nlri.length > 0 || u.attributes.mpReach !== undefined;
      const a: PathAttributes = announces ? { origin: 'igp', asPath: [], ...u.attributes } : u.attributes;
      return { ...u, attributes: u.nlri.length > 0 && a.nextHop === undefined ? { ...a, nextHop: '192.0.2.1' } : a };
    });
}

const capabilityArb: fc.Arbitrary<Capability> = fc.oneof(
  record({ kind: fc.constant('multiprotocol' as const), afi: u16, safi: u8 }),
  fc.constantFrom<Capability>({ kind: 'route-refresh' }, { kind: 'extended-message' }, { kind: 'enhanced-route-refresh' }),
  record({ kind: fc.constant('four-octet-as' as const), asn: u32 }),
  record({ kind: fc.constant('graceful-restart' as const), restarting: fc.boolean(), notification: fc.boolean(), time: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(record({ afi: u16, safi: u8, forwarding: fc.boolean() }), { maxLength: 4 }) }),
  record({ kind: fc.constant('unknown' as const), code: u8.filter((c) => ![1, 2, 6, 64, 65, 70].includes(c)), value: bytes(20) }),
);
const openArb: fc.Arbitrary<Open> = record({
  myAs: fc.integer({ min: 1, max: 0xffff }), holdTime: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 0xffff })),
  bgpId: v4, capabilities: fc.array(capabilityArb, { maxLength: 40 }),
});

function assertNeverThrows(r: Result<BgpMessage, BgpError>): void {
  if (r.ok) return;
  assert.ok(r.error.notification.code >= 1 && r.error.notification.code <= 7, r.error.code);
  assert.ok(['session-reset', 'treat-as-withdraw', 'attribute-discard'].includes(r.error.action));
}

test('OPEN: encode → decode is the identity', () => {
  fc.assert(fc.property(openArb, (open) => {
    assert.deepEqual(decodeMessage(encodeMessage({ type: 'open', open }, NEW_EXT), NEW_EXT), { ok: true, value: { type: 'open', open } });
  }), RUNS);
});

for (const [name, ctx] of [['4-octet', NEW_EXT], ['2-octet', OLD_EXT]] as const) {
  test(`UPDATE (${name} AS session): encode → decode is the identity`, () => {
    fc.assert(fc.property(updateArb(ctx.fourOctetAs), (update) => {
      const r = decodeMessage(encodeMessage({ type: 'update', update }, ctx), ctx);
      assert.deepEqual(r, { ok: true, value: { type: 'update', update, discarded: [] } });
    }), RUNS);
  });
}

test('NOTIFICATION, ROUTE-REFRESH, KEEPALIVE: encode → decode is the identity', () => {
  fc.assert(fc.property(u8, u8, bytes(200), (code, subcode, data) => {
    const r = decodeMessage(encodeMessage({ type: 'notification', notification: { code, subcode, data } }, NEW_EXT), NEW_EXT);
    assert.ok(r.ok && r.value.type === 'notification');
    assert.deepEqual([r.value.notification.code, r.value.notification.subcode, r.value.notification.data], [code, subcode, data]);
  }), RUNS);
  fc.assert(fc.property(record({ afi: u16, safi: u8, subtype: u8 }), (routeRefresh) => {
    assert.deepEqual(decodeMessage(encodeMessage({ type: 'route-refresh', routeRefresh }, NEW_EXT), NEW_EXT), { ok: true, value: { type: 'route-refresh', routeRefresh } });
  }), RUNS);
});

test('decoding arbitrary bytes never throws, with or without a well-formed header', () => {
  const framed = fc.tuple(fc.integer({ min: 0, max: 8 }), bytes(600)).map(([type, body]) =>
    Uint8Array.of(...hex(MARKER), (19 + body.length) >> 8, (19 + body.length) & 0xff, type, ...body));
  fc.assert(fc.property(fc.oneof(bytes(100), framed), fc.boolean(), (b, four) => {
    assertNeverThrows(decodeMessage(b, { fourOctetAs: four, maxLength: 4096 }));
  }), { numRuns: 2000 });
});

test('decoding damaged valid messages never throws', () => {
  const valid = fc.oneof(
    updateArb(true).map((update) => encodeMessage({ type: 'update', update }, NEW_EXT)),
    openArb.map((open) => encodeMessage({ type: 'open', open }, NEW_EXT)),
  );
  const damage = fc.array(fc.tuple(fc.nat(), u8), { minLength: 1, maxLength: 8 });
  fc.assert(fc.property(valid, damage, fc.boolean(), fc.boolean(), (msg, hits, keepHeader, four) => {
    const b = msg.slice();
    for (const [at, v] of hits) b[(keepHeader ? 19 : 0) + (at % Math.max(1, b.length - (keepHeader ? 19 : 0)))] = v;
    assertNeverThrows(decodeMessage(b, { fourOctetAs: four, maxLength: 65535 }));
    assertNeverThrows(decodeMessage(b.subarray(0, b.length - 1 - (hits[0]?.[0] ?? 0) % b.length), NEW_EXT));
  }), { numRuns: 1000 });
});

test('the packer: decodes to exactly its input, every message within the limit, as few as fit', () => {
  const family = fc.constantFrom('ipv4' as const, 'ipv6' as const);
  fc.assert(fc.property(family, fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 150, max: 9000 }), fc.boolean(), fc.gen(), (fam, n, maxLength, withdraw, gen) => {
    const list = gen(() => fc.array(prefixArb(fam), { minLength: n, maxLength: n }));
    const ctx: SessionContext = { fourOctetAs: true, maxLength };
    const attrs: PathAttributes = fam === 'ipv4'
      ? { origin: 'igp', asPath: [{ type: 'sequence', asns: [64500] }], nextHop: '192.0.2.1' }
      : { origin: 'igp', asPath: [{ type: 'sequence', asns: [64500] }], mpReach: { family: 'ipv6', nextHop: '2001:db8::1', nlri: [] } };
    const messages = withdraw ? packWithdrawals(fam, list, ctx) : packAnnouncements(attrs, list, ctx);
    assert.deepEqual(unpack(messages, ctx).prefixes, list);
    // Greedy and so minimal: the first prefix of each next message would not have fitted.
    let at = 0;
    messages.forEach((m, i) => {
      const r = decodeMessage(m, ctx);
      assert.ok(r.ok && r.value.type === 'update');
      const u = r.value.update;
      at += u.nlri.length + u.withdrawn.length + (u.attributes.mpReach?.nlri.length ?? 0) + (u.attributes.mpUnreach?.withdrawn.length ?? 0);
      const next = list[at];
      // An MP_UNREACH_NLRI short enough for a 1-octet length would need the 2-octet one to grow.
      const grows = withdraw && fam === 'ipv6' && ((m[23] ?? 0) & 0x10) === 0 ? 1 : 0;
      if (i < messages.length - 1 && next) assert.ok(m.length + grows + 1 + next.bytes.length > maxLength, `message ${i} had room`);
    });
  }), { numRuns: 150 });
});

test('the framer: any cutting of a stream of valid messages gives them back; arbitrary bytes never throw', () => {
  const stream = fc.array(fc.oneof(
    updateArb(true).map((update) => encodeMessage({ type: 'update', update }, NEW_EXT)),
    openArb.map((open) => encodeMessage({ type: 'open', open }, NEW_EXT)),
  ), { minLength: 1, maxLength: 5 });
  fc.assert(fc.property(stream, fc.array(fc.nat(), { maxLength: 10 }), (messages, cuts) => {
    const all = concat(messages);
    const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
    const framer = new BgpFramer(65535);
    const got: Uint8Array[] = [];
    let from = 0;
    for (const p of [...points, all.length]) {
      const r = framer.push(all.subarray(from, p));
      assert.equal(r.error, null);
      got.push(...r.frames);
      from = p;
    }
    assert.deepEqual(got.map((g) => Buffer.from(g).toString('hex')), messages.map((m) => Buffer.from(m).toString('hex')));
  }), { numRuns: 200 });
  fc.assert(fc.property(fc.array(bytes(64), { maxLength: 20 }), (chunks) => {
    const framer = new BgpFramer();
    for (const c of chunks) framer.push(c);
    assert.ok(framer.buffered < 4096);
  }), { numRuns: 500 });
});
