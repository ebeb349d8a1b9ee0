// The messages rule by rule (issue #15: the survivors of the message half's mutation run): for
// each malformed header, OPEN, capability, UPDATE frame, NOTIFICATION and ROUTE-REFRESH, the
// error code, the NOTIFICATION code/subcode and data, and a message that names what is wrong and
// its numbers; the 4-octet AS consistency check, End-of-RIB recognition and the wire context.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AS_TRANS, INITIAL_CONTEXT, buildOpen, checkFourOctetAs, decodeHeader, decodeMessage, decodeNotification, decodeOpen, decodeUpdate, encodeOpen,
  encodeUpdate, endOfRibOf, familyOf, findCapability, openAsn, updateLength, wireContext, withAction, bgpError,
  type BgpError, type Capability, type Open, type Update,
} from '../../../src/bgp/codec/index.ts';
import { hex, hosts, MARKER, NEW, toHex } from './helpers.ts';

interface Refused {
  readonly name: string;
  readonly hex: string;
  readonly code: BgpError['code'];
  /** NOTIFICATION code and subcode (RFC 4271 §4.5, §6). */
  readonly notify: readonly [number, number];
  /** NOTIFICATION data, hex ('' for none). */
  readonly data?: string;
  readonly message: RegExp;
}

function check(r: { ok: true } | { ok: false; error: BgpError }, c: Refused): void {
  assert.ok(!r.ok, `${c.name}: accepted`);
  assert.equal(r.error.code, c.code, c.name);
  assert.deepEqual([r.error.notification.code, r.error.notification.subcode], c.notify, c.name);
  if (c.data !== undefined) assert.equal(toHex(r.error.notification.data), c.data.replace(/\s+/g, ''), c.name);
  assert.equal(r.error.action, 'session-reset', c.name);
  assert.match(r.error.message, c.message, c.name);
}

// OPEN body after the header: version 4, My AS 65001 (fde9), hold 180 (00b4), id 192.0.2.1.
const FIXED = '04 fd e9 00 b4 c0 00 02 01';
const caps = (tlvs: string) => {
  const n = hex(tlvs).length;
  return `${FIXED} ${(n + 2).toString(16).padStart(2, '0')} 02 ${n.toString(16).padStart(2, '0')} ${tlvs}`;
};

const OPEN_REFUSED: readonly Refused[] = [
  // RFC 4271 §6.1: data is the erroneous Length field (header + body).
  { name: 'OPEN body of 9 octets', hex: FIXED, code: 'bad-message-length', notify: [1, 2], data: '001c', message: /^OPEN body of 9 bytes$/ },
  // §6.2: data is the largest locally supported version, 2 octets.
  { name: 'version 3', hex: `03 fd e9 00 b4 c0 00 02 01 00`, code: 'unsupported-version', notify: [2, 1], data: '0004', message: /^BGP version 3$/ },
  { name: 'My AS 0 (RFC 7607 §2)', hex: '04 00 00 00 b4 c0 00 02 01 00', code: 'bad-peer-as', notify: [2, 2], data: '', message: /^My AS 0 \(RFC 7607 §2\)$/ },
  { name: 'hold time 1', hex: '04 fd e9 00 01 c0 00 02 01 00', code: 'unacceptable-hold-time', notify: [2, 6], message: /^hold time 1 s \(must be 0 or ≥ 3\)$/ },
  { name: 'hold time 2', hex: '04 fd e9 00 02 c0 00 02 01 00', code: 'unacceptable-hold-time', notify: [2, 6], message: /^hold time 2 s / },
  { name: 'BGP Identifier 0 (RFC 6286 §2.2)', hex: '04 fd e9 00 b4 00 00 00 00 00', code: 'bad-bgp-identifier', notify: [2, 3],
    message: /^BGP Identifier 0\.0\.0\.0 \(RFC 6286 §2\.2\)$/ },
  // RFC 9072 §2: opt-len 255 and type 255, then a 2-octet length that is not there.
  { name: 'RFC 9072 length cut short', hex: `${FIXED} ff ff 00`, code: 'malformed-optional-parameter', notify: [2, 0],
    message: /^RFC 9072 extended length cut short$/ },
  { name: 'Optional Parameters Length 2, 3 octets follow', hex: `${FIXED} 02 02 00 00`, code: 'malformed-optional-parameter', notify: [2, 0],
    message: /^optional parameters length 2, 3 bytes follow$/ },
  { name: 'Optional Parameters Length 4, 3 octets follow', hex: `${FIXED} 04 02 01 00`, code: 'malformed-optional-parameter', notify: [2, 0],
    message: /^optional parameters length 4, 3 bytes follow$/ },
  { name: 'a lone parameter type octet', hex: `${FIXED} 01 02`, code: 'malformed-optional-parameter', notify: [2, 0],
    message: /^optional parameter header cut short$/ },
  { name: 'RFC 9072: two octets, an extended parameter header is three', hex: `${FIXED} ff ff 00 02 02 00`, code: 'malformed-optional-parameter',
    notify: [2, 0], message: /^optional parameter header cut short$/ },
  { name: 'parameter of length 2 with 1 octet', hex: `${FIXED} 03 02 02 41`, code: 'malformed-optional-parameter', notify: [2, 0],
    message: /^optional parameter 2 of length 2 overruns$/ },
  { name: 'RFC 9072 parameter of length 5 with 4 octets', hex: `${FIXED} ff ff 00 07 02 00 05 02 00 46 00`, code: 'malformed-optional-parameter',
    notify: [2, 0], message: /^optional parameter 2 of length 5 overruns$/ },
  // §6.2: only capabilities (RFC 5492) are supported; type 1 (authentication) is deprecated.
  { name: 'parameter type 1', hex: `${FIXED} 04 01 02 00 00`, code: 'unsupported-optional-parameter', notify: [2, 4], message: /^optional parameter type 1$/ },
  // RFC 5492 §4 TLVs inside the parameter.
  { name: 'a lone capability code octet', hex: `${FIXED} 03 02 01 41`, code: 'malformed-optional-parameter', notify: [2, 0],
    message: /^capability header cut short$/ },
  { name: 'capability of length 4 with 2 octets', hex: `${FIXED} 06 02 04 41 04 00 00`, code: 'malformed-optional-parameter', notify: [2, 0],
    message: /^capability 65 of length 4 overruns its parameter$/ },
  // A known capability of the wrong size is malformed (§6.2 subcode 0), naming the size wanted.
  { name: 'multiprotocol of 3 octets', hex: caps('01 03 00 01 01'), code: 'malformed-optional-parameter', notify: [2, 0],
    message: /^capability 1 length 3, want 4 \(RFC 4760 §8\)$/ },
  { name: 'route refresh of 1 octet', hex: caps('02 01 00'), code: 'malformed-optional-parameter', notify: [2, 0],
    message: /^capability 2 length 1, want 0 \(RFC 2918 §3\)$/ },
  { name: 'extended message of 1 octet', hex: caps('06 01 00'), code: 'malformed-optional-parameter', notify: [2, 0],
    message: /^capability 6 length 1, want 0 \(RFC 8654 §3\)$/ },
  { name: 'enhanced route refresh of 1 octet', hex: caps('46 01 00'), code: 'malformed-optional-parameter', notify: [2, 0],
    message: /^capability 70 length 1, want 0 \(RFC 7313 §3\)$/ },
  { name: '4-octet AS of 2 octets', hex: caps('41 02 fd e9'), code: 'malformed-optional-parameter', notify: [2, 0],
    message: /^capability 65 length 2, want 4 \(RFC 6793 §3\)$/ },
  ...[0, 1, 3, 4, 5, 7].map((n): Refused => ({
    name: `graceful restart of ${n} octets`, hex: caps(`40 0${n} ${'00 '.repeat(n)}`), code: 'malformed-optional-parameter', notify: [2, 0],
    message: new RegExp(`^capability 64 length ${n}, want 2 \\+ 4k \\(RFC 4724 §3\\)$`),
  })),
];

test('OPEN (RFC 4271 §6.2, RFC 5492, RFC 9072): each refusal, its NOTIFICATION and what the message names', () => {
  for (const c of OPEN_REFUSED) {
    check(decodeOpen(hex(c.hex)), c);
    // Whole, through the header: the same refusal (bodies under 10 octets fail the header's 29 first).
    if (hex(c.hex).length >= 10) {
      const body = hex(c.hex);
      const frame = hex(`${MARKER} ${(19 + body.length).toString(16).padStart(4, '0')} 01 ${toHex(body)}`);
      check(decodeMessage(frame, NEW), c);
    }
  }
});

test('OPEN: capability sizes RFC 4724 §3 allows for graceful restart are 2 + 4k', () => {
  for (const k of [0, 1, 2]) {
    const r = decodeOpen(hex(caps(`40 ${(2 + 4 * k).toString(16).padStart(2, '0')} 80 78 ${'00 01 01 80 '.repeat(k)}`)));
    assert.ok(r.ok, `${k} families: ${r.ok ? '' : r.error.message}`);
    assert.deepEqual(r.value.capabilities, [{ kind: 'graceful-restart', restarting: true, notification: false, time: 120,
      families: Array.from({ length: k }, () => ({ afi: 1, safi: 1, forwarding: true })) }]);
  }
});

test('OPEN: RFC 9072 needs opt-len 255 and type 255 both; one without the other is an ordinary parameter', () => {
  // Extended, with an empty parameter list: exactly 13 octets.
  const empty = decodeOpen(hex(`${FIXED} ff ff 00 00`));
  assert.ok(empty.ok && empty.value.capabilities.length === 0);
  // Opt-len 3 holding a parameter of type 255: not RFC 9072, so an unsupported parameter type.
  check(decodeOpen(hex(`${FIXED} 03 ff 01 00`)), { name: 'type 255 under opt-len 3', hex: '', code: 'unsupported-optional-parameter',
    notify: [2, 4], message: /^optional parameter type 255$/ });
  // Opt-len 255 holding one capabilities parameter of 253 octets (BIRD's single parameter): not RFC 9072.
  const big: Capability = { kind: 'unknown', code: 0x80, value: new Uint8Array(251).fill(7) };
  const body = hex(`${FIXED} ff 02 fd 80 fb ${'07'.repeat(251)}`);
  const r = decodeOpen(body);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.deepEqual(r.value.capabilities, [big]);
});

test('OPEN encoding: capabilities of 253 octets fit the one-octet length; 254 need RFC 9072', () => {
  const open = (n: number): Open => ({ myAs: 65001, holdTime: 180, bgpId: '192.0.2.1', capabilities: [{ kind: 'unknown', code: 0x80, value: new Uint8Array(n) }] });
  const fits = encodeOpen(open(251)); // 2 + 251 = 253 octets of capabilities, 255 with the parameter header
  assert.equal(fits.length, 19 + 10 + 255);
  assert.equal(toHex(fits.subarray(28, 32)), 'ff02fd80');
  const over = encodeOpen(open(252)); // 254 octets of capabilities: 257 with the header
  assert.equal(toHex(over.subarray(28, 35)), 'ffff010102' + '00fe');
  for (const m of [fits, over]) {
    const r = decodeMessage(m, NEW);
    assert.ok(r.ok && r.value.type === 'open');
    assert.deepEqual(r.value.open, m === fits ? open(251) : open(252));
  }
  // No capabilities: opt-len 0 and nothing after it.
  assert.equal(toHex(encodeOpen({ ...open(0), capabilities: [] })), `${MARKER}001d0104fde900b4c000020100`);
});

test('RFC 6793 §4.1: My AS is AS_TRANS exactly when the 4-octet AS needs 4 octets', () => {
  const open = (myAs: number, asn?: number): Open => ({
    myAs, holdTime: 90, bgpId: '192.0.2.1',
    capabilities: [{ kind: 'route-refresh' }, ...(asn === undefined ? [] : [{ kind: 'four-octet-as' as const, asn }])],
  });
  const cases: ReadonlyArray<[number, number | undefined, boolean]> = [
    [65001, undefined, true], [65001, 65001, true], [65001, 65002, false], [65001, 0, false], [AS_TRANS, 0, false],
    [65535, 65535, true], [AS_TRANS, 65535, false], [AS_TRANS, 65536, true], [65001, 65536, false], [65535, 65536, false],
    [AS_TRANS, AS_TRANS, true], [AS_TRANS, 4200000000, true], [64512, 4200000000, false],
    // RFC 7607 §2: 4-octet AS 0 is refused whatever My AS says (decodeOpen refuses My AS 0 before this).
    [0, 0, false],
  ];
  for (const [myAs, asn, consistent] of cases) {
    const e = checkFourOctetAs(open(myAs, asn));
    if (consistent) assert.equal(e, null, `${myAs}/${asn}`);
    else {
      assert.ok(e !== null, `${myAs}/${asn}`);
      assert.equal(e.code, 'bad-peer-as');
      assert.deepEqual([e.notification.code, e.notification.subcode], [2, 2]);
      assert.equal(e.message, `My AS ${myAs} disagrees with 4-octet AS ${asn}`);
    }
  }
  // The 4-octet AS capability is found wherever it sits among the others.
  assert.equal(openAsn(open(AS_TRANS, 4200000000)), 4200000000);
  assert.equal(openAsn(open(65001)), 65001);
  assert.deepEqual(findCapability(open(AS_TRANS, 70000).capabilities, 'four-octet-as'), { kind: 'four-octet-as', asn: 70000 });
  assert.equal(findCapability(open(65001).capabilities, 'four-octet-as'), undefined);
});

test('RFC 5492 §3: a capability counts for the wire only when both OPENs carry it', () => {
  const open = (...capabilities: Capability[]): Open => ({ myAs: 65001, holdTime: 90, bgpId: '192.0.2.1', capabilities });
  const ext: Capability = { kind: 'extended-message' };
  const four: Capability = { kind: 'four-octet-as', asn: 65001 };
  assert.deepEqual(wireContext(open(ext, four), open(four)), { fourOctetAs: true, maxLength: 4096 });
  assert.deepEqual(wireContext(open(four), open(ext)), { fourOctetAs: false, maxLength: 4096 });
  assert.deepEqual(wireContext(open(ext), open(four, ext)), { fourOctetAs: false, maxLength: 65535 });
});

const frame = (type: number, body: string) => {
  const b = hex(body);
  return hex(`${MARKER} ${(19 + b.length).toString(16).padStart(4, '0')} 0${type} ${toHex(b)}`);
};

test('header (RFC 4271 §6.1): each refusal, its data and what the message names', () => {
  const cases: ReadonlyArray<Refused & { readonly max?: number }> = [
    { name: '18 octets', hex: `${MARKER} 0012`, code: 'bad-message-length', notify: [1, 2], data: '0012', message: /^18 bytes, a header is 19$/ },
    { name: 'marker with a zero', hex: MARKER.replace(/^ff/, 'fe') + '0013 04', code: 'connection-not-synchronized', notify: [1, 1], data: '',
      message: /^marker is not all ones \(RFC 4271 §4\.1\)$/ },
    { name: 'length 18', hex: `${MARKER} 0012 04`, code: 'bad-message-length', notify: [1, 2], data: '0012', message: /^message length 18 outside 19\.\.4096$/ },
    { name: 'length 19, 20 octets given', hex: `${MARKER} 0013 04 00`, code: 'bad-message-length', notify: [1, 2], data: '0013',
      message: /^length field 19, message has 20 bytes$/ },
    { name: 'type 6', hex: `${MARKER} 0013 06`, code: 'bad-message-type', notify: [1, 3], data: '06', message: /^message type 6$/ },
    { name: 'KEEPALIVE of 20 octets (§4.4)', hex: `${MARKER} 0014 04 00`, code: 'bad-message-length', notify: [1, 2], data: '0014',
      message: /^keepalive of length 20 outside 19\.\.19$/ },
    { name: 'UPDATE of 22 octets (§4.3: 23 at least)', hex: `${MARKER} 0016 02 00 00 00`, code: 'bad-message-length', notify: [1, 2], data: '0016',
      message: /^update of length 22 outside 23\.\.4096$/ },
    { name: 'NOTIFICATION of 20 octets (§4.5: 21 at least)', hex: `${MARKER} 0014 03 06`, code: 'bad-message-length', notify: [1, 2], data: '0014',
      message: /^notification of length 20 outside 21\.\.4096$/ },
    { name: 'OPEN of 28 octets (§4.2: 29 at least)', hex: `${MARKER} 001c 01 ${FIXED}`, code: 'bad-message-length', notify: [1, 2], data: '001c',
      message: /^open of length 28 outside 29\.\.4096$/ },
    { name: 'OPEN over 4096 with extended messages (RFC 8654 §4)', hex: `${MARKER} 1001 01 ${'00'.repeat(4097 - 19)}`, max: 65535,
      code: 'bad-message-length', notify: [1, 2], data: '1001', message: /^open of length 4097 outside 29\.\.4096$/ },
  ];
  for (const c of cases) check(decodeHeader(hex(c.hex), c.max ?? 4096), c);
  // The bounds themselves are accepted.
  for (const [type, body] of [[2, '00000000'], [3, '0604'], [4, ''], [5, '00010001']] as const) {
    const r = decodeHeader(frame(type, body));
    assert.ok(r.ok, `type ${type}`);
    assert.deepEqual(r.value, { length: 19 + body.length / 2, type });
  }
});

test('ROUTE-REFRESH of another length (RFC 7313 §5): 7/1 with the whole message as data', () => {
  const m = frame(5, '00 01 00 01 00');
  check(decodeMessage(m, NEW), { name: 'ROUTE-REFRESH of 24', hex: '', code: 'invalid-route-refresh-length', notify: [7, 1], data: toHex(m),
    message: /^ROUTE-REFRESH of 24 octets$/ });
});

test('NOTIFICATION: a body under 2 octets is a bad length; a Shutdown Communication only for Cease 2 and 4 (RFC 9003 §2)', () => {
  check(decodeNotification(hex('06')), { name: '1 octet', hex: '', code: 'bad-message-length', notify: [1, 2], data: '0014',
    message: /^NOTIFICATION body of 1 octets$/ });
  const text = '03 61 62 63'; // length 3, "abc"
  const cases: ReadonlyArray<[string, string | null]> = [
    [`06 02 ${text}`, 'abc'], [`06 04 ${text}`, 'abc'], [`06 03 ${text}`, null], [`02 02 ${text}`, null], [`02 04 ${text}`, null],
    ['06 02', null], ['06 02 00', ''], ['06 02 04 61 62 63', null], ['06 02 02 c3 28', null],
  ];
  for (const [body, communication] of cases) {
    const r = decodeNotification(hex(body));
    assert.ok(r.ok, body);
    assert.equal(r.value.communication, communication, body);
    assert.equal(toHex(r.value.data), toHex(hex(body).subarray(2)), body);
  }
});

test('UPDATE framing (RFC 7606 §5.1, RFC 4271 §6.3): lengths that overrun leave nothing to trust', () => {
  const cases: readonly Refused[] = [
    { name: 'body of 3 octets', hex: '00 00 00', code: 'malformed-attribute-list', notify: [3, 1], data: '', message: /^UPDATE body of 3 octets$/ },
    { name: 'Withdrawn Routes Length 1 of 0', hex: '00 01 00 00', code: 'malformed-attribute-list', notify: [3, 1],
      message: /^Withdrawn Routes Length 1 overruns the message$/ },
    { name: 'Total Path Attribute Length 5 of 4', hex: '00 00 00 05 40 01 01 00', code: 'malformed-attribute-list', notify: [3, 1],
      message: /^Total Path Attribute Length 5 overruns the message$/ },
    // §6.3: NLRI and withdrawn routes that cannot be parsed (RFC 7606 §5.3: no treat-as-withdraw).
    { name: 'withdrawn /33', hex: '00 05 21 0a 00 00 01 00 00', code: 'invalid-network-field', notify: [3, 10],
      message: /^ipv4 prefix length 33 > 32$/ },
    { name: 'NLRI /24 with one octet', hex: '00 00 00 00 18 0a', code: 'invalid-network-field', notify: [3, 10],
      message: /^ipv4 prefix \/24 needs 3 octets, 1 left$/ },
    { name: 'NLRI /9 with one octet after a /8', hex: '00 00 00 00 08 0a 09 0b', code: 'invalid-network-field', notify: [3, 10],
      message: /^ipv4 prefix \/9 needs 2 octets, 1 left$/ },
  ];
  for (const c of cases) check(decodeUpdate(hex(c.hex), NEW), c);
  // Exactly filled: an empty UPDATE, 4 octets.
  assert.deepEqual(decodeUpdate(hex('00 00 00 00'), NEW), { ok: true, value: { update: { withdrawn: [], attributes: {}, nlri: [] }, discarded: [] } });
});

test('UPDATE (RFC 7606 §3d): each missing well-known attribute is named, with its type as data, and treated as withdraw', () => {
  const ORIGIN = '40 01 01 00';
  const AS_PATH = '40 02 00';
  const NEXT_HOP = '40 03 04 c0 00 02 01';
  const nlri = '18 0a 00 01';
  const update = (attrs: string, tail = nlri) => {
    const a = hex(attrs);
    return hex(`00 00 ${a.length.toString(16).padStart(4, '0')} ${attrs} ${tail}`);
  };
  const cases: ReadonlyArray<[string, string, string, number]> = [
    ['no ORIGIN', `${AS_PATH} ${NEXT_HOP}`, 'ORIGIN missing', 1],
    ['no AS_PATH', `${ORIGIN} ${NEXT_HOP}`, 'AS_PATH missing', 2],
    ['no NEXT_HOP', `${ORIGIN} ${AS_PATH}`, 'NEXT_HOP missing', 3],
    ['nothing', '', 'ORIGIN missing', 1],
  ];
  for (const [name, attrs, message, type] of cases) {
    const r = decodeUpdate(update(attrs), NEW);
    assert.ok(!r.ok, name);
    assert.equal(r.error.code, 'missing-well-known-attribute', name);
    assert.deepEqual([r.error.notification.code, r.error.notification.subcode], [3, 3], name);
    assert.equal(r.error.message, message, name);
    assert.equal(toHex(r.error.notification.data), type.toString(16).padStart(2, '0'), name);
    assert.equal(r.error.action, 'treat-as-withdraw', name);
    assert.deepEqual(r.error.withdraw.map((p) => p.length), [24], name);
  }
  // A malformed ORIGIN is reported as malformed, not (also) as missing: its own error is the one.
  const r = decodeUpdate(update(`40 01 02 00 00 ${AS_PATH} ${NEXT_HOP}`), NEW);
  assert.ok(!r.ok && r.error.code === 'attribute-length-error' && r.error.message === 'ORIGIN of 2 octets');
  // Without NLRI nothing is mandatory: a withdrawal alone.
  assert.ok(decodeUpdate(hex('00 04 18 0a 00 01 00 00'), NEW).ok);
  // A missing attribute outranks an attribute that is only discarded, though found after it
  // (RFC 7606 §3: the most severe action wins): treat-as-withdraw, not the UPDATE accepted.
  const both = decodeUpdate(update(`${AS_PATH} ${NEXT_HOP} 40 06 01 00`), NEW);
  assert.ok(!both.ok, 'accepted with ORIGIN missing beside a discarded ATOMIC_AGGREGATE');
  assert.equal(both.error.code, 'missing-well-known-attribute');
  assert.equal(both.error.action, 'treat-as-withdraw');
  assert.deepEqual(both.error.withdraw.map((p) => p.length), [24]);
});

test('the context before OPENs are exchanged: 4,096-octet messages (RFC 4271 §4.1) and a 2-octet AS_PATH (RFC 6793 §4.2.2)', () => {
  assert.deepEqual(INITIAL_CONTEXT, { fourOctetAs: false, maxLength: 4096 });
});

test('buildOpen: My AS is the AS itself up to 65535 and AS_TRANS above (RFC 6793 §4.1); a 4-octet AS capability given is not added twice', () => {
  const open = (asn: number, capabilities: readonly Capability[] = []): Open => buildOpen({ asn, holdTime: 90, bgpId: '192.0.2.9', capabilities });
  assert.equal(open(65535).myAs, 65535);
  assert.equal(open(65536).myAs, AS_TRANS);
  const given: Capability = { kind: 'four-octet-as', asn: 65535 };
  assert.deepEqual(open(65535, [given]).capabilities, [given]);
  assert.deepEqual(open(65535).capabilities, [{ kind: 'four-octet-as', asn: 65535 }]);
});

test('encodeUpdate: an UPDATE of exactly the maximum is written; one octet more is the caller\'s bug', () => {
  const u: Update = { withdrawn: hosts('ipv4', 10), attributes: {}, nlri: [] };
  const n = updateLength(u, NEW);
  assert.equal(encodeUpdate(u, NEW, n).length, n);
  assert.throws(() => encodeUpdate(u, NEW, n - 1), (e: unknown) => e instanceof RangeError
    && e.message === `UPDATE of ${n} octets exceeds ${n - 1}; split it with packUpdates`);
});

test('End-of-RIB (RFC 4724 §2): an empty UPDATE, or an MP_UNREACH with AFI/SAFI and nothing else', () => {
  const v6eor = { family: 'ipv6' as const, withdrawn: [] };
  const raw = (type: number, value: string) => ({ flags: 0x80, type, value: hex(value) });
  const cases: ReadonlyArray<[string, Update, { afi: number; safi: number } | null]> = [
    ['empty', { withdrawn: [], attributes: {}, nlri: [] }, { afi: 1, safi: 1 }],
    ['NLRI only', { withdrawn: [], attributes: {}, nlri: hosts('ipv4', 1) }, null],
    ['withdrawn only', { withdrawn: hosts('ipv4', 1), attributes: {}, nlri: [] }, null],
    ['IPv6 MP_UNREACH empty', { withdrawn: [], attributes: { mpUnreach: v6eor }, nlri: [] }, { afi: 2, safi: 1 }],
    ['IPv6 MP_UNREACH and ORIGIN', { withdrawn: [], attributes: { mpUnreach: v6eor, origin: 'igp' }, nlri: [] }, null],
    ['IPv6 MP_UNREACH with a prefix', { withdrawn: [], attributes: { mpUnreach: { family: 'ipv6', withdrawn: hosts('ipv6', 1) } }, nlri: [] }, null],
    ['ORIGIN alone', { withdrawn: [], attributes: { origin: 'igp' }, nlri: [] }, null],
    ['raw MP_UNREACH of AFI 1 SAFI 2', { withdrawn: [], attributes: { other: [raw(15, '00 01 02')] }, nlri: [] }, { afi: 1, safi: 2 }],
    ['raw MP_UNREACH with a prefix', { withdrawn: [], attributes: { other: [raw(15, '00 01 02 08 0a')] }, nlri: [] }, null],
    ['raw MP_UNREACH and another raw attribute', { withdrawn: [], attributes: { other: [raw(15, '00 01 02'), raw(99, '00')] }, nlri: [] }, null],
    ['raw attribute 99 of 3 octets', { withdrawn: [], attributes: { other: [raw(99, '00 01 02')] }, nlri: [] }, null],
    ['no raw attributes', { withdrawn: [], attributes: { other: [] }, nlri: [] }, null],
  ];
  for (const [name, u, want] of cases) assert.deepEqual(endOfRibOf(u), want, name);
});

test('familyOf: unicast IPv4 and IPv6 only (RFC 4760 §5)', () => {
  assert.equal(familyOf(1, 1), 'ipv4');
  assert.equal(familyOf(2, 1), 'ipv6');
  assert.equal(familyOf(1, 2), null);
  assert.equal(familyOf(2, 2), null);
  assert.equal(familyOf(3, 1), null);
  assert.equal(familyOf(25, 70), null);
});

test('withAction: the same error with another action, withdrawing nothing unless told', () => {
  const e = bgpError('invalid-origin', 'ORIGIN 3', Uint8Array.of(1), 'treat-as-withdraw');
  assert.deepEqual(withAction(e, 'attribute-discard'), { ...e, action: 'attribute-discard', withdraw: [] });
  const w = hosts('ipv4', 2);
  assert.deepEqual(withAction(e, 'treat-as-withdraw', w).withdraw, w);
});

test('an IPv4 MP_REACH_NLRI carries its 4-octet next hop only: a link-local next hop is IPv6\'s alone (RFC 2545 §3)', () => {
  const nlri = hosts('ipv4', 3);
  const u: Update = { withdrawn: [], attributes: { origin: 'igp', asPath: [], mpReach: { family: 'ipv4', nextHop: '192.0.2.1', linkLocalNextHop: 'fe80::1', nlri } }, nlri: [] };
  const r = decodeUpdate(encodeUpdate(u, NEW).subarray(19), NEW);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.deepEqual(r.value.update.attributes.mpReach, { family: 'ipv4', nextHop: '192.0.2.1', nlri });
});
