// IP addresses as (family, bigint): parsing, canonical text, CIDR arithmetic.
// Parsing is stricter than ipaddr.js: it accepts the inet_aton shorthands ("10.1", "0x0a.0.0.1",
// octal "010.0.0.1"), which Kubernetes rejects for IPs (apimachinery validation, KEP-4858 strict
// IP parsing); we accept only the four-part decimal form for IPv4, and no zone index for IPv6.
import type { Result } from './result.ts';

export type Family = 'IPv4' | 'IPv6';

/** A malformed address or CIDR; the allocator's IpamError admits these codes too. */
export interface AddrError {
  code: 'InvalidIP' | 'InvalidCIDR';
  message: string;
}

export interface Addr {
  readonly family: Family;
  readonly value: bigint;
}

export const FAMILY_BITS: Readonly<Record<Family, number>> = { IPv4: 32, IPv6: 128 };

export function otherFamily(family: Family): Family {
  return family === 'IPv4' ? 'IPv6' : 'IPv4';
}

function fail<T>(code: AddrError['code'], message: string): Result<T, AddrError> {
  return { ok: false, error: { code, message } };
}

/** Parses one address. Accepts any valid IPv6 spelling; IPv4 only as dotted four-part decimal. */
export function parseIP(text: string): Result<Addr, AddrError> {
  if (!text.includes(':')) {
    const v4 = parseV4(text);
    if (v4 < 0) return fail('InvalidIP', `"${text}" is not an IPv4 (dotted decimal) or IPv6 address`);
    return { ok: true, value: { family: 'IPv4', value: BigInt(v4) } };
  }
  if (text.includes('%')) return fail('InvalidIP', `"${text}" has a zone index, which an IPPool address cannot have`);
  const v6 = parseV6(text);
  if (v6 === null) return fail('InvalidIP', `"${text}" is not an IPv4 (dotted decimal) or IPv6 address`);
  return { ok: true, value: { family: 'IPv6', value: v6 } };
}

// The parsers and printers below are written by hand, not ipaddr.js's: the controller parses
// every held address several times a reconcile pass, and ipaddr.js's regular expressions, splits
// and arrays were 100 of the 220 MB of garbage of a 10,000-Service pass (issue #10, bench/README.md
// "Controller cold start, fifteenth session"). test/api/addr-by-hand.test.ts holds them to
// ipaddr.js's answers with fast-check, and names where the two differ on purpose.

/**
 * Dotted four-part decimal IPv4 as its 32-bit value, or -1: each part 0–255 without a leading
 * zero, as ipaddr.js's isValidFourPartDecimal and Kubernetes' strict IP parsing accept.
 */
function parseV4(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // "01": a leading zero (octal to inet_aton)
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else return -1;
  }
  return digits === 0 || dots !== 3 ? -1 : value * 256 + part;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * The 16-bit groups of text[from, to), one side of "::", appended to `out`; false when malformed.
 * With `quadLast`, the last group may be a dotted quad (RFC 4291 §2.2, form 3): two groups.
 */
function groupsOf(text: string, from: number, to: number, out: number[], quadLast: boolean): boolean {
  if (from === to) return true;
  let start = from;
  for (let i = from; i <= to; i++) {
    if (i < to && text.charCodeAt(i) !== 58 /* : */) continue;
    // text[start, i) is one group.
    const length = i - start;
    if (length === 0) return false;
    const dot = i === to && quadLast ? text.indexOf('.', start) : -1;
    if (dot !== -1 && dot < to) {
      const v4 = parseV4(text.slice(start, to));
      if (v4 < 0) return false;
      out.push(Math.floor(v4 / 65536), v4 & 0xffff);
      return true;
    }
    if (length > 4) return false;
    let group = 0;
    for (let k = start; k < i; k++) {
      const d = hexDigit(text.charCodeAt(k));
      if (d < 0) return false;
      group = group * 16 + d;
    }
    out.push(group);
    start = i + 1;
  }
  return true;
}

/** An IPv6 address (no zone) as its 128-bit value, or null (RFC 4291 §2.2). */
function parseV6(text: string): bigint | null {
  const groups = parseV6Groups(text);
  if (groups === null) return null;
  let value = 0n;
  for (let i = 0; i < 8; i += 2) value = (value << 32n) | BigInt((groups[i] ?? 0) * 65536 + (groups[i + 1] ?? 0));
  return value;
}

/** An IPv6 address (no zone) as its eight 16-bit groups, or null. */
function parseV6Groups(text: string): number[] | null {
  const gap = text.indexOf('::');
  const groups: number[] = [];
  if (gap === -1) {
    if (!groupsOf(text, 0, text.length, groups, true) || groups.length !== 8) return null;
  } else {
    if (text.indexOf('::', gap + 1) !== -1) return null;
    const tail: number[] = [];
    if (!groupsOf(text, 0, gap, groups, false) || !groupsOf(text, gap + 2, text.length, tail, true)) return null;
    // "::" stands for one or more groups of zeros.
    if (groups.length + tail.length > 7) return null;
    while (groups.length + tail.length < 8) groups.push(0);
    for (const g of tail) groups.push(g);
  }
  return groups;
}

/** Canonical text: IPv4 dotted decimal; IPv6 RFC 5952 (lower case, longest zero run compressed). */
export function formatIP(addr: Addr): string {
  if (addr.family === 'IPv4') return formatV4(Number(addr.value));
  return formatV6(addr.value);
}

function formatV4(v: number): string {
  return `${Math.floor(v / 16777216) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

function formatV6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 96n; shift >= 0n; shift -= 32n) {
    const word = Number((value >> shift) & 0xffffffffn);
    groups.push(Math.floor(word / 65536), word & 0xffff);
  }
  return formatV6Groups(groups);
}

/**
 * RFC 5952 §4: lower-case hex without leading zeros; the longest run of two or more zero groups
 * (the first of equals) as "::". Built by concatenation: a restart's pass prints every IPv6
 * address it reads, and slices, maps and joins per address were most of that garbage (issue #10).
 */
function formatV6Groups(groups: readonly number[]): string {
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad in their last 32 bits.
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return `::ffff:${formatV4((groups[6] ?? 0) * 65536 + (groups[7] ?? 0))}`;
  }
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      out += '::';
      i += bestLength - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += (groups[i] ?? 0).toString(16);
  }
  return out;
}

/** Canonical text of an address, or the parse error. */
export function normalizeIP(text: string): Result<string, AddrError> {
  const parsed = parseIP(text);
  return parsed.ok ? { ok: true, value: formatIP(parsed.value) } : parsed;
}

export interface Cidr {
  readonly family: Family;
  readonly prefix: number;
  readonly first: bigint;
  readonly last: bigint;
}

/** Parses `address/prefix`. Host bits must be zero: "192.0.2.1/24" is an error, not 192.0.2.0/24. */
export function parseCIDR(text: string): Result<Cidr, AddrError> {
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) {
    return fail('InvalidCIDR', `"${text}" is not in address/prefix form`);
  }
  const addrText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const parsed = parseIP(addrText);
  if (!parsed.ok) return fail('InvalidCIDR', `"${text}": ${parsed.error.message}`);
  const { family, value } = parsed.value;
  const bits = FAMILY_BITS[family];
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
    return fail('InvalidCIDR', `"${text}": the prefix length must be a number from 0 to ${bits}`);
  }
  const prefix = Number(prefixText);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if ((value & hostMask) !== 0n) {
    const network = formatIP({ family, value: value & ~hostMask });
    return fail('InvalidCIDR', `"${text}" has host bits set; the network is ${network}/${prefix}`);
  }
  return { ok: true, value: { family, prefix, first: value, last: value | hostMask } };
}

/** "192.0.2.1" for one address, "192.0.2.1-192.0.2.9" for a range. */
export function formatRange(family: Family, first: bigint, last: bigint): string {
  const a = formatIP({ family, value: first });
  return first === last ? a : `${a}-${formatIP({ family, value: last })}`;
}

/** Orders by family (IPv4 first) then numerically: the order of `Decision.ips` ties and messages. */
export function compareAddr(a: Addr, b: Addr): number {
  if (a.family !== b.family) return a.family === 'IPv4' ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** Canonical text of an address from an object field, or null when it is not one. */
export function canonicalIP(text: string): string | null {
  // Dotted decimal that parseV4 accepts (no leading zeros, four parts) is already canonical: no
  // BigInt and no new string for the IPv4 addresses a pass reads from every Service (issue #10).
  if (!text.includes(':')) return parseV4(text) < 0 ? null : text;
  // A zone ("%eth0") is no hex group: parseV6Groups refuses it, as parseIP does.
  const groups = parseV6Groups(text);
  return groups === null ? null : formatV6Groups(groups);
}

/** Family of an address already in canonical text. */
export function familyOf(ip: string): Family {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

/** Numeric order of canonical addresses (IPv4 before IPv6). */
export function compareIPs(a: string, b: string): number {
  const pa = parseIP(a);
  const pb = parseIP(b);
  return pa.ok && pb.ok ? compareAddr(pa.value, pb.value) : a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `items` in the order of compareIPs on `ipOf(item)`, then `tie`, each address parsed once. A
 * comparator that parses both sides costs 2·n·log₂ n parses: 18 ms to sort 1,000 VIPs, which each
 * speaker spent on every recompute, every 5 s (issue #10); this takes about 2 ms.
 */
export function sortByIP<T>(items: Iterable<T>, ipOf: (item: T) => string, tie: (a: T, b: T) => number = () => 0): T[] {
  const keyed = [...items].map((item) => {
    const text = ipOf(item);
    const p = parseIP(text);
    return { item, text, addr: p.ok ? p.value : null };
  });
  keyed.sort((a, b) => (a.addr !== null && b.addr !== null ? compareAddr(a.addr, b.addr) : a.text < b.text ? -1 : a.text > b.text ? 1 : 0) || tie(a.item, b.item));
  return keyed.map((k) => k.item);
}
