// NOTIFICATION, RFC 4271 §4.5: error code(1) subcode(1) data. For Cease (code 6) subcodes 2
// Administrative Shutdown and 4 Administrative Reset the data is an RFC 9003 Shutdown
// Communication: length(1) then that many octets of UTF-8, at most 255. A malformed one is not an
// error of the NOTIFICATION (RFC 9003 §4: log it); it decodes with `communication: null` and the
// raw data kept. Cease subcodes are RFC 4486 §4.
import { copy, strictUtf8, u8 } from '../../api/bytes.ts';
import { ERR_CEASE, fail, ok, u16Data, type Notification } from './errors.ts';
import { HEADER_LEN, MSG_NOTIFICATION, withHeader } from './header.ts';
import type { Result } from '../../api/result.ts';
import type { BgpError } from './errors.ts';

export const CEASE_MAX_PREFIXES = 1;
export const CEASE_ADMIN_SHUTDOWN = 2;
export const CEASE_PEER_DECONFIGURED = 3;
export const CEASE_ADMIN_RESET = 4;
export const CEASE_CONNECTION_REJECTED = 5;
export const CEASE_OTHER_CONFIGURATION_CHANGE = 6;
export const CEASE_CONNECTION_COLLISION = 7;
export const CEASE_OUT_OF_RESOURCES = 8;
export const CEASE_HARD_RESET = 9; // RFC 8538 §3
export const CEASE_BFD_DOWN = 10; // RFC 9384 §2
export const MAX_SHUTDOWN_COMMUNICATION = 255; // RFC 9003 §2

export interface DecodedNotification extends Notification {
  /** The RFC 9003 Shutdown Communication, when the code/subcode carries one and it is valid. */
  readonly communication: string | null;
}

export function encodeNotification(n: Notification): Uint8Array {
  const body = new Uint8Array(2 + n.data.length);
  body[0] = n.code;
  body[1] = n.subcode;
  body.set(n.data, 2);
  return withHeader(MSG_NOTIFICATION, body);
}

function carriesCommunication(code: number, subcode: number): boolean {
  return code === ERR_CEASE && (subcode === CEASE_ADMIN_SHUTDOWN || subcode === CEASE_ADMIN_RESET);
}


export function decodeNotification(body: Uint8Array): Result<DecodedNotification, BgpError> {
  if (body.length < 2) return fail('bad-message-length', `NOTIFICATION body of ${body.length} octets`, u16Data(HEADER_LEN + body.length));
  const code = u8(body, 0);
  const subcode = u8(body, 1);
  const data = copy(body, 2);
  let communication: string | null = null;
  if (carriesCommunication(code, subcode)) {
    const n = u8(data, 0); // 0 when there is no data, and then 1 + n > 0 octets
    if (1 + n <= data.length) {
      // Invalid UTF-8 (RFC 9003 §2): no communication.
      communication = strictUtf8(data.subarray(1, 1 + n));
    }
  }
  return ok({ code, subcode, data, communication });
}

/** Cease with an RFC 9003 Shutdown Communication, cut at a character boundary to 255 octets. */
export function shutdownNotification(subcode: typeof CEASE_ADMIN_SHUTDOWN | typeof CEASE_ADMIN_RESET, text: string): Notification {
  const bytes = new TextEncoder().encode(text);
  // Back off continuation octets (10xxxxxx) from octet 255: past the end there is none, and UTF-8
  // starts with a lead octet, so the cut never reaches 0 and a shorter text is kept whole.
  let end = MAX_SHUTDOWN_COMMUNICATION;
  while (((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  const cut = bytes.subarray(0, end);
  const data = new Uint8Array(1 + cut.length);
  data[0] = cut.length;
  data.set(cut, 1);
  return { code: ERR_CEASE, subcode, data };
}
