// openUdpSocket (src/net/udp-socket.ts) over loopback, unprivileged: every datagram arrives with
// the TTL / hop limit its sender set (loopback does not decrement it), which is what BFD single
// hop checks (RFC 5881 §5), and with the interface it came in on.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openUdpSocket } from '../../src/net/udp-socket.ts';
import type { UdpDatagram, UdpSocket, UdpSocketOptions } from '../../src/net/udp-socket.ts';
import type { NetResult } from '../../src/net/types.ts';

function value<T>(r: NetResult<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** A socket on a fixed loopback port, collecting what arrives. */
function receiver(family: 4 | 6, port: number): { socket: UdpSocket; got: UdpDatagram[]; next: () => Promise<UdpDatagram> } {
  const got: UdpDatagram[] = [];
  let wake: (() => void) | undefined;
  const socket = value(openUdpSocket({ family, bind: family === 4 ? '127.0.0.1' : '::1', port, ttl: 255, onMessage: (d) => { got.push(d); wake?.(); }, onError: (e) => assert.fail(e.message) }));
  const next = async () => {
    const deadline = Date.now() + 2000;
    while (got.length === 0 && Date.now() < deadline) await new Promise<void>((resolve) => { wake = resolve; setTimeout(resolve, 50); });
    const d = got.shift();
    if (d === undefined) throw new Error('nothing arrived within 2 s');
    return d;
  };
  return { socket, got, next };
}

const noop: Pick<UdpSocketOptions, 'onMessage' | 'onError'> = { onMessage: () => {}, onError: () => {} };
const PORT = 20000 + (process.pid % 20000);

describe('UDP with the received TTL', () => {
  for (const family of [4, 6] as const) {
    const lo = family === 4 ? '127.0.0.1' : '::1';
    it(`IPv${family}: reports each datagram's TTL as sent, its source port and interface`, async () => {
      const rx = receiver(family, PORT + family);
      const sockets = [rx.socket];
      try {
        for (const ttl of [255, 254, 1]) {
          const tx = value(openUdpSocket({ family, bind: lo, port: 0, ttl, ...noop }));
          sockets.push(tx);
          assert.deepEqual(tx.send(Uint8Array.of(ttl), lo, PORT + family), { ok: true, value: undefined });
          const d = await rx.next();
          assert.equal(d.ttl, ttl);
          assert.deepEqual([...d.body], [ttl]);
          assert.equal(d.source, lo);
          assert.ok(d.sourcePort > 0 && d.sourcePort !== PORT + family);
          assert.equal(d.ifindex, 1); // lo
        }
      } finally {
        for (const s of sockets) s.close();
      }
    });
  }

  it('binds the source port it is given (RFC 5881 §4: one per session) and refuses a port in use', () => {
    const a = value(openUdpSocket({ family: 4, bind: '127.0.0.1', port: PORT + 10, ttl: 255, ...noop }));
    try {
      const again = openUdpSocket({ family: 4, bind: '127.0.0.1', port: PORT + 10, ttl: 255, ...noop });
      assert.equal(again.ok ? 'opened' : again.error.code, 'EADDRINUSE');
    } finally {
      a.close();
    }
  });

  it('refuses bad arguments as values, and sends nothing once closed', () => {
    const bad = (o: Partial<UdpSocketOptions>) => {
      const r = openUdpSocket({ family: 4, bind: '127.0.0.1', port: 0, ttl: 255, ...noop, ...o });
      return r.ok ? 'opened' : r.error.code;
    };
    assert.equal(bad({ bind: '::1' }), 'InvalidArgument');
    assert.equal(bad({ port: 70000 }), 'InvalidArgument');
    assert.equal(bad({ ttl: 0 }), 'InvalidArgument');
    assert.equal(bad({ ttl: 256 }), 'InvalidArgument');
    const s = value(openUdpSocket({ family: 4, bind: '127.0.0.1', port: 0, ttl: 255, ...noop }));
    const wrongFamily = s.send(Uint8Array.of(1), '::1', 3784);
    assert.equal(wrongFamily.ok ? 'sent' : wrongFamily.error.code, 'InvalidArgument');
    s.close();
    const closed = s.send(Uint8Array.of(1), '127.0.0.1', 3784);
    assert.equal(closed.ok ? 'sent' : closed.error.code, 'Closed');
  });
});
