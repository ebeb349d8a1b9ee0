// TCP MD5 (RFC 2385) on a listening socket over loopback: a key for one peer makes the kernel
// drop that peer's unsigned SYNs (counted as TcpExt TCPMD5NotFound) while other peers connect.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { setTcpMd5, socketFd } from '../../src/net/tcp-md5.ts';

/** TcpExt counters of this network namespace (/proc/net/netstat: a header line, then values). */
function tcpExt(name: string): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
  const keys = lines[0]?.split(' ') ?? [];
  const values = lines[1]?.split(' ') ?? [];
  const i = keys.indexOf(name);
  if (i < 0) throw new Error(`no TcpExt ${name} in /proc/net/netstat`);
  return Number(values[i]);
}

function listen(host = '127.0.0.1'): Promise<Server> {
  const server = createServer((s) => s.end());
  return new Promise((resolve) => server.listen(0, host, () => resolve(server)));
}

function dial(port: number, localAddress: string): Socket {
  return connect({ port, host: '127.0.0.1', localAddress });
}

describe('setTcpMd5', () => {
  it("drops the keyed peer's unsigned SYNs, lets other peers in, and stops once the key is removed", async (t) => {
    const server = await listen();
    t.after(() => server.close());
    const { port } = server.address() as AddressInfo;
    const fd = socketFd(server);
    assert.ok(fd.ok, fd.ok ? '' : fd.error.message);

    // The key is for 127.0.0.2 only (any 127/8 address is this host's loopback).
    const set = setTcpMd5(fd.value, '127.0.0.2', 'documentation-only-key');
    assert.ok(set.ok, set.ok ? '' : `${set.error.code}: ${set.error.message}`);

    const unkeyed = dial(port, '127.0.0.1');
    await new Promise((resolve, reject) => unkeyed.once('connect', resolve).once('error', reject));
    unkeyed.destroy();

    const before = tcpExt('TCPMD5NotFound');
    const keyed = dial(port, '127.0.0.2');
    keyed.on('error', () => {}); // destroyed below while still connecting
    try {
      while (tcpExt('TCPMD5NotFound') === before) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(keyed.connecting, true, 'the SYN without a signature was dropped');
    } finally {
      keyed.destroy();
    }

    const removed = setTcpMd5(fd.value, '127.0.0.2', '');
    assert.ok(removed.ok, removed.ok ? '' : removed.error.message);
    const again = dial(port, '127.0.0.2');
    await new Promise((resolve, reject) => again.once('connect', resolve).once('error', reject));
    again.destroy();
  });

  it('answers bad input with codes', async (t) => {
    const server = await listen();
    t.after(() => server.close());
    const fd = socketFd(server);
    assert.ok(fd.ok);
    const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? 'ok' : r.error?.code);
    assert.equal(code(setTcpMd5(fd.value, '127.0.0.3', '')), 'ENOENT', 'removing a key that is not there');
    assert.equal(code(setTcpMd5(fd.value, '2001:db8::1', 'k')), 'EAFNOSUPPORT', 'an IPv6 peer on an IPv4 socket');
    assert.equal(code(setTcpMd5(fd.value, 'peer.example', 'k')), 'InvalidArgument');
    assert.equal(code(setTcpMd5(fd.value, '127.0.0.3', 'k'.repeat(81))), 'InvalidArgument');
    assert.equal(code(setTcpMd5(-1, '127.0.0.3', 'k')), 'InvalidArgument');
    assert.equal(code(setTcpMd5(0x7ffffff, '127.0.0.3', 'k')), 'EBADF');
    assert.equal(code(socketFd(createServer())), 'EBADF', 'not listening yet');
  });

  it('keys an IPv4 peer on an IPv6 socket as v4-mapped, so it can be removed again', async (t) => {
    const server = await listen('::1');
    t.after(() => server.close());
    const fd = socketFd(server);
    assert.ok(fd.ok);
    const added = setTcpMd5(fd.value, '192.0.2.1', 'k');
    assert.ok(added.ok, added.ok ? '' : added.error.message);
    // Removal finds the key only where the addon stored it (ENOENT otherwise, as above).
    const removed = setTcpMd5(fd.value, '::ffff:192.0.2.1', '');
    assert.ok(removed.ok, removed.ok ? '' : removed.error.message);
  });
});
