// IP addresses as the L2 layer carries them: canonical text, branded so that only text that went
// through a parser (or came off the wire) can key a VIP table. The canonical form is the IPAM's
// (`src/ipam/addr.ts`: dotted decimal; RFC 5952 for IPv6), so a VIP written into a Service's
// status by the controller compares equal to the same address decoded from an ARP or NDP packet.
import { formatIP, parseIP } from '../api/addr.ts';
import { u8 } from '../api/bytes.ts';
import { fail, ok } from './result.ts';
import type { Result } from '../api/result.ts';
import type { L2Error } from './result.ts';

export type Ipv4 = string & { readonly __brand: 'Ipv4' };
export type Ipv6 = string & { readonly __brand: 'Ipv6' };
export type IpAddress = Ipv4 | Ipv6;

export const IPV4_UNSPECIFIED = '0.0.0.0' as Ipv4;
export const IPV6_UNSPECIFIED = '::' as Ipv6;
/** RFC 4291 §2.7.1: the link-local all-nodes group, where unsolicited NAs go (RFC 4861 §7.2.6). */
export const IPV6_ALL_NODES = 'ff02::1' as Ipv6;

/** Parses any spelling of an address into its canonical form. IPv4 only as four-part decimal. */
export function parseIp(text: string): Result<IpAddress, L2Error> {
  const parsed = parseIP(text);
  if (!parsed.ok) return fail('bad-ip', parsed.error.message);
  const canonical = formatIP(parsed.value);
  // Both branches are the same string: the test only picks the brand for TypeScript.
  // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: same value either way
  return ok(parsed.value.family === 'IPv4' ? (canonical as Ipv4) : (canonical as Ipv6));
}

export function parseIpv4(text: string): Result<Ipv4, L2Error> {
  const parsed = parseIp(text);
  if (!parsed.ok) return parsed;
  return isIpv4(parsed.value) ? ok(parsed.value) : fail('bad-ip', `"${text}" is not an IPv4 address`);
}

export function parseIpv6(text: string): Result<Ipv6, L2Error> {
  const parsed = parseIp(text);
  if (!parsed.ok) return parsed;
  return isIpv4(parsed.value) ? fail('bad-ip', `"${text}" is not an IPv6 address`) : ok(parsed.value);
}

/** Canonical IPv6 text never contains a dot except as `::ffff:a.b.c.d`, which has a colon too. */
export function isIpv4(ip: IpAddress): ip is Ipv4 {
  return !ip.includes(':');
}

/** Reads 4 bytes at `offset`; the caller has checked the length. */
export function ipv4FromBytes(bytes: Uint8Array, offset: number): Ipv4 {
  return `${u8(bytes, offset)}.${u8(bytes, offset + 1)}.${u8(bytes, offset + 2)}.${u8(bytes, offset + 3)}` as Ipv4;
}

export function ipv4ToBytes(ip: Ipv4): Uint8Array {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new TypeError(`not an IPv4 address: "${ip}"`); // forged brand: a bug
  // A loop, not `Uint8Array.from(parts, Number)`, whose mapping path costs a µs (issue #10).
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) out[i] = Number(parts[i]);
  return out;
}

/** Reads 16 bytes at `offset`; the caller has checked the length. */
export function ipv6FromBytes(bytes: Uint8Array, offset: number): Ipv6 {
  let value = 0n;
  for (let i = 0; i < 16; i++) value = (value << 8n) | BigInt(u8(bytes, offset + i));
  return formatIP({ family: 'IPv6', value }) as Ipv6;
}

export function ipv6ToBytes(ip: Ipv6): Uint8Array {
  const parsed = parseIP(ip);
  // The brand says the text went through parseIpv6 or came off the wire; a forged brand is a bug.
  if (!parsed.ok || parsed.value.family !== 'IPv6') throw new TypeError(`not an IPv6 address: "${ip}"`);
  let value = parsed.value.value;
  const out = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}
