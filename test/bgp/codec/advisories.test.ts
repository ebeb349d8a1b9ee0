// The shapes of public BGP advisories of FRR (and Quagga, its ancestor), BIRD, GoBGP and OpenBGPD,
// each as hand-written bytes with a comment per field, expecting what RFC 4271 §6 / RFC 7606 /
// RFC 6793 say: the NOTIFICATION, or the revised action and that nothing else is lost. None of
// these crashed Herald's codec; they are here so that nobody makes it crash on them later.
// Advisories are cited by id; no code of those projects is used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, formatPrefix, type BgpMessage, type SessionContext } from '../../../src/bgp/codec/index.ts';
import { hex, MARKER, NEW, OLD, toHex } from './helpers.ts';
import type { Result } from '../../../src/api/result.ts';
import type { BgpError } from '../../../src/bgp/codec/errors.ts';

/** A message from its type and hand-written body; the header's length is computed. */
function msg(type: number, body: string): Uint8Array {
  const b = hex(body);
  return Uint8Array.of(...hex(MARKER), (19 + b.length) >> 8, (19 + b.length) & 0xff, type, ...b);
}
const OPEN = 1, UPDATE = 2, NOTIFICATION = 3, ROUTE_REFRESH = 5;
const EXTENDED: SessionContext = { fourOctetAs: true, maxLength: 65535 };

function error(r: Result<BgpMessage, BgpError>): { code: string; notification: string; data: string; action: string; withdraw: string[] } {
  assert.ok(!r.ok, 'decodes to an error');
  const e = r.error;
  return { code: e.code, notification: `${e.notification.code}/${e.notification.subcode}`, data: toHex(e.notification.data), action: e.action, withdraw: e.withdraw.map(formatPrefix) };
}

function updateOf(r: Result<BgpMessage, BgpError>) {
  assert.ok(r.ok && r.value.type === 'update', r.ok ? `a ${r.value.type}` : r.error.message);
  return r.value;
}

// ---- FRR ----------------------------------------------------------------------------------------

test('FRR CVE-2023-47234: MP_UNREACH_NLRI plus IPv4 NLRI without the mandatory attributes → 3/3 treat-as-withdraw of every prefix', () => {
  const r = decodeMessage(msg(UPDATE, `
    00 00                    # Withdrawn Routes Length 0
    00 0b                    # Total Path Attribute Length 11
    80 0f 08                 # MP_UNREACH_NLRI: optional, length 8
    00 02 01                 #   AFI 2 (IPv6), SAFI 1
    20 20 01 0d b8           #   withdrawn 2001:db8::/32
    18 c0 00 02              # NLRI 192.0.2.0/24, but no ORIGIN, AS_PATH or NEXT_HOP`), NEW);
  assert.deepEqual(error(r), { code: 'missing-well-known-attribute', notification: '3/3', data: '01', action: 'treat-as-withdraw', withdraw: ['192.0.2.0/24', '2001:db8::/32'] });
});

test('FRR CVE-2023-47235: a malformed attribute in what would be an End-of-RIB is treat-as-withdraw, not End-of-RIB', () => {
  const r = decodeMessage(msg(UPDATE, `
    00 00                    # Withdrawn Routes Length 0
    00 05                    # Total Path Attribute Length 5
    40 01 02 00 00           # ORIGIN of 2 octets (RFC 7606 §7.1: treat-as-withdraw); no NLRI`), NEW);
  assert.deepEqual(error(r), { code: 'attribute-length-error', notification: '3/5', data: '4001020000', action: 'treat-as-withdraw', withdraw: [] });
});

test('FRR CVE-2023-46752: MP_REACH_NLRI whose next-hop length overruns the attribute → 3/9 session reset (RFC 7606 §7.11)', () => {
  const r = decodeMessage(msg(UPDATE, `
    00 00                    # Withdrawn Routes Length 0
    00 15                    # Total Path Attribute Length 21
    40 01 01 00              # ORIGIN IGP
    40 02 00                 # AS_PATH empty (iBGP)
    80 0e 0b                 # MP_REACH_NLRI: optional, length 11
    00 02 01                 #   AFI 2, SAFI 1
    ff                       #   next-hop length 255: far past the attribute's 11 octets
    20 01 0d b8 00 00 00     #   7 octets of what would be the next hop`), NEW);
  assert.deepEqual(error(r), { code: 'optional-attribute-error', notification: '3/9', data: '800e0b000201ff20010db8000000', action: 'session-reset', withdraw: [] });
});

test('FRR CVE-2023-46753 / CVE-2023-41358: NLRI with only an unknown attribute, or with no attributes at all → 3/3 treat-as-withdraw', () => {
  const unknownOnly = decodeMessage(msg(UPDATE, `
    00 00                    # Withdrawn Routes Length 0
    00 05                    # Total Path Attribute Length 5
    c0 1f 02 ab cd           # attribute 31, optional transitive, 2 octets: kept raw
    18 c6 33 64              # NLRI 198.51.100.0/24`), NEW);
  assert.deepEqual(error(unknownOnly), { code: 'missing-well-known-attribute', notification: '3/3', data: '01', action: 'treat-as-withdraw', withdraw: ['198.51.100.0/24'] });
  const none = decodeMessage(msg(UPDATE, `
    00 00                    # Withdrawn Routes Length 0
    00 00                    # Total Path Attribute Length 0: CVE-2023-41358 processed the NLRI anyway
    18 c6 33 64              # NLRI 198.51.100.0/24`), NEW);
  assert.deepEqual(error(none), { code: 'missing-well-known-attribute', notification: '3/3', data: '01', action: 'treat-as-withdraw', withdraw: ['198.51.100.0/24'] });
});

test('FRR CVE-2023-38802 / CERT VU#347067: a corrupt optional transitive attribute Herald does not interpret is kept raw, no reset', () => {
  const r = decodeMessage(msg(UPDATE, `
    00 00                    # Withdrawn Routes Length 0
    00 19                    # Total Path Attribute Length 25
    40 01 01 00              # ORIGIN IGP
    40 02 06 02 01 00 00 fd e8  # AS_PATH: AS_SEQUENCE of 1, AS 65000 (4-octet)
    40 03 04 c0 00 02 01     # NEXT_HOP 192.0.2.1
    c0 17 02 ff ff           # Tunnel Encapsulation (23), its TLV cut to 2 octets: not Herald's to judge
    18 c0 00 02              # NLRI 192.0.2.0/24`), NEW);
  const u = updateOf(r);
  assert.deepEqual(u.update.nlri.map(formatPrefix), ['192.0.2.0/24']);
  assert.deepEqual(u.update.attributes.other, [{ flags: 0xc0, type: 23, value: Uint8Array.of(0xff, 0xff) }]);
  assert.deepEqual(u.discarded, []);
});

test('FRR CVE-2022-40302: an RFC 9072 extended optional parameter whose 3-octet header is cut short → 2/0', () => {
  const r = decodeMessage(msg(OPEN, `
    04                       # version 4
    fd e8                    # My AS 65000
    00 5a                    # hold time 90
    c0 00 02 01              # BGP Identifier 192.0.2.1
    ff                       # Non-Ext OP Len 255: extended parameters follow (RFC 9072 §2)
    ff                       # Non-Ext OP Type 255
    00 02                    # Extended Opt. Parm. Length 2
    02 00                    # a parameter type and half of its 2-octet length`), NEW);
  assert.deepEqual(error(r), { code: 'malformed-optional-parameter', notification: '2/0', data: '', action: 'session-reset', withdraw: [] });
});

test('FRR CVE-2022-43681: OPEN that announces extended parameters and ends before their length → 2/0', () => {
  const r = decodeMessage(msg(OPEN, `
    04 fd e8 00 5a c0 00 02 01  # version 4, AS 65000, hold 90, identifier 192.0.2.1
    ff                       # Non-Ext OP Len 255
    ff                       # Non-Ext OP Type 255, and the message ends: no Extended Opt. Parm. Length`), NEW);
  assert.deepEqual(error(r), { code: 'malformed-optional-parameter', notification: '2/0', data: '', action: 'session-reset', withdraw: [] });
});

test('FRR CVE-2022-37032 shape: a truncated capability (multiprotocol of 3 octets) → 2/0', () => {
  const r = decodeMessage(msg(OPEN, `
    04 fd e8 00 5a c0 00 02 01  # version 4, AS 65000, hold 90, identifier 192.0.2.1
    07                       # Opt Parm Len 7
    02 05                    # parameter: capabilities, 5 octets
    01 03 00 01 00           # capability 1 (multiprotocol) of 3 octets: RFC 4760 §8 says 4`), NEW);
  assert.deepEqual(error(r), { code: 'malformed-optional-parameter', notification: '2/0', data: '', action: 'session-reset', withdraw: [] });
});

test('FRR CVE-2023-41360: ROUTE-REFRESH carrying ORF entries cut short (ORF not negotiated) → 7/1 with the message as data', () => {
  const bytes = msg(ROUTE_REFRESH, `
    00 01                    # AFI 1
    00                       # reserved / subtype 0
    01                       # SAFI 1
    01                       # ORF: When-to-refresh IMMEDIATE (RFC 5291 §4)
    40                       # ORF type 64 (address prefix), and nothing after: its length is missing`);
  assert.deepEqual(error(decodeMessage(bytes, NEW)), { code: 'invalid-route-refresh-length', notification: '7/1', data: toHex(bytes), action: 'session-reset', withdraw: [] });
});

test('Quagga (FRR) CVE-2018-5378: an attribute length past the attribute list → 3/1 treat-as-withdraw, no bytes beyond the message in the data', () => {
  const r = decodeMessage(msg(UPDATE, `
    00 00                    # Withdrawn Routes Length 0
    00 0b                    # Total Path Attribute Length 11
    40 01 01 00              # ORIGIN IGP
    50 02 ff ff 02 01 00     # AS_PATH, Extended Length 65535, 4 octets of it present
    18 c0 00 02              # NLRI 192.0.2.0/24`), NEW);
  assert.deepEqual(error(r), { code: 'malformed-attribute-list', notification: '3/1', data: '', action: 'treat-as-withdraw', withdraw: ['192.0.2.0/24'] });
});

test('Quagga (FRR) CVE-2018-5381: empty capabilities and parameters are walked to the end (no loop) and accepted', () => {
  const r = decodeMessage(msg(OPEN, `
    04 fd e8 00 5a c0 00 02 01  # version 4, AS 65000, hold 90, identifier 192.0.2.1
    0a                       # Opt Parm Len 10
    02 00                    # parameter: capabilities, 0 octets
    02 04                    # parameter: capabilities, 4 octets
    80 00                    #   capability 128 of length 0
    80 00                    #   capability 128 of length 0 again
    02 00                    # parameter: capabilities, 0 octets`), NEW);
  assert.ok(r.ok && r.value.type === 'open');
  assert.deepEqual(r.value.open.capabilities, [{ kind: 'unknown', code: 128, value: new Uint8Array(0) }, { kind: 'unknown', code: 128, value: new Uint8Array(0) }]);
});

test('Quagga (FRR) CVE-2018-5380: a NOTIFICATION with code and subcode outside every table decodes as it is', () => {
  const r = decodeMessage(msg(NOTIFICATION, `
    ff                       # error code 255 (not in RFC 4271 §4.5)
    ff                       # subcode 255
    de ad                    # data`), NEW);
  assert.ok(r.ok && r.value.type === 'notification');
  assert.deepEqual([r.value.notification.code, r.value.notification.subcode, toHex(r.value.notification.data)], [255, 255, 'dead']);
});

test('Quagga (FRR) CVE-2016-2342 shape: prefix lengths beyond the address → 3/10 (NLRI) and 3/9 (MP_REACH), both session reset (RFC 7606 §5.3)', () => {
  const v4 = decodeMessage(msg(UPDATE, `
    00 00                    # Withdrawn Routes Length 0
    00 0e                    # Total Path Attribute Length 14
    40 01 01 00              # ORIGIN IGP
    40 02 00                 # AS_PATH empty
    40 03 04 c0 00 02 01     # NEXT_HOP 192.0.2.1
    ff c0 00 02 00           # NLRI of length /255`), NEW);
  assert.deepEqual(error(v4), { code: 'invalid-network-field', notification: '3/10', data: '', action: 'session-reset', withdraw: [] });
  const v6 = decodeMessage(msg(UPDATE, `
    00 00                    # Withdrawn Routes Length 0
    00 21                    # Total Path Attribute Length 33
    40 01 01 00              # ORIGIN IGP
    40 02 00                 # AS_PATH empty
    80 0e 17                 # MP_REACH_NLRI, length 23
    00 02 01                 #   AFI 2, SAFI 1
    10                       #   next-hop length 16
    20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01  #   2001:db8::1
    00                       #   reserved
    81 20                    #   prefix /129 and one octet`), NEW);
  assert.deepEqual(error(v6).notification, '3/9');
  assert.equal(error(v6).action, 'session-reset');
});

test('Quagga (FRR) CVE-2017-16227: an AS_PATH of 300 ASNs in two segments (extended length) decodes, and encodes back the same', () => {
  const asns = Array.from({ length: 300 }, (_, i) => 64512 + i);
  const seg = (n: number[]) => `02 ${n.length.toString(16).padStart(2, '0')} ${n.map((a) => a.toString(16).padStart(8, '0')).join(' ')}`;
  const pathLen = 2 + 255 * 4 + 2 + 45 * 4; // 1204 octets
  const body = `
    00 00                    # Withdrawn Routes Length 0
    04 c3                    # Total Path Attribute Length 1219 = 4 (ORIGIN) + 1208 (AS_PATH) + 7 (NEXT_HOP)
    40 01 01 00              # ORIGIN IGP
    50 02 04 b4              # AS_PATH, Extended Length, 1204 octets
    ${seg(asns.slice(0, 255))}  # AS_SEQUENCE of 255
    ${seg(asns.slice(255))}  # AS_SEQUENCE of 45
    40 03 04 c0 00 02 01     # NEXT_HOP 192.0.2.1
    18 c0 00 02              # NLRI 192.0.2.0/24`;
  assert.equal(pathLen, 0x4b4);
  const bytes = msg(UPDATE, body);
  const u = updateOf(decodeMessage(bytes, NEW));
  assert.deepEqual(u.update.attributes.asPath?.map((s) => s.asns.length), [255, 45]);
  assert.deepEqual(u.update.attributes.asPath?.flatMap((s) => s.asns), asns);
  assert.equal(toHex(encodeMessage({ type: 'update', update: u.update }, NEW)), toHex(bytes));
});

// ---- BIRD ---------------------------------------------------------------------------------------

test('BIRD CVE-2019-16159: a shutdown communication whose length octet overruns the data decodes without a communication', () => {
  const r = decodeMessage(msg(NOTIFICATION, `
    06                       # Cease
    02                       # Administrative Shutdown (RFC 9003)
    ff                       # communication length 255
    41 42                    # but only 2 octets follow`), NEW);
  assert.ok(r.ok && r.value.type === 'notification');
  assert.equal(r.value.notification.communication, null);
  assert.equal(toHex(r.value.notification.data), 'ff4142');
});

test('BIRD CVE-2026-49943: an AS_PATH of 5,100 ASNs in an RFC 8654 extended message decodes; over 4096 octets without the capability → 1/2', () => {
  const segment = `02 ff ${Array.from({ length: 255 }, (_, i) => (65536 + i).toString(16).padStart(8, '0')).join(' ')}`; // AS_SEQUENCE of 255 4-octet ASNs
  const path = Array.from({ length: 20 }, () => segment).join(' '); // 20 × 1022 = 20,440 octets
  const body = `00 00  # Withdrawn Routes Length 0
    4f e7  # Total Path Attribute Length 20,455 = 4 (ORIGIN) + 20,444 (AS_PATH) + 7 (NEXT_HOP)
    40 01 01 00  # ORIGIN IGP
    50 02 4f d8  # AS_PATH, Extended Length, 20,440 octets
    ${path}
    40 03 04 c0 00 02 01  # NEXT_HOP 192.0.2.1
    18 c0 00 02  # NLRI 192.0.2.0/24`;
  const bytes = msg(UPDATE, body);
  const u = updateOf(decodeMessage(bytes, EXTENDED));
  assert.equal(u.update.attributes.asPath?.reduce((n, s) => n + s.asns.length, 0), 5100);
  assert.deepEqual(error(decodeMessage(bytes, NEW)), { code: 'bad-message-length', notification: '1/2', data: toHex(bytes.subarray(16, 18)), action: 'session-reset', withdraw: [] });
});

test('BIRD (RFC 8654 §4): an OPEN over 4096 octets is 1/2 even with extended messages, and the capability has no value (§3) → 2/0', () => {
  const big = msg(OPEN, `04 fd e8 00 5a c0 00 02 01  # version 4, AS 65000, hold 90, identifier 192.0.2.1
    ff ff 10 00  # extended parameters, 4096 octets
    02 0f fd  ${'00 '.repeat(4093)}  # one capabilities parameter of 4093 octets (zeros)`);
  assert.equal(error(decodeMessage(big, EXTENDED)).notification, '1/2');
  const r = decodeMessage(msg(OPEN, `
    04 fd e8 00 5a c0 00 02 01  # version 4, AS 65000, hold 90, identifier 192.0.2.1
    05                       # Opt Parm Len 5
    02 03                    # parameter: capabilities, 3 octets
    06 01 00                 # Extended Message capability of 1 octet: RFC 8654 §3 says 0`), NEW);
  assert.deepEqual(error(r), { code: 'malformed-optional-parameter', notification: '2/0', data: '', action: 'session-reset', withdraw: [] });
});

// ---- GoBGP --------------------------------------------------------------------------------------

test('GoBGP CVE-2026-41643: a malformed AS4_PATH before AS_PATH is discarded and the UPDATE processed (RFC 6793 §6)', () => {
  const r = decodeMessage(msg(UPDATE, `
    00 00                    # Withdrawn Routes Length 0
    00 18                    # Total Path Attribute Length 24
    c0 11 03 02 01 00        # AS4_PATH: a segment of 1 ASN in 1 octet (malformed), first in the list
    40 01 01 00              # ORIGIN IGP
    40 02 04 02 01 5b a0     # AS_PATH: AS_SEQUENCE of 1, AS_TRANS (2-octet session)
    40 03 04 c0 00 02 01     # NEXT_HOP 192.0.2.1
    18 c0 00 02              # NLRI 192.0.2.0/24`), OLD);
  const u = updateOf(r);
  assert.deepEqual(u.update.attributes.asPath, [{ type: 'sequence', asns: [23456] }]);
  assert.equal(u.update.attributes.as4Path, undefined);
  assert.deepEqual(u.discarded.map((e) => [e.code, e.action, toHex(e.notification.data)]), [['malformed-as-path', 'attribute-discard', 'c01103020100']]);
  assert.deepEqual(u.update.nlri.map(formatPrefix), ['192.0.2.0/24']);
});

test('GoBGP CVE-2026-37462: lengths that would underflow (Withdrawn Routes Length 65535) → 3/1 session reset', () => {
  const r = decodeMessage(msg(UPDATE, `
    ff ff                    # Withdrawn Routes Length 65535, in a 4-octet body
    00 00                    # Total Path Attribute Length 0`), NEW);
  assert.deepEqual(error(r), { code: 'malformed-attribute-list', notification: '3/1', data: '', action: 'session-reset', withdraw: [] });
});

// ---- OpenBGPD -----------------------------------------------------------------------------------

test('OpenBGPD (OpenBSD 4.4 errata, Feb 2009): AS4_PATH with an AS_CONFED_SEQUENCE from an old speaker is no reason to reset', () => {
  const r = decodeMessage(msg(UPDATE, `
    00 00                    # Withdrawn Routes Length 0
    00 23                    # Total Path Attribute Length 35
    40 01 01 02              # ORIGIN INCOMPLETE
    40 02 06 02 02 89 f8 5b a0  # AS_PATH: AS_SEQUENCE 35320 23456
    40 03 04 c0 00 02 01     # NEXT_HOP 192.0.2.1
    c0 11 0c                 # AS4_PATH, 12 octets
    03 01 00 00 fe 14        #   AS_CONFED_SEQUENCE of 1: 65044 (RFC 6793 §6: not allowed here)
    02 01 00 03 00 15        #   AS_SEQUENCE of 1: 196629
    17 5b cf da              # NLRI 91.207.218.0/23`), OLD);
  const u = updateOf(r);
  assert.deepEqual(u.update.nlri.map(formatPrefix), ['91.207.218.0/23']);
});

test('OpenBGPD: reserved low bits of Attribute Flags are ignored (RFC 4271 §4.3), not a flags error', () => {
  const u = updateOf(decodeMessage(msg(UPDATE, `
    00 00                    # Withdrawn Routes Length 0
    00 1f                    # Total Path Attribute Length 31
    40 01 01 00              # ORIGIN IGP
    40 02 06 02 01 00 00 fd e8  # AS_PATH: AS 65000
    40 03 04 c0 00 02 01     # NEXT_HOP 192.0.2.1
    c8 07 08 00 00 00 44 c0 41 5f fd  # AGGREGATOR, flags 0xc8: optional, transitive and reserved bit 0x08; AS 68, 192.65.95.253
    18 c0 00 02              # NLRI 192.0.2.0/24`), NEW));
  assert.deepEqual(u.update.attributes.aggregator, { asn: 68, address: '192.65.95.253' });
  assert.deepEqual(u.discarded, []);
});

// ---- duplicates, zero-length segments (RFC 7606 §3g, §7.2) ---------------------------------------

test('duplicate MP_UNREACH_NLRI → 3/1 session reset; duplicate AS_PATH → later copy discarded (RFC 7606 §3g, the FRR CVE-2023-47234 family)', () => {
  const mp = decodeMessage(msg(UPDATE, `
    00 00                    # Withdrawn Routes Length 0
    00 0c                    # Total Path Attribute Length 12
    80 0f 03 00 02 01        # MP_UNREACH_NLRI IPv6, nothing withdrawn
    80 0f 03 00 02 01        # the same again`), NEW);
  assert.deepEqual(error(mp), { code: 'malformed-attribute-list', notification: '3/1', data: '', action: 'session-reset', withdraw: [] });
  const path = updateOf(decodeMessage(msg(UPDATE, `
    00 00                    # Withdrawn Routes Length 0
    00 19                    # Total Path Attribute Length 25
    40 01 01 00              # ORIGIN IGP
    40 02 06 02 01 00 00 fd e8  # AS_PATH: AS 65000
    40 02 02 02 00           # AS_PATH again, with a zero-length segment: discarded before it is read
    40 03 04 c0 00 02 01     # NEXT_HOP 192.0.2.1`), NEW));
  assert.deepEqual(path.update.attributes.asPath, [{ type: 'sequence', asns: [65000] }]);
  assert.deepEqual(path.discarded.map((e) => [e.code, e.action]), [['malformed-attribute-list', 'attribute-discard']]);
});
