// The BFD shell (src/bfd/hub.ts) in virtual time over a fake segment: two hubs bring their
// sessions Up, notice silence, refuse packets that are not for them (TTL, source, discriminator),
// say AdminDown when a session is removed, retime a session without a flap, and report a taken
// port in words. The FSM's own rules are test/bfd/fsm.test.ts's.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { BFD_CONTROL_PORT, BfdHub, SOURCE_PORT_MAX, SOURCE_PORT_MIN } from '../../src/bfd/hub.ts';
import type { BfdHubHooks, BfdPeerConfig } from '../../src/bfd/hub.ts';
import { decodeControl, encodeControl } from '../../src/bfd/codec.ts';
import type { BfdControl, BfdState } from '../../src/bfd/types.ts';
import type { UdpSocket, UdpSocketOptions } from '../../src/net/udp-socket.ts';
import type { NetResult } from '../../src/net/types.ts';
import { VirtualClock } from '../speaker/driver-world.ts';

interface Bound {
  readonly host: string;
  readonly key: string;
  readonly o: UdpSocketOptions;
  closed: boolean;
}

interface Wire {
  readonly from: string;
  readonly sourcePort: number;
  readonly to: string;
  readonly port: number;
  readonly packet: BfdControl;
}

/** Hosts on one link: datagrams arrive 1 ms later, with the TTL they were sent with unless `ttl` says otherwise. */
class Segment {
  readonly clock = new VirtualClock();
  readonly bound: Bound[] = [];
  readonly wire: Wire[] = [];
  /** Hosts whose datagrams are lost. */
  readonly silent = new Set<string>();
  ttl: number | null = null;

  openFor(host: string): (o: UdpSocketOptions) => NetResult<UdpSocket> {
    return (o) => {
      const key = `${o.bind}:${o.port}`;
      if (this.bound.some((b) => b.host === host && b.key === key && !b.closed)) return { ok: false, error: { code: 'EADDRINUSE', message: 'bind: address already in use', syscall: 'bind' } };
      const b: Bound = { host, key, o, closed: false };
      this.bound.push(b);
      return {
        ok: true,
        value: {
          send: (body, destination, port) => {
            if (b.closed) return { ok: false, error: { code: 'Closed', message: 'closed' } };
            const d = decodeControl(body);
            if (d.ok) this.wire.push({ from: host, sourcePort: o.port, to: destination, port, packet: d.value });
            if (!this.silent.has(host)) this.deliver(host, o.port, body, destination, port, this.ttl ?? o.ttl);
            return { ok: true, value: undefined };
          },
          close: () => {
            b.closed = true;
          },
        },
      };
    };
  }

  deliver(from: string, sourcePort: number, body: Uint8Array, to: string, port: number, ttl: number): void {
    this.clock.setTimeout(() => {
      const any = to.includes(':') ? '::' : '0.0.0.0';
      const target = this.bound.find((b) => !b.closed && b.host === to && (b.key === `${to}:${port}` || b.key === `${any}:${port}`));
      target?.o.onMessage({ body, source: from, sourcePort, ttl, ifindex: 2 });
    }, 1);
  }
}

const A = '192.0.2.1';
const B = '192.0.2.2';
const FAST = { desiredMinTxUs: 100_000, requiredMinRxUs: 100_000, detectMult: 3 };

function peer(address: string, timers = FAST): BfdPeerConfig {
  return { peerAddress: address, family: 4, localAddress: null, timers };
}

interface Side {
  hub: BfdHub;
  states: { name: string; from: BfdState; to: BfdState; diag: number }[];
  discards: string[];
}

let seed = 1;
function side(seg: Segment, host: string): Side {
  const states: Side['states'] = [];
  const discards: string[] = [];
  // A small LCG: jitter and discriminators differ between hubs, and runs repeat exactly.
  let x = seed++ * 7919;
  const random = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  const hooks: BfdHubHooks = { onState: (name, from, to, diag) => states.push({ name, from, to, diag }), onDiscard: (r) => discards.push(r) };
  return { hub: new BfdHub({ openUdp: seg.openFor(host), clock: seg.clock, random, hooks }), states, discards };
}

function stateOf(s: Side, name: string): BfdState | undefined {
  return s.hub.snapshot().find((x) => x.name === name)?.state;
}

async function upPair(): Promise<{ seg: Segment; a: Side; b: Side }> {
  const seg = new Segment();
  const a = side(seg, A);
  const b = side(seg, B);
  assert.ok(a.hub.set('tor', peer(B)).ok);
  assert.ok(b.hub.set('node', peer(A)).ok);
  await seg.clock.advance(3000);
  assert.equal(stateOf(a, 'tor'), 'Up');
  assert.equal(stateOf(b, 'node'), 'Up');
  return { seg, a, b };
}

describe('BFD hub', () => {
  it('two hubs bring their sessions Up, each packet from one source port of 49152-65535 to 3784 (RFC 5881 §4)', async () => {
    const { seg, a } = await upPair();
    assert.deepEqual(a.states.map((s) => s.to).at(-1), 'Up');
    const fromA = seg.wire.filter((w) => w.from === A);
    assert.ok(fromA.length > 3);
    assert.equal(new Set(fromA.map((w) => w.sourcePort)).size, 1);
    const port = fromA[0]?.sourcePort ?? 0;
    assert.ok(port >= SOURCE_PORT_MIN && port <= SOURCE_PORT_MAX, `source port ${port}`);
    assert.ok(fromA.every((w) => w.port === BFD_CONTROL_PORT && w.to === B));
  });

  it('silence takes the session Down with Control Detection Time Expired; the other side hears Down and follows (diag 3)', async () => {
    const { seg, a, b } = await upPair();
    seg.silent.add(A);
    await seg.clock.advance(400); // 3 × 100 ms and a packet in flight
    assert.equal(stateOf(b, 'node'), 'Down');
    assert.deepEqual(b.states.at(-1), { name: 'node', from: 'Up', to: 'Down', diag: 1 });
    await seg.clock.advance(1100); // B's next (slow) packet says Down
    assert.equal(a.states.find((s) => s.from === 'Up')?.diag, 3);
  });

  it('a packet below TTL 255 is dropped (RFC 5881 §5), and such packets never bring a session Up', async () => {
    const seg = new Segment();
    seg.ttl = 254;
    const a = side(seg, A);
    const b = side(seg, B);
    a.hub.set('tor', peer(B));
    b.hub.set('node', peer(A));
    await seg.clock.advance(5000);
    assert.equal(stateOf(a, 'tor'), 'Down');
    assert.equal(stateOf(b, 'node'), 'Down');
    assert.ok(a.discards.length > 0 && a.discards.every((r) => r === 'ttl'), a.discards.join());
  });

  it('a packet from an address with no session, or naming our discriminator from another address, is refused', async () => {
    const { seg, a } = await upPair();
    const stranger = '192.0.2.9';
    const mine = a.hub.snapshot()[0]?.localDiscriminator ?? 0;
    const p: BfdControl = { version: 1, diag: 0, state: 'Down', poll: false, final: false, cpi: false, auth: false, demand: false, multipoint: false, detectMult: 3, myDiscriminator: 77, yourDiscriminator: 0, desiredMinTxUs: 1_000_000, requiredMinRxUs: 1_000_000, requiredMinEchoRxUs: 0 };
    seg.deliver(stranger, 50000, encodeControl(p), A, BFD_CONTROL_PORT, 255);
    seg.deliver(stranger, 50000, encodeControl({ ...p, state: 'Up', yourDiscriminator: mine }), A, BFD_CONTROL_PORT, 255);
    seg.deliver(B, 50000, encodeControl({ ...p, yourDiscriminator: 12345 }), A, BFD_CONTROL_PORT, 255);
    seg.deliver(B, 50000, Uint8Array.of(0x20, 0xc0, 3, 24), A, BFD_CONTROL_PORT, 255);
    await seg.clock.advance(5);
    assert.deepEqual(a.discards, ['no-session', 'wrong-source', 'no-session', 'short-packet']);
    assert.equal(stateOf(a, 'tor'), 'Up');
  });

  it('removing a session says AdminDown first (RFC 5880 §6.8.16): the peer goes Down as told, not by detection, and the sockets close', async () => {
    const { seg, a, b } = await upPair();
    a.hub.delete('tor');
    const last = seg.wire.filter((w) => w.from === A).at(-1);
    assert.equal(last?.packet.state, 'AdminDown');
    await seg.clock.advance(5);
    assert.deepEqual(b.states.at(-1), { name: 'node', from: 'Up', to: 'Down', diag: 3 });
    assert.deepEqual(a.hub.names(), []);
    assert.ok(seg.bound.filter((x) => x.host === A).every((x) => x.closed), 'session socket and listener closed');
  });

  it('new timers on an Up session go by a Poll Sequence, with no state change', async () => {
    const { seg, a, b } = await upPair();
    const before = [a.states.length, b.states.length];
    const sent = seg.wire.length;
    assert.ok(a.hub.set('tor', peer(B, { desiredMinTxUs: 50_000, requiredMinRxUs: 50_000, detectMult: 5 })).ok);
    await seg.clock.advance(1000);
    const after = seg.wire.slice(sent);
    assert.ok(after.some((w) => w.from === A && w.packet.poll), 'A polled');
    assert.ok(after.some((w) => w.from === B && w.packet.final), 'B answered with Final');
    assert.deepEqual([a.states.length, b.states.length], before);
    assert.equal(a.hub.snapshot()[0]?.polling, false);
  });

  it('a taken BFD port is an error that names the likely owner; no session is left, and a later set works', async () => {
    const seg = new Segment();
    const squatter = seg.openFor(A)({ family: 4, bind: '0.0.0.0', port: BFD_CONTROL_PORT, ttl: 255, onMessage: () => {}, onError: () => {} });
    assert.ok(squatter.ok);
    const a = side(seg, A);
    const r = a.hub.set('tor', peer(B));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'EADDRINUSE');
    assert.match(r.error.message, /UDP 3784.*bfdd/);
    assert.deepEqual(a.hub.names(), []);
    squatter.value.close();
    assert.ok(a.hub.set('tor', peer(B)).ok);
    assert.deepEqual(a.hub.names(), ['tor']);
  });

  it('IPv6 peers come Up through the IPv6 listener, beside IPv4 ones, each family with its own socket', async () => {
    const seg = new Segment();
    const a = side(seg, A);
    const a6 = side(seg, '2001:db8::1');
    const b6 = side(seg, '2001:db8::2');
    assert.ok(a6.hub.set('tor6', { ...peer('2001:db8::2'), family: 6 }).ok);
    assert.ok(b6.hub.set('node6', { ...peer('2001:db8::1'), family: 6 }).ok);
    assert.ok(a.hub.set('tor', peer(B)).ok);
    await seg.clock.advance(3000);
    assert.equal(stateOf(a6, 'tor6'), 'Up');
    assert.equal(stateOf(b6, 'node6'), 'Up');
    assert.ok(seg.bound.some((x) => x.host === '2001:db8::1' && x.key === `:::${BFD_CONTROL_PORT}` && x.o.family === 6));
  });

  it('close(false) (a restart) goes quiet without AdminDown: the peer detects the silence', async () => {
    const { seg, a, b } = await upPair();
    const sent = seg.wire.length;
    a.hub.close(false);
    assert.equal(seg.wire.length, sent, 'nothing sent on a restart');
    await seg.clock.advance(400);
    assert.deepEqual(b.states.at(-1), { name: 'node', from: 'Up', to: 'Down', diag: 1 });
  });
});
