// Big-endian reads and writes shared by the BGP and the ARP/NDP codecs (issue #9: one copy, not
// two), and the strict UTF-8 decoding of the heartbeat and NOTIFICATION codecs. Decoders check
// lengths before reading; a read past the end gives 0 rather than undefined so that the types
// stay exact under noUncheckedIndexedAccess.
import { isUtf8 } from 'node:buffer';

export function u8(b: Uint8Array, o: number): number {
  return b[o] ?? 0;
}

export function u16(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
}

export function u32(b: Uint8Array, o: number): number {
  return (((b[o] ?? 0) << 24) | ((b[o + 1] ?? 0) << 16) | ((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0)) >>> 0;
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Concatenates parts into one new array. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * A copy that owns its bytes (decoded values must not pin the peer's receive buffer), always a
 * plain Uint8Array: on a Buffer (what a socket delivers) `slice` is a view, not a copy
 * (test/bgp/codec/fuzz-findings.test.ts).
 */
export function copy(b: Uint8Array, from: number = 0, to: number = b.length): Uint8Array {
  return new Uint8Array(b.subarray(from, to));
}

/**
 * The text of strictly valid UTF-8, a leading U+FEFF kept as text (RFC 9003 §2), or null. Not
 * TextDecoder's `fatal` mode: its first decode maps ~2.8 MB more of the node binary into the
 * process (ICU's converters), in every speaker, for a few node names a second (issue #10,
 * measured with /proc/self/smaps); simdutf's check and Buffer's decoder map nothing new.
 */
export function strictUtf8(bytes: Uint8Array): string | null {
  if (!isUtf8(bytes)) return null;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
