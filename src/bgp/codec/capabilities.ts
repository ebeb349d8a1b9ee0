// Capabilities, RFC 5492 §4: code(1) length(1) value, carried in OPEN optional parameter 2.
// Known: multiprotocol (RFC 4760 §8), route refresh (RFC 2918 §3), extended message (RFC 8654
// §3), graceful restart (RFC 4724 §3), 4-octet AS (RFC 6793 §3), enhanced route refresh (RFC 7313
// §3). Anything else is kept as raw bytes, so it round-trips and can be logged.
import { copy, put16, put32, u16, u32, u8 } from '../../api/bytes.ts';
import { fail, ok } from './errors.ts';
import type { AfiSafi } from './family.ts';
import type { Result } from '../../api/result.ts';
import type { BgpError } from './errors.ts';

export const CAP_MULTIPROTOCOL = 1;
export const CAP_ROUTE_REFRESH = 2;
export const CAP_EXTENDED_MESSAGE = 6;
export const CAP_GRACEFUL_RESTART = 64;
export const CAP_FOUR_OCTET_AS = 65;
export const CAP_ENHANCED_ROUTE_REFRESH = 70;

/** RFC 4724 §3: per AFI/SAFI, whether forwarding state was preserved (the F bit). */
export interface GracefulRestartFamily extends AfiSafi {
  readonly forwarding: boolean;
}

export type Capability =
  | { readonly kind: 'multiprotocol'; readonly afi: number; readonly safi: number }
  | { readonly kind: 'route-refresh' }
  | { readonly kind: 'extended-message' }
  | { readonly kind: 'enhanced-route-refresh' }
  | { readonly kind: 'four-octet-as'; readonly asn: number }
  | {
      readonly kind: 'graceful-restart';
      /** R bit: the sender has restarted (RFC 4724 §3). */
      readonly restarting: boolean;
      /** N bit: the sender supports graceful NOTIFICATION (RFC 8538 §2). */
      readonly notification: boolean;
      /** Restart Time in seconds, 12 bits. */
      readonly time: number;
      readonly families: readonly GracefulRestartFamily[];
    }
  | { readonly kind: 'unknown'; readonly code: number; readonly value: Uint8Array };

const GR_R = 0x8000;
const GR_N = 0x4000;
const GR_F = 0x80;

function valueLength(c: Capability): number {
  switch (c.kind) {
    // Stryker disable next-line ConditionalExpression: without this case it falls through to four-octet-as, 4 as well
    case 'multiprotocol': return 4;
    case 'four-octet-as': return 4;
    case 'graceful-restart': return 2 + 4 * c.families.length;
    case 'unknown': return c.value.length;
    default: return 0;
  }
}

function codeOf(c: Capability): number {
  switch (c.kind) {
    case 'multiprotocol': return CAP_MULTIPROTOCOL;
    case 'route-refresh': return CAP_ROUTE_REFRESH;
    case 'extended-message': return CAP_EXTENDED_MESSAGE;
    case 'enhanced-route-refresh': return CAP_ENHANCED_ROUTE_REFRESH;
    case 'four-octet-as': return CAP_FOUR_OCTET_AS;
    case 'graceful-restart': return CAP_GRACEFUL_RESTART;
    case 'unknown': return c.code;
  }
}

/** Bytes the capability takes: code, length, value. */
export function capabilityLength(c: Capability): number {
  return 2 + valueLength(c);
}

/** Writes one capability TLV at `o`; returns the offset after it. */
export function writeCapability(out: Uint8Array, o: number, c: Capability): number {
  const n = valueLength(c);
  out[o] = codeOf(c);
  out[o + 1] = n;
  const v = o + 2;
  switch (c.kind) {
    case 'multiprotocol':
      put16(out, v, c.afi);
      out[v + 2] = 0; // reserved
      out[v + 3] = c.safi;
      break;
    case 'four-octet-as':
      put32(out, v, c.asn);
      break;
    case 'graceful-restart':
      put16(out, v, (c.restarting ? GR_R : 0) | (c.notification ? GR_N : 0) | (c.time & 0xfff));
      c.families.forEach((f, i) => {
        put16(out, v + 2 + 4 * i, f.afi);
        out[v + 4 + 4 * i] = f.safi;
        out[v + 5 + 4 * i] = f.forwarding ? GR_F : 0;
      });
      break;
    case 'unknown':
      out.set(c.value, v);
      break;
  }
  return v + n;
}

/** Decodes one capability's value. A known capability of the wrong size is malformed (§6.2 subcode 0). */
function decodeValue(code: number, b: Uint8Array, v: number, n: number): Result<Capability, BgpError> {
  const bad = (want: string) => fail<Capability>('malformed-optional-parameter', `capability ${code} length ${n}, want ${want}`);
  switch (code) {
    case CAP_MULTIPROTOCOL:
      return n === 4 ? ok({ kind: 'multiprotocol', afi: u16(b, v), safi: u8(b, v + 3) }) : bad('4 (RFC 4760 §8)');
    case CAP_ROUTE_REFRESH:
      return n === 0 ? ok({ kind: 'route-refresh' }) : bad('0 (RFC 2918 §3)');
    case CAP_EXTENDED_MESSAGE:
      return n === 0 ? ok({ kind: 'extended-message' }) : bad('0 (RFC 8654 §3)');
    case CAP_ENHANCED_ROUTE_REFRESH:
      return n === 0 ? ok({ kind: 'enhanced-route-refresh' }) : bad('0 (RFC 7313 §3)');
    case CAP_FOUR_OCTET_AS:
      return n === 4 ? ok({ kind: 'four-octet-as', asn: u32(b, v) }) : bad('4 (RFC 6793 §3)');
    case CAP_GRACEFUL_RESTART: {
      if (n % 4 !== 2) return bad('2 + 4k (RFC 4724 §3)');
      const word = u16(b, v);
      const families: GracefulRestartFamily[] = [];
      for (let o = v + 2; o < v + n; o += 4) families.push({ afi: u16(b, o), safi: u8(b, o + 2), forwarding: (u8(b, o + 3) & GR_F) !== 0 });
      return ok({ kind: 'graceful-restart', restarting: (word & GR_R) !== 0, notification: (word & GR_N) !== 0, time: word & 0xfff, families });
    }
    default:
      return ok({ kind: 'unknown', code, value: copy(b, v, v + n) });
  }
}

/** Decodes the capabilities in one optional parameter's value (RFC 5492 §4: one or more TLVs). */
export function decodeCapabilities(b: Uint8Array, from: number, to: number, out: Capability[]): Result<null, BgpError> {
  let o = from;
  while (o < to) {
    if (o + 2 > to) return fail('malformed-optional-parameter', 'capability header cut short');
    const code = u8(b, o);
    const n = u8(b, o + 1);
    if (o + 2 + n > to) return fail('malformed-optional-parameter', `capability ${code} of length ${n} overruns its parameter`);
    const c = decodeValue(code, b, o + 2, n);
    if (!c.ok) return c;
    out.push(c.value);
    o += 2 + n;
  }
  return ok(null);
}

/** The first capability of a kind, typed. */
export function findCapability<K extends Capability['kind']>(caps: readonly Capability[], kind: K): Extract<Capability, { kind: K }> | undefined {
  for (const c of caps) if (c.kind === kind) return c as Extract<Capability, { kind: K }>;
  return undefined;
}
