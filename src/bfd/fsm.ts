// The state machine of one BFD session (RFC 5880 §6.8, asynchronous mode; single hop, RFC 5881).
// Pure: the socket shell feeds it events (decoded packets, timer expiries, configuration, admin
// commands) and carries out the actions it returns (send a packet, arm or cancel a timer, report a
// state change). No sockets, no clocks: timers are durations and jitter comes from an injected
// random source, so tests run in virtual time (STYLE.md lesson 4).
import { BFD_VERSION } from './codec.ts';
import { DIAG, type BfdAction, type BfdControl, type BfdEvent, type BfdSnapshot, type BfdState, type BfdTimers } from './types.ts';

/** RFC 5880 §6.8.3: bfd.DesiredMinTxInterval is at least one second while the session is not Up. */
export const SLOW_TX_US = 1_000_000;
/** RFC 5880 §6.8.1: bfd.RemoteMinRxInterval before anything is heard. */
export const INITIAL_REMOTE_MIN_RX_US = 1;

/** Why `sessionCheck` discards a packet that the codec accepted (RFC 5880 §6.8.6). */
export type SessionDiscard = 'your-discriminator-mismatch' | 'zero-your-discriminator' | 'admin-down';

/**
 * The session-level reception checks of RFC 5880 §6.8.6, in its order; null when the packet is
 * for this session. Your Discriminator non-zero selects the session, so another value is not ours;
 * zero is allowed only while the sender is Down or AdminDown (it has not heard us yet); and a
 * session that is AdminDown discards every packet.
 */
export function sessionCheck(p: BfdControl, localDiscriminator: number, state: BfdState): SessionDiscard | null {
  if (p.yourDiscriminator !== 0 && p.yourDiscriminator !== localDiscriminator) return 'your-discriminator-mismatch';
  if (p.yourDiscriminator === 0 && p.state !== 'Down' && p.state !== 'AdminDown') return 'zero-your-discriminator';
  if (state === 'AdminDown') return 'admin-down';
  return null;
}

export interface BfdFsmOptions {
  /** bfd.LocalDiscr: non-zero, unique among this system's sessions (RFC 5880 §6.8.1). */
  localDiscriminator: number;
  timers: BfdTimers;
  /** In [0, 1): the jitter of RFC 5880 §6.8.7. Math.random in production. */
  random: () => number;
}

/** What a change is compared against: the state and the intervals packets announced before it. */
interface Before {
  readonly state: BfdState;
  readonly txUs: number;
  readonly rxUs: number;
}

type DetectTimer = 'arm' | 'cancel' | 'keep';

export class BfdFsm {
  readonly #localDiscr: number;
  readonly #random: () => number;
  #timers: BfdTimers;
  #started = false;
  // RFC 5880 §6.8.1 state variables (Demand mode and authentication are not implemented).
  #state: BfdState = 'Down';
  #localDiag: number = DIAG.NONE;
  #remoteState: BfdState = 'Down';
  #remoteDiscr = 0;
  #remoteMinRxUs = INITIAL_REMOTE_MIN_RX_US;
  // From the last accepted packet: what the Detection Time is made of (§6.8.4), and its diag.
  #remoteMinTxUs = 0;
  #remoteDetectMult = 0;
  #remoteDiag = 0;
  // A Poll Sequence of ours (§6.5), and the values §6.8.3 keeps in use until it ends.
  #polling = false;
  #heldTxUs: number | null = null;
  #heldRxUs: number | null = null;
  // The transmit interval in use (before jitter; null: no periodic packets) and the Detection Time
  // the running `detect` timer was armed with (null: none runs).
  #txUs: number | null = null;
  #detectUs: number | null = null;

  constructor(o: BfdFsmOptions) {
    this.#localDiscr = o.localDiscriminator;
    this.#timers = o.timers;
    this.#random = o.random;
  }

  /** Begins periodic transmission in state Down: one packet at once, then every jittered interval. */
  start(): BfdAction[] {
    if (this.#started) return [];
    this.#started = true;
    return [this.#send(false), ...this.#armTx(true)];
  }

  /** Events before `start()` are ignored. */
  handle(e: BfdEvent): BfdAction[] {
    if (!this.#started) return [];
    switch (e.kind) {
      case 'Received':
        return this.#received(e.packet);
      case 'TimerExpired':
        return e.timer === 'tx' ? this.#txExpired() : this.#detectExpired();
      case 'Configure':
        return this.#configure(e.timers);
      case 'AdminDown':
        return this.#adminDown(e.diag);
      case 'AdminUp':
        return this.#adminUp();
    }
  }

  snapshot(): BfdSnapshot {
    return {
      state: this.#state,
      remoteState: this.#remoteState,
      localDiag: this.#localDiag,
      remoteDiag: this.#remoteDiag,
      localDiscriminator: this.#localDiscr,
      remoteDiscriminator: this.#remoteDiscr,
      txIntervalMs: this.#txUs === null ? null : this.#txUs / 1000,
      detectionTimeMs: this.#detectUs === null ? null : this.#detectUs / 1000,
      polling: this.#polling,
    };
  }

  // ---- events ----------------------------------------------------------------------------------

  /** RFC 5880 §6.8.6, after the codec's checks and `sessionCheck`. */
  #received(p: BfdControl): BfdAction[] {
    if (sessionCheck(p, this.#localDiscr, this.#state) !== null) return [];
    const before = this.#before();
    this.#remoteDiscr = p.myDiscriminator;
    this.#remoteState = p.state;
    this.#remoteDiag = p.diag;
    this.#remoteMinRxUs = p.requiredMinRxUs;
    this.#remoteMinTxUs = p.desiredMinTxUs;
    this.#remoteDetectMult = p.detectMult;
    if (p.final) this.#endPoll(); // §6.5: the Final ends our Poll Sequence
    if (p.state === 'AdminDown') {
      if (this.#state !== 'Down') this.#down(DIAG.NEIGHBOR_SIGNALED_SESSION_DOWN);
    } else if (this.#state === 'Down') {
      if (p.state === 'Down') this.#state = 'Init';
      else if (p.state === 'Init') this.#up();
    } else if (this.#state === 'Init') {
      if (p.state === 'Init' || p.state === 'Up') this.#up();
    } else if (p.state === 'Down') {
      this.#down(DIAG.NEIGHBOR_SIGNALED_SESSION_DOWN); // we are Up
    }
    return this.#settle(before, p.poll, 'arm');
  }

  /** RFC 5880 §6.8.7: a periodic packet, and the next one armed. A late expiry after a cancel is ignored. */
  #txExpired(): BfdAction[] {
    if (this.#txUs === null) return [];
    return [this.#send(false), ...this.#armTx(true)];
  }

  /** RFC 5880 §6.8.4 and §6.8.1 (bfd.RemoteDiscr): a Detection Time passed without a packet. */
  #detectExpired(): BfdAction[] {
    if (this.#detectUs === null) return [];
    const before = this.#before();
    this.#detectUs = null;
    this.#remoteDiscr = 0;
    this.#remoteState = 'Down';
    if (this.#state === 'Init' || this.#state === 'Up') this.#down(DIAG.CONTROL_DETECTION_TIME_EXPIRED);
    return this.#settle(before, false, 'keep');
  }

  /** RFC 5880 §6.8.3: new intervals take effect through `#settle`'s Poll Sequence rules. */
  #configure(timers: BfdTimers): BfdAction[] {
    const before = this.#before();
    this.#timers = timers;
    return this.#settle(before, false, 'keep');
  }

  /** RFC 5880 §6.8.16: AdminDown stops detection; packets go on, saying AdminDown. */
  #adminDown(diag: number): BfdAction[] {
    if (this.#state === 'AdminDown') return [];
    const before = this.#before();
    this.#state = 'AdminDown';
    this.#localDiag = diag;
    return this.#settle(before, false, 'cancel');
  }

  /** RFC 5880 §6.8.16: enabling the session sets it Down. */
  #adminUp(): BfdAction[] {
    if (this.#state !== 'AdminDown') return [];
    const before = this.#before();
    this.#state = 'Down';
    this.#localDiag = DIAG.NONE;
    return this.#settle(before, false, 'keep');
  }

  // ---- transitions and their consequences ------------------------------------------------------

  #down(diag: number): void {
    this.#state = 'Down';
    this.#localDiag = diag;
  }

  #up(): void {
    this.#state = 'Up';
    this.#localDiag = DIAG.NONE;
  }

  #before(): Before {
    return { state: this.#state, txUs: this.#desiredMinTxUs(), rxUs: this.#timers.requiredMinRxUs };
  }

  /**
   * What every event ends with: the state change reported, the Poll Sequence rules of §6.8.3
   * applied to the intervals packets announce, a packet sent at once on a state change or to answer
   * a Poll (§6.8.7: F set, P clear, outside the transmit timer), `detect` and `tx` re-armed.
   */
  #settle(before: Before, answerPoll: boolean, detect: DetectTimer): BfdAction[] {
    const out: BfdAction[] = [];
    const changed = this.#state !== before.state;
    if (changed) out.push({ kind: 'state', from: before.state, to: this.#state, diag: this.#localDiag });
    this.#announce(before);
    if (changed || answerPoll) out.push(this.#send(answerPoll));
    out.push(...this.#armTx(false));
    if (detect === 'arm') {
      this.#detectUs = this.#remoteDetectMult * Math.max(this.#rxInEffectUs(), this.#remoteMinTxUs); // §6.8.4
      out.push({ kind: 'timer', timer: 'detect', ms: this.#detectUs / 1000 });
    } else if (detect === 'cancel') {
      this.#detectUs = null;
      out.push({ kind: 'timer', timer: 'detect', ms: null });
    }
    return out;
  }

  /**
   * RFC 5880 §6.8.3: a change of the announced bfd.DesiredMinTxInterval or
   * bfd.RequiredMinRxInterval (by configuration, or by the one-second floor coming or going with
   * Up) starts a Poll Sequence. While Up, a larger DesiredMinTx is not used for transmission, and
   * a smaller RequiredMinRx is not used in the Detection Time, until the Poll ends. A Poll needs
   * a peer to answer it and a state that reads the answer: none while bfd.RemoteDiscr is 0 (as
   * BIRD) or in AdminDown (which discards every packet, §6.8.6).
   */
  #announce(before: Before): void {
    const txUs = this.#desiredMinTxUs();
    const rxUs = this.#timers.requiredMinRxUs;
    if (this.#state !== 'Up') {
      this.#heldTxUs = null;
      this.#heldRxUs = null;
    }
    if (txUs !== before.txUs || rxUs !== before.rxUs) {
      if (this.#state === 'Up') {
        const usedTxUs = this.#heldTxUs ?? before.txUs;
        this.#heldTxUs = txUs > usedTxUs ? usedTxUs : null;
        const usedRxUs = this.#heldRxUs ?? before.rxUs;
        this.#heldRxUs = rxUs < usedRxUs ? usedRxUs : null;
      }
      this.#polling = true;
    }
    if (this.#remoteDiscr === 0 || this.#state === 'AdminDown') this.#endPoll();
  }

  #endPoll(): void {
    this.#polling = false;
    this.#heldTxUs = null;
    this.#heldRxUs = null;
  }

  /** bfd.DesiredMinTxInterval as packets carry it: at least one second while not Up (§6.8.3). */
  #desiredMinTxUs(): number {
    return this.#state === 'Up' ? this.#timers.desiredMinTxUs : Math.max(this.#timers.desiredMinTxUs, SLOW_TX_US);
  }

  #rxInEffectUs(): number {
    return this.#heldRxUs ?? this.#timers.requiredMinRxUs;
  }

  /**
   * RFC 5880 §6.8.7: the transmit interval is the larger of the DesiredMinTx in use and
   * bfd.RemoteMinRxInterval; no periodic packets when that is 0. Each arm is jittered to 75–100 %
   * of it (75–90 % when bfd.DetectMult is 1). `always` after a packet; otherwise only a shorter
   * interval re-arms at once (the peer may time us with it): a longer one waits for the running
   * timer, which fires sooner, so no packet is ever later than the schedule the peer knew.
   */
  #armTx(always: boolean): BfdAction[] {
    const previousUs = this.#txUs;
    const intervalUs = this.#remoteMinRxUs === 0 ? null : Math.max(this.#heldTxUs ?? this.#desiredMinTxUs(), this.#remoteMinRxUs);
    this.#txUs = intervalUs;
    if (intervalUs === null) return previousUs === null ? [] : [{ kind: 'timer', timer: 'tx', ms: null }];
    if (!always && previousUs !== null && intervalUs >= previousUs) return [];
    const spread = this.#timers.detectMult === 1 ? 0.15 : 0.25;
    return [{ kind: 'timer', timer: 'tx', ms: (intervalUs * (0.75 + spread * this.#random())) / 1000 }];
  }

  /** RFC 5880 §6.8.7: the packet this session sends now. Never both P and F (§4.1). */
  #send(final: boolean): BfdAction {
    const packet: BfdControl = {
      version: BFD_VERSION,
      diag: this.#localDiag,
      state: this.#state,
      poll: this.#polling && !final,
      final,
      cpi: false,
      auth: false,
      demand: false,
      multipoint: false,
      detectMult: this.#timers.detectMult,
      myDiscriminator: this.#localDiscr,
      yourDiscriminator: this.#remoteDiscr,
      desiredMinTxUs: this.#desiredMinTxUs(),
      requiredMinRxUs: this.#timers.requiredMinRxUs,
      requiredMinEchoRxUs: 0,
    };
    return { kind: 'send', packet };
  }
}
