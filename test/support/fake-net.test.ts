// The fakes must behave like the kernel wherever the L2 responder relies on it, or its unit tests
// would pass against a world that does not exist. Each case here mirrors one in
// native.integration.test.ts or a documented kernel rule.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeHost, FakeSegment } from './fake-net.ts';
import { ETH_P, ICMP6_TYPE } from '../../src/net/types.ts';
import type { Frame, Icmp6Message, Icmp6Socket, NetError, NetResult, PacketSocket } from '../../src/net/types.ts';

const MAC = { n1: '02:00:00:00:00:01', n2: '02:00:00:00:00:02', client: '02:00:00:00:00:03' };

function frame(dst: string, ethertype: number, marker = 0): Buffer {
  const f = Buffer.alloc(60);
  Buffer.from(dst.replaceAll(':', ''), 'hex').copy(f, 0);
  f.writeUInt16BE(ethertype, 12);
  f[14] = marker;
  return f;
}

function value<T>(r: NetResult<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

function code<T>(r: NetResult<T>): string {
  return r.ok ? 'ok' : r.error.code;
}

function lab() {
  const segment = new FakeSegment();
  const n1 = new FakeHost('n1');
  const n2 = new FakeHost('n2');
  const client = new FakeHost('client');
  const i1 = n1.attach(segment, { ifindex: 2, mac: MAC.n1, addresses: ['fe80::1', '2001:db8::1'] });
  const i2 = n2.attach(segment, { ifindex: 7, mac: MAC.n2, addresses: ['fe80::2'] });
  client.attach(segment, { ifindex: 3, mac: MAC.client, addresses: ['fe80::3'] });
  return { segment, n1, n2, client, i1, i2 };
}

function listen(host: FakeHost, ifindex: number, protocol: number) {
  const frames: Frame[] = [];
  const errors: NetError[] = [];
  const socket = value(host.openPacketSocket({ ifindex, protocol, onFrame: (f) => frames.push(f), onError: (e) => errors.push(e) }));
  return { socket, frames, errors };
}

function listen6(host: FakeHost, ifindex: number, types: number[]) {
  const messages: Icmp6Message[] = [];
  const socket = value(host.openIcmp6Socket({ ifindex, types, onMessage: (m) => messages.push(m), onError: () => {} }));
  return { socket, messages };
}

describe('FakeSegment packet sockets', () => {
  it('classifies each frame by its destination MAC, per receiving interface', () => {
    const cases: [dst: string, n1: string, n2: string][] = [
      [MAC.n1, 'host', 'otherhost'],
      [MAC.n2, 'otherhost', 'host'],
      ['ff:ff:ff:ff:ff:ff', 'broadcast', 'broadcast'],
      ['33:33:ff:00:00:10', 'multicast', 'multicast'],
      ['01:00:5e:00:00:01', 'multicast', 'multicast'],
    ];
    for (const [dst, want1, want2] of cases) {
      const { segment, n1, n2, client } = lab();
      const r1 = listen(n1, 2, ETH_P.ARP);
      const r2 = listen(n2, 7, ETH_P.ARP);
      const tx = listen(client, 3, ETH_P.ARP);
      assert.equal(code(tx.socket.send(frame(dst, ETH_P.ARP))), 'ok');
      segment.flush();
      assert.deepEqual([r1.frames.map((f) => f.type), r2.frames.map((f) => f.type)], [[want1], [want2]], dst);
      assert.deepEqual(r1.frames[0]?.data, frame(dst, ETH_P.ARP));
    }
  });

  it('shows a host its own frames as outgoing, on ETH_P_ALL sockets only, never to the sender', () => {
    const { segment, n1 } = lab();
    const sender = listen(n1, 2, ETH_P.ARP);
    const sameProtocol = listen(n1, 2, ETH_P.ARP);
    const all = listen(n1, 2, ETH_P.ALL);
    value(sender.socket.send(frame('ff:ff:ff:ff:ff:ff', ETH_P.ARP)));
    segment.flush();
    assert.deepEqual([sender.frames.length, sameProtocol.frames.length, all.frames.map((f) => f.type)], [0, 0, ['outgoing']]);
    assert.equal(segment.frames[0]?.from, 'n1/eth2');
  });

  it('delivers only the bound ethertype, everything to ETH_P_ALL', () => {
    const { segment, n1 } = lab();
    const arp = listen(n1, 2, ETH_P.ARP);
    const ipv6 = listen(n1, 2, ETH_P.IPV6);
    const all = listen(n1, 2, ETH_P.ALL);
    segment.inject(frame(MAC.n1, ETH_P.IPV6, 1));
    segment.inject(frame(MAC.n1, ETH_P.ARP, 2));
    segment.flush();
    assert.deepEqual([arp.frames.map((f) => f.data[14]), ipv6.frames.map((f) => f.data[14]), all.frames.map((f) => f.data[14])], [[2], [1], [1, 2]]);
  });

  it('delivers in a microtask without flush, each receiver getting its own copy', async () => {
    const { n1, n2, client } = lab();
    const r1 = listen(n1, 2, ETH_P.ARP);
    const r2 = listen(n2, 7, ETH_P.ARP);
    value(listen(client, 3, ETH_P.ARP).socket.send(frame('ff:ff:ff:ff:ff:ff', ETH_P.ARP)));
    assert.equal(r1.frames.length, 0, 'nothing arrives synchronously, as with a real socket');
    await Promise.resolve();
    r1.frames[0]?.data.fill(0);
    assert.deepEqual(r2.frames[0]?.data, frame('ff:ff:ff:ff:ff:ff', ETH_P.ARP));
  });

  it('fails like the kernel: link down, no CAP_NET_RAW, unknown ifindex, bad arguments, closed', () => {
    const { segment, n1, i1 } = lab();
    const rx = listen(n1, 2, ETH_P.ARP);
    i1.setUp(false);
    assert.deepEqual(rx.errors.map((e) => e.code), ['ENETDOWN']);
    assert.equal(code(rx.socket.send(frame(MAC.n2, ETH_P.ARP))), 'ENETDOWN');
    segment.inject(frame(MAC.n1, ETH_P.ARP));
    segment.flush();
    assert.equal(rx.frames.length, 0, 'a down interface receives nothing');
    i1.setUp(true);
    assert.equal(code(rx.socket.send(frame(MAC.n2, ETH_P.ARP))), 'ok');
    assert.equal(code(rx.socket.send(Buffer.alloc(13))), 'EINVAL');

    const opts = { onFrame: () => {}, onError: () => {} };
    assert.equal(code(n1.openPacketSocket({ ...opts, ifindex: 99, protocol: ETH_P.ARP })), 'ENODEV');
    assert.equal(code(n1.openPacketSocket({ ...opts, ifindex: 0, protocol: ETH_P.ARP })), 'InvalidArgument');
    assert.equal(code(n1.openPacketSocket({ ...opts, ifindex: 2, protocol: 0x10000 })), 'InvalidArgument');
    n1.denyOpen = 'EPERM';
    assert.equal(code(n1.openPacketSocket({ ...opts, ifindex: 2, protocol: ETH_P.ARP })), 'EPERM');
    assert.equal(code(n1.openIcmp6Socket({ ...opts, onMessage: () => {}, ifindex: 2, types: [] })), 'EPERM');

    rx.socket.close();
    rx.socket.close();
    assert.equal(code(rx.socket.send(frame(MAC.n2, ETH_P.ARP))), 'Closed');
  });

  it('stops a reply storm instead of hanging the test', () => {
    const { segment, n1, n2 } = lab();
    const echo = (host: FakeHost, ifindex: number) => {
      const box: { socket?: PacketSocket } = {};
      box.socket = value(host.openPacketSocket({ ifindex, protocol: ETH_P.ARP, onFrame: (f) => box.socket?.send(f.data), onError: () => {} }));
      return box.socket;
    };
    echo(n1, 2);
    echo(n2, 7).send(frame('ff:ff:ff:ff:ff:ff', ETH_P.ARP));
    assert.throws(() => segment.flush(), /reply loop/);
  });
});

describe('FakeSegment ICMPv6 sockets', () => {
  const vip = '2001:db8::10';
  const vipGroup = 'ff02::1:ff00:10';
  const ns = Buffer.from([ICMP6_TYPE.NEIGHBOR_SOLICITATION, 0, 0, 0]);

  it('receives a group only after a join on that interface, and not after the leave', () => {
    const { segment, n1, client } = lab();
    const rx = listen6(n1, 2, [ICMP6_TYPE.NEIGHBOR_SOLICITATION]);
    const tx = listen6(client, 3, []);
    const solicit = () => {
      value(tx.socket.send({ body: ns, destination: vipGroup, hopLimit: 255 }));
      segment.flush();
      return rx.messages.splice(0).map((m) => m.destination);
    };
    assert.deepEqual(solicit(), []);
    assert.equal(code(rx.socket.join(vipGroup)), 'ok');
    assert.equal(code(rx.socket.join('FF02::1:FF00:0010')), 'EADDRINUSE', 'same group, other spelling');
    assert.deepEqual(solicit(), [vipGroup]);
    assert.equal(code(rx.socket.leave(vipGroup)), 'ok');
    assert.equal(code(rx.socket.leave(vipGroup)), 'EADDRNOTAVAIL');
    assert.deepEqual(solicit(), []);
    assert.equal(code(rx.socket.join(vip)), 'InvalidArgument');
  });

  it('keeps a group while any socket on the interface is joined; close leaves', () => {
    const { segment, n1, client } = lab();
    const first = listen6(n1, 2, [ICMP6_TYPE.NEIGHBOR_SOLICITATION]);
    const second: Icmp6Socket = listen6(n1, 2, []).socket;
    value(first.socket.join(vipGroup));
    value(second.join(vipGroup));
    first.socket.close();
    const rx = listen6(n1, 2, [ICMP6_TYPE.NEIGHBOR_SOLICITATION]);
    const tx = listen6(client, 3, []);
    value(tx.socket.send({ body: ns, destination: vipGroup, hopLimit: 255 }));
    segment.flush();
    assert.equal(rx.messages.length, 1);
    second.close();
    value(tx.socket.send({ body: ns, destination: vipGroup, hopLimit: 255 }));
    segment.flush();
    assert.equal(rx.messages.length, 1);
  });

  it('reports hop limit as sent, the receiver ifindex, and the default source; filters types; no loopback', () => {
    const { segment, n1, n2, client } = lab();
    const r1 = listen6(n1, 2, [ICMP6_TYPE.NEIGHBOR_SOLICITATION]);
    const r2 = listen6(n2, 7, [ICMP6_TYPE.NEIGHBOR_ADVERTISEMENT]);
    const own = listen6(client, 3, [ICMP6_TYPE.NEIGHBOR_SOLICITATION]);
    const tx = listen6(client, 3, []);
    value(tx.socket.send({ body: ns, destination: 'ff02::1', hopLimit: 64 }));
    value(tx.socket.send({ body: ns, destination: '2001:db8:0::1', hopLimit: 255, source: '::' }));
    segment.flush();
    assert.deepEqual(
      r1.messages.map((m) => [m.destination, m.source, m.hopLimit, m.ifindex]),
      [
        ['ff02::1', 'fe80::3', 64, 2],
        ['2001:db8::1', '::', 255, 2],
      ],
    );
    assert.deepEqual([r2.messages.length, own.messages.length], [0, 0]);
    assert.deepEqual(segment.messages.map((m) => m.from), ['client/eth3', 'client/eth3']);
  });

  it('answers bad sends with codes', () => {
    const segment = new FakeSegment();
    const host = new FakeHost('bare');
    host.attach(segment, { ifindex: 2, mac: MAC.n1 });
    const s = listen6(host, 2, []).socket;
    assert.equal(code(s.send({ body: ns, destination: 'ff02::1', hopLimit: 255 })), 'EADDRNOTAVAIL');
    assert.equal(code(s.send({ body: ns, destination: 'ff02::1', hopLimit: 256, source: 'fe80::1' })), 'InvalidArgument');
    assert.equal(code(s.send({ body: ns, destination: '192.0.2.1', hopLimit: 255, source: 'fe80::1' })), 'InvalidArgument');
    assert.equal(code(s.send({ body: ns, destination: 'fe80::2%eth0', hopLimit: 255, source: 'fe80::1' })), 'InvalidArgument');
    assert.equal(code(host.openIcmp6Socket({ ifindex: 2, types: [300], onMessage: () => {}, onError: () => {} })), 'InvalidArgument');
    s.close();
    assert.equal(code(s.send({ body: ns, destination: 'ff02::1', hopLimit: 255, source: 'fe80::1' })), 'Closed');
    assert.equal(code(s.join('ff02::1:ff00:1')), 'Closed');
  });
});
