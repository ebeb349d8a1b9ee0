// Path attributes rule by rule (issue #15: the survivors of the attribute half's mutation run):
// what each malformed value is called and what an operator reads in the log, the RFC 7606
// action, the attributes kept raw, the order and length form on the wire, AS4 for an OLD peer,
// the AS4_PATH merge, pass-on flags and the community parsers at their limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AS_TRANS, decodeAttributes, encodeAttributes, attributesLength, forPassOn, mergeAs4Path, parseCommunity,
  parseLargeCommunity, type AsPathSegment, type BgpError, type DecodeContext, type PathAttributes,
} from '../../../src/bgp/codec/index.ts';
import { hex, pfx, toHex } from './helpers.ts';

const NEW: DecodeContext = { fourOctetAs: true };
const OLD: DecodeContext = { fourOctetAs: false };

function decode(attrs: string, ctx: DecodeContext = NEW) {
  const b = hex(attrs);
  return decodeAttributes(b, 0, b.length, ctx);
}

interface Malformed {
  readonly name: string;
  readonly attrs: string;
  readonly ctx?: DecodeContext;
  readonly code: BgpError['code'];
  readonly action: BgpError['action'];
  /** What the log says: the attribute by name and what is wrong with it. */
  readonly message: RegExp;
}

const ORIGIN_IGP = '40 01 01 00';

const MALFORMED: readonly Malformed[] = [
  { name: 'ORIGIN of 2 octets', attrs: '40 01 02 00 00', code: 'attribute-length-error', action: 'treat-as-withdraw', message: /^ORIGIN of 2 octets$/ },
  { name: 'ORIGIN 3', attrs: '40 01 01 03', code: 'invalid-origin', action: 'treat-as-withdraw', message: /^ORIGIN 3$/ },
  { name: 'AS_PATH cut short, 4-octet session', attrs: '40 02 03 02 01 00', code: 'malformed-as-path', action: 'treat-as-withdraw',
    message: /^AS_PATH of 3 octets with 4-octet ASNs is malformed$/ },
  { name: 'AS_PATH cut short, 2-octet session', attrs: '40 02 03 02 01 00', ctx: OLD, code: 'malformed-as-path', action: 'treat-as-withdraw',
    message: /^AS_PATH of 3 octets with 2-octet ASNs is malformed$/ },
  { name: 'AS_PATH with a lone trailing octet', attrs: '40 02 07 02 01 00 00 fb f4 02', code: 'malformed-as-path', action: 'treat-as-withdraw',
    message: /^AS_PATH of 7 octets/ },
  { name: 'NEXT_HOP of 3 octets', attrs: '40 03 03 c0 00 02', code: 'attribute-length-error', action: 'treat-as-withdraw', message: /^NEXT_HOP of 3 octets$/ },
  { name: 'NEXT_HOP in 0/8', attrs: '40 03 04 00 01 02 03', code: 'invalid-next-hop', action: 'treat-as-withdraw', message: /^NEXT_HOP 0\.1\.2\.3 is not a unicast address$/ },
  { name: 'NEXT_HOP multicast', attrs: '40 03 04 e0 00 00 01', code: 'invalid-next-hop', action: 'treat-as-withdraw', message: /^NEXT_HOP 224\.0\.0\.1 / },
  { name: 'MULTI_EXIT_DISC of 2 octets', attrs: '80 04 02 00 00', code: 'attribute-length-error', action: 'treat-as-withdraw', message: /^MULTI_EXIT_DISC of 2 octets$/ },
  { name: 'LOCAL_PREF of 2 octets', attrs: '40 05 02 00 00', code: 'attribute-length-error', action: 'treat-as-withdraw', message: /^LOCAL_PREF of 2 octets$/ },
  { name: 'ATOMIC_AGGREGATE of 1 octet', attrs: '40 06 01 00', code: 'attribute-length-error', action: 'attribute-discard', message: /^ATOMIC_AGGREGATE of 1 octets$/ },
  { name: 'AGGREGATOR of 6 octets, 4-octet session', attrs: 'c0 07 06 00 00 fb f4 c0 00', code: 'attribute-length-error', action: 'attribute-discard',
    message: /^AGGREGATOR of 6 octets, want 8$/ },
  { name: 'AGGREGATOR of 8 octets, 2-octet session', attrs: 'c0 07 08 00 00 fb f4 c0 00 02 01', ctx: OLD, code: 'attribute-length-error',
    action: 'attribute-discard', message: /^AGGREGATOR of 8 octets, want 6$/ },
  { name: 'AS4_AGGREGATOR of 6 octets', attrs: 'c0 12 06 fb f4 c0 00 02 01', code: 'attribute-length-error', action: 'attribute-discard',
    message: /^AS4_AGGREGATOR of 6 octets$/ },
  { name: 'AS4_PATH cut short', attrs: 'c0 11 03 02 01 00', code: 'malformed-as-path', action: 'attribute-discard', message: /^AS4_PATH of 3 octets is malformed$/ },
  { name: 'COMMUNITIES of 0 octets', attrs: 'c0 08 00', code: 'attribute-length-error', action: 'treat-as-withdraw', message: /^COMMUNITIES of 0 octets$/ },
  { name: 'COMMUNITIES of 6 octets', attrs: 'c0 08 06 00 01 00 02 00 03', code: 'attribute-length-error', action: 'treat-as-withdraw', message: /^COMMUNITIES of 6 octets$/ },
  { name: 'LARGE_COMMUNITY of 0 octets', attrs: 'c0 20 00', code: 'attribute-length-error', action: 'treat-as-withdraw', message: /^LARGE_COMMUNITY of 0 octets$/ },
  { name: 'LARGE_COMMUNITY of 8 octets', attrs: 'c0 20 08 00 00 00 01 00 00 00 02', code: 'attribute-length-error', action: 'treat-as-withdraw',
    message: /^LARGE_COMMUNITY of 8 octets$/ },
  // Framing (RFC 7606 §4): the offset counts from the first attribute, so a valid one goes first.
  { name: 'one octet left after an attribute', attrs: `${ORIGIN_IGP} 40`, code: 'malformed-attribute-list', action: 'treat-as-withdraw',
    message: /^1 octets left, an attribute header needs 3$/ },
  { name: 'three octets left, extended length', attrs: `${ORIGIN_IGP} 50 02 00`, code: 'malformed-attribute-list', action: 'treat-as-withdraw',
    message: /^3 octets left, an attribute header needs 4$/ },
  { name: 'a length past the end', attrs: '40 01 05 00', code: 'malformed-attribute-list', action: 'treat-as-withdraw',
    message: /^attribute 1 of length 5 overruns the attributes$/ },
  { name: 'ORIGIN twice', attrs: `${ORIGIN_IGP} 40 01 01 02`, code: 'malformed-attribute-list', action: 'attribute-discard',
    message: /^attribute 1 appears twice \(RFC 7606 §3g\)$/ },
  { name: 'a well-known attribute nobody knows', attrs: '40 63 01 00', code: 'unrecognized-well-known-attribute', action: 'session-reset',
    message: /^well-known attribute 99 unknown$/ },
  { name: 'ORIGIN flagged optional', attrs: 'c0 01 01 00', code: 'attribute-flags-error', action: 'treat-as-withdraw', message: /^attribute 1 flags 0xc0$/ },
  // RFC 7606 §5.3 / RFC 4760 §7: MP attributes whose flags are wrong leave the NLRI unlocatable.
  { name: 'MP_REACH_NLRI flagged well-known', attrs: '40 0e 05 00 02 01 00 00', code: 'attribute-flags-error', action: 'session-reset', message: /^attribute 14 flags 0x40$/ },
  { name: 'MP_UNREACH_NLRI flagged well-known', attrs: '40 0f 03 00 02 01', code: 'attribute-flags-error', action: 'session-reset', message: /^attribute 15 flags 0x40$/ },
  { name: 'LOCAL_PREF from an external peer', attrs: '40 05 04 00 00 00 64', ctx: { fourOctetAs: true, external: true }, code: 'local-pref-from-external',
    action: 'attribute-discard', message: /^LOCAL_PREF from an external peer$/ },
];

for (const c of MALFORMED) {
  test(`malformed attribute: ${c.name} is ${c.code}, ${c.action}, and says so`, () => {
    const { errors } = decode(c.attrs, c.ctx);
    assert.equal(errors.length, 1, errors.map((e) => e.message).join('; '));
    const [e] = errors;
    assert.equal(e?.code, c.code);
    assert.equal(e?.action, c.action);
    assert.match(e?.message ?? '', c.message);
  });
}

test('a malformed value leaves no half-decoded attribute behind', () => {
  assert.equal(decode('c0 12 06 fb f4 c0 00 02 01').attrs.as4Aggregator, undefined);
  assert.equal(decode('c0 08 00').attrs.communities, undefined);
  assert.equal(decode('40 03 04 00 01 02 03').attrs.nextHop, undefined);
});

test('the highest unicast first octet is a valid NEXT_HOP; multicast and up are not', () => {
  assert.deepEqual(decode('40 03 04 df ff ff fe'), { attrs: { nextHop: '223.255.255.254' }, errors: [] });
  assert.equal(decode('40 03 04 ff ff ff ff').errors[0]?.code, 'invalid-next-hop');
});

test('MP_REACH and MP_UNREACH of another family are kept raw, flags without Extended Length (RFC 4760 §7)', () => {
  // AFI 25 (L2VPN), SAFI 65 (VPLS): not Herald's; kept so a pass-on or a log can show it.
  const reach = '00 19 41 04 c0 00 02 01 00 00 02 01 02';
  const unreach = '00 19 41 00 02 01 02';
  const d = decode(`90 0e 00 0d ${reach} 80 0f 07 ${unreach}`);
  assert.deepEqual(d.errors, []);
  assert.equal(d.attrs.mpReach, undefined);
  assert.equal(d.attrs.mpUnreach, undefined);
  assert.deepEqual(d.attrs.other?.map((a) => [a.flags, a.type, toHex(a.value)]), [
    [0x80, 14, reach.replace(/ /g, '')],
    [0x80, 15, unreach.replace(/ /g, '')],
  ]);
});

test('attributes Herald does not interpret come out in type order, whatever order they came in', () => {
  const d = decode('c0 29 01 02 e0 28 01 01');
  assert.deepEqual(d.attrs.other?.map((a) => [a.type, a.flags]), [[40, 0xe0], [41, 0xc0]]);
});

/** Attribute type codes in wire order. */
function typesOnWire(b: Uint8Array): number[] {
  const types: number[] = [];
  for (let o = 0; o < b.length;) {
    const ext = ((b[o] ?? 0) & 0x10) !== 0;
    types.push(b[o + 1] ?? -1);
    o += (ext ? 4 + (((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0)) : 3 + (b[o + 2] ?? 0));
  }
  return types;
}

test('MP_REACH_NLRI, then MP_UNREACH_NLRI, then ascending type codes (RFC 4271 §5, as BIRD and FRR send)', () => {
  const attrs: PathAttributes = {
    origin: 'igp', med: 5, communities: [1],
    other: [{ flags: 0xc0, type: 40, value: Uint8Array.of(1) }],
    mpUnreach: { family: 'ipv6', withdrawn: [pfx('2001:db8::1/128')] },
    mpReach: { family: 'ipv6', nextHop: '2001:db8::2', nlri: [pfx('2001:db8::3/128')] },
  };
  assert.deepEqual(typesOnWire(encodeAttributes(attrs, NEW)), [14, 15, 1, 4, 8, 40]);
});

test('an attribute of 255 octets keeps the one-octet length; 256 needs Extended Length', () => {
  for (const [n, flags, header] of [[255, 0xc0, 3], [256, 0xd0, 4]] as const) {
    const attrs: PathAttributes = { other: [{ flags: 0xc0, type: 40, value: new Uint8Array(n) }] };
    const b = encodeAttributes(attrs, NEW);
    assert.equal(attributesLength(attrs, NEW), header + n);
    assert.equal(b.length, header + n);
    assert.equal(b[0], flags);
    assert.deepEqual(decodeAttributes(b, 0, b.length, NEW).attrs.other?.[0]?.value.length, n);
  }
});

test('to an OLD peer: AS4_PATH carries the sequences and sets of the path, never confederation segments (RFC 6793 §3)', () => {
  const asPath: AsPathSegment[] = [
    { type: 'confed-sequence', asns: [65001] },
    { type: 'sequence', asns: [4200000001, 64500] },
    { type: 'set', asns: [64501, 64502] },
  ];
  const b = encodeAttributes({ asPath }, OLD);
  const d = decodeAttributes(b, 0, b.length, OLD);
  assert.deepEqual(d.errors, []);
  assert.deepEqual(d.attrs.asPath, [asPath[0], { type: 'sequence', asns: [AS_TRANS, 64500] }, asPath[2]]);
  assert.deepEqual(d.attrs.as4Path, [asPath[1], asPath[2]]);
});

test('to an OLD peer: a path whose ASNs all fit two octets (65535 included) needs no AS4_PATH (RFC 6793 §4.2.2)', () => {
  const b = encodeAttributes({ asPath: [{ type: 'sequence', asns: [65535, 1] }] }, OLD);
  assert.deepEqual(decodeAttributes(b, 0, b.length, OLD).attrs, { asPath: [{ type: 'sequence', asns: [65535, 1] }] });
});

test('to an OLD peer: an aggregator of 65535 fits two octets; 65536 goes as AS_TRANS with AS4_AGGREGATOR', () => {
  const fits = encodeAttributes({ aggregator: { asn: 65535, address: '192.0.2.1' } }, OLD);
  assert.deepEqual(decodeAttributes(fits, 0, fits.length, OLD).attrs, { aggregator: { asn: 65535, address: '192.0.2.1' } });
  const big = encodeAttributes({ aggregator: { asn: 65536, address: '192.0.2.1' } }, OLD);
  assert.deepEqual(decodeAttributes(big, 0, big.length, OLD).attrs, {
    aggregator: { asn: AS_TRANS, address: '192.0.2.1' },
    as4Aggregator: { asn: 65536, address: '192.0.2.1' },
  });
});

// RFC 6793 §4.2.3: keep the leading len(AS_PATH) − len(AS4_PATH) of AS_PATH, a set counting 1 and
// a confederation segment 0 (RFC 4271 §9.1.2.2, RFC 5065 §5.3), then AS4_PATH.
const X = 4200000001;
const MERGES: readonly { name: string; asPath: AsPathSegment[]; as4Path: AsPathSegment[]; want: AsPathSegment[] }[] = [
  { name: 'a set counts one', asPath: [{ type: 'set', asns: [1, 2] }, { type: 'sequence', asns: [3, AS_TRANS, 5] }], as4Path: [{ type: 'sequence', asns: [X, 5] }],
    want: [{ type: 'set', asns: [1, 2] }, { type: 'sequence', asns: [3] }, { type: 'sequence', asns: [X, 5] }] },
  { name: 'a confederation segment counts none and is kept', asPath: [{ type: 'confed-sequence', asns: [65001] }, { type: 'sequence', asns: [1, AS_TRANS] }],
    as4Path: [{ type: 'sequence', asns: [X] }], want: [{ type: 'confed-sequence', asns: [65001] }, { type: 'sequence', asns: [1] }, { type: 'sequence', asns: [X] }] },
  { name: 'equal lengths keep nothing of AS_PATH', asPath: [{ type: 'confed-set', asns: [65001] }, { type: 'sequence', asns: [AS_TRANS, 5] }],
    as4Path: [{ type: 'sequence', asns: [X, 5] }], want: [{ type: 'sequence', asns: [X, 5] }] },
  { name: 'the count runs across sequences', asPath: [{ type: 'sequence', asns: [1] }, { type: 'sequence', asns: [2, AS_TRANS] }, { type: 'sequence', asns: [7] }],
    as4Path: [{ type: 'sequence', asns: [X, 7] }], want: [{ type: 'sequence', asns: [1] }, { type: 'sequence', asns: [2] }, { type: 'sequence', asns: [X, 7] }] },
  { name: 'a set is whole or absent', asPath: [{ type: 'sequence', asns: [1] }, { type: 'set', asns: [2, 3] }, { type: 'sequence', asns: [AS_TRANS] }],
    as4Path: [{ type: 'sequence', asns: [X] }], want: [{ type: 'sequence', asns: [1] }, { type: 'set', asns: [2, 3] }, { type: 'sequence', asns: [X] }] },
];

for (const m of MERGES) {
  test(`mergeAs4Path: ${m.name}`, () => {
    assert.deepEqual(mergeAs4Path(m.asPath, m.as4Path), m.want);
  });
}

test('forPassOn: Partial is set on optional transitive attributes only; a well-known one keeps it clear (RFC 4271 §5)', () => {
  const passed = forPassOn({ origin: 'igp', other: [{ flags: 0x40, type: 99, value: Uint8Array.of(1) }, { flags: 0xc0, type: 40, value: Uint8Array.of(2) }] });
  assert.deepEqual(passed.other?.map((a) => [a.type, a.flags]), [[99, 0x40], [40, 0xe0]]);
});

test('forPassOn: when every unrecognized attribute is non-transitive, none is left, not an empty list', () => {
  assert.deepEqual(forPassOn({ origin: 'igp', other: [{ flags: 0x80, type: 41, value: Uint8Array.of(1) }] }), { origin: 'igp' });
});

test('parseCommunity: each half takes 0..65535, no more', () => {
  const cases: readonly [string, number | null][] = [
    ['65535:65535', 0xffffffff], ['65535:0', 0xffff0000], ['0:65535', 0x0000ffff], ['0:0', 0],
    ['65536:0', null], ['0:65536', null], ['1:65536', null], ['', null], ['1', null], ['a:b', null],
  ];
  for (const [text, want] of cases) assert.equal(parseCommunity(text), want, text);
});

test('parseLargeCommunity: three 32-bit numbers and nothing around them (RFC 8092 §3)', () => {
  const cases: readonly [string, ReturnType<typeof parseLargeCommunity>][] = [
    ['4294967295:4294967295:4294967295', { global: 4294967295, local1: 4294967295, local2: 4294967295 }],
    ['1:22:333', { global: 1, local1: 22, local2: 333 }],
    ['4294967296:1:2', null], ['1:4294967296:2', null], ['1:2:4294967296', null],
    ['x1:2:3', null], ['1:2:3x', null], ['1:2', null], ['abc', null], ['', null],
  ];
  for (const [text, want] of cases) assert.deepEqual(parseLargeCommunity(text), want, text);
});
