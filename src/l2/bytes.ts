// Big-endian reads for the decoders. Callers check lengths first; reading past the end gives 0
// rather than undefined so that the types stay exact under noUncheckedIndexedAccess.

export function byte(bytes: Uint8Array, offset: number): number {
  return bytes[offset] ?? 0;
}

export function u16(bytes: Uint8Array, offset: number): number {
  return (byte(bytes, offset) << 8) | byte(bytes, offset + 1);
}

export function writeU16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >> 8) & 0xff;
  bytes[offset + 1] = value & 0xff;
}
