// strictUtf8 (src/api/bytes.ts) replaced TextDecoder's fatal mode in the heartbeat and the BGP
// NOTIFICATION codecs (issue #10: TextDecoder's first decode maps ~2.8 MB of ICU into the
// process). It must accept and reject exactly what TextDecoder('utf-8', { fatal, ignoreBOM }) did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { strictUtf8 } from '../../src/api/bytes.ts';

const reference = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
function byReference(bytes: Uint8Array): string | null {
  try {
    return reference.decode(bytes);
  } catch {
    return null;
  }
}

test('strictUtf8 agrees with TextDecoder (fatal, BOM kept) on any bytes and on any encoded text', () => {
  const text = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => new TextEncoder().encode(s));
  // Bytes near the encoding's edges: continuation bytes, overlongs, surrogates, 4-byte leads past U+10FFFF.
  const edgy = fc.array(fc.constantFrom(0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0xbb, 0xbe), { maxLength: 16 }).map((a) => Uint8Array.from(a));
  fc.assert(
    fc.property(fc.oneof(text, edgy, fc.uint8Array({ maxLength: 24 })), (bytes) => {
      assert.equal(strictUtf8(bytes), byReference(bytes));
    }),
    { numRuns: 5000 },
  );
});

test('a leading BOM is text, a view into a larger buffer reads only its own bytes, and a lone surrogate is refused', () => {
  assert.equal(strictUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61)), '\ufeffa');
  const whole = new TextEncoder().encode('xx-node-1-yy');
  assert.equal(strictUtf8(whole.subarray(3, 9)), 'node-1');
  assert.equal(strictUtf8(Uint8Array.of(0xed, 0xa0, 0x80)), null);
  assert.equal(strictUtf8(new Uint8Array(0)), '');
});
