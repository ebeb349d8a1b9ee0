// The vocabulary of BFD (RFC 5880) as Herald speaks it: the Control packet the codec reads and
// writes, and the events and actions of one session's state machine. Asynchronous mode only
// (issue #11: demand mode is not needed, echo is optional and not sent); single hop (RFC 5881).
// A leaf: the codec, the FSM and the socket shell all import it.

/** RFC 5880 §4.1 State (Sta): 0 AdminDown, 1 Down, 2 Init, 3 Up. */
export type BfdState = 'AdminDown' | 'Down' | 'Init' | 'Up';

export const BFD_STATES: readonly BfdState[] = ['AdminDown', 'Down', 'Init', 'Up'];

/** RFC 5880 §4.1 Diagnostic (Diag) codes this implementation sets or names. */
export const DIAG = {
  NONE: 0,
  CONTROL_DETECTION_TIME_EXPIRED: 1,
  ECHO_FUNCTION_FAILED: 2,
  NEIGHBOR_SIGNALED_SESSION_DOWN: 3,
  FORWARDING_PLANE_RESET: 4,
  PATH_DOWN: 5,
  CONCATENATED_PATH_DOWN: 6,
  ADMINISTRATIVELY_DOWN: 7,
  REVERSE_CONCATENATED_PATH_DOWN: 8,
} as const;

/** Names of the diagnostic codes, for logs and `herald status` (RFC 5880 §4.1). */
export const DIAG_NAMES: Readonly<Record<number, string>> = {
  0: 'none',
  1: 'control-detection-time-expired',
  2: 'echo-function-failed',
  3: 'neighbor-signaled-session-down',
  4: 'forwarding-plane-reset',
  5: 'path-down',
  6: 'concatenated-path-down',
  7: 'administratively-down',
  8: 'reverse-concatenated-path-down',
};

/**
 * One BFD Control packet (RFC 5880 §4.1), mandatory section. Intervals are in microseconds, as
 * on the wire. The Authentication section is not supported: a packet with the A bit is refused
 * by the decoder (§6.7: a session without authentication discards authenticated packets).
 */
export interface BfdControl {
  /** Vers: always 1. */
  readonly version: number;
  /** 0..31. */
  readonly diag: number;
  readonly state: BfdState;
  readonly poll: boolean;
  readonly final: boolean;
  /** C: Control Plane Independent. */
  readonly cpi: boolean;
  readonly auth: boolean;
  readonly demand: boolean;
  readonly multipoint: boolean;
  /** 1..255. */
  readonly detectMult: number;
  readonly myDiscriminator: number;
  readonly yourDiscriminator: number;
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
  readonly requiredMinEchoRxUs: number;
}

/** Why a received packet was refused (RFC 5880 §6.8.6 reception checks), with a stable code. */
export type BfdDecodeErrorCode =
  | 'short-packet'
  | 'bad-version'
  | 'bad-length'
  | 'zero-detect-mult'
  | 'multipoint-set'
  | 'zero-my-discriminator'
  | 'auth-unsupported';

export interface BfdDecodeError {
  readonly code: BfdDecodeErrorCode;
  readonly message: string;
}

/** The timers this side asks for (RFC 5880 §6.8.1 bfd.DesiredMinTxInterval and friends). */
export interface BfdTimers {
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
  /** bfd.DetectMult, 1..255. */
  readonly detectMult: number;
}

export type BfdTimerName = 'tx' | 'detect';

export type BfdEvent =
  /** A decoded packet for this session (the shell has matched it by discriminator or address). */
  | { readonly kind: 'Received'; readonly packet: BfdControl }
  | { readonly kind: 'TimerExpired'; readonly timer: BfdTimerName }
  /** New timers from configuration: a Poll Sequence when Up (RFC 5880 §6.8.3). */
  | { readonly kind: 'Configure'; readonly timers: BfdTimers }
  /** RFC 5880 §6.8.16: AdminDown (with a diagnostic) or back to Down. */
  | { readonly kind: 'AdminDown'; readonly diag: number }
  | { readonly kind: 'AdminUp' };

export type BfdAction =
  | { readonly kind: 'send'; readonly packet: BfdControl }
  /** Arm (ms, from now) or cancel (null) a timer. */
  | { readonly kind: 'timer'; readonly timer: BfdTimerName; readonly ms: number | null }
  /** bfd.SessionState changed; `diag` is bfd.LocalDiag after the change. */
  | { readonly kind: 'state'; readonly from: BfdState; readonly to: BfdState; readonly diag: number };

/** What `herald status` and the metrics show of a session. */
export interface BfdSnapshot {
  readonly state: BfdState;
  readonly remoteState: BfdState;
  readonly localDiag: number;
  readonly remoteDiag: number;
  readonly localDiscriminator: number;
  readonly remoteDiscriminator: number;
  /** The interval packets are sent at now (before jitter), ms; null while not sending. */
  readonly txIntervalMs: number | null;
  /** The Detection Time now (RFC 5880 §6.8.4), ms; null until the peer is heard. */
  readonly detectionTimeMs: number | null;
  /** A Poll Sequence this side started is waiting for its Final (RFC 5880 §6.5). */
  readonly polling: boolean;
}
