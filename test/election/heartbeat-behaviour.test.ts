// The heartbeat codec at its edges: every error names what is wrong (the log is how an operator
// finds a bad peer), limits are inclusive, the signature counts towards the datagram size, and
// fitting never hides an invalid field. Written against the survivors of mutation testing
// (issue #15, docs/mutation-testing.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHeartbeat, encodeHeartbeat } from '../../src/election/heartbeat.ts';
import { fitHeartbeat } from '../../src/election/heartbeat-fit.ts';
import type { Heartbeat, HeartbeatErrorCode } from '../../src/election/heartbeat.ts';

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
const KEY = new TextEncoder().encode('a shared secret');

function ok<T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return r.value;
}

function refused(r: { ok: true } | { ok: false; error: { code: HeartbeatErrorCode; message: string } }, code: HeartbeatErrorCode, says: RegExp, what: string): void {
  assert.ok(!r.ok, `${what}: accepted`);
  assert.equal(r.error.code, code, `${what}: ${r.error.message}`);
  assert.match(r.error.message, says, what);
}

const bytes = ok(encodeHeartbeat(MESSAGE));
// Offsets in MESSAGE's encoding: header 20, node 3, policies 1 + 8, heard count at 32.
const HEARD = 32;

test('encoding: each refusal names the field and the value', () => {
  const table: [string, Heartbeat, HeartbeatErrorCode, RegExp][] = [
    ['empty node', { ...MESSAGE, node: '' }, 'BadField', /node name is empty/],
    ['incarnation', { ...MESSAGE, incarnation: 2 ** 53 }, 'BadField', /incarnation 9007199254740992/],
    ['seq', { ...MESSAGE, seq: 2 ** 32 }, 'BadField', /seq 4294967296/],
    ['negative apiAgeMs', { ...MESSAGE, apiAgeMs: -1 }, 'BadField', /apiAgeMs -1/],
    ['NaN apiAgeMs', { ...MESSAGE, apiAgeMs: Number.NaN }, 'BadField', /apiAgeMs NaN/],
    ['256 heard entries', { ...MESSAGE, heard: Array.from({ length: 256 }, () => MESSAGE.heard[0]!) }, 'BadField', /256 heard entries; at most 255/],
    ['heard entry without a node', { ...MESSAGE, heard: [{ node: '', incarnation: 1, seq: 1, ageMs: 1 }] }, 'BadField', /heard entry has an empty node name/],
    ['heard incarnation', { ...MESSAGE, heard: [{ node: 'n2', incarnation: 2 ** 53, seq: 1, ageMs: 1 }] }, 'BadField', /heard entry for n2/],
    ['heard seq', { ...MESSAGE, heard: [{ node: 'n2', incarnation: 1, seq: -1, ageMs: 1 }] }, 'BadField', /heard entry for n2/],
    ['heard age', { ...MESSAGE, heard: [{ node: 'n2', incarnation: 1, seq: 1, ageMs: -1 }] }, 'BadField', /heard entry for n2/],
    ['note epoch', { ...MESSAGE, notes: [{ ip: '192.0.2.1', holder: 'n2', epoch: -1 }] }, 'BadField', /note for 192\.0\.2\.1 has epoch -1/],
    ['note address', { ...MESSAGE, notes: [{ ip: 'nope', holder: 'n2', epoch: 1 }] }, 'BadAddress', /note address: ./],
    ['node of 256 bytes', { ...MESSAGE, node: 'n'.repeat(256) }, 'BadString', /^node is 256 bytes of UTF-8; at most 255/],
    ['policy of 256 bytes', { ...MESSAGE, policies: ['p'.repeat(256)] }, 'BadString', /^policy name is 256 bytes/],
    ['heard node of 256 bytes', { ...MESSAGE, heard: [{ node: 'h'.repeat(256), incarnation: 1, seq: 1, ageMs: 1 }] }, 'BadString', /^heard node is 256 bytes/],
    ['holder of 256 bytes', { ...MESSAGE, notes: [{ ip: '192.0.2.1', holder: 'x'.repeat(256), epoch: 1 }] }, 'BadString', /^note holder is 256 bytes/],
  ];
  for (const [what, m, code, says] of table) refused(encodeHeartbeat(m), code, says, what);
  refused(encodeHeartbeat(MESSAGE, undefined, 10), 'TooLarge', /heartbeat is \d+ bytes; at most 10/, 'too large');
});

test('limits are inclusive: 255 entries, 255-byte names; null API age is "never"', () => {
  const full: Heartbeat = { ...MESSAGE, node: 'n'.repeat(255), policies: Array.from({ length: 255 }, (_, i) => String(i % 10)), apiAgeMs: null };
  assert.deepEqual(ok(decodeHeartbeat(ok(encodeHeartbeat(full, undefined, 4_000)))), full);
});

test('the largest heartbeat the limits allow encodes whole, signed, and decodes back (the encoder\'s scratch buffer holds it)', () => {
  const name = (c: string): string => c.repeat(255);
  const largest: Heartbeat = {
    ...MESSAGE,
    node: name('n'),
    incarnation: Number.MAX_SAFE_INTEGER,
    seq: 0xffffffff,
    policies: Array.from({ length: 255 }, () => name('p')),
    heard: Array.from({ length: 255 }, (_, i) => ({ node: name(String.fromCharCode(97 + (i % 26))), incarnation: Number.MAX_SAFE_INTEGER - i, seq: 0xffffffff - i, ageMs: 0xffff })),
    notes: Array.from({ length: 255 }, (_, i) => ({ ip: `2001:db8::${(i + 1).toString(16)}`, holder: name('h'), epoch: 0xffffffff })),
  };
  const encoded = ok(encodeHeartbeat(largest, KEY, Infinity));
  assert.equal(encoded.length, 20 + 256 + (1 + 255 * 256) + (1 + 255 * 270) + (1 + 255 * 277) + 16);
  assert.deepEqual(ok(decodeHeartbeat(encoded, KEY)), largest);
});

test('UTF-8 lengths count octets, not characters: 255 fit, 256 and more are refused with their length', () => {
  const e = 'é'; // two octets
  assert.equal(ok(decodeHeartbeat(ok(encodeHeartbeat({ ...MESSAGE, node: `${e.repeat(127)}x` })))).node, `${e.repeat(127)}x`);
  refused(encodeHeartbeat({ ...MESSAGE, node: e.repeat(128) }), 'BadString', /^node is 256 bytes of UTF-8/, 'two-octet characters');
  refused(encodeHeartbeat({ ...MESSAGE, node: `${'a'.repeat(253)}\u{1F600}` }), 'BadString', /^node is 257 bytes of UTF-8/, 'a four-octet character across the limit');
  refused(encodeHeartbeat({ ...MESSAGE, node: 'n'.repeat(10_000) }), 'BadString', /^node is 10000 bytes of UTF-8/, 'far beyond');
  // A refused name leaves nothing behind: the next encoding is whole and exact.
  assert.deepEqual(ok(decodeHeartbeat(ok(encodeHeartbeat(MESSAGE)))), MESSAGE);
});

test('an API age of 0 (a write that succeeded just now) is a valid age', () => {
  assert.equal(ok(decodeHeartbeat(ok(encodeHeartbeat({ ...MESSAGE, apiAgeMs: 0 })))).apiAgeMs, 0);
});

test('an API age beyond 32 bits is capped just below "never"', () => {
  assert.equal(ok(decodeHeartbeat(ok(encodeHeartbeat({ ...MESSAGE, apiAgeMs: 1e12 })))).apiAgeMs, 0xfffffffe);
});

test('a leading U+FEFF is part of a name, not a byte-order mark to drop', () => {
  const m = { ...MESSAGE, node: '\ufeffn1' };
  assert.equal(ok(decodeHeartbeat(ok(encodeHeartbeat(m)))).node, '\ufeffn1');
});

test('the signature counts towards the size limit, which is inclusive', () => {
  const size = bytes.length;
  assert.equal(ok(encodeHeartbeat(MESSAGE, undefined, size)).length, size);
  refused(encodeHeartbeat(MESSAGE, KEY, size), 'TooLarge', new RegExp(`heartbeat is ${size + 16} bytes; at most ${size}`), 'signed');
  assert.equal(ok(encodeHeartbeat(MESSAGE, KEY, size + 16)).length, size + 16);
  refused(encodeHeartbeat(MESSAGE, undefined, size - 1), 'TooLarge', /at most/, 'one byte over');
});

test('decoding: each refusal names the field, and for a truncation the byte where it ran out', () => {
  const cut = (n: number): Uint8Array => bytes.subarray(0, n);
  const table: [string, Uint8Array, HeartbeatErrorCode, RegExp][] = [
    ['3 bytes', cut(3), 'Truncated', /^3 bytes; a heartbeat has at least 21/],
    ['4 bytes', cut(4), 'Truncated', /^truncated in incarnation at byte 4/],
    ['in the header', cut(13), 'Truncated', /^truncated in header at byte 12/],
    ['in the node', cut(21), 'Truncated', /^truncated in node at byte 21/],
    ['before the policy count', cut(23), 'Truncated', /^truncated in policy count/],
    ['in a policy', cut(25), 'Truncated', /^truncated in policy name/],
    ['before the heard count', cut(HEARD), 'Truncated', /^truncated in heard count/],
    ['in a heard node', cut(HEARD + 2), 'Truncated', /^truncated in heard node/],
    ['in a heard incarnation', cut(HEARD + 5), 'Truncated', /^truncated in heard incarnation/],
    ['in a heard entry', cut(HEARD + 13), 'Truncated', /^truncated in heard entry/],
    ['before the note count', cut(HEARD + 18), 'Truncated', /^truncated in note count/],
    ['before a note address length', cut(HEARD + 19), 'Truncated', /^truncated in note address length/],
    ['in a note address', cut(HEARD + 21), 'Truncated', /^truncated in note address at/],
    ['in a note holder', cut(HEARD + 25), 'Truncated', /^truncated in note holder/],
    ['in a note epoch', cut(HEARD + 28), 'Truncated', /^truncated in note epoch/],
    ['bad magic', Uint8Array.from([0x48, 0x58, ...bytes.subarray(2)]), 'BadMagic', /magic is not "HL"/],
    ['version 2', Uint8Array.from([0x48, 0x4c, 2, ...bytes.subarray(3)]), 'BadVersion', /version 2; this speaker reads version 1/],
    ['flags', Uint8Array.from([0x48, 0x4c, 1, 0x30, ...bytes.subarray(4)]), 'BadFlags', /unknown flag bits 0x30/],
    ['incarnation above 2^53', Uint8Array.from([...bytes.subarray(0, 4), 0, 0x20, ...bytes.subarray(6)]), 'BadField', /incarnation 9\d+ is above 2\^53-1/],
    ['node not UTF-8', Uint8Array.from([...bytes.subarray(0, 21), 0xff, ...bytes.subarray(22)]), 'BadString', /^node is not valid UTF-8/],
    ['trailing bytes', Uint8Array.from([...bytes, 0, 0, 0]), 'TrailingBytes', /^3 bytes after the last field/],
    ['note address of 5 bytes', Uint8Array.from([...bytes.subarray(0, HEARD + 19), 5, ...bytes.subarray(HEARD + 20)]), 'BadAddress', /note address length 5; must be 4 or 16/],
  ];
  for (const [what, b, code, says] of table) refused(decodeHeartbeat(b), code, says, what);
  // An empty node name, top level or in a heard entry.
  const emptyHeard = ok(encodeHeartbeat({ ...MESSAGE, heard: [{ node: 'x', incarnation: 1, seq: 1, ageMs: 1 }] }));
  const patched = Uint8Array.from([...emptyHeard.subarray(0, HEARD + 1), 0, ...emptyHeard.subarray(HEARD + 3)]);
  refused(decodeHeartbeat(patched), 'BadField', /^a heard entry has an empty node name/, 'empty heard node');
  refused(decodeHeartbeat(Uint8Array.from([...bytes.subarray(0, 20), 0, ...bytes.subarray(23)])), 'BadField', /^node name is empty/, 'empty node');
});

test('decoding with keys: the refusals say why', () => {
  const signed = ok(encodeHeartbeat(MESSAGE, KEY));
  refused(decodeHeartbeat(bytes, KEY), 'Unsigned', /not signed/, 'unsigned');
  refused(decodeHeartbeat(signed, new TextEncoder().encode('other')), 'BadSignature', /signature does not match/, 'wrong key');
  // Flag "signed" on a datagram shorter than its own signature.
  const short = Uint8Array.from([0x48, 0x4c, 1, 4, ...new Uint8Array(16)]);
  refused(decodeHeartbeat(short), 'Truncated', /^truncated in incarnation at byte 4/, '20 bytes: the header, then nothing');
  refused(decodeHeartbeat(short.subarray(0, 19)), 'Truncated', /^too short for its signature/, '19 bytes');
});

test('fitting drops notes and heard entries only to fit: an invalid one is refused, not dropped', () => {
  refused(fitHeartbeat({ ...MESSAGE, notes: [{ ip: '192.0.2.1', holder: 'n2', epoch: -1 }] }, undefined, 30), 'BadField', /epoch -1/, 'note');
  refused(fitHeartbeat({ ...MESSAGE, heard: [{ node: 'n2', incarnation: 1, seq: 1, ageMs: -1 }] }, undefined, 30), 'BadField', /heard entry/, 'heard');
  // When even the bare heartbeat does not fit, it says so.
  refused(fitHeartbeat(MESSAGE, undefined, 20), 'TooLarge', /at most 20/, 'bare');
});
