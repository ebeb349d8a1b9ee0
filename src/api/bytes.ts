// Big-endian reads and writes shared by the BGP and the ARP/NDP codecs (issue #9: one copy, not
// two). Decoders check lengths before reading; a read past the end gives 0 rather than undefined
// so that the types stay exact under noUncheckedIndexedAccess.

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
