// The one suite that touches native/: real AF_PACKET and ICMPv6 sockets between two network
// namespaces joined by a veth pair (see netns-pair.ts). Needs root (ip netns, CAP_NET_RAW).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ipaddr from 'ipaddr.js';
import { arpAnnouncement, encodeArpFrame } from '../../src/l2/arp.ts';
import { parseMac } from '../../src/l2/ethernet.ts';
import { parseIpv4 } from '../../src/l2/ip.ts';
import { nativeNet } from '../../src/net/sockets.ts';
import { ETH_P, ICMP6_TYPE, NDP_HOP_LIMIT } from '../../src/net/types.ts';
import { Agent, createPair, setLink } from './netns-pair.ts';
import type { AgentEvent, Side } from './netns-pair.ts';

const notRoot = process.getuid?.() !== 0;
const SKIP = notRoot ? 'needs root: ip netns and CAP_NET_RAW (run the suite as root, as CI does)' : false;
/** IEEE 802 "local experimental" ethertype: nothing else on the link uses it. */
const ETHERTYPE_TEST = 0x88b5;

function mac(text: string): Buffer {
  return Buffer.from(text.replaceAll(':', ''), 'hex');
}

function testFrame(dst: string, src: string, marker: string): Buffer {
  const frame = Buffer.alloc(60);
  mac(dst).copy(frame, 0);
  mac(src).copy(frame, 6);
  frame.writeUInt16BE(ETHERTYPE_TEST, 12);
  frame.write(marker, 14, 'latin1');
  return frame;
}

/** RFC 4861 §4.3 Neighbor Solicitation with a source link-layer address option (§4.6.1). */
function neighborSolicitation(target: string, sourceMac: string): Buffer {
  const ns = Buffer.alloc(32);
  ns[0] = ICMP6_TYPE.NEIGHBOR_SOLICITATION; // code 0, checksum left to the kernel, reserved 0
  Buffer.from(ipaddr.IPv6.parse(target).toByteArray()).copy(ns, 8);
  ns[24] = 1; // option type: source link-layer address
  ns[25] = 1; // length in units of 8 bytes
  mac(sourceMac).copy(ns, 26);
  return ns;
}

/** RFC 4291 §2.7.1 solicited-node multicast address. */
function solicitedNode(address: string): string {
  const b = ipaddr.IPv6.parse(address).toByteArray();
  return ipaddr.IPv6.parse(`ff02::1:ff${(b[13] ?? 0).toString(16).padStart(2, '0')}:${(((b[14] ?? 0) << 8) | (b[15] ?? 0)).toString(16)}`).toString();
}

/** The NS target (bytes 8..24) of an ICMPv6 body in hex. */
function targetOf(event: AgentEvent): string {
  return ipaddr.fromByteArray([...Buffer.from(String(event.body), 'hex').subarray(8, 24)]).toString();
}

describe('native addon between two network namespaces', { skip: SKIP, timeout: 30_000 }, () => {
  let pair: { a: Side; b: Side; destroy: () => void };
  let a: Agent;
  let b: Agent;

  before(async () => {
    pair = await createPair('n');
    a = new Agent(pair.a.ns);
    b = new Agent(pair.b.ns);
  });
  after(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
    pair?.destroy();
  });

  it('AF_PACKET: a frame sent on one end arrives on the other with its packet type', async () => {
    const rx = await b.must('openPacket', { name: 'veth0', protocol: ETHERTYPE_TEST, timestamps: true });
    const tx = await a.must('openPacket', { name: 'veth0', protocol: ETHERTYPE_TEST });
    const watch = await a.must('openPacket', { name: 'veth0', protocol: ETH_P.ALL });
    const cases: [dst: string, expected: string][] = [
      [pair.b.mac, 'host'],
      ['ff:ff:ff:ff:ff:ff', 'broadcast'],
      ['33:33:00:00:00:01', 'multicast'],
      ['02:00:00:00:00:99', 'otherhost'],
    ];
    for (const [i, [dst, expected]] of cases.entries()) {
      const frame = testFrame(dst, pair.a.mac, `herald-frame-${i}`);
      const hex = frame.toString('hex');
      await a.must('send', { socket: tx, hex });
      const got = await b.next((e) => e.socket === rx && e.hex === hex);
      assert.equal(got.type, expected, `frame to ${dst}`);
      assert.match(String(got.timestampNs), /^[1-9][0-9]+$/, 'SO_TIMESTAMPNS gives a kernel receive time');
      // Only an ETH_P_ALL socket of the sending host sees the frame, as outgoing.
      const own = await a.next((e) => e.socket === watch && e.hex === hex);
      assert.equal(own.type, 'outgoing');
    }
    // The kernel's own traffic on the link (IPv6 router solicitations, MLD reports) never
    // reached the socket bound to the test ethertype.
    const stray = b.drain((e) => e.socket === rx);
    assert.deepEqual(stray.filter((e) => String(e.hex).slice(24, 28) !== ETHERTYPE_TEST.toString(16)), []);
  });

  it('ICMPv6: hop limit, destination and ifindex come from ancillary data', async () => {
    const iface = await b.must('iface', { name: 'veth0' });
    const ifindex = typeof iface === 'object' && iface !== null && 'ifindex' in iface ? iface.ifindex : undefined;
    assert.equal(ifindex, pair.b.ifindex);
    const rx = await b.must('openIcmp6', { name: 'veth0', types: [ICMP6_TYPE.NEIGHBOR_SOLICITATION] });
    const tx = await a.must('openIcmp6', { name: 'veth0', types: [ICMP6_TYPE.NEIGHBOR_ADVERTISEMENT] });
    const ns = neighborSolicitation(pair.b.ipv6, pair.a.mac);
    const group = solicitedNode(pair.b.ipv6);

    await a.must('send6', { socket: tx, hex: ns.toString('hex'), destination: group, hopLimit: NDP_HOP_LIMIT, source: pair.a.ipv6 });
    const got = await b.next((e) => e.socket === rx && e.destination === group);
    assert.equal(got.hopLimit, 255);
    assert.equal(got.ifindex, ifindex);
    assert.equal(got.source, pair.a.ipv6);
    const body = Buffer.from(String(got.body), 'hex');
    assert.deepEqual(body.subarray(4), ns.subarray(4), 'everything after the checksum arrives as sent');
    assert.notEqual(body.readUInt16BE(2), 0, 'the kernel filled in the checksum');

    // The hop limit reported is the packet's, not a constant: send one with 64, unicast, and let
    // the kernel choose the source.
    await a.must('send6', { socket: tx, hex: ns.toString('hex'), destination: pair.b.ipv6, hopLimit: 64 });
    const unicast = await b.next((e) => e.socket === rx && e.destination === pair.b.ipv6);
    assert.equal(unicast.hopLimit, 64);
    assert.equal(unicast.source, pair.a.ipv6);

    // B's kernel answered the valid solicitation; A's socket, filtered to NA, hears it at 255.
    const na = await a.next((e) => e.socket === tx && targetOf(e) === pair.b.ipv6);
    assert.equal(na.hopLimit, 255);
    assert.equal(Buffer.from(String(na.body), 'hex')[0], ICMP6_TYPE.NEIGHBOR_ADVERTISEMENT);
    const others = a.drain((e) => e.socket === tx).filter((e) => Buffer.from(String(e.body), 'hex')[0] !== ICMP6_TYPE.NEIGHBOR_ADVERTISEMENT);
    assert.deepEqual(others, [], 'ICMP6_FILTER lets only the asked-for types through');
  });

  it('joining a solicited-node group makes solicitations for a VIP arrive; leaving stops them', async () => {
    const vip = '2001:db8::10';
    const group = solicitedNode(vip); // ff02::1:ff00:10: no address of B's is in it
    const rx = await b.must('openIcmp6', { name: 'veth0', types: [ICMP6_TYPE.NEIGHBOR_SOLICITATION] });
    const tx = await a.must('openIcmp6', { name: 'veth0', types: [] });
    const forVip = neighborSolicitation(vip, pair.a.mac).toString('hex');
    let marker = 0;
    // Sends an NS for the VIP, then a marker NS (for B's own address, whose group the kernel
    // joined) on the same link; once the marker is in, says whether the VIP's NS came first.
    const vipArrives = async (): Promise<boolean> => {
      const target = `2001:db8::b:${++marker}`;
      await a.must('send6', { socket: tx, hex: forVip, destination: group, hopLimit: 255 });
      await a.must('send6', { socket: tx, hex: neighborSolicitation(target, pair.a.mac).toString('hex'), destination: solicitedNode(pair.b.ipv6), hopLimit: 255 });
      await b.next((e) => e.socket === rx && targetOf(e) === target);
      return b.drain((e) => e.socket === rx && targetOf(e) === vip).length > 0;
    };
    assert.equal(await vipArrives(), false, 'before the join the NIC filter and IPv6 input drop it');
    await b.must('join', { socket: rx, group });
    assert.equal(await vipArrives(), true);
    const joinedTwice = await b.call('join', { socket: rx, group });
    assert.equal(joinedTwice.ok ? 'ok' : joinedTwice.error.code, 'EADDRINUSE');
    await b.must('leave', { socket: rx, group });
    assert.equal(await vipArrives(), false);
  });

  it('failures come back as error values with errno codes', async () => {
    const net = nativeNet();
    assert.ok(net.ok, net.ok ? '' : net.error.message);
    const gone = net.value.openPacketSocket({ ifindex: 0x7ffffff0, protocol: ETH_P.ARP, onFrame: () => {}, onError: () => {} });
    assert.deepEqual(gone.ok ? 'opened' : [gone.error.code, gone.error.syscall], ['ENODEV', 'bind']);

    const rx = await b.must('openIcmp6', { name: 'veth0', types: [] });
    const notMulticast = await b.call('join', { socket: rx, group: pair.b.ipv6 });
    assert.equal(notMulticast.ok ? 'ok' : notMulticast.error.code, 'InvalidArgument');

    // Without CAP_NET_RAW (root with it dropped from the bounding set) every raw socket is refused.
    const unprivileged = new Agent(pair.a.ns, ['setpriv', '--bounding-set', '-net_raw', '--inh-caps', '-net_raw']);
    try {
      for (const [op, args] of [['openPacket', { name: 'veth0', protocol: ETH_P.ARP }], ['openIcmp6', { name: 'veth0', types: [135] }]] as const) {
        const refused = await unprivileged.call(op, args);
        assert.deepEqual(refused.ok ? 'opened' : refused.error.code, 'EPERM', op);
      }
    } finally {
      await unprivileged.stop();
    }
  });

  it('a link going down reaches onError as ENETDOWN and the socket works again once it is up', async () => {
    const rx = await b.must('openPacket', { name: 'veth0', protocol: ETHERTYPE_TEST });
    const tx = await a.must('openPacket', { name: 'veth0', protocol: ETHERTYPE_TEST });
    await setLink(pair.b, 'down');
    try {
      const error = await b.next((e) => e.socket === rx && e.event === 'error');
      assert.equal(error.code, 'ENETDOWN');
    } finally {
      await setLink(pair.b, 'up');
    }
    const hex = testFrame(pair.b.mac, pair.a.mac, 'herald-after-up').toString('hex');
    await a.must('send', { socket: tx, hex });
    const got = await b.next((e) => e.socket === rx && e.hex === hex);
    assert.equal(got.type, 'host');
  });

  it('the tap of outgoing announcements (handover-marks.ts): the host’s own gratuitous ARP is queued, stamped, before send returns; nothing else passes', async (t) => {
    const ownMac = parseMac(pair.a.mac);
    const peerMac = parseMac(pair.b.mac);
    const vip = parseIpv4('192.0.2.77');
    assert.ok(ownMac.ok && peerMac.ok && vip.ok);
    const tap = await a.must('openPacket', { name: 'veth0', protocol: ETH_P.ALL, timestamps: true, filter: 'outgoing-announcements' });
    const arp = await a.must('openPacket', { name: 'veth0', protocol: ETH_P.ARP });
    const other = await a.must('openPacket', { name: 'veth0', protocol: ETHERTYPE_TEST });
    const rx = await b.must('openPacket', { name: 'veth0', protocol: ETH_P.ARP, timestamps: true });
    const bArp = await b.must('openPacket', { name: 'veth0', protocol: ETH_P.ARP });
    // A frame of another ethertype out, and an ARP frame in from the peer: the filter drops both.
    await a.must('send', { socket: other, hex: testFrame(pair.b.mac, pair.a.mac, 'herald-not-arp').toString('hex') });
    const incoming = Buffer.from(encodeArpFrame(arpAnnouncement(vip.value, peerMac.value, 'request'))).toString('hex');
    await b.must('send', { socket: bArp, hex: incoming });
    await a.next((e) => e.socket === arp && e.hex === incoming);

    const hex = Buffer.from(encodeArpFrame(arpAnnouncement(vip.value, ownMac.value, 'request'))).toString('hex');
    const read = await a.must('sendThenRead', { socket: arp, hex, read: tap });
    assert.ok(Array.isArray(read));
    assert.deepEqual(
      read.map((f: { hex: string; type: string }) => [f.hex, f.type]),
      [[hex, 'outgoing']],
      'only the announcement, read in the same turn as its send',
    );
    const tapped = BigInt(String((read[0] as { timestampNs: string }).timestampNs));
    const received = await b.next((e) => e.socket === rx && e.hex === hex);
    const arrived = BigInt(String(received.timestampNs));
    // One clock (CLOCK_REALTIME) on both ends of the veth: the peer received it after it left,
    // and the stamps are of one clock, not seconds (or an epoch) apart. Not a latency bound.
    assert.ok(arrived >= tapped, `peer's stamp ${arrived} before the tap's ${tapped}`);
    assert.ok(arrived - tapped < 10_000_000_000n, `${arrived - tapped} ns from the tap to the peer: not one clock`);
    t.diagnostic(`tap to peer: ${arrived - tapped} ns`); // docs/l2.md, "What this bounds"

    // Nothing reached onFrame: what readQueued took is gone from the queue.
    assert.deepEqual(a.drain((e) => e.socket === tap), []);
  });
});
