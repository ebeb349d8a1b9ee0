// The speaker-to-speaker heartbeat (docs/l2.md, "Liveness"): one small binary datagram per
// peer every heartbeat interval. Symmetric encode/decode, no sockets, errors as values.
//
// Layout (network byte order):
//   0  u8[2]  magic "HL"            2  u8  version (1)        3  u8  flags: 1 fenced, 2 leaving, 4 signed, 8 warming
//   4  u64    incarnation (< 2^53)  12 u32 seq                16 u32 apiAgeMs (0xffffffff = never)
//   20 str8   node
//      u8 n × str8                   policies this node can serve
//      u8 n × { str8 node, u64 incarnation, u32 seq, u16 ageMs }   peers heard (ack + witness)
//      u8 n × { u8 len (4|16), address, str8 holder ('' = released), u32 epoch }   Lease notes
//      [16 bytes HMAC-SHA256 of everything before, when flag 4]
// str8 = u8 byte length + UTF-8 bytes.
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { formatIP, parseIP } from '../api/addr.ts';
import { strictUtf8 } from '../api/bytes.ts';
import type { Result } from '../api/result.ts';

export const HEARTBEAT_VERSION = 1;
/** Below the common 1,500-byte MTU with room for IPv6 and UDP headers. */
export const HEARTBEAT_MAX_BYTES = 1400;
const MAGIC_0 = 0x48; // 'H'
const MAGIC_1 = 0x4c; // 'L'
const FLAG_FENCED = 1;
const FLAG_LEAVING = 2;
const FLAG_SIGNED = 4;
const FLAG_WARMING = 8;
/** The HMAC tag's length: a signed heartbeat is this much longer than the same one unsigned. */
export const HEARTBEAT_TAG_BYTES = 16;
const TAG_BYTES = HEARTBEAT_TAG_BYTES;
const NEVER = 0xffffffff;
const MAX_AGE = 0xffff;

export interface HeardEntry {
  node: string;
  incarnation: number;
  /** The last sequence number heard from that peer (an acknowledgement when it is the receiver). */
  seq: number;
  /** Milliseconds since it was heard, at send time; capped at 65,535. */
  ageMs: number;
}

export interface LeaseNote {
  ip: string;
  /** '' when the Lease was released. */
  holder: string;
  epoch: number;
}

export interface Heartbeat {
  node: string;
  incarnation: number;
  seq: number;
  fenced: boolean;
  leaving: boolean;
  /** Started less than D + J ago, or its Lease view is not synced yet: it takes nothing yet. */
  warming: boolean;
  /** Milliseconds since the sender's last successful API request; null = none yet. */
  apiAgeMs: number | null;
  policies: readonly string[];
  heard: readonly HeardEntry[];
  notes: readonly LeaseNote[];
}

export type HeartbeatErrorCode =
  | 'Truncated'
  | 'BadMagic'
  | 'BadVersion'
  | 'BadFlags'
  | 'BadString'
  | 'BadAddress'
  | 'BadField'
  | 'TrailingBytes'
  | 'Unsigned'
  | 'BadSignature'
  | 'TooLarge';

export interface HeartbeatError {
  code: HeartbeatErrorCode;
  message: string;
}

const fail = <T>(code: HeartbeatErrorCode, message: string): Result<T, HeartbeatError> => ({ ok: false, error: { code, message } });
const utf8 = new TextEncoder();
// strictUtf8 keeps a leading U+FEFF as part of the name, not stripped (else two spellings decode alike; fuzz finding).

/** Key bytes → their KeyObject: createHmac with raw bytes re-imports the key on every call, 5× the cost of the MAC itself (issue #10: ~30 MACs/s per speaker). */
const keyObjects = new WeakMap<Uint8Array, KeyObject>();

function tag(key: Uint8Array, body: Uint8Array): Buffer {
  let k = keyObjects.get(key);
  if (k === undefined) keyObjects.set(key, (k = createSecretKey(key)));
  return createHmac('sha256', k).update(body).digest().subarray(0, TAG_BYTES);
}

/**
 * A node's keys during a rotation (issue #14; docs/l2.md, "Rotating the heartbeat key"): it
 * signs with `sign` and accepts a heartbeat signed with `sign` or with `also` (the key before the
 * rotation, or the next one while every node learns it). Read at every call, so a holder whose
 * fields change (src/speaker/heartbeat-keys.ts reloads the mounted Secret) rotates in place.
 */
export interface HeartbeatKeys {
  readonly sign: Uint8Array;
  readonly also: Uint8Array | null;
}

/** One key (signs and verifies), or a rotation's pair. */
export type HeartbeatKey = Uint8Array | HeartbeatKeys;

function signingKey(key: HeartbeatKey): Uint8Array {
  return key instanceof Uint8Array ? key : key.sign;
}

/** Checks the tag against every accepted key (both are always computed: no timing tells which). */
function verified(key: HeartbeatKey, body: Uint8Array, got: Uint8Array): boolean {
  const keys = key instanceof Uint8Array ? [key] : key.also === null ? [key.sign] : [key.sign, key.also];
  let ok = false;
  for (const k of keys) if (timingSafeEqual(tag(k, body), got)) ok = true;
  return ok;
}

/**
 * The most an encoding can take: checkFields caps every list at 255 entries and `str8` every
 * string at 255 octets, so a heartbeat is bounded (about 200 KB, far above any datagram), plus
 * the 256-octet window `str8` encodes into.
 */
const MOST_BYTES = 20 + 256 + (1 + 255 * 256) + (1 + 255 * (256 + 8 + 4 + 2)) + (1 + 255 * (1 + 16 + 256 + 4)) + TAG_BYTES + 256;

/**
 * Writes big-endian fields into one scratch buffer, shared: encoding is synchronous, and the
 * result is copied out. A heartbeat is encoded every round, and at 100 nodes several times a
 * round while `fitHeartbeat` finds what fits: a buffer per field (and a BigInt per u64) made
 * encoding 99 heard entries cost 300 µs (issue #10).
 */
const scratch = new Uint8Array(MOST_BYTES);
const scratchView = new DataView(scratch.buffer);

class Writer {
  #at = 0;
  u8(v: number): void {
    scratchView.setUint8(this.#at, v);
    this.#at += 1;
  }
  u16(v: number): void {
    scratchView.setUint16(this.#at, v);
    this.#at += 2;
  }
  u32(v: number): void {
    scratchView.setUint32(this.#at, v);
    this.#at += 4;
  }
  /** An integer in 0..2^53-1 (checkFields made sure) as 8 octets. */
  u64(v: number): void {
    scratchView.setUint32(this.#at, Math.floor(v / 0x1_0000_0000));
    scratchView.setUint32(this.#at + 4, v >>> 0);
    this.#at += 8;
  }
  bytes(b: Uint8Array): void {
    scratch.set(b, this.#at);
    this.#at += b.length;
  }
  /**
   * `s` as UTF-8 after its length in one octet, and null; or, when that is over 255 octets, its
   * length, and nothing kept. UTF-8 is written into a window of 256 octets: a string that does
   * not fit whole is longer than 255.
   */
  str8(s: string): number | null {
    const { read, written } = utf8.encodeInto(s, scratch.subarray(this.#at + 1, this.#at + 257));
    if (read < s.length || written > 255) return utf8.encode(s).length;
    scratch[this.#at] = written;
    this.#at += 1 + written;
    return null;
  }
  get size(): number {
    return this.#at;
  }
  /** What was written so far, without a copy (valid until the next encoding). */
  view(): Uint8Array {
    return scratch.subarray(0, this.#at);
  }
  done(): Uint8Array {
    return scratch.slice(0, this.#at);
  }
}

const isUint = (v: number, max: number): boolean => Number.isInteger(v) && v >= 0 && v <= max;

function checkFields(m: Heartbeat): HeartbeatError | null {
  const bad = (message: string): HeartbeatError => ({ code: 'BadField', message });
  if (m.node === '') return bad('node name is empty');
  if (!isUint(m.incarnation, Number.MAX_SAFE_INTEGER)) return bad(`incarnation ${m.incarnation} is not an integer in 0..2^53-1`);
  if (!isUint(m.seq, 0xffffffff)) return bad(`seq ${m.seq} is not a u32`);
  if (m.apiAgeMs !== null && !(m.apiAgeMs >= 0)) return bad(`apiAgeMs ${m.apiAgeMs} is negative`);
  for (const [what, n] of [['policies', m.policies.length], ['heard', m.heard.length], ['notes', m.notes.length]] as const) {
    if (n > 255) return bad(`${n} ${what} entries; at most 255`);
  }
  for (const h of m.heard) {
    if (h.node === '') return bad('a heard entry has an empty node name');
    if (!isUint(h.incarnation, Number.MAX_SAFE_INTEGER) || !isUint(h.seq, 0xffffffff) || !(h.ageMs >= 0)) return bad(`heard entry for ${h.node} has an out-of-range number`);
  }
  for (const n of m.notes) if (!isUint(n.epoch, 0xffffffff)) return bad(`note for ${n.ip} has epoch ${n.epoch}, not a u32`);
  return null;
}

function str8(w: Writer, s: string, what: string): HeartbeatError | null {
  const tooLong = w.str8(s);
  return tooLong === null ? null : { code: 'BadString', message: `${what} is ${tooLong} bytes of UTF-8; at most 255` };
}

/** Encodes a heartbeat; signs it when a key is given (a rotation's signing key). Fails rather than truncate. */
export function encodeHeartbeat(m: Heartbeat, key?: HeartbeatKey, maxBytes = HEARTBEAT_MAX_BYTES): Result<Uint8Array, HeartbeatError> {
  const problem = checkFields(m);
  if (problem !== null) return { ok: false, error: problem };
  const w = new Writer();
  w.u8(MAGIC_0);
  w.u8(MAGIC_1);
  w.u8(HEARTBEAT_VERSION);
  w.u8((m.fenced ? FLAG_FENCED : 0) | (m.leaving ? FLAG_LEAVING : 0) | (m.warming ? FLAG_WARMING : 0) | (key !== undefined ? FLAG_SIGNED : 0));
  w.u64(m.incarnation);
  w.u32(m.seq);
  w.u32(m.apiAgeMs === null ? NEVER : Math.min(Math.round(m.apiAgeMs), NEVER - 1));
  const errors: (HeartbeatError | null)[] = [str8(w, m.node, 'node')];
  w.u8(m.policies.length);
  for (const p of m.policies) errors.push(str8(w, p, 'policy name'));
  w.u8(m.heard.length);
  for (const h of m.heard) {
    errors.push(str8(w, h.node, 'heard node'));
    w.u64(h.incarnation);
    w.u32(h.seq);
    w.u16(Math.min(Math.round(h.ageMs), MAX_AGE));
  }
  w.u8(m.notes.length);
  for (const n of m.notes) {
    const addr = parseIP(n.ip);
    if (!addr.ok) return fail('BadAddress', `note address: ${addr.error.message}`);
    const len = addr.value.family === 'IPv4' ? 4 : 16;
    const b = new Uint8Array(len);
    let v = addr.value.value;
    for (let i = len - 1; i >= 0; i--, v >>= 8n) b[i] = Number(v & 0xffn);
    w.u8(len);
    w.bytes(b);
    errors.push(str8(w, n.holder, 'note holder'));
    w.u32(n.epoch);
  }
  const firstError = errors.find((e) => e !== null);
  if (firstError) return { ok: false, error: firstError };
  const size = w.size + (key !== undefined ? TAG_BYTES : 0);
  if (size > maxBytes) return fail('TooLarge', `heartbeat is ${size} bytes; at most ${maxBytes}`);
  if (key !== undefined) w.bytes(tag(signingKey(key), w.view()));
  return { ok: true, value: w.done() };
}

class Reader {
  readonly #b: Uint8Array;
  readonly #view: DataView;
  at = 0;
  readonly end: number;
  constructor(b: Uint8Array, end: number) {
    this.#b = b;
    this.#view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.end = end;
  }
  has(n: number): boolean {
    return this.at + n <= this.end;
  }
  u8(): number {
    return this.#view.getUint8(this.at++);
  }
  u16(): number {
    const v = this.#view.getUint16(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    const v = this.#view.getUint32(this.at);
    this.at += 4;
    return v;
  }
  /** 8 octets as their high and low 32 bits (no BigInt on the hot path). */
  u64(): { hi: number; lo: number } {
    const hi = this.#view.getUint32(this.at);
    const lo = this.#view.getUint32(this.at + 4);
    this.at += 8;
    return { hi, lo };
  }
  bytes(n: number): Uint8Array {
    const v = this.#b.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
}

/** Thrown only inside decodeHeartbeat and peekHeartbeatSender and turned into a value there; never escapes. */
class DecodeFailure extends Error {
  readonly code: HeartbeatErrorCode;
  constructor(code: HeartbeatErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

function need(r: Reader, n: number, what: string): void {
  if (!r.has(n)) throw new DecodeFailure('Truncated', `truncated in ${what} at byte ${r.at}`);
}

function readStr(r: Reader, what: string): string {
  need(r, 1, what);
  const len = r.u8();
  need(r, len, what);
  const text = strictUtf8(r.bytes(len));
  if (text === null) throw new DecodeFailure('BadString', `${what} is not valid UTF-8`);
  return text;
}

function readIncarnation(r: Reader, what: string): number {
  need(r, 8, what);
  const { hi, lo } = r.u64();
  // 2^53-1 is 0x1fffff in the high 32 bits and anything in the low ones.
  if (hi > 0x1f_ffff) throw new DecodeFailure('BadField', `${what} ${(BigInt(hi) << 32n) | BigInt(lo)} is above 2^53-1`);
  return hi * 0x1_0000_0000 + lo;
}

/**
 * Decodes and checks a heartbeat. With a key, only a heartbeat signed with it (or with either
 * key of a rotation) is accepted; without one, a signature is skipped (this node cannot check it).
 */
export function decodeHeartbeat(buf: Uint8Array, key?: HeartbeatKey): Result<Heartbeat, HeartbeatError> {
  if (buf.length < 4) return fail('Truncated', `${buf.length} bytes; a heartbeat has at least 21`);
  if (buf[0] !== MAGIC_0 || buf[1] !== MAGIC_1) return fail('BadMagic', 'not a Herald heartbeat (magic is not "HL")');
  if (buf[2] !== HEARTBEAT_VERSION) return fail('BadVersion', `version ${String(buf[2])}; this speaker reads version ${HEARTBEAT_VERSION}`);
  const flags = buf[3] ?? 0;
  if ((flags & ~(FLAG_FENCED | FLAG_LEAVING | FLAG_SIGNED | FLAG_WARMING)) !== 0) return fail('BadFlags', `unknown flag bits 0x${flags.toString(16)}`);
  const signed = (flags & FLAG_SIGNED) !== 0;
  if (key !== undefined && !signed) return fail('Unsigned', 'heartbeat is not signed, and this speaker requires a signature');
  const end = signed ? buf.length - TAG_BYTES : buf.length;
  if (end < 4) return fail('Truncated', 'too short for its signature');
  if (key !== undefined && !verified(key, buf.subarray(0, end), buf.subarray(end))) return fail('BadSignature', 'signature does not match (wrong key, or the datagram was altered)');
  const r = new Reader(buf, end);
  r.at = 4;
  try {
    const incarnation = readIncarnation(r, 'incarnation');
    need(r, 8, 'header');
    const seq = r.u32();
    const age = r.u32();
    const node = readStr(r, 'node');
    if (node === '') throw new DecodeFailure('BadField', 'node name is empty');
    need(r, 1, 'policy count');
    const policies: string[] = [];
    for (let i = r.u8(); i > 0; i--) policies.push(readStr(r, 'policy name'));
    need(r, 1, 'heard count');
    // Plain loops: a heartbeat from each peer every round, ~60 entries each at 100 nodes.
    const heard: HeardEntry[] = [];
    for (let i = r.u8(); i > 0; i--) {
      const n = readStr(r, 'heard node');
      if (n === '') throw new DecodeFailure('BadField', 'a heard entry has an empty node name');
      const inc = readIncarnation(r, 'heard incarnation');
      need(r, 6, 'heard entry');
      heard.push({ node: n, incarnation: inc, seq: r.u32(), ageMs: r.u16() });
    }
    need(r, 1, 'note count');
    const notes = Array.from({ length: r.u8() }, (): LeaseNote => {
      need(r, 1, 'note address length');
      const len = r.u8();
      if (len !== 4 && len !== 16) throw new DecodeFailure('BadAddress', `note address length ${len}; must be 4 or 16`);
      need(r, len, 'note address');
      let value = 0n;
      for (const byte of r.bytes(len)) value = (value << 8n) | BigInt(byte);
      const holder = readStr(r, 'note holder');
      need(r, 4, 'note epoch');
      return { ip: formatIP({ family: len === 4 ? 'IPv4' : 'IPv6', value }), holder, epoch: r.u32() };
    });
    if (r.at !== end) throw new DecodeFailure('TrailingBytes', `${end - r.at} bytes after the last field`);
    const m: Heartbeat = { node, incarnation, seq, fenced: (flags & FLAG_FENCED) !== 0, leaving: (flags & FLAG_LEAVING) !== 0, warming: (flags & FLAG_WARMING) !== 0, apiAgeMs: age === NEVER ? null : age, policies, heard, notes };
    return { ok: true, value: m };
  } catch (e) {
    if (e instanceof DecodeFailure) return fail(e.code, e.message);
    throw e;
  }
}

/** Who a datagram says sent it, read from the header only; nothing verified (see below). */
export interface HeartbeatSender {
  node: string;
  incarnation: number;
  seq: number;
}

/**
 * The sender fields of a heartbeat's header, unverified, or null when they do not parse. For one
 * use: a heartbeat whose header equals the last one counted from that node is the same heartbeat
 * again (a peer sending to several of our addresses) and is dropped before its MAC is checked,
 * which is the costly part (issue #10). A forger gains nothing by it: what it repeats was counted.
 */
export function peekHeartbeatSender(buf: Uint8Array): HeartbeatSender | null {
  if (buf.length < 21 || buf[0] !== MAGIC_0 || buf[1] !== MAGIC_1 || buf[2] !== HEARTBEAT_VERSION) return null;
  const r = new Reader(buf, buf.length);
  r.at = 4;
  try {
    const incarnation = readIncarnation(r, 'incarnation');
    const seq = r.u32();
    r.u32();
    return { node: readStr(r, 'node'), incarnation, seq };
  } catch (e) {
    if (e instanceof DecodeFailure) return null;
    throw e;
  }
}
