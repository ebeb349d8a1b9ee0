// The L2 backend over the in-memory fakes (test/support/fake-net.ts) in virtual time: what reaches the
// segment is decoded with the codecs, so the assertions are about bytes on the wire.
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeArpFrame, encodeArpFrame, arpAnnouncement, type ArpPacket } from '../../src/l2/arp.ts';
import { L2Backend, NDP_FILTER, type L2BackendEntry, type L2BackendHooks, type Timers } from '../../src/l2/backend.ts';
import { BROADCAST_MAC, ETHERTYPE_ARP, ZERO_MAC, type Mac } from '../../src/l2/ethernet.ts';
import { IPV6_UNSPECIFIED, type Ipv6 } from '../../src/l2/ip.ts';
import { decodeNdpFrame, encodeNdpFrame, ipv6MulticastMac, ndpFrame, solicitedNodeAddress, unsolicitedAdvertisement, type NdpFrame } from '../../src/l2/ndp.ts';
import { FakeHost, FakeSegment, type FakeInterface } from '../support/fake-net.ts';
import type { NetInterface } from '../../src/net/interfaces.ts';
import type { NetResult } from '../../src/net/types.ts';
import { mac, MAC_A, v4, v6 } from './helpers.ts';

const NODE_MAC = mac('02:00:00:00:00:0b');
const NODE1_MAC = mac('02:00:00:00:01:0b');
const MAC_C = mac('02:00:00:00:00:0c');
const CLIENT4 = v4('192.0.2.1');
const CLIENT6 = v6('2001:db8::a');
const VIP4 = v4('192.0.2.10');
const VIP6 = v6('2001:db8::10');
const NODE4 = v4('192.0.2.2');

/** setTimeout/clearTimeout in virtual time: `advance` runs what falls due, in order. */
class VirtualTimers implements Timers {
  now = 0;
  #next = 1;
  readonly #due = new Map<number, { at: number; callback: () => void }>();
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#due.set(id, { at: this.now + ms, callback });
    return id;
  }
  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.#due.delete(handle);
  }
  get pending(): number {
    return this.#due.size;
  }
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const [id, timer] = [...this.#due].sort(([, a], [, b]) => a.at - b.at)[0] ?? [];
      if (id === undefined || timer === undefined || timer.at > until) break;
      this.#due.delete(id);
      this.now = timer.at;
      timer.callback();
    }
    this.now = until;
  }
}

class Recorder implements L2BackendHooks {
  readonly events: string[] = [];
  fenced = false;
  mayAnswer(): boolean {
    return !this.fenced;
  }
  onAnswered(family: string, ip: string, iface: string): void {
    this.events.push(`answered ${family} ${ip} ${iface}`);
  }
  onDropped(reason: string, iface: string): void {
    this.events.push(`dropped ${reason} ${iface}`);
  }
  onGratuitous(family: string, ip: string, iface: string): void {
    this.events.push(`gratuitous ${family} ${ip} ${iface}`);
  }
  onConflict(ip: string, mac: string | null, iface: string): void {
    this.events.push(`conflict ${ip} ${mac ?? '?'} ${iface}`);
  }
  onError(code: string, _message: string, iface: string): void {
    this.events.push(`error ${code} ${iface}`);
  }
  take(prefix: string): string[] {
    const taken = this.events.filter((e) => e.startsWith(prefix));
    this.events.splice(0, this.events.length, ...this.events.filter((e) => !e.startsWith(prefix)));
    return taken;
  }
}

function facts(iface: FakeInterface): NetInterface {
  return { name: iface.name, ifindex: iface.ifindex, mac: iface.mac, flags: 0x1003, up: iface.up, broadcast: true, loopback: false, noArp: false, multicast: true, operState: iface.up ? 'up' : 'down', mtu: 1500, kind: '' };
}

function arpRequest(target: string, over: Partial<ArpPacket> = {}): Uint8Array {
  const arp: ArpPacket = { op: 'request', senderMac: MAC_A, senderIp: CLIENT4, targetMac: ZERO_MAC, targetIp: v4(target), ...over };
  return encodeArpFrame({ eth: { dst: BROADCAST_MAC, src: arp.senderMac, ethertype: ETHERTYPE_ARP }, arp });
}

/** An NS from `src` (`::` for DAD, RFC 4862 §5.4.3: no source link-layer option) for `target`;
 *  multicast to the solicited-node group unless `unicastTo` (NUD, RFC 4861 §7.3.3). */
function solicitation(target: Ipv6, src: Ipv6 = CLIENT6, unicastTo?: Mac): Uint8Array {
  const dst = unicastTo === undefined ? solicitedNodeAddress(target) : target;
  const ns = { type: 'neighbor-solicitation' as const, target, sourceLinkLayer: src === IPV6_UNSPECIFIED ? null : MAC_A, otherOptions: [] };
  return encodeNdpFrame(ndpFrame(ns, { src: MAC_A, dst: unicastTo ?? ipv6MulticastMac(dst) }, { src, dst }));
}

describe('L2Backend over fakes', () => {
  let segment: FakeSegment;
  let other: FakeSegment;
  let node: FakeHost;
  let eth0: FakeInterface;
  let eth1: FakeInterface;
  let listed: FakeInterface[];
  let timers: VirtualTimers;
  let hooks: Recorder;
  let own: Set<string>;
  let backend: L2Backend;
  let readError: NetResult<NetInterface[]> | undefined;

  /** Frames this node put on `seg` since the last call. */
  let seen = 0;
  let seenOther = 0;
  const sent = (seg: FakeSegment = segment): Uint8Array[] => {
    seg.flush();
    const from = seg === segment ? seen : seenOther;
    const out = seg.frames.slice(from).filter((f) => f.from.startsWith('node/')).map((f) => Uint8Array.from(f.data));
    if (seg === segment) seen = seg.frames.length;
    else seenOther = seg.frames.length;
    return out;
  };
  const arpOf = (frame: Uint8Array) => {
    const decoded = decodeArpFrame(frame);
    assert.ok(decoded.ok, 'an ARP frame');
    return decoded.value;
  };
  const ndpOf = (frame: Uint8Array): NdpFrame => {
    const decoded = decodeNdpFrame(frame);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.message);
    return decoded.value;
  };
  const set = (...entries: L2BackendEntry[]) => backend.set(entries);

  beforeEach(() => {
    segment = new FakeSegment();
    other = new FakeSegment();
    seen = 0;
    seenOther = 0;
    node = new FakeHost('node');
    eth0 = node.attach(segment, { ifindex: 2, mac: NODE_MAC, name: 'eth0', addresses: ['fe80::b'] });
    eth1 = node.attach(other, { ifindex: 3, mac: NODE1_MAC, name: 'eth1', addresses: ['fe80::1:b'] });
    listed = [eth0, eth1];
    timers = new VirtualTimers();
    hooks = new Recorder();
    own = new Set([NODE4, 'fe80::b']);
    readError = undefined;
    backend = new L2Backend({
      net: node,
      interfaces: () => readError ?? { ok: true, value: listed.map(facts) },
      ownAddresses: () => own,
      gratuitous: { count: 3, intervalMs: 200 },
      hooks,
      timers,
    });
  });

  it('answers an ARP request for a held VIP with its MAC (RFC 826)', () => {
    set({ ip: VIP4, interfaces: ['eth0'] });
    sent(); // the burst
    segment.inject(arpRequest(VIP4));
    const [reply, ...rest] = sent();
    assert.deepEqual(rest, []);
    assert.ok(reply);
    assert.deepEqual(arpOf(reply), {
      eth: { dst: MAC_A, src: NODE_MAC, ethertype: ETHERTYPE_ARP },
      arp: { op: 'reply', senderMac: NODE_MAC, senderIp: VIP4, targetMac: MAC_A, targetIp: CLIENT4 },
    });
    assert.deepEqual(hooks.take('answered'), [`answered arp ${VIP4} eth0`]);
    assert.deepEqual(backend.held(), new Map([[VIP4, ['eth0']]]));
    assert.equal(eth0.segment.interfaces.length, 1, 'nothing was attached, no address was added');
  });

  it('a new VIP gets the gratuitous burst: both ARP forms per round (RFC 5227 §3), rounds 200 ms apart', () => {
    set({ ip: VIP4, interfaces: ['eth0'] });
    const round0 = sent().map(arpOf);
    assert.deepEqual(round0.map((f) => [f.eth.dst, f.arp.op, f.arp.senderIp, f.arp.targetIp, f.arp.targetMac]), [
      [BROADCAST_MAC, 'request', VIP4, VIP4, ZERO_MAC],
      [BROADCAST_MAC, 'reply', VIP4, VIP4, NODE_MAC],
    ]);
    timers.advance(199);
    assert.equal(sent().length, 0);
    timers.advance(1);
    assert.equal(sent().length, 2);
    timers.advance(200);
    assert.equal(sent().length, 2);
    timers.advance(10_000);
    assert.equal(sent().length, 0, 'three rounds, no more');
    assert.equal(hooks.take('gratuitous').length, 6);
    set({ ip: VIP4, interfaces: ['eth0'] });
    assert.equal(sent().length, 0, 'an entry that is not new is not announced again');
    backend.announce(VIP4);
    assert.equal(sent().length, 2, 'announce() re-sends on demand (conflict defence)');
  });

  it('a new IPv6 VIP gets unsolicited NAs with Override to all-nodes (RFC 4861 §7.2.6)', () => {
    set({ ip: '2001:DB8:0::10', interfaces: ['eth0'] }); // any spelling; canonical inside
    timers.advance(1000);
    const nas = sent().map(ndpOf);
    assert.equal(nas.length, 3);
    for (const na of nas) {
      assert.deepEqual([na.eth.dst, na.eth.src, na.ip.dst, na.ip.hopLimit], ['33:33:00:00:00:01', NODE_MAC, 'ff02::1', 255]);
      assert.deepEqual(na.ndp, { type: 'neighbor-advertisement', router: false, solicited: false, override: true, target: VIP6, targetLinkLayer: NODE_MAC, otherOptions: [] });
    }
    assert.deepEqual(hooks.take('gratuitous'), Array(3).fill(`gratuitous ndp ${VIP6} eth0`));
  });

  it('a removed VIP stops being answered at once and its burst is cancelled', () => {
    const kept = v4('192.0.2.11');
    set({ ip: VIP4, interfaces: ['eth0'] }, { ip: kept, interfaces: ['eth0'] }, { ip: VIP6, interfaces: ['eth0'] });
    assert.equal(sent().length, 5, 'round 0 of all three');
    segment.inject(arpRequest(VIP4)); // queued before the removal, delivered after it
    set({ ip: kept, interfaces: ['eth0'] }, { ip: VIP6, interfaces: ['eth0'] });
    assert.equal(sent().length, 0);
    assert.deepEqual(hooks.take('dropped'), ['dropped target-not-held eth0']);
    timers.advance(1000);
    const rest = sent();
    assert.deepEqual(rest.filter((f) => decodeArpFrame(f).ok).map((f) => arpOf(f).arp.senderIp), [kept, kept, kept, kept], 'the burst of the removed VIP stopped');
    assert.equal(rest.length, 6);
    set();
    assert.equal(timers.pending, 0);
    assert.equal(eth0.packetSockets.size, 0, 'no VIP left: sockets closed');
    assert.equal(eth0.icmp6Sockets.size, 0);
    assert.deepEqual(backend.held(), new Map());
  });

  it('the fence is asked at reply time: fenced, a held VIP is not answered nor announced', () => {
    set({ ip: VIP4, interfaces: ['eth0'] });
    sent();
    hooks.fenced = true;
    segment.inject(arpRequest(VIP4));
    assert.equal(sent().length, 0);
    assert.deepEqual(hooks.take('dropped'), ['dropped fenced eth0']);
    timers.advance(200);
    assert.equal(sent().length, 0, 'a burst round while fenced is skipped');
    assert.deepEqual(backend.held(), new Map([[VIP4, ['eth0']]]), 'still held: the fence is not the table');
    hooks.fenced = false;
    segment.inject(arpRequest(VIP4));
    assert.equal(sent().length + sent().length, 1);
  });

  it('answers only on the interfaces named: a VIP on eth1 is not answered on eth0', () => {
    set({ ip: VIP4, interfaces: ['eth1'] });
    segment.inject(arpRequest(VIP4));
    other.inject(arpRequest(VIP4));
    assert.deepEqual(sent(segment), []);
    const onEth1 = sent(other).map(arpOf);
    assert.deepEqual(onEth1.map((f) => `${f.arp.op} ${f.arp.senderMac} ${f.eth.dst}`), [
      `request ${NODE1_MAC} ${BROADCAST_MAC}`,
      `reply ${NODE1_MAC} ${BROADCAST_MAC}`,
      `reply ${NODE1_MAC} ${MAC_A}`,
    ]);
    assert.equal(eth0.packetSockets.size, 0, 'no socket where nothing is held');
  });

  it('never answers for the node’s own address, even when told to hold it', () => {
    set({ ip: NODE4, interfaces: ['eth0'] });
    assert.equal(sent().length, 0, 'no announcement either');
    segment.inject(arpRequest(NODE4));
    assert.equal(sent().length, 0);
    assert.deepEqual(hooks.take('dropped'), ['dropped own-address eth0']);
  });

  it('answers an NS with a solicited NA with Override (RFC 4861 §7.2.4), multicast and unicast (NUD)', () => {
    set({ ip: VIP6, interfaces: ['eth0'] });
    sent();
    segment.inject(solicitation(VIP6));
    segment.inject(solicitation(VIP6, CLIENT6, NODE_MAC));
    const replies = sent().map(ndpOf);
    assert.equal(replies.length, 2);
    for (const na of replies) {
      assert.deepEqual([na.eth.dst, na.eth.src, na.ip.src, na.ip.dst, na.ip.hopLimit], [MAC_A, NODE_MAC, VIP6, CLIENT6, 255]);
      assert.deepEqual(na.ndp, { type: 'neighbor-advertisement', router: false, solicited: true, override: true, target: VIP6, targetLinkLayer: NODE_MAC, otherOptions: [] });
    }
    assert.deepEqual(hooks.take('answered'), [`answered ndp ${VIP6} eth0`, `answered ndp ${VIP6} eth0`]);
  });

  it('answers a DAD probe from :: to all-nodes, Solicited clear (RFC 4862 §5.4.3, RFC 4861 §7.2.4)', () => {
    set({ ip: VIP6, interfaces: ['eth0'] });
    sent();
    segment.inject(solicitation(VIP6, IPV6_UNSPECIFIED));
    const [na] = sent().map(ndpOf);
    assert.ok(na);
    assert.deepEqual([na.eth.dst, na.ip.dst, na.ndp.type === 'neighbor-advertisement' && na.ndp.solicited, na.ndp.type === 'neighbor-advertisement' && na.ndp.override], ['33:33:00:00:00:01', 'ff02::1', false, true]);
  });

  it('joins each VIP’s solicited-node group (RFC 4291 §2.7.1) and leaves it when the last VIP in it goes', () => {
    const twin = v6('2001:db8:1::10'); // same low 24 bits: the same group as VIP6
    const group = solicitedNodeAddress(VIP6);
    set({ ip: VIP6, interfaces: ['eth0'] }, { ip: twin, interfaces: ['eth0'] });
    assert.deepEqual([...eth0.groups], [[group, 1]]);
    set({ ip: twin, interfaces: ['eth0'] });
    assert.deepEqual([...eth0.groups], [[group, 1]], 'still needed by the twin');
    set({ ip: v6('2001:db8::20'), interfaces: ['eth0'] });
    assert.deepEqual([...eth0.groups], [[solicitedNodeAddress(v6('2001:db8::20')), 1]]);
    set();
    assert.deepEqual([...eth0.groups], []);
    assert.deepEqual(hooks.take('error'), []);
  });

  it('reports a conflict when another MAC announces or answers for a held VIP (RFC 5227 §2.4)', () => {
    set({ ip: VIP4, interfaces: ['eth0'] }, { ip: VIP6, interfaces: ['eth0'] });
    sent();
    segment.inject(encodeArpFrame(arpAnnouncement(VIP4, MAC_C, 'request')));
    segment.inject(encodeNdpFrame(unsolicitedAdvertisement(VIP6, MAC_C)));
    segment.flush();
    assert.deepEqual(hooks.take('conflict'), [`conflict ${VIP4} ${MAC_C} eth0`, `conflict ${VIP6} ${MAC_C} eth0`]);
    assert.equal(sent().length, 0, 'the backend does not defend by itself: the speaker calls announce()');
  });

  it('a socket that fails to open is reported once, and opened on resync', () => {
    node.denyOpen = 'EPERM';
    set({ ip: VIP4, interfaces: ['eth0'] }, { ip: VIP6, interfaces: ['eth0'] });
    assert.deepEqual(hooks.take('error'), ['error EPERM eth0', 'error EPERM eth0', 'error EPERM eth0'], 'ARP, IPv6 and ICMPv6 sockets');
    backend.resync();
    assert.deepEqual(hooks.take('error'), [], 'the same failure is not reported at every resync');
    assert.deepEqual(backend.held(), new Map(), 'nothing answered without a socket');
    node.denyOpen = undefined;
    backend.resync();
    assert.equal(sent().length, 3, 'the burst goes out once the sockets are open');
    segment.inject(arpRequest(VIP4));
    assert.equal(arpOf(sent()[0] ?? new Uint8Array()).arp.targetMac, MAC_A);
    assert.deepEqual([...eth0.groups.keys()], [solicitedNodeAddress(VIP6)]);
  });

  it('an interface that is missing is reported (ENODEV) and used once it appears; a recreated one is reopened', () => {
    listed = [eth0];
    set({ ip: VIP4, interfaces: ['eth1'] });
    assert.deepEqual(hooks.take('error'), ['error ENODEV eth1']);
    listed = [eth0, eth1];
    backend.set([{ ip: VIP4, interfaces: ['eth1'] }]); // an unknown name makes set() re-read the facts
    assert.equal(sent(other).length, 2);
    // eth1 is deleted and created again with another ifindex and MAC (a new VLAN device, say).
    const again = node.attach(other, { ifindex: 9, mac: '02:00:00:00:09:0b', name: 'eth1' });
    listed = [eth0, again];
    backend.resync();
    assert.equal(eth1.packetSockets.size, 0, 'the old socket is closed');
    assert.deepEqual(sent(other).map((f) => arpOf(f).arp.senderMac), ['02:00:00:00:09:0b', '02:00:00:00:09:0b'], 'announced again with the new MAC');
    readError = { ok: false, error: { code: 'EACCES', message: 'sysfs unreadable' } };
    backend.resync();
    backend.resync();
    assert.deepEqual(hooks.take('error'), ['error EACCES '], 'reported once; the last facts stay in use');
    other.inject(arpRequest(VIP4));
    assert.equal(sent(other).length, 1);
  });

  it('survives the link going down (ENETDOWN reported) and announces again when it is back', () => {
    set({ ip: VIP4, interfaces: ['eth0'] });
    sent();
    eth0.setUp(false);
    timers.advance(200);
    assert.deepEqual(hooks.take('error'), ['error ENETDOWN eth0'], 'reported; the burst stopped with the link');
    assert.equal(timers.pending, 0);
    backend.resync();
    timers.advance(1000);
    assert.equal(sent().length, 0);
    eth0.setUp(true);
    hooks.take('gratuitous');
    backend.resync();
    assert.equal(sent().length, 2, 'round 0 again after the link came back');
    segment.inject(arpRequest(VIP4));
    assert.equal(sent().length, 1, 'and answered');
    assert.deepEqual(hooks.take('error'), []);
  });

  it('close() closes every socket and cancels every timer; idempotent; later calls do nothing', () => {
    set({ ip: VIP4, interfaces: ['eth0', 'eth1'] }, { ip: VIP6, interfaces: ['eth0'] });
    assert.ok(timers.pending > 0);
    backend.close();
    backend.close();
    assert.equal(timers.pending, 0);
    for (const iface of [eth0, eth1]) {
      assert.equal(iface.packetSockets.size, 0);
      assert.equal(iface.icmp6Sockets.size, 0);
      assert.equal(iface.groups.size, 0);
    }
    set({ ip: VIP4, interfaces: ['eth0'] });
    backend.resync();
    assert.equal(eth0.packetSockets.size, 0);
    assert.deepEqual(backend.held(), new Map());
  });

  it('an entry that is not an address is reported and skipped', () => {
    set({ ip: 'not-an-ip', interfaces: ['eth0'] }, { ip: VIP4, interfaces: ['eth0'] });
    assert.deepEqual(hooks.take('error'), ['error bad-ip ']);
    assert.deepEqual([...backend.held().keys()], [VIP4]);
  });
});

/** Runs the classic BPF subset NDP_FILTER uses (ldb abs, jeq/jge/jgt k, ret k) over a frame. */
function runFilter(program: Uint8Array, frame: Uint8Array): number {
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  let a = 0;
  for (let pc = 0; pc * 8 < program.length; pc++) {
    const code = view.getUint16(pc * 8, true);
    const [jt, jf] = [program[pc * 8 + 2] ?? 0, program[pc * 8 + 3] ?? 0];
    const k = view.getUint32(pc * 8 + 4, true);
    if (code === 0x30) a = frame[k] ?? 0; // an out-of-range load ends the program with 0 in the kernel
    else if (code === 0x06) return k;
    else if (code === 0x15 || code === 0x35 || code === 0x25) pc += (code === 0x15 ? a === k : code === 0x35 ? a >= k : a > k) ? jt : jf;
    else throw new Error(`opcode 0x${code.toString(16)} not modelled`);
  }
  return 0;
}

describe('NDP_FILTER (the ETH_P_IPV6 socket’s kernel filter)', () => {
  it('passes NS and NA, drops other ICMPv6 and other IPv6', () => {
    const ns = solicitation(VIP6);
    const na = encodeNdpFrame(unsolicitedAdvertisement(VIP6, NODE_MAC));
    const echo = Uint8Array.from(ns);
    echo[54] = 128; // ICMPv6 echo request
    const ra = Uint8Array.from(ns);
    ra[54] = 134;
    const udp = Uint8Array.from(ns);
    udp[20] = 17;
    assert.deepEqual([ns, na, echo, ra, udp].map((f) => runFilter(NDP_FILTER, f) > 0), [true, true, false, false, false]);
  });
});
