// The stream framer (STYLE lesson 11): TCP chunks split anywhere give back the same messages;
// a header is judged before its body is awaited, so a peer cannot make it hold more than one
// maximum-length message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BgpFramer, encodeKeepalive } from '../../../src/bgp/codec/index.ts';
import { concat } from '../../../src/api/bytes.ts';
import { hex, loadFixtures, MARKER, toHex } from './helpers.ts';

const MESSAGES = [...loadFixtures().values()];
const STREAM = concat(MESSAGES);
const WANT = MESSAGES.map(toHex);

function feed(framer: BgpFramer, chunks: readonly Uint8Array[]): string[] {
  const out: string[] = [];
  for (const c of chunks) {
    const r = framer.push(c);
    assert.equal(r.error, null);
    out.push(...r.frames.map(toHex));
  }
  return out;
}

test('the captured session in one chunk gives every message', () => {
  assert.ok(MESSAGES.length >= 5, 'fixtures missing');
  assert.deepEqual(feed(new BgpFramer(), [STREAM]), WANT);
});

test('split at every point into two chunks, and three', () => {
  for (let i = 0; i <= STREAM.length; i++) {
    assert.deepEqual(feed(new BgpFramer(), [STREAM.subarray(0, i), STREAM.subarray(i)]), WANT, `split at ${i}`);
  }
  for (let i = 0; i <= STREAM.length; i += 7) {
    for (let j = i; j <= STREAM.length; j += 11) {
      assert.deepEqual(feed(new BgpFramer(), [STREAM.subarray(0, i), STREAM.subarray(i, j), STREAM.subarray(j)]), WANT, `split at ${i}, ${j}`);
    }
  }
});

test('one octet at a time', () => {
  const framer = new BgpFramer();
  const chunks = Array.from(STREAM, (b) => Uint8Array.of(b));
  assert.deepEqual(feed(framer, chunks), WANT);
  assert.equal(framer.buffered, 0);
});

test('a message within one chunk is a view of it, not a copy', () => {
  const r = new BgpFramer().push(STREAM);
  assert.ok(r.frames.every((f) => f.buffer === STREAM.buffer));
});

test('a header claiming more than the maximum is refused before its body arrives (§6.1)', () => {
  const framer = new BgpFramer();
  const keepalive = encodeKeepalive();
  const r = framer.push(concat([keepalive, hex(`${MARKER} 10 01 02`)])); // length 4097, UPDATE; no body sent
  assert.deepEqual(r.frames.map(toHex), [toHex(keepalive)], 'messages before the bad header are delivered');
  assert.deepEqual([r.error?.code, r.error?.notification.code, r.error?.notification.subcode, toHex(r.error?.notification.data ?? new Uint8Array(0))],
    ['bad-message-length', 1, 2, '1001']);
  assert.equal(framer.buffered, 0);
  assert.equal(framer.push(keepalive).error?.code, 'bad-message-length', 'the error is sticky: the session is over');
  assert.equal(framer.push(keepalive).frames.length, 0);
});

test('a length below 19 and a bad marker are refused from the header alone', () => {
  assert.equal(new BgpFramer().push(hex(`${MARKER} 00 12 04`)).error?.code, 'bad-message-length');
  assert.equal(new BgpFramer().push(hex(`${'00'.repeat(16)} 00 13 04`)).error?.code, 'connection-not-synchronized');
  // 18 octets: not yet a header, nothing judged
  assert.equal(new BgpFramer().push(hex(`${MARKER} 00`)).error, null);
});

test('a slow maximum-length message holds at most that message', () => {
  const framer = new BgpFramer();
  const big = new Uint8Array(4096);
  big.set(hex(`${MARKER} 10 00 02`));
  let most = 0;
  let frames = 0;
  for (let o = 0; o < big.length; o += 100) {
    const r = framer.push(big.subarray(o, o + 100));
    most = Math.max(most, framer.buffered);
    frames += r.frames.length;
  }
  assert.equal(frames, 1);
  assert.ok(most < 4096, `held ${most}`);
});

test('RFC 8654: after negotiation an extended message up to 65535 passes', () => {
  const framer = new BgpFramer();
  const big = new Uint8Array(5000);
  big.set(hex(`${MARKER} 13 88 02`));
  assert.equal(new BgpFramer().push(big).error?.code, 'bad-message-length');
  framer.setMaxLength(65535);
  assert.deepEqual(framer.push(big).frames.map((f) => f.length), [5000]);
});
