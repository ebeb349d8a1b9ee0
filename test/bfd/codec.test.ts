// The BFD Control packet codec (RFC 5880 §4.1, §6.8.6): byte layout, the round trip over every
// field (fast-check), each reception check as a table, no throw on any input, and the real bytes
// BIRD and FRR sent (test/bfd/fixtures/README.md), decoded to what Wireshark read in them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BFD_CONTROL_LENGTH, decodeControl, encodeControl, formatControl } from '../../src/bfd/codec.ts';
import { BFD_STATES, type BfdControl, type BfdDecodeErrorCode } from '../../src/bfd/types.ts';
import { control, hex, loadFixtures } from './helpers.ts';

const RUNS = { numRuns: 500 };
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const controlArb: fc.Arbitrary<BfdControl> = fc.record({
  version: fc.constant(1),
  diag: fc.integer({ min: 0, max: 31 }),
  state: fc.constantFrom(...BFD_STATES),
  poll: fc.boolean(),
  final: fc.boolean(),
  cpi: fc.boolean(),
  auth: fc.constant(false),
  demand: fc.boolean(),
  multipoint: fc.constant(false),
  detectMult: fc.integer({ min: 1, max: 255 }),
  myDiscriminator: fc.integer({ min: 1, max: 0xffffffff }),
  yourDiscriminator: u32,
  desiredMinTxUs: u32,
  requiredMinRxUs: u32,
  requiredMinEchoRxUs: u32,
}, { noNullPrototype: true });

const bytes = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

test('encodeControl lays out the 24 octets of RFC 5880 §4.1, big-endian', () => {
  const p = control({ diag: 3, state: 'Up', poll: true, demand: true, detectMult: 5, myDiscriminator: 0x01020304, yourDiscriminator: 0xa0b0c0d0,
    desiredMinTxUs: 300_000, requiredMinRxUs: 0x00abcdef, requiredMinEchoRxUs: 50_000 });
  // Vers 1 | Diag 3; Sta 3 | P | D; Detect Mult; Length; My; Your; Desired Min TX; Required Min RX; Echo
  assert.equal(hex(encodeControl(p)), '23' + 'e2' + '05' + '18' + '01020304' + 'a0b0c0d0' + '000493e0' + '00abcdef' + '0000c350');
  assert.equal(hex(encodeControl(control({ state: 'Init', final: true, cpi: true }))).slice(0, 4), '2098', 'Sta 2 | F | C');
  assert.equal(encodeControl(control({ state: 'AdminDown' }))[1], 0, 'Sta 0');
  // The A and M bits the decoder refuses are still written where §4.1 puts them.
  assert.equal(encodeControl(control({ auth: true, multipoint: true }))[1], 0x40 | 0x04 | 0x01);
});

test('property: decode(encode(p)) is p, for every field over its whole range', () => {
  fc.assert(fc.property(controlArb, (p) => {
    const b = encodeControl(p);
    assert.equal(b.length, BFD_CONTROL_LENGTH);
    assert.deepEqual(decodeControl(b), { ok: true, value: p });
  }), RUNS);
});

test('property: every acceptable 24 octets re-encode to themselves (no bit is lost or moved)', () => {
  const acceptable = fc.uint8Array({ minLength: 24, maxLength: 24 }).map((b) => {
    b[0] = (1 << 5) | (b[0]! & 0x1f); // version 1
    b[1] = b[1]! & ~0x05; // A and M clear
    b[2] = b[2]! === 0 ? 1 : b[2]!; // Detect Mult > 0
    b[3] = 24;
    b[7] = b[7]! | 1; // My Discriminator > 0
    return b;
  });
  fc.assert(fc.property(acceptable, (b) => {
    const r = decodeControl(b);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.equal(hex(encodeControl(r.value)), hex(b));
  }), RUNS);
});

test('octets after Length are not read, and Length may exceed 24 when they were received', () => {
  const b = new Uint8Array(40);
  b.set(encodeControl(control({ state: 'Init', myDiscriminator: 7 })));
  b.fill(0xff, 24);
  b[3] = 32;
  assert.deepEqual(decodeControl(b), { ok: true, value: control({ state: 'Init', myDiscriminator: 7 }) });
});

test('a Buffer (what a socket delivers) decodes like a Uint8Array', () => {
  const b = Buffer.concat([Buffer.alloc(3), Buffer.from(encodeControl(control({ myDiscriminator: 9 })))]).subarray(3);
  assert.deepEqual(decodeControl(b), { ok: true, value: control({ myDiscriminator: 9 }) });
});

/** RFC 5880 §6.8.6 reception checks, in order: each row damages a valid packet. */
const VALID = '20 c0 03 18 00000001 00000002 000f4240 000493e0 00000000';
const REFUSED: [string, string, BfdDecodeErrorCode, string][] = [
  ['empty', '', 'short-packet', '0 octets < 24, the mandatory section'],
  ['23 octets', VALID.slice(0, -2), 'short-packet', '23 octets < 24, the mandatory section'],
  ['version 0', '00 c0 03 18 00000001 00000002 000f4240 000493e0 00000000', 'bad-version', 'version 0, not 1'],
  ['version 2', '40 c0 03 18 00000001 00000002 000f4240 000493e0 00000000', 'bad-version', 'version 2, not 1'],
  ['version 7', 'e0 c0 03 18 00000001 00000002 000f4240 000493e0 00000000', 'bad-version', 'version 7, not 1'],
  ['A bit (RFC 5880 §6.7)', '20 c4 03 1a 00000001 00000002 000f4240 000493e0 00000000 0102', 'auth-unsupported', 'A bit set, and this session has no authentication (§6.7)'],
  ['Length 20', '20 c0 03 14 00000001 00000002 000f4240 000493e0 00000000', 'bad-length', 'Length 20 < 24'],
  ['Length 0', '20 c0 03 00 00000001 00000002 000f4240 000493e0 00000000', 'bad-length', 'Length 0 < 24'],
  ['Length 23', '20 c0 03 17 00000001 00000002 000f4240 000493e0 00000000', 'bad-length', 'Length 23 < 24'],
  ['Length 25, 24 received', '20 c0 03 19 00000001 00000002 000f4240 000493e0 00000000', 'bad-length', 'Length 25 > 24 octets received'],
  ['Detect Mult 0', '20 c0 00 18 00000001 00000002 000f4240 000493e0 00000000', 'zero-detect-mult', 'Detect Mult 0'],
  ['M bit', '20 c1 03 18 00000001 00000002 000f4240 000493e0 00000000', 'multipoint-set', 'M bit set'],
  ['My Discriminator 0', '20 c0 03 18 00000000 00000002 000f4240 000493e0 00000000', 'zero-my-discriminator', 'My Discriminator 0'],
  // The order of §6.8.6 (with the A bit first, as nothing here can read an Auth section):
  ['short and version 2', '40 c0 03', 'short-packet', '3 octets < 24, the mandatory section'],
  ['version 2 and A bit', '40 c4 03 18 00000001 00000002 000f4240 000493e0 00000000', 'bad-version', 'version 2, not 1'],
  ['A bit and Length 20', '20 c4 03 14 00000001 00000002 000f4240 000493e0 00000000', 'auth-unsupported', 'A bit set, and this session has no authentication (§6.7)'],
  ['Length 20 and Detect Mult 0', '20 c0 00 14 00000001 00000002 000f4240 000493e0 00000000', 'bad-length', 'Length 20 < 24'],
  ['Detect Mult 0 and M bit', '20 c1 00 18 00000001 00000002 000f4240 000493e0 00000000', 'zero-detect-mult', 'Detect Mult 0'],
  ['M bit and My Discriminator 0', '20 c1 03 18 00000000 00000002 000f4240 000493e0 00000000', 'multipoint-set', 'M bit set'],
];

test('RFC 5880 §6.8.6: each reception check refuses with its code and says what the numbers were', () => {
  assert.ok(decodeControl(bytes(VALID)).ok, 'the undamaged packet is accepted');
  for (const [what, input, code, message] of REFUSED) {
    assert.deepEqual(decodeControl(bytes(input)), { ok: false, error: { code, message } }, what);
  }
});

test('Your Discriminator 0, P with F, and the C and D bits are the session\'s business, not the codec\'s', () => {
  const r = decodeControl(encodeControl(control({ state: 'Up', yourDiscriminator: 0, poll: true, final: true, cpi: true, demand: true })));
  assert.ok(r.ok);
  assert.deepEqual([r.value.yourDiscriminator, r.value.poll, r.value.final, r.value.cpi, r.value.demand], [0, true, true, true, true]);
});

test('property: decoding never throws, and what it accepts satisfies every §6.8.6 check', () => {
  const damaged = fc.tuple(controlArb, fc.array(fc.tuple(fc.nat(30), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(30))
    .map(([p, edits, cut]) => {
      const b = new Uint8Array(30);
      b.set(encodeControl(p));
      for (const [at, v] of edits) b[at] = v;
      return b.subarray(0, cut);
    });
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), damaged), (b) => {
    const r = decodeControl(b);
    if (!r.ok) {
      assert.ok(r.error.message.length > 0);
      return;
    }
    assert.ok(b.length >= 24 && r.value.version === 1 && !r.value.auth && !r.value.multipoint);
    assert.ok(r.value.detectMult >= 1 && r.value.myDiscriminator !== 0);
    assert.ok(b[3]! >= 24 && b[3]! <= b.length, 'Length within what was received');
  }), { numRuns: 2000 });
});

test('formatControl: one line with the state, diag, set bits and intervals', () => {
  assert.equal(formatControl(control({ state: 'Up', poll: true, myDiscriminator: 42, yourDiscriminator: 7, desiredMinTxUs: 300_000 })),
    'Up diag=0 P mult=3 my=0x0000002a your=0x00000007 tx=300ms rx=300ms echo=0ms');
  assert.equal(formatControl(control({ diag: 1, final: true, cpi: true, demand: true })),
    'Down diag=1(control-detection-time-expired) F C D mult=3 my=0x00002222 your=0x00000000 tx=1000ms rx=300ms echo=0ms');
  assert.equal(formatControl(control({ version: 2, diag: 31, auth: true, multipoint: true })),
    'v2 Down diag=31 A M mult=3 my=0x00002222 your=0x00000000 tx=1000ms rx=300ms echo=0ms');
});

// ---- real bytes ----------------------------------------------------------------------------------

const FIXTURES = loadFixtures();
const BIRD_A = 0x3badbe95; // 192.0.2.1 in bird-bird.pcap
const BIRD_B = 0xe5f01f27; // 192.0.2.2 in bird-bird.pcap
const BIRD_A6 = 0xf0bdb63c; // 2001:db8::1
const BIRD = 0x7aca6460; // 192.0.2.1 in bird-frr.pcap
const FRR = 0x0c70849f; // 192.0.2.2 in bird-frr.pcap
const ms = (n: number) => n * 1000;
const bird = (over: Partial<BfdControl>) => control({ desiredMinTxUs: ms(300), requiredMinRxUs: ms(300), ...over });
const frr = (over: Partial<BfdControl>) => control({ desiredMinTxUs: ms(300), requiredMinRxUs: ms(300), requiredMinEchoRxUs: ms(50), myDiscriminator: FRR, yourDiscriminator: BIRD, ...over });

/** What each file must decode to: read off Wireshark's annotations in the file. */
const EXPECTED: Record<string, BfdControl> = {
  'down.bird': bird({ state: 'Down', desiredMinTxUs: ms(1000), myDiscriminator: BIRD_A }),
  'down-ipv6.bird': bird({ state: 'Down', desiredMinTxUs: ms(1000), myDiscriminator: BIRD_A6 }),
  'down-b.bird': bird({ state: 'Down', desiredMinTxUs: ms(1000), myDiscriminator: BIRD_B }),
  'init.bird': bird({ state: 'Init', desiredMinTxUs: ms(1000), myDiscriminator: BIRD_A, yourDiscriminator: BIRD_B }),
  'up-poll.bird': bird({ state: 'Up', poll: true, myDiscriminator: BIRD_B, yourDiscriminator: BIRD_A }),
  'up-final.bird': bird({ state: 'Up', final: true, myDiscriminator: BIRD_A, yourDiscriminator: BIRD_B }),
  'up-final-b.bird': bird({ state: 'Up', final: true, myDiscriminator: BIRD_B, yourDiscriminator: BIRD_A }),
  'up.bird': bird({ state: 'Up', myDiscriminator: BIRD_A, yourDiscriminator: BIRD_B }),
  'up-poll-min-rx.bird': bird({ state: 'Up', poll: true, requiredMinRxUs: ms(500), myDiscriminator: BIRD_B, yourDiscriminator: BIRD_A }),
  'down-detection-expired.bird': bird({ state: 'Down', diag: 1, desiredMinTxUs: ms(1000), myDiscriminator: BIRD_A }),
  'down-neighbor-signaled.bird': bird({ state: 'Down', diag: 3, poll: true, desiredMinTxUs: ms(1000), myDiscriminator: BIRD, yourDiscriminator: FRR }),
  'down.frr': frr({ state: 'Down', desiredMinTxUs: ms(1000), requiredMinRxUs: ms(1000), yourDiscriminator: 0 }),
  'init.frr': frr({ state: 'Init', desiredMinTxUs: ms(1000), requiredMinRxUs: ms(1000) }),
  'up-poll.frr': frr({ state: 'Up', poll: true }),
  'up-final.frr': frr({ state: 'Up', final: true }),
  'up-poll-min-tx.frr': frr({ state: 'Up', poll: true, desiredMinTxUs: ms(600) }),
  'admin-down.frr': frr({ state: 'AdminDown', desiredMinTxUs: ms(600) }),
  'admin-down-final.frr': frr({ state: 'AdminDown', final: true, desiredMinTxUs: ms(600) }),
};

test('the fixture glob found files, and every file has an expectation and every expectation a file (STYLE lesson 10)', () => {
  assert.ok(FIXTURES.size >= 1, 'no test/bfd/fixtures/*.hex matched: the interop tests would check nothing');
  assert.ok([...FIXTURES.keys()].some((k) => k.endsWith('.bird')) && [...FIXTURES.keys()].some((k) => k.endsWith('.frr')), 'both senders');
  assert.deepEqual([...FIXTURES.keys()].sort(), Object.keys(EXPECTED).sort());
});

test('each captured packet decodes to what Wireshark read, and re-encodes byte for byte', () => {
  for (const [name, b] of FIXTURES) {
    assert.deepEqual(decodeControl(b), { ok: true, value: EXPECTED[name] }, name);
    assert.equal(hex(encodeControl(EXPECTED[name]!)), hex(b), name);
  }
});
