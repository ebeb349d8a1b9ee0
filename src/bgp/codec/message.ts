// One complete message (as the framer hands them over) to a value and back. The session's
// negotiated state is the context: 4-octet AS (RFC 6793) and the maximum length (RFC 8654).
import type { DecodeContext } from './attr-decode.ts';
import type { EncodeContext } from './attr-encode.ts';
import { ok, type BgpResult, type Notification } from './errors.ts';
import { findCapability, type Capability } from './capabilities.ts';
import { decodeHeader, encodeKeepalive, HEADER_LEN, MAX_EXTENDED_MESSAGE_LEN, MAX_MESSAGE_LEN, MSG_KEEPALIVE, MSG_NOTIFICATION, MSG_OPEN, MSG_UPDATE } from './header.ts';
import { decodeNotification, encodeNotification, type DecodedNotification } from './notification.ts';
import { decodeOpen, encodeOpen, openAsn, type Open } from './open.ts';
import { AFI_IPV4, SAFI_UNICAST, type AfiSafi } from './prefix.ts';
import { decodeRouteRefresh, encodeRouteRefresh, type RouteRefresh } from './route-refresh.ts';
import { decodeUpdate, encodeUpdate, type DecodedUpdate, type Update } from './update.ts';

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
export function decodeMessage(frame: Uint8Array, ctx: SessionContext): BgpResult<BgpMessage> {
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

export interface Negotiated extends SessionContext {
  /** RFC 4271 §4.2: the smaller of the two hold times (0 means no keepalives). */
  readonly holdTime: number;
  readonly peerAsn: number;
  /** Multiprotocol capabilities both sides sent (RFC 4760 §8); IPv4 unicast if neither sent any. */
  readonly families: readonly AfiSafi[];
  readonly routeRefresh: boolean;
  readonly enhancedRouteRefresh: boolean;
  /** The peer's graceful-restart capability (RFC 4724), if it sent one. */
  readonly peerGracefulRestart: Extract<Capability, { kind: 'graceful-restart' }> | undefined;
}

/** What an exchange of OPENs settles (RFC 5492 §3: a capability counts when both sent it). */
export function negotiate(local: Open, peer: Open): Negotiated {
  const both = (kind: Capability['kind']) => findCapability(local.capabilities, kind) !== undefined && findCapability(peer.capabilities, kind) !== undefined;
  const mp = (o: Open) => o.capabilities.flatMap((c) => (c.kind === 'multiprotocol' ? [{ afi: c.afi, safi: c.safi }] : []));
  const localMp = mp(local);
  const peerMp = mp(peer);
  const families = localMp.length === 0 && peerMp.length === 0
    ? [{ afi: AFI_IPV4, safi: SAFI_UNICAST }]
    : localMp.filter((l) => peerMp.some((p) => p.afi === l.afi && p.safi === l.safi));
  return {
    fourOctetAs: both('four-octet-as'),
    maxLength: both('extended-message') ? MAX_EXTENDED_MESSAGE_LEN : MAX_MESSAGE_LEN,
    holdTime: Math.min(local.holdTime, peer.holdTime),
    peerAsn: openAsn(peer),
    families,
    routeRefresh: both('route-refresh'),
    enhancedRouteRefresh: both('enhanced-route-refresh'),
    peerGracefulRestart: findCapability(peer.capabilities, 'graceful-restart'),
  };
}
