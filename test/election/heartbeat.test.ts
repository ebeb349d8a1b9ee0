// The heartbeat codec: annotated bytes, round trips (fast-check), every decode error with its
// code, truncation at every length, signatures, and fitting into one datagram.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HEARTBEAT_MAX_BYTES, decodeHeartbeat, encodeHeartbeat, peekHeartbeatSender } from '../../src/election/heartbeat.ts';
import { fitHeartbeat } from '../../src/election/heartbeat-fit.ts';
import type { Heartbeat, HeartbeatErrorCode } from '../../src/election/heartbeat.ts';
import { formatIP } from '../../src/api/addr.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/#[^\n]*/g, '').trim().split(/\s+/).map((b) => parseInt(b, 16)));

// One heartbeat, byte by byte (docs/l2.md, "Liveness"; layout at the top of heartbeat.ts).
const FIXTURE = hex(`
  48 4c                      # magic "HL"
  01                         # version 1
  02                         # flags: leaving
  00 00 01 8b cf e5 68 00    # incarnation 1700000000000
  00 00 00 07                # seq 7
  00 00 00 fa                # apiAgeMs 250
  02 6e 31                   # node "n1"
  01                         # 1 policy
  07 64 65 66 61 75 6c 74    #   "default"
  01                         # 1 heard entry
  02 6e 32                   #   node "n2"
  00 00 01 8b cf e5 68 7b    #   incarnation 1700000000123
  00 00 00 2a                #   seq 42
  00 1e                      #   heard 30 ms ago
  01                         # 1 note
  04 c0 00 02 0a             #   192.0.2.10
  02 6e 32                   #   holder "n2"
  00 00 00 03                #   epoch 3
`);

const MESSAGE: Heartbeat = {
  node: 'n1',
  incarnation: 1_700_000_000_000,
  seq: 7,
  fenced: false,
  leaving: true,
  warming: false,
  apiAgeMs: 250,
  policies: ['default'],
  heard: [{ node: 'n2', incarnation: 1_700_000_000_123, seq: 42, ageMs: 30 }],
  notes: [{ ip: '192.0.2.10', holder: 'n2', epoch: 3 }],
};

function ok<T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return r.value;
}

test('the annotated bytes decode to the message, and the message encodes to exactly those bytes', () => {
  assert.deepEqual(ok(decodeHeartbeat(FIXTURE)), MESSAGE);
  assert.deepEqual(ok(encodeHeartbeat(MESSAGE)), FIXTURE);
});

test('IPv6 notes, released holders, "never" API age and the fenced and warming flags survive the trip', () => {
  const m: Heartbeat = { ...MESSAGE, fenced: true, leaving: false, warming: false, apiAgeMs: null, notes: [{ ip: '2001:db8::10', holder: '', epoch: 0 }, { ip: '::ffff:192.0.2.1', holder: 'n3', epoch: 4_294_967_295 }] };
  assert.deepEqual(ok(decodeHeartbeat(ok(encodeHeartbeat(m)))), m);
});

const name = fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,40}[a-z0-9])?$/);
const ip = fc.oneof(
  fc.nat(0xffffffff).map((n) => formatIP({ family: 'IPv4', value: BigInt(n) })),
  fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((v) => formatIP({ family: 'IPv6', value: v })),
);
// Plain objects, as the decoder builds them (fast-check may otherwise use null prototypes).
const PLAIN = { noNullPrototype: true } as const;
const heartbeat: fc.Arbitrary<Heartbeat> = fc.record({
  node: name,
  incarnation: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  seq: fc.nat(0xffffffff),
  fenced: fc.boolean(),
  leaving: fc.boolean(),
  warming: fc.boolean(),
  apiAgeMs: fc.option(fc.nat(0xfffffffe)),
  policies: fc.array(fc.string({ unit: 'grapheme', maxLength: 20 }), { maxLength: 4 }),
  heard: fc.array(fc.record({ node: name, incarnation: fc.nat({ max: Number.MAX_SAFE_INTEGER }), seq: fc.nat(0xffffffff), ageMs: fc.nat(0xffff) }, PLAIN), { maxLength: 6 }),
  notes: fc.array(fc.record({ ip, holder: fc.oneof(fc.constant(''), name), epoch: fc.nat(0xffffffff) }, PLAIN), { maxLength: 6 }),
}, PLAIN);

test('property: decode(encode(m)) = m, signed and unsigned', () => {
  const key = new TextEncoder().encode('a shared secret');
  fc.assert(
    fc.property(heartbeat, (m) => {
      assert.deepEqual(ok(decodeHeartbeat(ok(encodeHeartbeat(m)))), m);
      const signed = ok(encodeHeartbeat(m, key));
      assert.deepEqual(ok(decodeHeartbeat(signed, key)), m);
      // A receiver without a key skips the signature.
      assert.deepEqual(ok(decodeHeartbeat(signed)), m);
    }),
    { numRuns: 300 },
  );
});

test('property: every strict prefix of a valid heartbeat is rejected as Truncated, never thrown', () => {
  fc.assert(
    fc.property(heartbeat, (m) => {
      const bytes = ok(encodeHeartbeat(m));
      for (let n = 0; n < bytes.length; n++) {
        const r = decodeHeartbeat(bytes.subarray(0, n));
        assert.ok(!r.ok && r.error.code === 'Truncated', `prefix ${n}/${bytes.length}: ${r.ok ? 'accepted' : r.error.code}`);
      }
    }),
    { numRuns: 50 },
  );
});

test('property: the header peek reads the sender of any heartbeat, signed or not, and nothing from a datagram that is not one', () => {
  const key = new TextEncoder().encode('a shared secret');
  fc.assert(
    fc.property(heartbeat, (m) => {
      const want = { node: m.node, incarnation: m.incarnation, seq: m.seq };
      const bytes = ok(encodeHeartbeat(m));
      assert.deepEqual(peekHeartbeatSender(bytes), want);
      assert.deepEqual(peekHeartbeatSender(ok(encodeHeartbeat(m, key))), want);
      // Cut inside the node name, or a header that is not Herald's version 1: nothing.
      assert.equal(peekHeartbeatSender(bytes.subarray(0, 21 + Buffer.byteLength(m.node) - 1)), null);
      for (const [at, v] of [[0, 0x49], [1, 0x4d], [2, 2]] as const) assert.equal(peekHeartbeatSender(patch(bytes, at, v)), null, `byte ${at} = ${v}`);
    }),
    { numRuns: 200 },
  );
  // Never throws on random bytes, and a name that is not UTF-8 is no sender.
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => void peekHeartbeatSender(Uint8Array.from([0x48, 0x4c, 1, 0, ...b]))), { numRuns: 1_000 });
  assert.equal(peekHeartbeatSender(Uint8Array.from([0x48, 0x4c, 1, 0, ...new Uint8Array(16), 1, 0xff])), null);
  assert.equal(peekHeartbeatSender(Uint8Array.from([0x48, 0x4c, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...new Uint8Array(8), 1, 0x61])), null, 'an incarnation above 2^53');
});

test('property: random bytes never throw; the decoder answers a value', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      const r = decodeHeartbeat(b);
      assert.equal(typeof r.ok, 'boolean');
    }),
    { numRuns: 2_000 },
  );
  // And the same with a valid header, so the body parser is exercised.
  fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (b) => void decodeHeartbeat(Uint8Array.from([0x48, 0x4c, 1, 0, ...b]))), { numRuns: 2_000 });
});

const patch = (b: Uint8Array, at: number, ...v: number[]): Uint8Array => {
  const c = Uint8Array.from(b);
  c.set(v, at);
  return c;
};

test('each malformed heartbeat is dropped with its reason', () => {
  const key = new TextEncoder().encode('k');
  const signed = ok(encodeHeartbeat(MESSAGE, key));
  const table: [string, Uint8Array, HeartbeatErrorCode, Uint8Array?][] = [
    ['empty', new Uint8Array(), 'Truncated'],
    ['not ours', patch(FIXTURE, 0, 0x47), 'BadMagic'],
    ['version 2', patch(FIXTURE, 2, 2), 'BadVersion'],
    ['unknown flag bit', patch(FIXTURE, 3, 0x12), 'BadFlags'],
    ['incarnation above 2^53', patch(FIXTURE, 4, 0x00, 0x20), 'BadField'],
    ['empty node name', hex('48 4c 01 00  00 00 00 00 00 00 00 01  00 00 00 01  00 00 00 00  00  00 00 00'), 'BadField'],
    ['node name not UTF-8', patch(FIXTURE, 21, 0xff), 'BadString'],
    ['note address of 5 bytes', patch(FIXTURE, FIXTURE.length - 12, 5), 'BadAddress'],
    ['a byte after the end', Uint8Array.from([...FIXTURE, 0]), 'TrailingBytes'],
    ['unsigned, key required', FIXTURE, 'Unsigned', key],
    ['wrong key', signed, 'BadSignature', new TextEncoder().encode('other')],
    ['altered after signing', patch(signed, 12, 0x99), 'BadSignature', key],
  ];
  for (const [what, bytes, code, k] of table) {
    const r = decodeHeartbeat(bytes, k);
    assert.ok(!r.ok, `${what}: accepted`);
    assert.equal(r.error.code, code, `${what}: ${r.error.message}`);
  }
});

test('encoding refuses what it cannot represent, with a reason', () => {
  const table: [string, Heartbeat, HeartbeatErrorCode][] = [
    ['empty node', { ...MESSAGE, node: '' }, 'BadField'],
    ['fractional seq', { ...MESSAGE, seq: 1.5 }, 'BadField'],
    ['negative incarnation', { ...MESSAGE, incarnation: -1 }, 'BadField'],
    ['256 policies', { ...MESSAGE, policies: Array.from({ length: 256 }, () => 'p') }, 'BadField'],
    ['policy name of 256 bytes', { ...MESSAGE, policies: ['x'.repeat(256)] }, 'BadString'],
    ['note that is not an address', { ...MESSAGE, notes: [{ ip: 'nope', holder: 'n2', epoch: 1 }] }, 'BadAddress'],
    ['epoch beyond u32', { ...MESSAGE, notes: [{ ip: '192.0.2.1', holder: 'n2', epoch: 2 ** 32 }] }, 'BadField'],
    ['too large for a datagram', { ...MESSAGE, heard: Array.from({ length: 200 }, (_, i) => ({ node: `node-${i}.example`, incarnation: 1, seq: 1, ageMs: 1 })) }, 'TooLarge'],
  ];
  for (const [what, m, code] of table) {
    const r = encodeHeartbeat(m);
    assert.ok(!r.ok, `${what}: encoded`);
    assert.equal(r.error.code, code, `${what}: ${r.error.message}`);
  }
  // Ages beyond the 16-bit field are capped, not refused.
  assert.equal(ok(decodeHeartbeat(ok(encodeHeartbeat({ ...MESSAGE, heard: [{ node: 'n2', incarnation: 1, seq: 1, ageMs: 1e6 }] })))).heard[0]?.ageMs, 65_535);
});

test('fitHeartbeat drops the oldest notes first, then the stalest heard entries, to fit one datagram', () => {
  const heard = Array.from({ length: 60 }, (_, i) => ({ node: `worker-${String(i).padStart(3, '0')}.rack-7.example`, incarnation: 1, seq: i, ageMs: i * 10 }));
  const notes = Array.from({ length: 40 }, (_, i) => ({ ip: `2001:db8::${i + 1}`, holder: `worker-${i}.rack-7.example`, epoch: i }));
  const m: Heartbeat = { ...MESSAGE, heard: [...heard].reverse(), notes };
  const bytes = ok(fitHeartbeat(m));
  assert.ok(bytes.length <= HEARTBEAT_MAX_BYTES);
  const got = ok(decodeHeartbeat(bytes));
  // Every note is gone before any heard entry is dropped; the freshest entries stayed (the 21
  // heard within 200 ms all fit here, so only stale ones were cut, stalest first).
  assert.equal(got.notes.length, 0);
  assert.ok(got.heard.length > 21 && got.heard.length < 60, `${got.heard.length} heard entries`);
  assert.deepEqual(got.heard.map((h) => h.node).sort(), heard.slice(0, got.heard.length).map((h) => h.node).sort());
  // A message that fits is left whole.
  assert.deepEqual(ok(decodeHeartbeat(ok(fitHeartbeat(MESSAGE)))), MESSAGE);
  const small = ok(fitHeartbeat({ ...MESSAGE, notes }));
  assert.ok(ok(decodeHeartbeat(small)).notes.length > 0);
  // Only the notes at the end (the oldest) were dropped.
  assert.deepEqual(ok(decodeHeartbeat(small)).notes, notes.slice(0, ok(decodeHeartbeat(small)).notes.length));
});
