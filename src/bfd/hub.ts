// The imperative shell of BFD (RFC 5880 asynchronous mode, RFC 5881 single hop): the sockets,
// the timers and the demultiplexing around one pure BfdFsm per peer (fsm.ts). Declarative: `set`
// a peer's session (created, or reconfigured with a Poll Sequence), `delete` it; state changes
// reach the caller through hooks, and the caller decides what a Down means (the BGP speaker tears
// its session down, RFC 5882 §4.3).
//
// Sockets (RFC 5881 §4): one listening socket per family on UDP 3784, and per session one socket
// bound to a source port from 49152-65535, kept for the session's life. Every packet goes with
// TTL 255 and one that arrives with less is dropped (RFC 5881 §5), so a packet from beyond the
// link cannot hold a session up.
import { decodeControl, encodeControl } from './codec.ts';
import { BfdFsm, sessionCheck } from './fsm.ts';
import type { BfdAction, BfdSnapshot, BfdState, BfdTimerName, BfdTimers } from './types.ts';
import { DIAG } from './types.ts';
import type { UdpDatagram, UdpSocket, UdpSocketOptions } from '../net/udp-socket.ts';
import type { NetError, NetResult } from '../net/types.ts';

/** RFC 5881 §4: Control packets go to UDP 3784. */
export const BFD_CONTROL_PORT = 3784;
/** RFC 5881 §4: the source port, the same for a session's every packet, from this range. */
export const SOURCE_PORT_MIN = 49152;
export const SOURCE_PORT_MAX = 65535;
/** RFC 5881 §5: sent with, and only accepted at, TTL / hop limit 255. */
export const BFD_TTL = 255;
/** Source ports tried before a session gives up for now (each taken port is another try). */
const PORT_TRIES = 16;

export interface BfdPeerConfig {
  readonly peerAddress: string;
  readonly family: 4 | 6;
  /** Bind the session's socket to this address (the BGPPeer's sourceAddress); null: the kernel's choice. */
  readonly localAddress: string | null;
  readonly timers: BfdTimers;
}

export interface BfdSessionStatus extends BfdSnapshot {
  readonly name: string;
  readonly peerAddress: string;
}

export interface BfdHubHooks {
  onState?(name: string, from: BfdState, to: BfdState, diag: number): void;
  onPacket?(name: string, direction: 'sent' | 'received'): void;
  /** A received packet dropped before any session saw it, or one a session refused; `reason` is a stable code. */
  onDiscard?(reason: string): void;
  onError?(what: string, error: NetError): void;
}

export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BfdHubOptions {
  readonly openUdp: (o: UdpSocketOptions) => NetResult<UdpSocket>;
  readonly clock: Clock;
  readonly random: () => number;
  readonly hooks?: BfdHubHooks;
  /** The port Control packets go to and are received on; tests use another. */
  readonly port?: number;
}

interface Entry {
  readonly name: string;
  /** Replaced when only the timers change (same peer, same socket). */
  config: BfdPeerConfig;
  readonly fsm: BfdFsm;
  readonly discriminator: number;
  readonly socket: UdpSocket;
  readonly timers: Map<BfdTimerName, unknown>;
}

export class BfdHub {
  readonly #o: BfdHubOptions;
  readonly #port: number;
  readonly #byName = new Map<string, Entry>();
  readonly #byDiscriminator = new Map<number, Entry>();
  readonly #byPeer = new Map<string, Entry>();
  readonly #listeners = new Map<4 | 6, UdpSocket>();

  constructor(o: BfdHubOptions) {
    this.#o = o;
    this.#port = o.port ?? BFD_CONTROL_PORT;
  }

  /**
   * Creates the session, or gives a running one new timers (a Poll Sequence when Up). A new peer
   * or local address is a new session. An error (the port taken by another BFD daemon, no such
   * local address) leaves no session; the caller retries on its next pass.
   */
  set(name: string, config: BfdPeerConfig): NetResult<void> {
    const old = this.#byName.get(name);
    if (old !== undefined && old.config.peerAddress === config.peerAddress && old.config.localAddress === config.localAddress) {
      if (!sameTimers(old.config.timers, config.timers)) {
        old.config = config;
        this.#apply(old, old.fsm.handle({ kind: 'Configure', timers: config.timers }));
      }
      return { ok: true, value: undefined };
    }
    if (old !== undefined) this.delete(name);
    const owner = this.#byPeer.get(config.peerAddress);
    if (owner !== undefined) return { ok: false, error: { code: 'InvalidArgument', message: `BFD peer ${config.peerAddress} already has a session (${owner.name})` } };
    const listener = this.#listener(config.family);
    if (!listener.ok) return listener;
    const socket = this.#sessionSocket(config);
    if (!socket.ok) {
      this.#closeIdleListeners();
      return socket;
    }
    const discriminator = this.#newDiscriminator();
    const entry: Entry = { name, config, discriminator, socket: socket.value, timers: new Map(), fsm: new BfdFsm({ localDiscriminator: discriminator, timers: config.timers, random: this.#o.random }) };
    this.#index(entry);
    this.#apply(entry, entry.fsm.start());
    return { ok: true, value: undefined };
  }

  /**
   * Ends a session. `adminDown` (a peer removed, a node shutting down) first tells the peer the
   * session is AdminDown, so it does not take the silence for a failure (RFC 5880 §6.8.16); a
   * restart just goes quiet.
   */
  delete(name: string, adminDown = true): void {
    const e = this.#byName.get(name);
    if (e === undefined) return;
    if (adminDown) this.#apply(e, e.fsm.handle({ kind: 'AdminDown', diag: DIAG.ADMINISTRATIVELY_DOWN }), false);
    for (const t of e.timers.values()) this.#o.clock.clearTimeout(t);
    e.timers.clear();
    e.socket.close();
    this.#byName.delete(name);
    this.#byDiscriminator.delete(e.discriminator);
    this.#byPeer.delete(e.config.peerAddress);
    this.#closeIdleListeners();
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }

  snapshot(): BfdSessionStatus[] {
    return [...this.#byName.values()].map((e) => ({ name: e.name, peerAddress: e.config.peerAddress, ...e.fsm.snapshot() }));
  }

  close(adminDown: boolean): void {
    for (const name of [...this.#byName.keys()]) this.delete(name, adminDown);
    for (const l of this.#listeners.values()) l.close();
    this.#listeners.clear();
  }

  #index(e: Entry): void {
    this.#byName.set(e.name, e);
    this.#byDiscriminator.set(e.discriminator, e);
    this.#byPeer.set(e.config.peerAddress, e);
  }

  /** RFC 5880 §6.8.1: unique and non-zero; random, so a restarted speaker does not reuse its last one. */
  #newDiscriminator(): number {
    for (;;) {
      const d = Math.floor(this.#o.random() * 0xfffffffe) + 1;
      if (!this.#byDiscriminator.has(d)) return d;
    }
  }

  #listener(family: 4 | 6): NetResult<UdpSocket> {
    const open = this.#listeners.get(family);
    if (open !== undefined) return { ok: true, value: open };
    const r = this.#o.openUdp({
      family,
      bind: family === 4 ? '0.0.0.0' : '::',
      port: this.#port,
      ttl: BFD_TTL,
      onMessage: (d) => this.#received(d),
      onError: (e) => this.#o.hooks?.onError?.(`BFD IPv${family} listener`, e),
    });
    if (!r.ok) {
      const hint = r.error.code === 'EADDRINUSE' ? ` (another BFD daemon, such as FRR's bfdd, holds UDP ${this.#port} on this node)` : '';
      return { ok: false, error: { ...r.error, message: `cannot listen on UDP ${this.#port} for BFD: ${r.error.message}${hint}` } };
    }
    this.#listeners.set(family, r.value);
    return r;
  }

  #closeIdleListeners(): void {
    for (const [family, l] of this.#listeners) {
      if ([...this.#byName.values()].some((e) => e.config.family === family)) continue;
      l.close();
      this.#listeners.delete(family);
    }
  }

  #sessionSocket(c: BfdPeerConfig): NetResult<UdpSocket> {
    let last: NetResult<UdpSocket> = { ok: false, error: { code: 'EADDRINUSE', message: 'no free BFD source port' } };
    for (let i = 0; i < PORT_TRIES; i++) {
      const port = SOURCE_PORT_MIN + Math.floor(this.#o.random() * (SOURCE_PORT_MAX - SOURCE_PORT_MIN + 1));
      last = this.#o.openUdp({
        family: c.family,
        bind: c.localAddress ?? (c.family === 4 ? '0.0.0.0' : '::'),
        port,
        ttl: BFD_TTL,
        // Peers send to 3784, never to this port: anything arriving here is dropped.
        onMessage: () => this.#o.hooks?.onDiscard?.('to-source-port'),
        onError: (e) => this.#o.hooks?.onError?.(`BFD session to ${c.peerAddress}`, e),
      });
      if (last.ok || last.error.code !== 'EADDRINUSE') return last;
    }
    return last;
  }

  #received(d: UdpDatagram): void {
    const discard = (reason: string) => this.#o.hooks?.onDiscard?.(reason);
    if (d.ttl !== BFD_TTL) return discard('ttl'); // RFC 5881 §5 (GTSM, RFC 5082)
    const decoded = decodeControl(d.body);
    if (!decoded.ok) return discard(decoded.error.code);
    const p = decoded.value;
    // RFC 5880 §6.8.6: by Your Discriminator when set; else (single hop, RFC 5881 §3) by source address.
    const e = p.yourDiscriminator !== 0 ? this.#byDiscriminator.get(p.yourDiscriminator) : this.#byPeer.get(d.source);
    if (e === undefined) return discard('no-session');
    if (e.config.peerAddress !== d.source) return discard('wrong-source');
    const refused = sessionCheck(p, e.discriminator, e.fsm.snapshot().state);
    if (refused !== null) return discard(refused);
    this.#o.hooks?.onPacket?.(e.name, 'received');
    this.#apply(e, e.fsm.handle({ kind: 'Received', packet: p }));
  }

  /** Carries out the FSM's actions; `live` false: send only (the session is being removed). */
  #apply(e: Entry, actions: readonly BfdAction[], live = true): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'send': {
          const sent = e.socket.send(encodeControl(a.packet), e.config.peerAddress, this.#port);
          if (sent.ok) this.#o.hooks?.onPacket?.(e.name, 'sent');
          else this.#o.hooks?.onError?.(`BFD send to ${e.config.peerAddress}`, sent.error);
          break;
        }
        case 'timer':
          if (live) this.#timer(e, a.timer, a.ms);
          break;
        case 'state':
          if (live) this.#o.hooks?.onState?.(e.name, a.from, a.to, a.diag);
          break;
      }
    }
  }

  #timer(e: Entry, t: BfdTimerName, ms: number | null): void {
    const old = e.timers.get(t);
    if (old !== undefined) this.#o.clock.clearTimeout(old);
    e.timers.delete(t);
    if (ms === null) return;
    e.timers.set(t, this.#o.clock.setTimeout(() => {
      e.timers.delete(t);
      if (this.#byName.get(e.name) === e) this.#apply(e, e.fsm.handle({ kind: 'TimerExpired', timer: t }));
    }, ms));
  }
}

function sameTimers(a: BfdTimers, b: BfdTimers): boolean {
  return a.desiredMinTxUs === b.desiredMinTxUs && a.requiredMinRxUs === b.requiredMinRxUs && a.detectMult === b.detectMult;
}
