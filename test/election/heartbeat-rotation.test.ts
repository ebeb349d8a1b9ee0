// Heartbeat keys during a rotation (issue #14; docs/l2.md, "Rotating the heartbeat key"): a node
// signs with its signing key and accepts either of its two keys, so the three steps
// {A} → {A, also B} → {B, also A} → {B} keep every pair of nodes hearing each other, whichever
// of two adjacent steps each node has reached; a skipped step does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeHeartbeat, encodeHeartbeat } from '../../src/election/heartbeat.ts';
import { fitHeartbeat } from '../../src/election/heartbeat-fit.ts';
import type { Heartbeat, HeartbeatKey, HeartbeatKeys } from '../../src/election/heartbeat.ts';

const A = new TextEncoder().encode('key-A-0123456789abcdef0123456789');
const B = new TextEncoder().encode('key-B-0123456789abcdef0123456789');
const C = new TextEncoder().encode('key-C-0123456789abcdef0123456789');

const MESSAGE: Heartbeat = {
  node: 'n1',
  incarnation: 1_700_000_000_000,
  seq: 7,
  fenced: false,
  leaving: false,
  warming: false,
  apiAgeMs: 20,
  policies: ['default'],
  heard: [{ node: 'n2', incarnation: 1_700_000_000_123, seq: 42, ageMs: 30 }],
  notes: [{ ip: '192.0.2.10', holder: 'n1', epoch: 3 }],
};

const keys = (sign: Uint8Array, also: Uint8Array | null = null): HeartbeatKeys => ({ sign, also });

/** What a receiver holding `rx` says to a heartbeat sent by a node holding `tx`: 'ok' or the error code. */
function verdict(tx: HeartbeatKey | undefined, rx: HeartbeatKey | undefined): string {
  const bytes = encodeHeartbeat(MESSAGE, tx);
  assert.ok(bytes.ok);
  const r = decodeHeartbeat(bytes.value, rx);
  if (r.ok) assert.deepEqual(r.value, MESSAGE);
  return r.ok ? 'ok' : r.error.code;
}

test('a pair signs with its signing key only: the bytes are those of that single key', () => {
  const pair = encodeHeartbeat(MESSAGE, keys(B, A));
  const single = encodeHeartbeat(MESSAGE, B);
  assert.ok(pair.ok && single.ok);
  assert.deepEqual(pair.value, single.value);
  const fitted = fitHeartbeat(MESSAGE, keys(B, A));
  assert.ok(fitted.ok);
  assert.deepEqual(fitted.value, single.value);
});

test('a receiver accepts either of its two keys and nothing else', () => {
  const table: [string, HeartbeatKey | undefined, HeartbeatKey | undefined, string][] = [
    ['same single key', A, A, 'ok'],
    ['sender A, receiver {B, also A}', A, keys(B, A), 'ok'],
    ['sender B, receiver {A, also B}', B, keys(A, B), 'ok'],
    ['sender {B, also A}, receiver {A}', keys(B, A), A, 'BadSignature'],
    ['sender C, receiver {A, also B}', C, keys(A, B), 'BadSignature'],
    ['unsigned sender, receiver with keys', undefined, keys(A, B), 'Unsigned'],
    ['receiver without a key reads any signed heartbeat', keys(C, A), undefined, 'ok'],
  ];
  for (const [what, tx, rx, want] of table) assert.equal(verdict(tx, rx), want, what);
});

test('the three steps of a rotation: nodes at any two adjacent steps hear each other both ways', () => {
  const steps: HeartbeatKeys[] = [keys(A), keys(A, B), keys(B, A), keys(B)];
  for (let i = 0; i + 1 < steps.length; i++) {
    const [x, y] = [steps[i], steps[i + 1]];
    assert.ok(x !== undefined && y !== undefined);
    for (const [tx, rx] of [[x, y], [y, x], [x, x], [y, y]] as const) assert.equal(verdict(tx, rx), 'ok', `step ${i} ↔ step ${i + 1}`);
  }
  // A skipped step breaks one direction: a node still at {A} cannot hear one that signs with B.
  assert.equal(verdict(steps[2] ?? A, steps[0]), 'BadSignature');
  assert.equal(verdict(steps[0] ?? A, steps[3]), 'BadSignature');
});

test('property: with random keys, a heartbeat is accepted exactly when its signing key is one of the receiver\'s', () => {
  const key = fc.uint8Array({ minLength: 16, maxLength: 40 });
  fc.assert(
    fc.property(key, fc.option(key, { nil: null }), key, fc.option(key, { nil: null }), (s1, a1, s2, a2) => {
      const same = (x: Uint8Array, y: Uint8Array | null): boolean => y !== null && Buffer.from(x).equals(Buffer.from(y));
      const want = same(s1, s2) || same(s1, a2) ? 'ok' : 'BadSignature';
      assert.equal(verdict(keys(s1, a1), keys(s2, a2)), want);
    }),
    { numRuns: 300 },
  );
});

test('a pair whose fields change is read at every call (a reload rotates in place)', () => {
  const live: { sign: Uint8Array; also: Uint8Array | null } = { sign: A, also: null };
  const fromB = encodeHeartbeat(MESSAGE, B);
  assert.ok(fromB.ok);
  assert.equal(decodeHeartbeat(fromB.value, live).ok, false);
  live.also = B;
  assert.equal(decodeHeartbeat(fromB.value, live).ok, true);
});
