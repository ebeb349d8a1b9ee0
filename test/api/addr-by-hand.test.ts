// src/api/addr.ts parses and prints addresses by hand since issue #10 (ipaddr.js's regular
// expressions and arrays were half of a reconcile pass's garbage). These hold the hand-written
// code to ipaddr.js, the library it replaced on the hot path, over generated input; where the two
// differ on purpose, the difference is a named case below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { canonicalIP, formatIP, normalizeIP, parseIP } from '../../src/api/addr.ts';

const RUNS = { numRuns: 3000 };

/** ipaddr.js's answer for IPv4 text as Herald accepts it: four-part decimal only. */
function libraryV4(text: string): bigint | null {
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return null;
  return ipaddr.IPv4.parse(text).octets.reduce((v, o) => (v << 8n) | BigInt(o), 0n);
}

function libraryV6(text: string): bigint | null {
  if (!ipaddr.IPv6.isValid(text)) return null;
  return ipaddr.IPv6.parse(text).parts.reduce((v, p) => (v << 16n) | BigInt(p), 0n);
}

function ours(text: string): bigint | null {
  const r = parseIP(text);
  return r.ok ? r.value.value : null;
}

/** Eight groups that are often zero, so that runs of zeros (the "::" cases) are common. */
const groups = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 });
const valueOf = (g: readonly number[]): bigint => g.reduce((v, x) => (v << 16n) | BigInt(x), 0n);

test('IPv4: the hand parser accepts what ipaddr.js\'s four-part decimal check accepts, with the same value', () => {
  const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('00', '01', '010', '0x1', '', '1a', '-1', '256'));
  const quadish = fc.array(octet, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.'));
  const noise = fc.string({ unit: fc.constantFrom('0', '1', '2', '5', '9', '.', ' ', 'x'), maxLength: 18 });
  fc.assert(
    fc.property(fc.oneof(quadish, noise), (text) => {
      fc.pre(!text.includes(':'));
      assert.equal(ours(text), libraryV4(text), text);
    }),
    RUNS,
  );
});

test('IPv6: the hand parser agrees with ipaddr.js on text without a dotted quad', () => {
  const unit = fc.constantFrom('0', '1', 'a', 'F', 'f', ':', ':', ':', 'g', '00');
  const noise = fc.string({ unit, maxLength: 40 });
  const spelled = fc.tuple(groups, fc.boolean(), fc.boolean()).map(([g, upper, pad]) => {
    const text = g.map((x) => (pad ? x.toString(16).padStart(4, '0') : x.toString(16))).join(':');
    return upper ? text.toUpperCase() : text;
  });
  // Any run of zero groups (or none) written as "::".
  const compressed = fc.tuple(groups, fc.nat(7), fc.nat(8)).map(([g, at, len]) => {
    const end = Math.min(8, at + len);
    const head = g.slice(0, at).map((x) => x.toString(16)).join(':');
    const tail = g.slice(end).map((x) => x.toString(16)).join(':');
    return `${head}::${tail}`;
  });
  fc.assert(
    fc.property(fc.oneof(noise, spelled, compressed), (text) => {
      fc.pre(text.includes(':'));
      assert.equal(ours(text), libraryV6(text), text);
    }),
    RUNS,
  );
});

test('IPv6 with a dotted quad: agrees with ipaddr.js but for the two named differences', () => {
  const quad = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
  const text = fc.tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 6 }), fc.boolean(), quad).map(([g, gap, q]) => `${g.map((x) => x.toString(16)).join(':')}${gap ? '::' : g.length > 0 ? ':' : ''}${q}`);
  fc.assert(
    fc.property(text, (t) => {
      fc.pre(t.includes(':'));
      // ipaddr.js reads "::a.b.c.d" (RFC 4291 §2.5.5.1, IPv4-compatible) as "::ffff:a.b.c.d".
      fc.pre(!t.startsWith('::') || t.indexOf(':', 2) !== -1);
      assert.equal(ours(t), libraryV6(t), t);
    }),
    RUNS,
  );
});

test('IPv6: "::a.b.c.d" is the IPv4-compatible address (RFC 4291 §2.5.5.1), not IPv4-mapped as ipaddr.js reads it', () => {
  assert.equal(ours('::192.0.2.1'), 0xc0000201n);
  assert.equal(libraryV6('::192.0.2.1'), 0xffffc0000201n, 'ipaddr.js still differs (else drop this case)');
  assert.equal(ours('::ffff:192.0.2.1'), 0xffffc0000201n);
});

test('IPv6: an embedded quad is four-part decimal only, as for IPv4 (ipaddr.js takes hex and octal parts)', () => {
  for (const text of ['::ffff:0x1.2.3.4', '::ffff:01.2.3.4', '::ffff:1.2.3', '1.2.3.4::', '::1.2.3.4:1', '1::2:3:4:5:6:1.2.3.4']) assert.equal(ours(text), null, text);
  assert.ok(ipaddr.IPv6.isValid('::ffff:0x1.2.3.4'));
});

test('IPv6 text is RFC 5952, as ipaddr.js prints it, and parses back to the same value', () => {
  fc.assert(
    fc.property(groups, (g) => {
      const value = valueOf(g);
      const text = formatIP({ family: 'IPv6', value });
      if (value >> 32n === 0xffffn) assert.match(text, /^::ffff:\d+\.\d+\.\d+\.\d+$/); // RFC 5952 §5
      else assert.equal(text, new ipaddr.IPv6(g).toRFC5952String());
      assert.equal(ours(text), value);
    }),
    RUNS,
  );
});

test('IPv4 text round-trips every 32-bit value', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
      const text = formatIP({ family: 'IPv4', value: BigInt(v) });
      assert.equal(text, ipaddr.fromByteArray([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]).toString());
      assert.equal(ours(text), BigInt(v));
    }),
    RUNS,
  );
  assert.equal(formatIP({ family: 'IPv4', value: 0xffffffffn }), '255.255.255.255');
});

test('canonicalIP: its shortcuts (IPv4 text itself; IPv6 printed from its groups, no BigInt) answer as parse-then-print does', () => {
  const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('00', '01', '010', '0x1', '', '1a', '-1', '256'));
  const quadish = fc.array(octet, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.'));
  const v6 = groups.map((g) => formatIP({ family: 'IPv6', value: valueOf(g) }).toUpperCase());
  // IPv4-mapped (printed with its quad, RFC 5952 §5), zero runs at either end or tied, a zone.
  const named = fc.constantFrom('::ffff:192.0.2.1', '::FFFF:C000:0201', '0:0:0:0:0:ffff:c000:201', '::', '::1', '2001:DB8::', '1:0:0:1:0:0:0:1', '2001:db8:0:0:1:0:0:1', '1::2:0:0:3', 'fe80::1%eth0', '::ffff:0:0');
  fc.assert(
    fc.property(fc.oneof(quadish, v6, named, fc.string({ maxLength: 20 })), (text) => {
      const r = normalizeIP(text);
      assert.equal(canonicalIP(text), r.ok ? r.value : null, text);
    }),
    RUNS,
  );
});
