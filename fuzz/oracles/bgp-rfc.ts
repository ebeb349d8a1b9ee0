// The BGP oracle: every NOTIFICATION and every RFC 7606 action the codec or the session produces is
// checked against the RFC 4271 §6 / RFC 7606 table written out here, apart from src/bgp/codec
// (which has its own copy in errors.ts and attr-decode.ts: two readings of the RFCs that must agree).
// Framing is also re-derived independently (header §6.1, UPDATE lengths RFC 7606 §4, NLRI §5.3).
import { check } from '../engine/target.ts';

/** [code, subcode] pairs a speaker may send, by RFC: what the oracle accepts in a NOTIFICATION. */
export const NOTIFICATION_TABLE: ReadonlyMap<number, ReadonlySet<number>> = new Map([
  [1, new Set([1, 2, 3])], // RFC 4271 §6.1 Message Header Error
  // RFC 4271 §6.2 OPEN Message Error: 0 for a recognized but malformed optional parameter,
  // 5 is deprecated (Authentication Failure), 7 Unsupported Capability (RFC 5492 §5).
  [2, new Set([0, 1, 2, 3, 4, 6, 7])],
  // RFC 4271 §6.3 UPDATE Message Error; 7 (AS Routing Loop) is deprecated.
  [3, new Set([1, 2, 3, 4, 5, 6, 8, 9, 10, 11])],
  [4, new Set([0])], // §6.5 Hold Timer Expired
  [5, new Set([0, 1, 2, 3])], // §6.6 FSM Error; RFC 6608 §4 subcodes 1-3
  [6, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9])], // §6.7 Cease; RFC 4486 §4, RFC 8538 §3 (9 Hard Reset)
  [7, new Set([1])], // RFC 7313 §5 ROUTE-REFRESH Message Error / Invalid Message Length
]);

export function checkNotification(code: number, subcode: number, where: string): void {
  check(NOTIFICATION_TABLE.get(code)?.has(subcode) === true, `${where}: NOTIFICATION ${code}/${subcode} is not in the RFC 4271 §6 / RFC 7606 table`);
}

export type Action = 'session-reset' | 'treat-as-withdraw' | 'attribute-discard';

/**
 * RFC 7606 §7 (and RFC 6793 §6, RFC 8092 §6, RFC 4760 §7) for a malformed value of each
 * attribute Herald interprets; §3(c) sends a flags conflict the same way.
 */
export const MALFORMED_ACTION: ReadonlyMap<number, Action> = new Map<number, Action>([
  [1, 'treat-as-withdraw'], // ORIGIN §7.1
  [2, 'treat-as-withdraw'], // AS_PATH §7.2
  [3, 'treat-as-withdraw'], // NEXT_HOP §7.3
  [4, 'treat-as-withdraw'], // MULTI_EXIT_DISC §7.4
  [5, 'treat-as-withdraw'], // LOCAL_PREF §7.5 (from an external peer: discarded, whatever it holds)
  [6, 'attribute-discard'], // ATOMIC_AGGREGATE §7.6
  [7, 'attribute-discard'], // AGGREGATOR §7.7
  [8, 'treat-as-withdraw'], // COMMUNITIES §7.8
  [14, 'session-reset'], // MP_REACH_NLRI §7.11: the NLRI cannot be located (AFI/SAFI disable not offered)
  [15, 'session-reset'], // MP_UNREACH_NLRI §7.11
  [17, 'attribute-discard'], // AS4_PATH, RFC 6793 §6
  [18, 'attribute-discard'], // AS4_AGGREGATOR, RFC 6793 §6
  [32, 'treat-as-withdraw'], // LARGE_COMMUNITY, RFC 8092 §6
]);

/** Optional and Transitive bits of the attributes above (RFC 4271 §5, RFC 4760, RFC 6793 §3, RFC 8092 §3). */
export const FLAGS: ReadonlyMap<number, number> = new Map([
  [1, 0x40], [2, 0x40], [3, 0x40], [4, 0x80], [5, 0x40], [6, 0x40], [7, 0xc0], [8, 0xc0],
  [14, 0x80], [15, 0x80], [17, 0xc0], [18, 0xc0], [32, 0xc0],
]);

/** Subcodes whose data is "the erroneous attribute (type, length, and value)" (RFC 4271 §6.3). */
const ATTRIBUTE_DATA = new Set([2, 4, 5, 6, 8, 9]);

export interface ErrorLike {
  readonly code: string;
  readonly notification: { readonly code: number; readonly subcode: number; readonly data: Uint8Array };
  readonly action: Action;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The attribute whose bytes are `data` (flags, type, length, value), or null if `data` is not one whole attribute. */
export function attributeOf(data: Uint8Array): { flags: number; type: number; value: Uint8Array } | null {
  if (data.length < 3) return null;
  const flags = data[0] ?? 0;
  const type = data[1] ?? 0;
  const ext = (flags & 0x10) !== 0;
  const hdr = ext ? 4 : 3;
  if (data.length < hdr) return null;
  const n = ext ? ((data[2] ?? 0) << 8) | (data[3] ?? 0) : (data[2] ?? 0);
  return hdr + n === data.length ? { flags, type, value: data.subarray(hdr) } : null;
}

/**
 * One UPDATE error or discarded attribute against the table: the code/subcode pair, the data the
 * subcode prescribes, and the RFC 7606 action for the attribute the data names.
 */
export function checkUpdateError(e: ErrorLike, message: Uint8Array, external: boolean): void {
  const { code, subcode, data } = e.notification;
  const where = `UPDATE error ${e.code} (${code}/${subcode}, ${e.action})`;
  // RFC 7606 §7.5: LOCAL_PREF from an external peer is discarded; never sent, so subcode 0 is fine.
  if (e.code === 'local-pref-from-external') {
    check(external && e.action === 'attribute-discard' && attributeOf(data)?.type === 5, `${where}: only LOCAL_PREF from an external peer is discarded this way`);
    return;
  }
  check(code === 3, `${where}: an UPDATE error must be code 3`);
  checkNotification(code, subcode, where);
  if (ATTRIBUTE_DATA.has(subcode) || (subcode === 11 && data.length > 0)) {
    const attr = attributeOf(data);
    check(attr !== null, `${where}: data ${hex(data)} is not one whole attribute (RFC 4271 §6.3)`);
    check(Buffer.from(message).includes(Buffer.from(data)), `${where}: data ${hex(data)} is not an attribute of the message`);
    const known = MALFORMED_ACTION.get(attr.type);
    if (subcode === 2) {
      // Unrecognized well-known attribute: RFC 7606 leaves RFC 4271's session reset in place.
      check(known === undefined && (attr.flags & 0x80) === 0 && e.action === 'session-reset', `${where}: unrecognized well-known attribute ${attr.type} must reset the session`);
      return;
    }
    check(known !== undefined, `${where}: attribute ${attr.type} is not one the codec interprets`);
    if (subcode === 4) check((attr.flags & 0xc0) !== FLAGS.get(attr.type), `${where}: flags 0x${attr.flags.toString(16)} are right for attribute ${attr.type}`);
    if (subcode === 9) check(attr.type === 14 || attr.type === 15, `${where}: Optional Attribute Error for attribute ${attr.type}`);
    check(e.action === known, `${where}: RFC 7606 says ${known} for attribute ${attr.type}`);
    return;
  }
  if (subcode === 3) {
    // §6.3 Missing Well-known Attribute: data is the type code; RFC 7606 §3(d) treat-as-withdraw.
    check(data.length === 1 && [1, 2, 3].includes(data[0] ?? 0) && e.action === 'treat-as-withdraw', `${where}: missing well-known attribute: data ${hex(data)}, action ${e.action}`);
    return;
  }
  check(data.length === 0, `${where}: subcode ${subcode} carries no data, got ${hex(data)}`);
  if (subcode === 10) check(e.action === 'session-reset', `${where}: an unparsable NLRI field cannot be treat-as-withdraw (RFC 7606 §5.3)`);
  if (subcode === 11) check(e.action === 'treat-as-withdraw' || e.action === 'attribute-discard', `${where}: malformed AS_PATH is treat-as-withdraw (RFC 7606 §7.2)`);
}

/** RFC 4271 §6.1 header checks, independently: the expected [code, subcode, data hex], or null. */
export function expectedHeaderError(frame: Uint8Array, maxLength: number): [number, number, string] | null {
  const u16 = (o: number) => ((frame[o] ?? 0) << 8) | (frame[o + 1] ?? 0);
  if (frame.length < 19) return [1, 2, hex(Uint8Array.of(frame.length >> 8, frame.length & 0xff))];
  for (let i = 0; i < 16; i++) if (frame[i] !== 0xff) return [1, 1, ''];
  const length = u16(16);
  const lenHex = hex(frame.subarray(16, 18));
  if (length < 19 || length > maxLength || length !== frame.length) return [1, 2, lenHex];
  const type = frame[18] ?? 0;
  if (type < 1 || type > 5) return [1, 3, hex(Uint8Array.of(type))];
  // RFC 4271 §4.2-4.5 minimum lengths; RFC 8654 §4: OPEN and KEEPALIVE stay within 4096.
  const min = [0, 29, 23, 21, 19, 19][type] ?? 19;
  const max = type === 1 ? 4096 : type === 4 ? 19 : maxLength;
  if (length < min || length > max) return [1, 2, lenHex];
  return null;
}

/** NLRI-style prefixes in b[from, to) parse (RFC 4271 §4.3, RFC 4760 §5): lengths within the family, octets present. */
export function prefixesParse(b: Uint8Array, from: number, to: number, maxBits: number): boolean {
  let o = from;
  while (o < to) {
    const len = b[o] ?? 0;
    if (len > maxBits) return false;
    o += 1 + ((len + 7) >> 3);
  }
  return o === to;
}

export interface UpdateFraming {
  /** Withdrawn Routes Length or Total Path Attribute Length overruns the message (RFC 7606 §4 first case: session reset). */
  readonly lengthsOverrun: boolean;
  /** Withdrawn Routes or NLRI do not parse (RFC 7606 §5.3: session reset). */
  readonly nlriInvalid: boolean;
  /** The attributes overrun the Total Path Attribute Length (RFC 7606 §4: treat-as-withdraw). */
  readonly attributesOverrun: boolean;
  /** Type codes in order of appearance, as far as they could be walked. */
  readonly types: readonly number[];
  /** Each attribute's flags. */
  readonly flags: readonly number[];
}

/** Walks an UPDATE body (after the header) without the codec. */
export function updateFraming(body: Uint8Array): UpdateFraming {
  const u16 = (o: number) => ((body[o] ?? 0) << 8) | (body[o + 1] ?? 0);
  const types: number[] = [];
  const flags: number[] = [];
  const end = body.length;
  if (end < 4) return { lengthsOverrun: true, nlriInvalid: false, attributesOverrun: false, types, flags };
  const wlen = u16(0);
  if (4 + wlen > end) return { lengthsOverrun: true, nlriInvalid: false, attributesOverrun: false, types, flags };
  const alen = u16(2 + wlen);
  const at = 4 + wlen;
  if (at + alen > end) return { lengthsOverrun: true, nlriInvalid: false, attributesOverrun: false, types, flags };
  const nlriInvalid = !prefixesParse(body, 2, 2 + wlen, 32) || !prefixesParse(body, at + alen, end, 32);
  let o = at;
  let attributesOverrun = false;
  while (o < at + alen) {
    const f = body[o] ?? 0;
    const hdr = (f & 0x10) !== 0 ? 4 : 3;
    if (o + hdr > at + alen) {
      attributesOverrun = true;
      break;
    }
    const n = hdr === 4 ? u16(o + 2) : (body[o + 2] ?? 0);
    if (o + hdr + n > at + alen) {
      attributesOverrun = true;
      break;
    }
    types.push(body[o + 1] ?? 0);
    flags.push(f);
    o += hdr + n;
  }
  return { lengthsOverrun: false, nlriInvalid, attributesOverrun, types, flags };
}

// ---- structure-aware repair for the fuzzers ------------------------------------------------------

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

/**
 * Makes a mutated message mostly well-framed: marker, length = size, and for an UPDATE the two
 * length fields and each attribute's length clamped to what is there, so mutations reach the
 * attribute decoders instead of dying at the header. Applied to part of the inputs only.
 */
export function repairMessage(d: Uint8Array, deep: boolean, keepMarker: boolean): Uint8Array {
  if (d.length < 19 || d.length > 65535) return d;
  const out = d.slice();
  if (!keepMarker) out.fill(0xff, 0, 16);
  put16(out, 16, out.length);
  if (!deep) return out;
  const u16 = (o: number) => ((out[o] ?? 0) << 8) | (out[o + 1] ?? 0);
  const end = out.length;
  if (out[18] === 2 && end >= 23) {
    let wlen = u16(19);
    if (23 + wlen > end) put16(out, 19, (wlen = end - 23));
    const ap = 21 + wlen;
    let alen = u16(ap);
    if (ap + 2 + alen > end) put16(out, ap, (alen = end - ap - 2));
    let o = ap + 2;
    const stop = ap + 2 + alen;
    while (o + 3 <= stop) {
      const ext = ((out[o] ?? 0) & 0x10) !== 0;
      const hdr = ext ? 4 : 3;
      if (o + hdr > stop) break;
      const room = stop - o - hdr;
      let n = ext ? u16(o + 2) : (out[o + 2] ?? 0);
      if (n > room) {
        n = ext ? room : Math.min(room, 255);
        if (ext) put16(out, o + 2, n);
        else out[o + 2] = n;
      }
      o += hdr + n;
    }
  } else if (out[18] === 1 && end >= 29 && out[28] !== 255) {
    out[28] = Math.min(end - 29, 254);
  }
  return out;
}
