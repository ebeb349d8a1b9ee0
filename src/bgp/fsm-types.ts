// The vocabulary of the BGP finite state machine (RFC 4271 §8): its states, the events the
// session shell feeds it and the actions it returns. The FSM sees decoded messages only as the
// few facts it decides on, so it stays apart from the codec (STYLE.md lesson 4).

export type FsmState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

export type TimerName = 'connectRetry' | 'hold' | 'keepalive' | 'idleHold';

/** The facts of a received OPEN the FSM checks and negotiates (RFC 4271 §4.2, §6.2). */
export interface PeerOpen {
  version: number;
  /** The 4-octet AS when the peer sent the capability (RFC 6793 §4.1), else My Autonomous System. */
  asn: number;
  /** My Autonomous System field as sent (23456 = AS_TRANS when the real one is 4-octet). */
  asField: number;
  holdTime: number;
  /** BGP Identifier as an unsigned 32-bit number. */
  routerId: number;
  fourOctetAs: boolean;
  routeRefresh: boolean;
  /** AFI/SAFI pairs of the multiprotocol capability, e.g. "ipv4-unicast". */
  families: readonly string[];
  /** Present when the peer sent the graceful restart capability (RFC 4724 §3). */
  gracefulRestart: { restarting: boolean; timeSeconds: number; families: readonly { family: string; forwardingPreserved: boolean }[] } | null;
}

import type { Notification } from './codec/index.ts';

export type { Notification };

/** A message the codec could not accept, with what RFC 4271 §6 / RFC 7606 say to do about it. */
export interface ReceivedError {
  notification: Notification;
  /** RFC 7606 §2: only an UPDATE may be handled without tearing the session down. */
  action: 'session-reset' | 'treat-as-withdraw' | 'attribute-discard';
}

export type FsmEvent =
  | { kind: 'ManualStart' }
  /** RFC 9003: an administrative stop says why; `mode` restart keeps the peer's routes (RFC 4724). */
  | { kind: 'ManualStop'; mode: 'shutdown' | 'restart'; message: string }
  | { kind: 'AutomaticStart' }
  | { kind: 'TimerExpired'; timer: TimerName }
  | { kind: 'TcpConnected' }
  | { kind: 'TcpFailed'; reason: string }
  /** RFC 4271 §6.8: the FSM's connection lost a collision; the session adopts the other one. */
  | { kind: 'Collision' }
  /** BFD declared the path down (RFC 5882 §4.3): the session goes now, not at the hold timer. */
  | { kind: 'BfdDown' }
  | { kind: 'Open'; open: PeerOpen }
  | { kind: 'Keepalive' }
  | { kind: 'Update'; endOfRib: boolean }
  | { kind: 'RouteRefresh'; family: string }
  | { kind: 'Notification'; notification: Notification }
  | { kind: 'Error'; error: ReceivedError };

/** What this side offers in its OPEN, and what it expects of the peer. */
export interface LocalConfig {
  asn: number;
  /** The AS the peer must have (RFC 4271 §6.2 Bad Peer AS). */
  peerAsn: number;
  routerId: number;
  /** 0 (no keepalives, no hold timer) or ≥ 3 (RFC 4271 §4.2). */
  holdTimeSeconds: number;
  /** Desired keepalive interval; the negotiated one is min(this, hold/3). */
  keepaliveSeconds: number;
  connectRetrySeconds: number;
  /** Initiate connections (active) or only wait for them (passive). */
  active: boolean;
  families: readonly string[];
  gracefulRestart: { enabled: boolean; restartTimeSeconds: number };
}

export interface Negotiated {
  holdTimeSeconds: number;
  keepaliveSeconds: number;
  fourOctetAs: boolean;
  routeRefresh: boolean;
  /** Families both sides announced (or IPv4 unicast alone when neither sent MP, RFC 4760 §8). */
  families: string[];
  /** Both sides sent graceful restart: the peer keeps our routes while we restart. */
  gracefulRestart: boolean;
  peerRouterId: number;
  peerAsn: number;
}

export type DownReason =
  | { kind: 'stopped'; mode: 'shutdown' | 'restart' }
  | { kind: 'notification-sent'; notification: Notification }
  | { kind: 'notification-received'; notification: Notification }
  | { kind: 'hold-timer-expired' }
  | { kind: 'bfd-down' }
  | { kind: 'tcp-failed'; reason: string };

export type FsmAction =
  | { kind: 'connect' }
  | { kind: 'sendOpen' }
  | { kind: 'sendKeepalive' }
  | { kind: 'sendNotification'; notification: Notification }
  /** Close the TCP connection (after flushing what was sent). */
  | { kind: 'close' }
  /** Arm (ms) or cancel (null) a timer. */
  | { kind: 'timer'; timer: TimerName; ms: number | null }
  | { kind: 'established'; negotiated: Negotiated }
  /** The session left Established or an attempt ended; the shell counts it and may restart. */
  | { kind: 'down'; reason: DownReason }
  | { kind: 'update'; endOfRib: boolean }
  | { kind: 'routeRefresh'; family: string }
  /** An UPDATE error handled without a reset (RFC 7606): counted and logged. */
  | { kind: 'updateError'; error: ReceivedError };
