// The speaker's heartbeat key files (issue #14; docs/l2.md, "Rotating the heartbeat key"): key
// ids that name a key without showing it, which reloads are a safe step of a rotation, and the
// live keys taking a safe step in place while refusing an unsafe one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HeartbeatKeys } from '../../src/election/heartbeat.ts';
import { LiveHeartbeatKeys, keyId, reloadVerdict } from '../../src/speaker/heartbeat-keys.ts';
import type { ReloadVerdict } from '../../src/speaker/heartbeat-keys.ts';

const A = Buffer.from('aa'.repeat(32), 'hex');
const B = Buffer.from('bb'.repeat(32), 'hex');
const C = Buffer.from('cc'.repeat(32), 'hex');
const k = (sign: Uint8Array, also: Uint8Array | null = null): HeartbeatKeys => ({ sign, also });

test('a key id is 8 hex digits, stable, different per key, and shows none of the key', () => {
  assert.match(keyId(A), /^[0-9a-f]{8}$/);
  assert.equal(keyId(A), keyId(Buffer.from(A)));
  assert.notEqual(keyId(A), keyId(B));
  assert.equal(keyId(null), 'none');
  // Not a prefix of the key, its base64, nor of its plain SHA-256.
  for (const shown of [A.toString('hex'), A.toString('base64')]) assert.ok(!shown.includes(keyId(A)));
});

test('reloadVerdict: the three steps of a rotation are safe; a swap or a skipped step is not', () => {
  const table: [string, HeartbeatKeys, HeartbeatKeys, ReloadVerdict][] = [
    ['nothing changed', k(A), k(A), 'same'],
    ['step 1: learn the next key', k(A), k(A, B), 'rotate'],
    ['step 2: sign with it, keep accepting the old one', k(A, B), k(B, A), 'rotate'],
    ['step 3: drop the old key', k(B, A), k(B), 'rotate'],
    ['abandon a rotation after step 1', k(A, B), k(A), 'rotate'],
    ['undo step 2', k(B, A), k(A, B), 'rotate'],
    ['a swap in one step (the Secret deleted and made again)', k(A), k(B), 'unsafe'],
    ['step 1 skipped', k(A), k(B, A), 'unsafe'],
    ['step 2 skipped', k(A, B), k(B), 'unsafe'],
    ['a third key during a rotation', k(A, B), k(C, B), 'unsafe'],
  ];
  for (const [what, from, to, want] of table) assert.equal(reloadVerdict(from, to), want, what);
});

test('LiveHeartbeatKeys takes a safe step in place, keeps its keys on an unsafe change or an unreadable file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-keys-'));
  try {
    const key = join(dir, 'key');
    const accept = join(dir, 'accept-key');
    writeFileSync(key, A);
    const opened = LiveHeartbeatKeys.open({ key, accept });
    assert.ok(opened.ok);
    const live = opened.keys;
    assert.deepEqual([Buffer.from(live.sign), live.also], [A, null]);
    assert.deepEqual(live.reload(), { kind: 'same' });
    // Step 1: the Secret gets accept-key = B.
    writeFileSync(accept, B);
    const r1 = live.reload();
    assert.equal(r1.kind, 'rotated');
    assert.deepEqual(live.ids(), { sign: keyId(A), also: keyId(B) });
    // Step 2: key = B, accept-key = A.
    writeFileSync(key, B);
    writeFileSync(accept, A);
    assert.equal(live.reload().kind, 'rotated');
    assert.deepEqual([Buffer.from(live.sign), Buffer.from(live.also ?? [])], [B, A]);
    // An unsafe change: a new key C alone. Kept: B signs, A is accepted.
    writeFileSync(key, C);
    rmSync(accept);
    const unsafe = live.reload();
    assert.deepEqual(unsafe, { kind: 'unsafe', kept: { sign: keyId(B), also: keyId(A) }, found: { sign: keyId(C), also: 'none' } });
    assert.deepEqual(Buffer.from(live.sign), B);
    // An unreadable file (too short) keeps the keys too, and says why without the bytes.
    writeFileSync(key, 'short');
    const bad = live.reload();
    assert.equal(bad.kind, 'unreadable');
    assert.match(bad.kind === 'unreadable' ? bad.error : '', /holds 5 bytes/);
    // Step 3 as the files say it: key = B alone.
    writeFileSync(key, B);
    assert.equal(live.reload().kind, 'rotated');
    assert.deepEqual([Buffer.from(live.sign), live.also], [B, null]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
