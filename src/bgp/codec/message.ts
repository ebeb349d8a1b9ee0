// One complete message (as the framer hands them over) to a value and back. The session's
// negotiated state is the context: 4-octet AS (RFC 6793) and the maximum length (RFC 8654).
import type { DecodeContext } from './attr-decode.ts';
import type { EncodeContext } from './attr-encode.ts';
import { ok, type Notification } from './errors.ts';
import { findCapability, type Capability } from './capabilities.ts';
import { decodeHeader, encodeKeepalive, HEADER_LEN, MAX_EXTENDED_MESSAGE_LEN, MAX_MESSAGE_LEN, MSG_KEEPALIVE, MSG_NOTIFICATION, MSG_OPEN, MSG_UPDATE } from './header.ts';
import { decodeNotification, encodeNotification, type DecodedNotification } from './notification.ts';
import { decodeOpen, encodeOpen, type Open } from './open.ts';
import { decodeRouteRefresh, encodeRouteRefresh, type RouteRefresh } from './route-refresh.ts';
import { decodeUpdate, encodeUpdate, type DecodedUpdate, type Update } from './update.ts';
import type { Result } from '../../api/result.ts';
import type { BgpError } from './errors.ts';

export interface SessionContext extends DecodeContext, EncodeContext {
  /** 4096, or up to 65535 once both sides sent the Extended Message capability (RFC 8654). */
  readonly maxLength: number;
}

/** Before OPENs are exchanged: 2-octet AS_PATH, 4096-octet messages. */
export const INITIAL_CONTEXT: SessionContext = { fourOctetAs: false, maxLength: MAX_MESSAGE_LEN };

export type BgpMessage =
  | { readonly type: 'open'; readonly open: Open }
  | ({ readonly type: 'update' } & DecodedUpdate)
  | { readonly type: 'notification'; readonly notification: DecodedNotification }
  | { readonly type: 'keepalive' }
  | { readonly type: 'route-refresh'; readonly routeRefresh: RouteRefresh };

export type OutgoingMessage =
  | { readonly type: 'open'; readonly open: Open }
  | { readonly type: 'update'; readonly update: Update }
  | { readonly type: 'notification'; readonly notification: Notification }
  | { readonly type: 'keepalive' }
  | { readonly type: 'route-refresh'; readonly routeRefresh: RouteRefresh };

/** Decodes one whole message: header checks (§6.1), then the body. Never throws. */
export function decodeMessage(frame: Uint8Array, ctx: SessionContext): Result<BgpMessage, BgpError> {
  const header = decodeHeader(frame, ctx.maxLength);
  if (!header.ok) return header;
  const body = frame.subarray(HEADER_LEN);
  switch (header.value.type) {
    case MSG_OPEN: {
      const r = decodeOpen(body);
      return r.ok ? ok({ type: 'open', open: r.value }) : r;
    }
    case MSG_UPDATE: {
      const r = decodeUpdate(body, ctx);
      return r.ok ? ok({ type: 'update', ...r.value }) : r;
    }
    case MSG_NOTIFICATION: {
      const r = decodeNotification(body);
      return r.ok ? ok({ type: 'notification', notification: r.value }) : r;
    }
    case MSG_KEEPALIVE:
      return ok({ type: 'keepalive' });
    default: {
      const r = decodeRouteRefresh(body, frame);
      return r.ok ? ok({ type: 'route-refresh', routeRefresh: r.value }) : r;
    }
  }
}

export function encodeMessage(m: OutgoingMessage, ctx: SessionContext): Uint8Array {
  switch (m.type) {
    case 'open': return encodeOpen(m.open);
    case 'update': return encodeUpdate(m.update, ctx, ctx.maxLength);
    case 'notification': return encodeNotification(m.notification);
    case 'keepalive': return encodeKeepalive();
    case 'route-refresh': return encodeRouteRefresh(m.routeRefresh);
  }
}

/**
 * The wire context both OPENs settle (RFC 5492 §3: a capability counts when both sent it): 4-octet
 * AS_PATHs (RFC 6793) and the message size (RFC 8654). Hold time, families and graceful restart
 * are negotiated once, by the FSM (src/bgp/fsm.ts negotiate, issue #9).
 */
export function wireContext(local: Open, peer: Open): SessionContext {
  const both = (kind: Capability['kind']) => findCapability(local.capabilities, kind) !== undefined && findCapability(peer.capabilities, kind) !== undefined;
  return { fourOctetAs: both('four-octet-as'), maxLength: both('extended-message') ? MAX_EXTENDED_MESSAGE_LEN : MAX_MESSAGE_LEN };
}
