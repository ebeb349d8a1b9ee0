// The BGP-4 finite state machine of one peer (RFC 4271 §8). Pure: the session shell feeds it
// events (timer expiries, TCP outcomes, decoded messages) and carries out the actions it returns
// (connect, send, close, arm or cancel a timer). No sockets, no clocks: timers are durations and
// jitter comes from an injected random source, so tests run in virtual time (STYLE.md lesson 4).
import { BGP_VERSION, CEASE_ADMIN_RESET, CEASE_ADMIN_SHUTDOWN, CEASE_BFD_DOWN, CEASE_CONNECTION_COLLISION, ERRORS, ERR_CEASE, ERR_FSM, ERR_HOLD_TIMER, shutdownNotification, u16Data } from './codec/index.ts';
import type { BgpErrorCode } from './codec/index.ts';
import type { DownReason, FsmAction, FsmEvent, FsmState, LocalConfig, Negotiated, Notification, PeerOpen, TimerName } from './fsm-types.ts';

// NOTIFICATIONs the FSM itself raises come from the codec's table (RFC 4271 §4.5, §6; RFC 6608).
const FSM_UNEXPECTED_IN_OPENSENT = 1; // RFC 6608 §4
const FSM_UNEXPECTED_IN_OPENCONFIRM = 2;
const FSM_UNEXPECTED_IN_ESTABLISHED = 3;

/** RFC 4271 §8.2.2: the hold timer in OpenSent, "a large value" (4 minutes suggested). */
export const OPENSENT_HOLD_MS = 240_000;
/** Idle hold (RFC 4271 §8.1.1 DampPeerOscillations): from 1 s, doubling per failure, at most 60 s. */
export const IDLE_HOLD_MIN_MS = 1_000;
export const IDLE_HOLD_MAX_MS = 60_000;

const NO_DATA = new Uint8Array(0);

function notification(code: number, subcode: number, data: Uint8Array = NO_DATA): Notification {
  return { code, subcode, data };
}

/** An OPEN refused: the NOTIFICATION of the codec's table (RFC 4271 §6.2), the whole of what the FSM reports. */
function refused(code: BgpErrorCode, data: Uint8Array = NO_DATA): Notification {
  const [c, s] = ERRORS[code];
  return notification(c, s, data);
}

/**
 * The checks of RFC 4271 §6.2 on a received OPEN; null when it is acceptable. A refusal is its
 * NOTIFICATION only, which the FSM sends and gives as the `down` reason; it carries no message,
 * which nothing would read (issue #15 Finding 3): the code and subcode say which check refused it.
 */
export function checkOpen(open: PeerOpen, local: LocalConfig): Notification | null {
  // §6.2: the data of Unsupported Version Number is the largest version we support.
  if (open.version !== BGP_VERSION) return refused('unsupported-version', u16Data(BGP_VERSION));
  if (open.asn !== local.peerAsn) return refused('bad-peer-as');
  // RFC 6286 §2.2: zero is never valid; equal to ours only matters for an internal peer.
  if (open.routerId === 0 || (open.routerId === local.routerId && local.peerAsn === local.asn)) return refused('bad-bgp-identifier');
  if (open.holdTime === 1 || open.holdTime === 2) return refused('unacceptable-hold-time');
  return null;
}

/** RFC 4271 §4.2 (hold time), RFC 4760 §8 (families), RFC 4724 (graceful restart). */
export function negotiate(open: PeerOpen, local: LocalConfig): Negotiated {
  const holdTimeSeconds = Math.min(open.holdTime, local.holdTimeSeconds);
  const keepaliveSeconds = holdTimeSeconds === 0 ? 0 : Math.max(1, Math.min(local.keepaliveSeconds, Math.floor(holdTimeSeconds / 3)));
  // A peer that sends no multiprotocol capability speaks IPv4 unicast only.
  const theirs = open.families.length === 0 ? ['ipv4-unicast'] : open.families;
  return {
    holdTimeSeconds,
    keepaliveSeconds,
    fourOctetAs: open.fourOctetAs,
    routeRefresh: open.routeRefresh,
    families: local.families.filter((f) => theirs.includes(f)),
    gracefulRestart: local.gracefulRestart.enabled && open.gracefulRestart !== null,
    peerRouterId: open.routerId,
    peerAsn: open.asn,
  };
}

export interface FsmOptions {
  local: LocalConfig;
  /** In [0, 1): jitter of RFC 4271 §10 (timers × 0.75–1.0). Math.random in production. */
  random: () => number;
}

export class BgpFsm {
  readonly #local: LocalConfig;
  readonly #random: () => number;
  #state: FsmState = 'Idle';
  #negotiated: Negotiated | null = null;
  #failures = 0;
  #stopped = true;

  constructor(o: FsmOptions) {
    this.#local = o.local;
    this.#random = o.random;
  }

  get state(): FsmState {
    return this.#state;
  }

  get negotiated(): Negotiated | null {
    return this.#negotiated;
  }

  handle(e: FsmEvent): FsmAction[] {
    switch (e.kind) {
      case 'ManualStart':
        this.#stopped = false;
        this.#failures = 0;
        return this.#state === 'Idle' ? this.#start() : [];
      case 'AutomaticStart':
        return this.#state === 'Idle' && !this.#stopped ? this.#start() : [];
      case 'ManualStop':
        return this.#manualStop(e.mode, e.message);
      case 'TimerExpired':
        return this.#timer(e.timer);
      case 'TcpConnected':
        return this.#connected();
      case 'TcpFailed':
        return this.#tcpFailed(e.reason);
      case 'Collision':
        return this.#collision();
      case 'BfdDown':
        return this.#bfdDown();
      default:
        return this.#message(e);
    }
  }

  // ---- starting and connecting (RFC 4271 §8.2.2, Idle, Connect and Active) ------------------

  #start(): FsmAction[] {
    const retry = this.#arm('connectRetry', this.#local.connectRetrySeconds * 1000);
    if (this.#local.active) {
      this.#state = 'Connect';
      return [retry, { kind: 'connect' }];
    }
    this.#state = 'Active';
    return [retry];
  }

  /** Only for the connection this FSM runs on: a second one is the session's to resolve (RFC 4271 §6.8). */
  #connected(): FsmAction[] {
    if (this.#state !== 'Connect' && this.#state !== 'Active') return [];
    this.#state = 'OpenSent';
    return [this.#cancel('connectRetry'), { kind: 'sendOpen' }, this.#armExact('hold', OPENSENT_HOLD_MS)];
  }

  #tcpFailed(reason: string): FsmAction[] {
    switch (this.#state) {
      case 'Idle':
        return [];
      case 'Connect':
        // The attempt failed: wait for the peer to connect to us until the retry timer fires.
        this.#state = 'Active';
        return [this.#arm('connectRetry', this.#local.connectRetrySeconds * 1000)];
      case 'OpenSent':
        this.#state = 'Active';
        return [{ kind: 'close' }, this.#cancel('hold'), this.#arm('connectRetry', this.#local.connectRetrySeconds * 1000)];
      default:
        return this.#toIdle({ kind: 'tcp-failed', reason }, []);
    }
  }

  /**
   * RFC 4271 §6.8: the connection this FSM runs on lost a collision to one the session holds.
   * Cease / Connection Collision Resolution on it, then Active, ready for the winner's
   * TcpConnected (no idle hold: nothing failed).
   */
  #collision(): FsmAction[] {
    if (this.#state !== 'OpenSent' && this.#state !== 'OpenConfirm') return [];
    this.#state = 'Active';
    this.#negotiated = null;
    return [{ kind: 'sendNotification', notification: notification(ERR_CEASE, CEASE_CONNECTION_COLLISION) }, { kind: 'close' }, this.#cancel('hold'), this.#cancel('keepalive'), this.#cancel('connectRetry')];
  }

  /**
   * RFC 5882 §4.3: BFD saw the forwarding path fail, so the session is torn down at once, with
   * Cease / BFD Down (RFC 9384 §2) in case the peer still hears us; it restarts as after any
   * failure (idle hold). Before a connection carries an OPEN there is no session to tear down.
   */
  #bfdDown(): FsmAction[] {
    const s = this.#state;
    if (s !== 'OpenSent' && s !== 'OpenConfirm' && s !== 'Established') return [];
    return this.#fail(notification(ERR_CEASE, CEASE_BFD_DOWN), { kind: 'bfd-down' });
  }

  #timer(t: TimerName): FsmAction[] {
    switch (t) {
      case 'idleHold':
        return this.#state === 'Idle' && !this.#stopped ? this.#start() : [];
      case 'connectRetry':
        if (this.#state === 'Connect' || (this.#state === 'Active' && this.#local.active)) {
          this.#state = 'Connect';
          return [{ kind: 'close' }, this.#arm('connectRetry', this.#local.connectRetrySeconds * 1000), { kind: 'connect' }];
        }
        if (this.#state === 'Active') return [this.#arm('connectRetry', this.#local.connectRetrySeconds * 1000)];
        return [];
      case 'hold':
        if (this.#state === 'OpenSent' || this.#state === 'OpenConfirm' || this.#state === 'Established') {
          return this.#fail(notification(ERR_HOLD_TIMER, 0), { kind: 'hold-timer-expired' });
        }
        return [];
      case 'keepalive':
        if (this.#state === 'OpenConfirm' || this.#state === 'Established') return [{ kind: 'sendKeepalive' }, this.#keepaliveTimer()];
        return [];
    }
  }

  // ---- messages -----------------------------------------------------------------------------

  #message(e: Exclude<FsmEvent, { kind: 'ManualStart' | 'AutomaticStart' | 'ManualStop' | 'TimerExpired' | 'TcpConnected' | 'TcpFailed' | 'Collision' | 'BfdDown' }>): FsmAction[] {
    const s = this.#state;
    if (s === 'Idle') return [];
    if (s === 'Connect' || s === 'Active') return this.#toIdle({ kind: 'tcp-failed', reason: `${e.kind} before the connection was set up` }, [{ kind: 'close' }]);
    if (e.kind === 'Notification') return this.#toIdle({ kind: 'notification-received', notification: e.notification }, [{ kind: 'close' }]);
    if (e.kind === 'Error') {
      // RFC 7606: an UPDATE error that is not a session reset keeps the session (a withdraw or
      // a discarded attribute); everything else is a NOTIFICATION and a reset (RFC 4271 §6).
      if (s === 'Established' && e.error.action !== 'session-reset') return [{ kind: 'updateError', error: e.error }, this.#holdTimer()];
      return this.#fail(e.error.notification, { kind: 'notification-sent', notification: e.error.notification });
    }
    switch (s) {
      case 'OpenSent':
        if (e.kind === 'Open') return this.#open(e.open);
        return this.#fsmError(FSM_UNEXPECTED_IN_OPENSENT);
      case 'OpenConfirm':
        if (e.kind === 'Keepalive') {
          this.#state = 'Established';
          this.#failures = 0;
          const negotiated = this.#negotiated;
          return negotiated === null ? this.#fsmError(FSM_UNEXPECTED_IN_OPENCONFIRM) : [{ kind: 'established', negotiated }, this.#holdTimer()];
        }
        return this.#fsmError(FSM_UNEXPECTED_IN_OPENCONFIRM);
      case 'Established':
        if (e.kind === 'Keepalive') return [this.#holdTimer()];
        if (e.kind === 'Update') return [{ kind: 'update', endOfRib: e.endOfRib }, this.#holdTimer()];
        if (e.kind === 'RouteRefresh') return [{ kind: 'routeRefresh', family: e.family }, this.#holdTimer()];
        return this.#fsmError(FSM_UNEXPECTED_IN_ESTABLISHED);
    }
  }

  #open(open: PeerOpen): FsmAction[] {
    const bad = checkOpen(open, this.#local);
    if (bad !== null) return this.#fail(bad, { kind: 'notification-sent', notification: bad });
    const n = negotiate(open, this.#local);
    this.#negotiated = n;
    this.#state = 'OpenConfirm';
    // RFC 4271 §4.4: with a hold time of zero, no KEEPALIVEs are sent periodically.
    return [{ kind: 'sendKeepalive' }, this.#holdTimer(), this.#keepaliveTimer()];
  }

  #holdTimer(): FsmAction {
    // Stryker disable next-line OptionalChaining: the hold timer is armed only once an OPEN was negotiated
    const hold = this.#negotiated?.holdTimeSeconds ?? 0;
    return hold === 0 ? this.#cancel('hold') : this.#armExact('hold', hold * 1000);
  }

  #keepaliveTimer(): FsmAction {
    // Stryker disable next-line OptionalChaining: the keepalive timer is armed only once an OPEN was negotiated
    const k = this.#negotiated?.keepaliveSeconds ?? 0;
    return k === 0 ? this.#cancel('keepalive') : this.#arm('keepalive', k * 1000);
  }

  // ---- stopping and failing -----------------------------------------------------------------

  #manualStop(mode: 'shutdown' | 'restart', message: string): FsmAction[] {
    this.#stopped = true;
    const s = this.#state;
    if (s === 'Idle') return [this.#cancel('idleHold')];
    const actions: FsmAction[] = [];
    const open = s === 'OpenSent' || s === 'OpenConfirm' || s === 'Established';
    // RFC 4724 §4: a restarting speaker just drops the session, so the peer keeps its routes
    // for the restart time; a shutdown says Cease (RFC 9003) so the peer withdraws at once.
    // Stryker disable next-line OptionalChaining: read only in Established, where an OPEN was always negotiated
    const keepRoutes = mode === 'restart' && s === 'Established' && this.#negotiated?.gracefulRestart === true;
    if (open && !keepRoutes) actions.push({ kind: 'sendNotification', notification: shutdownNotification(mode === 'shutdown' ? CEASE_ADMIN_SHUTDOWN : CEASE_ADMIN_RESET, message) });
    actions.push({ kind: 'close' });
    return this.#toIdle({ kind: 'stopped', mode }, actions);
  }

  #fsmError(subcode: number): FsmAction[] {
    const n = notification(ERR_FSM, subcode);
    return this.#fail(n, { kind: 'notification-sent', notification: n });
  }

  #fail(n: Notification, reason: DownReason): FsmAction[] {
    return this.#toIdle(reason, [{ kind: 'sendNotification', notification: n }, { kind: 'close' }]);
  }

  #toIdle(reason: DownReason, first: FsmAction[]): FsmAction[] {
    this.#state = 'Idle';
    this.#negotiated = null;
    const actions: FsmAction[] = [...first, this.#cancel('connectRetry'), this.#cancel('hold'), this.#cancel('keepalive'), { kind: 'down', reason }];
    if (!this.#stopped) {
      // Peer oscillation damping: each failure in a row doubles the wait before the next start.
      const wait = Math.min(IDLE_HOLD_MAX_MS, IDLE_HOLD_MIN_MS * 2 ** Math.min(this.#failures, 16));
      this.#failures++;
      actions.push(this.#arm('idleHold', wait));
    }
    return actions;
  }

  // ---- timers -------------------------------------------------------------------------------

  /** RFC 4271 §10: jitter every timer but the hold timer by a factor in [0.75, 1.0]. */
  #arm(timer: TimerName, ms: number): FsmAction {
    return { kind: 'timer', timer, ms: Math.max(1, Math.round(ms * (0.75 + 0.25 * this.#random()))) };
  }

  #armExact(timer: TimerName, ms: number): FsmAction {
    return { kind: 'timer', timer, ms };
  }

  #cancel(timer: TimerName): FsmAction {
    return { kind: 'timer', timer, ms: null };
  }
}
