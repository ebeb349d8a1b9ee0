// Fuzz target: a TCP byte stream from the peer → the real BgpSession (framer → decodeMessage →
// codec OPEN checks → FSM → actions) on an in-memory socket with a virtual clock. The first input
// byte picks the peer (BIRD's AS 64500, FRR's 65550, ...), graceful restart, how the session
// ends (armed timers fire, then the peer closes; or an administrative stop), and how the stream is
// cut into chunks (the framer must not care).
// Oracle: nothing throws; every NOTIFICATION the session writes decodes and is in the RFC 4271 §6
// / RFC 7606 table, and the session closes right after it; an FSM error's subcode names the state it
// came in (RFC 6608 §4); a decode error of the first frame is answered with exactly its own
// NOTIFICATION; Established only after an OPEN and a KEEPALIVE; in Established, UPDATE errors that
// RFC 7606 handles by treat-as-withdraw or attribute-discard never take the session down.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { BgpFramer, decodeMessage, findCapability, INITIAL_CONTEXT, type BgpMessage } from '../src/bgp/codec/index.ts';
import type { FsmState, LocalConfig } from '../src/bgp/fsm-types.ts';
import { NO_ATTRS } from '../src/bgp/rib-out.ts';
import { BgpSession, type Clock } from '../src/bgp/session.ts';
import { Rng } from './engine/mutate.ts';
import { check, type FuzzTarget } from './engine/target.ts';
import { checkNotification, repairMessage } from './oracles/bgp-rfc.ts';
import { bgpMessageSeeds, FIXTURES, spliceAttribute } from './oracles/bgp-seeds.ts';
import type { Result } from '../src/api/result.ts';
import type { BgpError } from '../src/bgp/codec/errors.ts';

/** A socket as far as the session uses one: writes are recorded, `end` and `destroy` close it. */
class MemorySocket extends EventEmitter {
  readonly written: Uint8Array[] = [];
  destroyed = false;
  writable = true;
  ended = false;
  readonly localAddress = '192.0.2.11';
  setNoDelay(): this {
    return this;
  }
  write(b: Uint8Array): boolean {
    check(!this.ended && !this.destroyed, 'the session wrote to a socket it had closed');
    this.written.push(b);
    return true;
  }
  end(b?: Uint8Array): this {
    if (b !== undefined) this.write(b);
    this.ended = true;
    this.writable = false;
    return this;
  }
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.writable = false;
      this.emit('close');
    }
    return this;
  }
}

/** Timers that fire only when told to. */
class VirtualClock implements Clock {
  readonly #timers = new Map<number, { fn: () => void; ms: number }>();
  #next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { fn, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.#timers.delete(handle);
  }
  /** Fires what is armed now, shortest first (timers armed meanwhile wait for the next call). */
  fireAll(): void {
    const due = [...this.#timers.entries()].sort((a, b) => a[1].ms - b[1].ms);
    for (const [id, t] of due) {
      if (!this.#timers.delete(id)) continue;
      t.fn();
    }
  }
}

const PEERS = [64500, 65550, 65000, 64512]; // BIRD, FRR (4-octet), another, ourselves (iBGP)
const FSM_SUBCODE: Partial<Record<FsmState, number>> = { OpenSent: 1, OpenConfirm: 2, Established: 3 }; // RFC 6608 §4

export interface SessionRun {
  readonly states: FsmState[];
  readonly sent: BgpMessage[];
}

export function runSession(data: Uint8Array): SessionRun {
  const cfg = data[0] ?? 0;
  const stream = data.subarray(1);
  const local: LocalConfig = {
    asn: 64512, peerAsn: PEERS[cfg & 3] ?? 64500, routerId: 0xc000020b, holdTimeSeconds: 9, keepaliveSeconds: 3,
    connectRetrySeconds: 5, active: false, families: ['ipv4-unicast', 'ipv6-unicast'], gracefulRestart: { enabled: (cfg & 4) !== 0, restartTimeSeconds: 120 },
  };
  const clock = new VirtualClock();
  const states: FsmState[] = [];
  const session = new BgpSession({
    name: 'fuzz', peerAddress: '192.0.2.1', peerPort: 179, local, clock, random: () => 0.5,
    connect: () => Promise.reject(new Error('passive session')),
    nextHops: () => ({ v4: '192.0.2.11', v6: '2001:db8::11', linkLocalV6: 'fe80::11' }),
    hooks: { onState: (s) => states.push(s) },
  });
  session.set(new Map([['198.51.100.7/32', NO_ATTRS], ['2001:db8:7::/64', NO_ATTRS]]));
  session.start();
  const socket = new MemorySocket();
  session.acceptInbound(socket as unknown as Socket);
  // A function, so that TypeScript does not narrow the getter's value across the calls below.
  const state = (): FsmState => session.state;
  check(state() === 'OpenSent', `an accepted connection leaves the session in ${state()}`);

  // What the session writes, decoded in the session's context: 4-octet AS_PATHs only when the
  // peer's OPEN carried the capability too (RFC 6793 §4; ours always does).
  let peerFour = false;
  let peerExtended = false;
  const sent: BgpMessage[] = [];
  const out = new BgpFramer(65535);
  let seen = 0;
  const drainSent = (before: FsmState, firstFrame: Result<BgpMessage, BgpError> | null): void => {
    for (; seen < socket.written.length; seen++) {
      const got = out.push(socket.written[seen] ?? new Uint8Array(0));
      check(got.error === null, 'the session wrote a badly framed message');
      for (const f of got.frames) {
        const r = decodeMessage(f, { fourOctetAs: peerFour, maxLength: 65535 });
        check(r.ok, () => `the session wrote a message that does not decode: ${r.ok ? '' : r.error.message}`);
        sent.push(r.value);
        if (r.value.type !== 'notification') continue;
        const n = r.value.notification;
        checkNotification(n.code, n.subcode, `sent in ${before}`);
        check(socket.ended || socket.destroyed, `NOTIFICATION ${n.code}/${n.subcode} sent and the connection left open`);
        if (n.code === 5) {
          // The state the offending message arrived in: the one before the session fell to Idle.
          const idle = states.lastIndexOf('Idle');
          const arrivedIn = idle > 0 ? states[idle - 1] : before;
          check(arrivedIn !== undefined && FSM_SUBCODE[arrivedIn] === n.subcode, `FSM error 5/${n.subcode} for a message that arrived in ${arrivedIn} (RFC 6608 §4)`);
        }
        // The first message in OpenSent is decoded with the initial context: its error must be answered as it is.
        if (firstFrame !== null && !firstFrame.ok && firstFrame.error.action === 'session-reset') {
          const e = firstFrame.error.notification;
          check(e.code === n.code && e.subcode === n.subcode && Buffer.from(e.data).equals(Buffer.from(n.data)), `first frame's error ${e.code}/${e.subcode} answered with ${n.code}/${n.subcode}`);
        }
      }
    }
  };
  drainSent('Idle', null);

  // The stream in chunks: whole, or cut at random points from the configuration byte's seed.
  const rng = new Rng(cfg >> 5);
  const ref = new BgpFramer();
  let first: Result<BgpMessage, BgpError> | null = null;
  let openSeen = false;
  let keepaliveAfterOpen = false;
  for (let at = 0; at < stream.length && !socket.ended && !socket.destroyed;) {
    const n = cfg >> 5 === 0 ? stream.length : 1 + rng.below(96);
    const chunk = stream.subarray(at, at + n);
    at += chunk.length;
    // An independent framer sees the same bytes: which message types arrived, in order.
    const framed = ref.push(chunk);
    for (const f of framed.frames) {
      const decoded = decodeMessage(f, INITIAL_CONTEXT);
      if (first === null) first = decoded;
      if (decoded.ok && decoded.value.type === 'open' && !openSeen) {
        peerFour = findCapability(decoded.value.open.capabilities, 'four-octet-as') !== undefined;
        peerExtended = findCapability(decoded.value.open.capabilities, 'extended-message') !== undefined;
      }
      if (f[18] === 1) openSeen = true;
      else if (f[18] === 4 && openSeen) keepaliveAfterOpen = true;
    }
    const before = state();
    // RFC 7606 at the session: in Established, UPDATEs that decode or fail without a session reset
    // (and KEEPALIVEs, ROUTE-REFRESHes) must leave the session up. Decoded as the session does.
    const ctx = { fourOctetAs: peerFour, maxLength: peerExtended ? 65535 : 4096, external: local.peerAsn !== local.asn };
    const keepsSession = before === 'Established' && framed.error === null && framed.frames.every((f) => {
      if (f[18] !== 2 && f[18] !== 4 && f[18] !== 5) return false;
      const r = decodeMessage(f, ctx);
      return r.ok || r.error.action !== 'session-reset';
    });
    socket.emit('data', Buffer.from(chunk));
    drainSent(before, before === 'OpenSent' ? first : null);
    if (keepsSession) check(state() === 'Established' && !socket.ended, 'an UPDATE error RFC 7606 handles without a reset took the session down');
    if (state() === 'Established') check(openSeen && keepaliveAfterOpen, 'Established without an OPEN and a KEEPALIVE from the peer');
  }
  const before = state();
  if ((cfg & 16) !== 0) {
    // RFC 9003 / RFC 4724: a shutdown says Cease, a restart with graceful restart just closes.
    void session.stop((cfg & 4) !== 0 ? 'restart' : 'shutdown', 'fuzz');
    drainSent(before, null);
  } else if ((cfg & 8) !== 0) {
    clock.fireAll();
    drainSent(before, null);
    const after = state();
    socket.destroy(); // the peer goes away: TcpFailed in whatever state the session is in
    drainSent(after, null);
    clock.fireAll();
    drainSent(state(), null);
  }
  return { states, sent };
}

/** Seeds: the configuration byte, then a conversation from the captures (OPEN, KEEPALIVE, UPDATEs, End-of-RIB, NOTIFICATION). */
function seeds(): Uint8Array[] {
  const f = (name: string): Uint8Array => FIXTURES.get(name) ?? new Uint8Array(0);
  const bird = ['open.bird', 'keepalive.bird', 'update-ipv4.bird', 'update-ipv6.bird', 'end-of-rib-ipv4.bird', 'keepalive.bird', 'notification-shutdown.bird'].map(f);
  const frr = ['open.frr', 'keepalive.bird', 'update-ipv4.frr', 'update-ipv6.frr', 'end-of-rib-ipv6.frr', 'notification-shutdown.frr'].map(f);
  const join = (cfg: number, parts: readonly Uint8Array[]): Uint8Array => Buffer.concat([Uint8Array.of(cfg), ...parts]);
  const out = [join(0x00, bird), join(0x01, frr), join(0x15, frr), join(0x0c, bird), join(0x30, bird.slice(0, 2))];
  // Each single message after a good OPEN + KEEPALIVE: the FSM in Established meets every kind.
  for (const m of bgpMessageSeeds()) out.push(join(0x01, [f('open.frr'), f('keepalive.bird'), m]));
  return out;
}

/** Mutates one message of the stream in place: splices an attribute into an UPDATE, or repairs its lengths. */
function mutateMessage(d: Uint8Array, rng: Rng): Uint8Array | null {
  const starts: number[] = [];
  for (let o = 1; o + 19 <= d.length;) {
    const len = ((d[o + 16] ?? 0) << 8) | (d[o + 17] ?? 0);
    if (len < 19) break;
    starts.push(o);
    o += len;
  }
  const at = rng.pick(starts);
  if (at === undefined) return null;
  const len = Math.min(((d[at + 16] ?? 0) << 8) | (d[at + 17] ?? 0), d.length - at);
  const m = d.subarray(at, at + len);
  const next = (rng.chance(2) ? spliceAttribute(m, rng) : null) ?? repairMessage(m, true, false);
  return Buffer.concat([d.subarray(0, at), next, d.subarray(at + len)]);
}

export const target: FuzzTarget = {
  name: 'bgp-session',
  description: 'peer byte stream (chunked) → BgpSession: framer, decoder, OPEN checks, FSM; NOTIFICATIONs against the RFC table',
  covers: ['/src/bgp/codec/', '/src/bgp/fsm.ts', '/src/bgp/session.ts'],
  maxLen: 8192,
  seeds,
  mutate: (d, c) => mutateMessage(d, c.rng),
  run(data) {
    runSession(data);
  },
};
