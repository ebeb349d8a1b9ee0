// The message header, RFC 4271 §4.1: marker(16) = all ones, length(2), type(1). Length is
// 19..4096, or up to 65535 once both sides sent the Extended Message capability (RFC 8654 §4;
// OPEN and KEEPALIVE stay ≤ 4096 even then). Header checks follow §6.1 in its order.
import { put16, u16, u8 } from '../../api/bytes.ts';
import { fail, ok, u16Data } from './errors.ts';
import type { Result } from '../../api/result.ts';
import type { BgpError } from './errors.ts';

export const HEADER_LEN = 19;
export const MAX_MESSAGE_LEN = 4096;
export const MAX_EXTENDED_MESSAGE_LEN = 65535; // RFC 8654

export const MSG_OPEN = 1;
export const MSG_UPDATE = 2;
export const MSG_NOTIFICATION = 3;
export const MSG_KEEPALIVE = 4;
export const MSG_ROUTE_REFRESH = 5; // RFC 2918

export type MessageType = 'open' | 'update' | 'notification' | 'keepalive' | 'route-refresh';
export const MESSAGE_TYPES: Readonly<Record<number, MessageType>> = {
  [MSG_OPEN]: 'open',
  [MSG_UPDATE]: 'update',
  [MSG_NOTIFICATION]: 'notification',
  [MSG_KEEPALIVE]: 'keepalive',
  // Stryker disable next-line StringLiteral: ROUTE-REFRESH's bounds are the framing's (below), so no message names it
  [MSG_ROUTE_REFRESH]: 'route-refresh',
};

/** §6.1 "Bad Message Length" bounds per type, given the negotiated maximum. */
function lengthBounds(type: number, maxLength: number): readonly [number, number] {
  switch (type) {
    case MSG_OPEN: return [29, MAX_MESSAGE_LEN]; // §4.2 minimum; RFC 8654 §4: OPEN ≤ 4096
    case MSG_UPDATE: return [23, maxLength]; // §4.3
    case MSG_NOTIFICATION: return [21, maxLength]; // §4.5
    case MSG_KEEPALIVE: return [HEADER_LEN, HEADER_LEN]; // §4.4: header only
    // Stryker disable next-line ArrayDeclaration: checkFraming has already held the length to these bounds
    default: return [HEADER_LEN, maxLength]; // ROUTE-REFRESH: RFC 7313 §5 has its own error
  }
}

export interface Header {
  readonly length: number;
  readonly type: number;
}

/** Marker and length only: what the stream framer must know before buffering a body (§6.1). */
export function checkFraming(b: Uint8Array, maxLength: number): Result<Header, BgpError> {
  for (let i = 0; i < 16; i++) {
    if (u8(b, i) !== 0xff) return fail('connection-not-synchronized', 'marker is not all ones (RFC 4271 §4.1)');
  }
  const length = u16(b, 16);
  if (length < HEADER_LEN || length > maxLength) {
    return fail('bad-message-length', `message length ${length} outside ${HEADER_LEN}..${maxLength}`, u16Data(length));
  }
  return ok({ length, type: u8(b, 18) });
}

/**
 * Decodes and checks a whole message's header against the bytes given (one complete message, as
 * the framer hands them over): marker, length, type, then the type's length bounds.
 */
export function decodeHeader(b: Uint8Array, maxLength: number = MAX_MESSAGE_LEN): Result<Header, BgpError> {
  if (b.length < HEADER_LEN) return fail('bad-message-length', `${b.length} bytes, a header is ${HEADER_LEN}`, u16Data(b.length));
  const framing = checkFraming(b, maxLength);
  if (!framing.ok) return framing;
  const { length, type } = framing.value;
  if (length !== b.length) return fail('bad-message-length', `length field ${length}, message has ${b.length} bytes`, u16Data(length));
  if (MESSAGE_TYPES[type] === undefined) return fail('bad-message-type', `message type ${type}`, Uint8Array.of(type));
  const [min, max] = lengthBounds(type, maxLength);
  if (length < min || length > max) {
    return fail('bad-message-length', `${MESSAGE_TYPES[type]} of length ${length} outside ${min}..${max}`, u16Data(length));
  }
  return ok(framing.value);
}

/** A message buffer of `length` bytes with the header written; the body is left to the caller. */
export function newMessage(type: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  writeHeader(out, 0, type, length);
  return out;
}

export function writeHeader(out: Uint8Array, o: number, type: number, length: number): void {
  out.fill(0xff, o, o + 16);
  put16(out, o + 16, length);
  out[o + 18] = type;
}

/** KEEPALIVE, RFC 4271 §4.4: the header alone. */
export function encodeKeepalive(): Uint8Array {
  return newMessage(MSG_KEEPALIVE, HEADER_LEN);
}

/** Wraps a body in a header. Bodies past the limit are the encoder's caller's bug. */
export function withHeader(type: number, body: Uint8Array): Uint8Array {
  const out = newMessage(type, HEADER_LEN + body.length);
  out.set(body, HEADER_LEN);
  return out;
}
