// Prefixes and addresses as the codec carries them. A Prefix keeps its wire form (RFC 4271 §4.3
// "Length, Prefix": only the significant octets, trailing bits zero) so that packing 100,000 of
// them is a byte copy each; text is for people (parsePrefix / formatPrefix) and for next hops.
import { formatIP, parseIP } from '../../api/addr.ts';
import { copy, u8 } from '../../api/bytes.ts';
import { fail, ok } from './errors.ts';
import { FAMILY_BITS, type Family, type Prefix } from './family.ts';
import type { Result } from '../../api/result.ts';
import type { BgpError } from './errors.ts';

/** Parses "192.0.2.0/24" or "2001:db8::/32"; host bits past the length are cleared. */
export function parsePrefix(text: string): Prefix | null {
  const slash = text.indexOf('/');
  if (slash < 0 || !/^\d{1,3}$/.test(text.slice(slash + 1))) return null;
  const length = Number(text.slice(slash + 1));
  const addr = parseAddress(text.slice(0, slash));
  if (addr === null) return null;
  const family: Family = addr.length === 4 ? 'ipv4' : 'ipv6';
  if (length > FAMILY_BITS[family]) return null;
  return makePrefix(family, length, addr);
}

/** A prefix from a full address (4 or 16 bytes); the significant octets are copied and masked. */
export function makePrefix(family: Family, length: number, addr: Uint8Array): Prefix {
  const n = (length + 7) >> 3;
  const bytes = addr.slice(0, n);
  if (length & 7) bytes[n - 1] = u8(bytes, n - 1) & (0xff << (8 - (length & 7)));
  return { family, length, bytes };
}

export function formatPrefix(p: Prefix): string {
  const full = new Uint8Array(p.family === 'ipv4' ? 4 : 16);
  full.set(p.bytes.subarray(0, full.length));
  return `${formatAddress(full)}/${p.length}`;
}

/** 4 or 16 bytes from an address's text, or null. */
export function parseAddress(text: string): Uint8Array | null {
  const parsed = parseIP(text);
  if (!parsed.ok) return null;
  const n = parsed.value.family === 'IPv4' ? 4 : 16;
  const out = new Uint8Array(n);
  let v = parsed.value.value;
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Canonical text (dotted decimal; RFC 5952) of 4 or 16 bytes, as the IPAM writes it. */
export function formatAddress(b: Uint8Array): string {
  if (b.length === 4) return `${u8(b, 0)}.${u8(b, 1)}.${u8(b, 2)}.${u8(b, 3)}`;
  let value = 0n;
  for (let i = 0; i < 16; i++) value = (value << 8n) | BigInt(u8(b, i));
  // Stryker disable next-line StringLiteral: formatIP tells only 'IPv4' apart; any other family is formatted as IPv6
  return formatIP({ family: 'IPv6', value });
}

/** Address text to bytes for the encoders; `bytes` says which family is wanted. */
export function addressBytes(text: string, bytes: 4 | 16): Uint8Array {
  const b = parseAddress(text);
  // Encoders take values built by the caller; an unparsable address there is a bug, not input.
  if (b === null || b.length !== bytes) throw new TypeError(`not an IPv${bytes === 4 ? 4 : 6} address: "${text}"`);
  return b;
}

/** Octets a prefix takes on the wire: the length octet plus its significant octets. */
export function prefixWireLength(p: Prefix): number {
  return 1 + p.bytes.length;
}

/** Writes "Length, Prefix" at `o`; returns the offset after it. */
export function writePrefix(out: Uint8Array, o: number, p: Prefix): number {
  out[o] = p.length;
  out.set(p.bytes, o + 1);
  return o + 1 + p.bytes.length;
}

/**
 * Decodes a run of "Length, Prefix" (RFC 4271 §4.3 withdrawn routes and NLRI; RFC 4760 §5).
 * A length beyond the family's bits or octets past the end is an invalid network field (§6.3);
 * the caller picks the RFC 7606 action. Bits past the length are cleared (RFC 4271 §4.3: they
 * are irrelevant), so the decoded prefix is canonical.
 */
export function decodePrefixes(b: Uint8Array, from: number, to: number, family: Family): Result<Prefix[], BgpError> {
  const out: Prefix[] = [];
  const max = FAMILY_BITS[family];
  let o = from;
  while (o < to) {
    const length = u8(b, o);
    if (length > max) return fail('invalid-network-field', `${family} prefix length ${length} > ${max}`);
    const n = (length + 7) >> 3;
    if (o + 1 + n > to) return fail('invalid-network-field', `${family} prefix /${length} needs ${n} octets, ${to - o - 1} left`);
    const bytes = copy(b, o + 1, o + 1 + n); // a copy: the masking below must not write into `b`
    if (length & 7) bytes[n - 1] = u8(bytes, n - 1) & (0xff << (8 - (length & 7)));
    out.push({ family, length, bytes });
    o += 1 + n;
  }
  return ok(out);
}
