// The addon-backed Net (src/net/sockets.ts) over a stub addon: how arguments, thrown errors,
// packet types and closing are translated, without root or the built addon.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addonNet, packetTypeName } from '../../src/net/sockets.ts';
import { toNetError } from '../../src/net/errors.ts';
import type { NativeAddon, NativeIcmp6Socket, NativePacketSocket } from '../../src/net/native.ts';
import { ETH_P } from '../../src/net/types.ts';
import type { Frame, Icmp6Message, NetError, NetResult } from '../../src/net/types.ts';

function systemError(code: string, syscall: string): Error {
  return Object.assign(new Error(`${syscall}: ${code}`), { code, errno: -1, syscall });
}

/** A stub addon: records calls, and lets a test fire the callbacks the C++ side would. */
function stubAddon(fail?: { open?: unknown; send?: unknown }) {
  const calls: string[] = [];
  const sent: Buffer[] = [];
  const packet: { onFrame?: (d: Buffer, t: number, ts: bigint | undefined) => void; onError?: (e: unknown) => void; queued: [Buffer, number, bigint | undefined][] } = { queued: [] };
  const icmp: { onMessage?: (b: Buffer, s: string, d: string, h: number, i: number) => void; args?: unknown[] } = {};
  const addon: NativeAddon = {
    abiVersion: 3,
    PacketSocket: class implements NativePacketSocket {
      constructor(ifindex: number, protocol: number, onFrame: NonNullable<typeof packet.onFrame>, onError: (e: unknown) => void) {
        calls.push(`open ${ifindex} ${protocol}`);
        if (fail?.open !== undefined) throw fail.open;
        packet.onFrame = onFrame;
        packet.onError = onError;
      }
      send(frame: Buffer): number {
        if (fail?.send !== undefined) throw fail.send;
        sent.push(frame);
        return frame.length;
      }
      readQueued(): [Buffer, number, bigint | undefined][] {
        return packet.queued.splice(0);
      }
      close(): void {
        calls.push('close');
      }
    },
    Icmp6Socket: class implements NativeIcmp6Socket {
      constructor(ifindex: number, types: number[], onMessage: NonNullable<typeof icmp.onMessage>) {
        calls.push(`open6 ${ifindex} ${types.join(',')}`);
        icmp.onMessage = onMessage;
      }
      send(body: Buffer, destination: string, hopLimit: number, source: string | undefined): number {
        icmp.args = [body, destination, hopLimit, source];
        return body.length;
      }
      join(group: string): void {
        if (group === 'ff02::1:ff00:1') throw systemError('EADDRINUSE', 'setsockopt(IPV6_JOIN_GROUP)');
        calls.push(`join ${group}`);
      }
      leave(group: string): void {
        calls.push(`leave ${group}`);
      }
      close(): void {
        calls.push('close6');
      }
    },
    UdpSocket: class {
      send(body: Buffer): number {
        return body.length;
      }
      close(): void {}
    },
    setTcpMd5: () => {},
    tcpSocket: () => -1,
    setTtl: () => {},
  };
  return { addon, calls, sent, packet, icmp };
}

function value<T>(r: NetResult<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

describe('addon-backed Net', () => {
  it('names every packet(7) packet type, and an unknown one as other', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, -1].map(packetTypeName), ['host', 'broadcast', 'multicast', 'otherhost', 'outgoing', 'loopback', 'other', 'other', 'other']);
  });

  it('passes frames and receive errors on as values', () => {
    const stub = stubAddon();
    const frames: Frame[] = [];
    const errors: NetError[] = [];
    value(addonNet(stub.addon).openPacketSocket({ ifindex: 4, protocol: ETH_P.ARP, onFrame: (f) => frames.push(f), onError: (e) => errors.push(e) }));
    stub.packet.onFrame?.(Buffer.from([1]), 4, undefined);
    stub.packet.onFrame?.(Buffer.from([2]), 1, 1_700_000_000_000_000_000n);
    stub.packet.onError?.(systemError('ENETDOWN', 'recvmsg'));
    assert.deepEqual(frames, [
      { data: Buffer.from([1]), type: 'outgoing' },
      { data: Buffer.from([2]), type: 'broadcast', timestampNs: 1_700_000_000_000_000_000n },
    ]);
    assert.deepEqual(errors, [{ code: 'ENETDOWN', message: 'recvmsg: ENETDOWN', syscall: 'recvmsg' }]);
  });

  it('reads what is queued now as the same frames, and nothing once closed', () => {
    const stub = stubAddon();
    const frames: Frame[] = [];
    const socket = value(addonNet(stub.addon).openPacketSocket({ ifindex: 4, protocol: ETH_P.ALL, onFrame: (f) => frames.push(f), onError: () => {} }));
    stub.packet.queued.push([Buffer.from([7]), 4, 1_700_000_000_000_000_001n], [Buffer.from([8]), 0, undefined]);
    assert.deepEqual(socket.readQueued(), [
      { data: Buffer.from([7]), type: 'outgoing', timestampNs: 1_700_000_000_000_000_001n },
      { data: Buffer.from([8]), type: 'host' },
    ]);
    assert.deepEqual(frames, [], 'read frames do not also reach onFrame');
    stub.packet.queued.push([Buffer.from([9]), 4, undefined]);
    socket.close();
    assert.deepEqual(socket.readQueued(), []);
  });

  it('turns what the addon throws into codes, and never calls it with bad arguments', () => {
    const opts = { onFrame: () => {}, onError: () => {} };
    const denied = stubAddon({ open: systemError('EPERM', 'socket') });
    const r = addonNet(denied.addon).openPacketSocket({ ...opts, ifindex: 2, protocol: ETH_P.ARP });
    assert.deepEqual(r.ok ? 'opened' : r.error, { code: 'EPERM', message: 'socket: EPERM', syscall: 'socket' });

    const stub = stubAddon();
    const net = addonNet(stub.addon);
    for (const [ifindex, protocol] of [[0, ETH_P.ARP], [1.5, ETH_P.ARP], [2, -1], [2, 0x10000]] as const) {
      const bad = net.openPacketSocket({ ...opts, ifindex, protocol });
      assert.equal(bad.ok ? 'opened' : bad.error.code, 'InvalidArgument', `${ifindex} ${protocol}`);
    }
    const badTypes = net.openIcmp6Socket({ ifindex: 2, types: [256], onMessage: () => {}, onError: () => {} });
    assert.equal(badTypes.ok ? 'opened' : badTypes.error.code, 'InvalidArgument');
    assert.deepEqual(stub.calls, []);
  });

  it('maps thrown values to stable codes', () => {
    assert.deepEqual(toNetError(new TypeError('frame must be a Buffer')), { code: 'InvalidArgument', message: 'frame must be a Buffer' });
    assert.equal(toNetError(systemError('ENOBUFS', 'send')).code, 'ENOBUFS');
    assert.equal(toNetError(Object.assign(new Error('odd'), { code: 'Unknown system error -999' })).code, 'EUNKNOWN');
    assert.equal(toNetError('a string').code, 'EUNKNOWN');
  });

  it('sends Uint8Arrays without copying, refuses sends after close, closes the addon socket once', () => {
    const stub = stubAddon();
    const socket = value(addonNet(stub.addon).openPacketSocket({ ifindex: 2, protocol: ETH_P.ALL, onFrame: () => {}, onError: () => {} }));
    const backing = new Uint8Array(80);
    const view = backing.subarray(10, 70);
    assert.equal(socket.send(view).ok, true);
    backing[10] = 0xaa;
    assert.equal(stub.sent[0]?.[0], 0xaa, 'the Buffer handed to the addon is a view over the same bytes');
    assert.equal(stub.sent[0]?.length, 60);
    socket.close();
    socket.close();
    const after = socket.send(view);
    assert.equal(after.ok ? 'sent' : after.error.code, 'Closed');
    assert.deepEqual(stub.calls, ['open 2 3', 'close']);

    const failing = stubAddon({ send: systemError('ENOBUFS', 'send') });
    const s = value(addonNet(failing.addon).openPacketSocket({ ifindex: 2, protocol: ETH_P.ALL, onFrame: () => {}, onError: () => {} }));
    const full = s.send(view);
    assert.equal(full.ok ? 'sent' : full.error.code, 'ENOBUFS');
  });

  it('ICMPv6: checks addresses and hop limit, passes the source through, maps join errors', () => {
    const stub = stubAddon();
    const messages: Icmp6Message[] = [];
    const socket = value(addonNet(stub.addon).openIcmp6Socket({ ifindex: 5, types: [135, 136], onMessage: (m) => messages.push(m), onError: () => {} }));
    const body = Buffer.from([135, 0, 0, 0]);
    for (const bad of [
      { body, destination: '192.0.2.1', hopLimit: 255 },
      { body, destination: 'ff02::1', hopLimit: 256 },
      { body, destination: 'ff02::1', hopLimit: 255, source: 'fe80::1%eth0' },
    ]) {
      const r = socket.send(bad);
      assert.equal(r.ok ? 'sent' : r.error.code, 'InvalidArgument', JSON.stringify(bad.destination));
    }
    assert.equal(stub.icmp.args, undefined);
    assert.equal(socket.send({ body, destination: 'ff02::1', hopLimit: 255 }).ok, true);
    assert.deepEqual(stub.icmp.args, [body, 'ff02::1', 255, undefined]);

    const again = socket.join('ff02::1:ff00:1');
    assert.deepEqual(again.ok ? 'joined' : [again.error.code, again.error.syscall], ['EADDRINUSE', 'setsockopt(IPV6_JOIN_GROUP)']);
    const notGroup = socket.join('2001:db8::1');
    assert.equal(notGroup.ok ? 'joined' : notGroup.error.code, 'InvalidArgument');
    assert.equal(socket.join('ff02::1:ff00:10').ok, true);
    assert.equal(socket.leave('ff02::1:ff00:10').ok, true);

    stub.icmp.onMessage?.(body, 'fe80::1', 'ff02::1:ff00:10', 255, 5);
    assert.deepEqual(messages, [{ body, source: 'fe80::1', destination: 'ff02::1:ff00:10', hopLimit: 255, ifindex: 5 }]);
    socket.close();
    socket.close();
    const closed = socket.join('ff02::1:ff00:10');
    assert.equal(closed.ok ? 'joined' : closed.error.code, 'Closed');
    assert.deepEqual(stub.calls, ['open6 5 135,136', 'join ff02::1:ff00:10', 'leave ff02::1:ff00:10', 'close6']);
  });
});
