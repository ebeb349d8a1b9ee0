// One BGP session: the imperative shell around the pure FSM (RFC 4271 §8), the codec and the
// Adj-RIB-Out. It owns the TCP connection, the timers and the framer; it turns received bytes
// into FSM events and FSM actions into bytes. Routes are declarative (STYLE.md lesson 5): `set`
// the whole table; its RibSender (rib-sender.ts) diffs, packs, and replays everything after a
// reconnect, then End-of-RIB; OPENs are read and built by open-facts.ts. Received UPDATEs are checked for framing and attributes (RFC 7606) and dropped:
// Herald installs no routes, so memory stays bounded whatever a peer sends.
import type { Socket } from 'node:net';
import { BgpFramer, INITIAL_CONTEXT, checkFourOctetAs, decodeMessage, encodeMessage, endOfRibOf, wireContext } from './codec/index.ts';
import type { BgpMessage, Family, Open, SessionContext } from './codec/index.ts';
import { BgpFsm } from './fsm.ts';
import { FAMILY_OF, familyName, idOf, localOpen, peerOpenOf } from './open-facts.ts';
import type { DownReason, FsmAction, FsmEvent, FsmState, LocalConfig, Negotiated, Notification, TimerName } from './fsm-types.ts';
import type { OriginationContext } from './origination.ts';
import type { RouteAttrs } from './rib-out.ts';
import { RibSender } from './rib-sender.ts';

export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface NextHops {
  v4: string | null;
  v6: string | null;
  linkLocalV6: string | null;
}

export interface SessionHooks {
  onState?(state: FsmState): void;
  onEstablished?(n: Negotiated): void;
  onDown?(reason: DownReason): void;
  onMessage?(direction: 'sent' | 'received', type: string): void;
  onNotification?(direction: 'sent' | 'received', n: Notification): void;
  /** Prefixes the peer has from us now, by family. */
  onAdvertised?(counts: Record<Family, number>): void;
  onSkipped?(prefix: string, reason: string): void;
  onError?(what: string, err: unknown): void;
}

export interface SessionOptions {
  name: string;
  peerAddress: string;
  peerPort: number;
  local: LocalConfig;
  /** Opens the TCP connection (MD5, TTL and source address are its business). */
  connect: () => Promise<Socket>;
  /** Next hop self for a connection whose local address is `localAddress`. */
  nextHops: (localAddress: string) => NextHops;
  clock: Clock;
  random: () => number;
  hooks?: SessionHooks;
}

type Direction = 'inbound' | 'outbound';

interface Pending {
  socket: Socket;
  framer: BgpFramer;
  direction: Direction;
}

export class BgpSession {
  readonly #o: SessionOptions;
  readonly #fsm: BgpFsm;
  readonly #routes: RibSender;
  readonly #timers = new Map<TimerName, unknown>();
  #socket: Socket | null = null;
  #framer = new BgpFramer();
  #ctx: SessionContext = INITIAL_CONTEXT;
  #peerOpen: Open | null = null;
  /** A connect() in flight; a newer attempt or an adopted inbound connection supersedes it. */
  #attempt = 0;
  /** Who opened the connection the FSM runs on. */
  #direction: Direction = 'outbound';
  /** A second connection waiting for its OPEN while ours is in OpenSent/OpenConfirm (RFC 4271 §6.8). */
  #pending: Pending | null = null;
  /** Our OPEN already went out on a connection adopted from `#pending`: the FSM's sendOpen is skipped once. */
  #openSent = false;
  #restarted = false;
  #stopped: Promise<void> | null = null;

  constructor(o: SessionOptions) {
    this.#o = o;
    this.#fsm = new BgpFsm({ local: o.local, random: o.random });
    this.#routes = new RibSender({
      write: (bytes) => this.#write(bytes, 'update'),
      onAdvertised: (counts) => o.hooks?.onAdvertised?.(counts),
      onSkipped: (prefix, reason) => o.hooks?.onSkipped?.(prefix, reason),
    });
  }

  get state(): FsmState {
    return this.#fsm.state;
  }

  get name(): string {
    return this.#o.name;
  }

  /** `restarted`: this process restarted and the peer may hold our routes (R bit, RFC 4724 §4.1). */
  start(restarted = false): void {
    this.#restarted = restarted;
    this.#feed({ kind: 'ManualStart' });
  }

  /** Sets the whole table of routes for this peer (prefix text → attributes); it is kept, not copied: do not change it afterwards. */
  set(routes: ReadonlyMap<string, RouteAttrs>): void {
    this.#routes.set(routes);
  }

  /** A connection the listener accepted from this peer's address. */
  acceptInbound(socket: Socket): void {
    const s = this.#fsm.state;
    if ((s === 'Connect' || s === 'Active') && this.#socket === null) {
      // An outbound connect still in flight is not dropped: if it completes, the two are
      // resolved by BGP Identifier once the OPENs are in (RFC 4271 §6.8), as the peer will.
      this.#attach(socket, 'inbound');
      this.#feed({ kind: 'TcpConnected' });
      return;
    }
    if (!this.#hold(socket, 'inbound')) this.#reject(socket);
  }

  /**
   * Keeps a second connection aside (OpenSent/OpenConfirm) and sends our OPEN on it, so both
   * speakers see both OPENs and pick the same winner. False when it cannot be held: Idle,
   * Established (the existing session wins, §6.8), or a second one already waiting.
   */
  #hold(socket: Socket, direction: Direction): boolean {
    const st = this.#fsm.state;
    if ((st !== 'OpenSent' && st !== 'OpenConfirm') || this.#pending !== null) return false;
    const pending: Pending = { socket, framer: new BgpFramer(), direction };
    this.#pending = pending;
    socket.on('data', (chunk: Buffer) => this.#pendingData(pending, chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.#pending === pending) this.#pending = null;
    });
    socket.write(encodeMessage({ type: 'open', open: localOpen(this.#o.local, this.#restarted) }, INITIAL_CONTEXT));
    return true;
  }

  /** BFD declared the path to the peer down: the session is torn down now (RFC 5882 §4.3). */
  bfdDown(): void {
    this.#feed({ kind: 'BfdDown' });
  }

  /** RFC 9003 / RFC 4724: 'shutdown' withdraws at the peer now; 'restart' lets it keep our routes. */
  stop(mode: 'shutdown' | 'restart', message: string): Promise<void> {
    this.#stopped ??= new Promise<void>((resolve) => {
      const socket = this.#socket;
      this.#feed({ kind: 'ManualStop', mode, message });
      if (socket === null || socket.destroyed) resolve();
      else socket.once('close', () => resolve());
      this.#pending?.socket.destroy();
    });
    return this.#stopped;
  }

  // ---- the FSM ------------------------------------------------------------------------------

  #feed(e: FsmEvent): void {
    const before = this.#fsm.state;
    const actions = this.#fsm.handle(e);
    for (const a of actions) this.#do(a);
    if (this.#fsm.state !== before) this.#o.hooks?.onState?.(this.#fsm.state);
  }

  #do(a: FsmAction): void {
    switch (a.kind) {
      case 'connect':
        this.#connect();
        break;
      case 'sendOpen':
        if (this.#openSent) {
          this.#openSent = false; // sent while the connection was held aside
          break;
        }
        this.#write(encodeMessage({ type: 'open', open: localOpen(this.#o.local, this.#restarted) }, INITIAL_CONTEXT), 'open');
        break;
      case 'sendKeepalive':
        this.#write(encodeMessage({ type: 'keepalive' }, this.#ctx), 'keepalive');
        break;
      case 'sendNotification':
        this.#o.hooks?.onNotification?.('sent', a.notification);
        this.#write(encodeMessage({ type: 'notification', notification: a.notification }, this.#ctx), 'notification');
        break;
      case 'close':
        this.#close();
        break;
      case 'timer':
        this.#timer(a.timer, a.ms);
        break;
      case 'established':
        this.#established(a.negotiated);
        break;
      case 'down':
        this.#routes.stop();
        this.#o.hooks?.onDown?.(a.reason);
        break;
      case 'routeRefresh':
        // RFC 2918 §4: re-advertise the whole Adj-RIB-Out of that family.
        this.#routes.sendAll();
        break;
      case 'update':
      case 'updateError':
        break;
    }
  }

  #timer(t: TimerName, ms: number | null): void {
    const old = this.#timers.get(t);
    if (old !== undefined) this.#o.clock.clearTimeout(old);
    this.#timers.delete(t);
    if (ms !== null) this.#timers.set(t, this.#o.clock.setTimeout(() => {
      this.#timers.delete(t);
      this.#feed({ kind: 'TimerExpired', timer: t });
    }, ms));
  }

  #established(n: Negotiated): void {
    const peer = this.#peerOpen;
    const socket = this.#socket;
    if (peer === null || socket === null) return;
    // The wire context (4-octet AS_PATHs, RFC 8654 message size) from both OPENs.
    const wire = wireContext(localOpen(this.#o.local, this.#restarted), peer);
    this.#ctx = { fourOctetAs: wire.fourOctetAs, maxLength: wire.maxLength, external: n.peerAsn !== this.#o.local.asn };
    this.#framer.setMaxLength(this.#ctx.maxLength);
    const hops = this.#o.nextHops(socket.localAddress ?? '');
    const origination: OriginationContext = {
      localAsn: this.#o.local.asn,
      ibgp: n.peerAsn === this.#o.local.asn,
      nextHopV4: hops.v4,
      nextHopV6: hops.v6,
      linkLocalV6: hops.linkLocalV6,
      families: n.families.map((f) => FAMILY_OF[f]).filter((f): f is Family => f !== undefined),
      wire: this.#ctx,
    };
    this.#o.hooks?.onEstablished?.(n);
    this.#routes.start(origination);
  }

  // ---- the connection -----------------------------------------------------------------------

  #connect(): void {
    const attempt = ++this.#attempt;
    this.#o.connect().then(
      (socket) => {
        if (attempt !== this.#attempt) {
          socket.destroy(); // superseded by a newer attempt, or the session closed meanwhile
          return;
        }
        if (this.#socket === null && (this.#fsm.state === 'Connect' || this.#fsm.state === 'Active')) {
          this.#attach(socket, 'outbound');
          this.#feed({ kind: 'TcpConnected' });
          return;
        }
        // An inbound connection came first: both stay until the OPENs decide (RFC 4271 §6.8).
        if (!this.#hold(socket, 'outbound')) socket.destroy();
      },
      (err: unknown) => {
        if (attempt !== this.#attempt) return;
        this.#feed({ kind: 'TcpFailed', reason: err instanceof Error ? err.message : String(err) });
      },
    );
  }

  #attach(socket: Socket, direction: Direction): void {
    this.#socket = socket;
    this.#direction = direction;
    this.#framer = new BgpFramer();
    this.#ctx = INITIAL_CONTEXT;
    this.#peerOpen = null;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.#socket === socket) this.#data(chunk);
    });
    socket.on('error', (err) => this.#o.hooks?.onError?.('connection', err));
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#feed({ kind: 'TcpFailed', reason: 'connection closed' });
    });
  }

  #close(): void {
    const socket = this.#socket;
    this.#socket = null;
    this.#attempt++;
    // end() flushes a NOTIFICATION written just before; destroy after a grace in case the peer stalls.
    if (socket !== null && !socket.destroyed) {
      socket.end();
      const t = this.#o.clock.setTimeout(() => socket.destroy(), 1000);
      socket.once('close', () => this.#o.clock.clearTimeout(t));
    }
  }

  #write(bytes: Uint8Array, type: string): void {
    const socket = this.#socket;
    if (socket === null || socket.destroyed || !socket.writable) return;
    socket.write(bytes);
    this.#o.hooks?.onMessage?.('sent', type);
  }

  #reject(socket: Socket): void {
    socket.on('error', () => undefined);
    socket.end(encodeMessage({ type: 'notification', notification: { code: 6, subcode: 7, data: new Uint8Array(0) } }, INITIAL_CONTEXT));
    this.#o.clock.setTimeout(() => socket.destroy(), 1000);
  }

  // ---- received bytes -----------------------------------------------------------------------

  #data(chunk: Buffer): void {
    const out = this.#framer.push(chunk);
    for (const frame of out.frames) {
      if (this.#socket === null) return;
      this.#message(decodeMessage(frame, this.#ctx));
    }
    if (out.error !== null && this.#socket !== null) this.#feed({ kind: 'Error', error: { notification: out.error.notification, action: 'session-reset' } });
  }

  #message(r: ReturnType<typeof decodeMessage>): void {
    if (!r.ok) {
      this.#feed({ kind: 'Error', error: { notification: r.error.notification, action: r.error.action } });
      return;
    }
    const m: BgpMessage = r.value;
    this.#o.hooks?.onMessage?.('received', m.type);
    switch (m.type) {
      case 'open':
        this.#open(m.open);
        return;
      case 'keepalive':
        this.#feed({ kind: 'Keepalive' });
        return;
      case 'update':
        // Checked and dropped: Herald installs no received route (issue #4).
        this.#feed({ kind: 'Update', endOfRib: endOfRibOf(m.update) !== null });
        return;
      case 'notification':
        this.#o.hooks?.onNotification?.('received', m.notification);
        this.#feed({ kind: 'Notification', notification: m.notification });
        return;
      case 'route-refresh': {
        const family = familyName(m.routeRefresh.afi, m.routeRefresh.safi);
        if (family !== null) this.#feed({ kind: 'RouteRefresh', family });
        return;
      }
    }
  }

  /**
   * A received OPEN: the codec's wire check first (My AS against the 4-octet AS capability,
   * RFC 6793 §4.1), then the FSM's, the one check of RFC 4271 §6.2 (version, peer AS, BGP
   * Identifier, hold time) and the one negotiation (issue #9).
   */
  #open(open: Open): void {
    const wire = checkFourOctetAs(open);
    if (wire !== null) {
      this.#feed({ kind: 'Error', error: { notification: wire.notification, action: 'session-reset' } });
      return;
    }
    this.#peerOpen = open;
    this.#feed({ kind: 'Open', open: peerOpenOf(open) });
  }

  /** RFC 4271 §6.8: the connection initiated by the speaker with the higher BGP Identifier stays. */
  #pendingData(pending: Pending, chunk: Buffer): void {
    const out = pending.framer.push(chunk);
    const first = out.frames[0];
    if (out.error !== null) return this.#dropPending(pending);
    if (first === undefined) return;
    const r = decodeMessage(first, INITIAL_CONTEXT);
    if (!r.ok || r.value.type !== 'open') return this.#dropPending(pending);
    const theirs = idOf(r.value.open.bgpId);
    this.#pending = null;
    pending.socket.removeAllListeners('data');
    const winner: Direction = this.#o.local.routerId > theirs ? 'outbound' : 'inbound';
    const state = this.#fsm.state;
    if (state === 'Established' || (state !== 'OpenSent' && state !== 'OpenConfirm') || pending.direction !== winner || this.#direction === winner) {
      this.#reject(pending.socket); // the existing connection stays
      return;
    }
    this.#feed({ kind: 'Collision' });
    this.#attach(pending.socket, pending.direction);
    this.#openSent = true;
    this.#feed({ kind: 'TcpConnected' });
    this.#open(r.value.open);
    for (const f of out.frames.slice(1)) this.#message(decodeMessage(f, this.#ctx));
  }

  #dropPending(pending: Pending): void {
    if (this.#pending === pending) this.#pending = null;
    pending.socket.destroy();
  }
}
