// ROUTE-REFRESH, RFC 2918 §3: AFI(2) reserved(1) SAFI(1). RFC 7313 §3 turns the reserved octet
// into a subtype: 0 normal request, 1 Beginning of Route Refresh, 2 End of Route Refresh. Other
// subtypes decode as they are: RFC 7313 §5 says to ignore the message, which is the FSM's call.
import { copy, put16, u16, u8 } from '../../api/bytes.ts';
import { fail, ok } from './errors.ts';
import { HEADER_LEN, MSG_ROUTE_REFRESH, newMessage } from './header.ts';
import type { Result } from '../../api/result.ts';
import type { BgpError } from './errors.ts';

export const REFRESH_REQUEST = 0;
export const REFRESH_BORR = 1;
export const REFRESH_EORR = 2;

export interface RouteRefresh {
  readonly afi: number;
  readonly safi: number;
  readonly subtype: number;
}

export function encodeRouteRefresh(r: RouteRefresh): Uint8Array {
  const out = newMessage(MSG_ROUTE_REFRESH, HEADER_LEN + 4);
  put16(out, HEADER_LEN, r.afi);
  out[HEADER_LEN + 2] = r.subtype;
  out[HEADER_LEN + 3] = r.safi;
  return out;
}

/** RFC 7313 §5: a length other than 23 is ROUTE-REFRESH Message Error 7/1, data = the message. */
export function decodeRouteRefresh(body: Uint8Array, message: Uint8Array): Result<RouteRefresh, BgpError> {
  if (body.length !== 4) return fail('invalid-route-refresh-length', `ROUTE-REFRESH of ${HEADER_LEN + body.length} octets`, copy(message));
  return ok({ afi: u16(body, 0), subtype: u8(body, 2), safi: u8(body, 3) });
}
