// Errors of the BGP codec as values (STYLE.md lesson 3, after GoBGP's MessageError): each carries
// a stable `code`, the RFC 4271 §6 NOTIFICATION to send (code, subcode, data) and the RFC 7606
// revised error handling `action`, so the FSM turns a decode error into a NOTIFICATION or a
// withdraw without a lookup table. Decoding never throws: it returns one of these.
import type { Prefix } from './family.ts';
import type { Result } from '../../api/result.ts';

/** RFC 4271 §4.5 error codes. */
export const ERR_HEADER = 1;
export const ERR_OPEN = 2;
export const ERR_UPDATE = 3;
export const ERR_HOLD_TIMER = 4;
export const ERR_FSM = 5;
export const ERR_CEASE = 6;
export const ERR_ROUTE_REFRESH = 7; // RFC 7313 §5

/** Stable codes, each with its NOTIFICATION (code/subcode) beside it. */
export const ERRORS = {
  // §6.1 Message Header error handling
  'connection-not-synchronized': [ERR_HEADER, 1],
  'bad-message-length': [ERR_HEADER, 2],
  'bad-message-type': [ERR_HEADER, 3],
  // §6.2 OPEN message error handling
  'malformed-optional-parameter': [ERR_OPEN, 0], // "recognized, but malformed": subcode 0 (Unspecific)
  'unsupported-version': [ERR_OPEN, 1],
  'bad-peer-as': [ERR_OPEN, 2],
  'bad-bgp-identifier': [ERR_OPEN, 3],
  'unsupported-optional-parameter': [ERR_OPEN, 4],
  'unacceptable-hold-time': [ERR_OPEN, 6],
  'unsupported-capability': [ERR_OPEN, 7], // RFC 5492 §5
  // §6.3 UPDATE message error handling
  'malformed-attribute-list': [ERR_UPDATE, 1],
  'unrecognized-well-known-attribute': [ERR_UPDATE, 2],
  'missing-well-known-attribute': [ERR_UPDATE, 3],
  'attribute-flags-error': [ERR_UPDATE, 4],
  'attribute-length-error': [ERR_UPDATE, 5],
  'invalid-origin': [ERR_UPDATE, 6],
  'invalid-next-hop': [ERR_UPDATE, 8],
  'optional-attribute-error': [ERR_UPDATE, 9],
  'invalid-network-field': [ERR_UPDATE, 10],
  'malformed-as-path': [ERR_UPDATE, 11],
  // RFC 7606 §7.5: LOCAL_PREF from an external peer is discarded (never sent: 0 is Unspecific)
  'local-pref-from-external': [ERR_UPDATE, 0],
  // RFC 7313 §5: ROUTE-REFRESH with a length other than 23
  'invalid-route-refresh-length': [ERR_ROUTE_REFRESH, 1],
} as const satisfies Record<string, readonly [number, number]>;

export type BgpErrorCode = keyof typeof ERRORS;

/**
 * RFC 7606 §2: what to do about a malformed UPDATE. `session-reset` is RFC 4271's NOTIFICATION;
 * `treat-as-withdraw` withdraws every prefix the UPDATE carried (`withdraw` on the error);
 * `attribute-discard` drops the attribute and processes the rest (the UPDATE decodes, the error
 * is listed in its `discarded`). Header and OPEN errors are always `session-reset`.
 */
export type ErrorAction = 'session-reset' | 'treat-as-withdraw' | 'attribute-discard';

export interface Notification {
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

export interface BgpError {
  readonly code: BgpErrorCode;
  readonly message: string;
  /** The NOTIFICATION RFC 4271 §6 prescribes (sent only when `action` is `session-reset`). */
  readonly notification: Notification;
  readonly action: ErrorAction;
  /** For `treat-as-withdraw`: every prefix of the UPDATE (withdrawn, NLRI, MP_REACH, MP_UNREACH). */
  readonly withdraw: readonly Prefix[];
}

const NO_DATA = new Uint8Array(0);

export function bgpError(code: BgpErrorCode, message: string, data: Uint8Array = NO_DATA, action: ErrorAction = 'session-reset'): BgpError {
  const [c, s] = ERRORS[code];
  return { code, message, notification: { code: c, subcode: s, data }, action, withdraw: [] };
}

export function ok<T>(value: T): Result<T, BgpError> {
  return { ok: true, value };
}

export function fail<T>(code: BgpErrorCode, message: string, data?: Uint8Array, action?: ErrorAction): Result<T, BgpError> {
  return { ok: false, error: bgpError(code, message, data, action) };
}

/** The same error with another action (RFC 7606 per-attribute rules) or the prefixes to withdraw. */
export function withAction(error: BgpError, action: ErrorAction, withdraw: readonly Prefix[] = []): BgpError {
  return { ...error, action, withdraw };
}

/** RFC 7606 §3: when several errors are found the most severe approach wins. */
export const SEVERITY: Readonly<Record<ErrorAction, number>> = { 'attribute-discard': 0, 'treat-as-withdraw': 1, 'session-reset': 2 };

/** A two-byte big-endian value as NOTIFICATION data (bad message length, unsupported version). */
export function u16Data(value: number): Uint8Array {
  return Uint8Array.of((value >> 8) & 0xff, value & 0xff);
}
