// connectTcp and setTtl (src/net/tcp-socket.ts) over loopback, unprivileged: MD5 keys (RFC 2385)
// and GTSM TTLs (RFC 5082) set before the SYN, checked by what the kernel drops and counts in
// TcpExt. Loopback delivers packets with the TTL they were sent with (default 64).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { setTcpMd5, socketFd } from '../../src/net/tcp-md5.ts';
import { connectTcp, gtsm, setTtl } from '../../src/net/tcp-socket.ts';
import type { TcpConnectOptions } from '../../src/net/tcp-socket.ts';
import type { NetResult } from '../../src/net/types.ts';

/** TcpExt counters of this network namespace (/proc/net/netstat: a header line, then values). */
function tcpExt(name: string): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
  const i = (lines[0]?.split(' ') ?? []).indexOf(name);
  if (i < 0) throw new Error(`no TcpExt ${name} in /proc/net/netstat`);
  return Number(lines[1]?.split(' ')[i]);
}

/** This process's open sockets, as /proc/self/fd links (`socket:[inode]`). */
function openSockets(): Set<string> {
  const links = readdirSync('/proc/self/fd').map((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return ''; // the directory's own fd, closed by now
    }
  });
  return new Set(links.filter((l) => l.startsWith('socket:')));
}

/** Sockets opened since `before` and still open: a leak, when the call made none that it kept. */
function leaked(before: Set<string>): string[] {
  return [...openSockets()].filter((l) => !before.has(l));
}

/**
 * A server that sends "hello <peer address>" to every connection and echoes what it gets.
 * `close()` also destroys accepted sockets: a peer whose FIN the kernel drops (minTtl) never ends.
 */
async function listen(host: string, setup?: (server: Server) => void): Promise<{ server: { close(): void }; port: number }> {
  const accepted = new Set<Socket>();
  const server = createServer((s) => {
    accepted.add(s.on('error', () => {}).on('close', () => accepted.delete(s)));
    s.write(`hello ${s.remoteAddress}\n`);
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  setup?.(server);
  const close = () => {
    server.close();
    for (const s of accepted) s.destroy();
  };
  return { server: { close }, port: (server.address() as AddressInfo).port };
}

function keyListener(server: Server, peer: string, key: string): void {
  const fd = socketFd(server);
  assert.ok(fd.ok);
  const set = setTcpMd5(fd.value, peer, key);
  assert.ok(set.ok, set.ok ? '' : set.error.message);
}

function value<T>(r: NetResult<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

function code<T>(r: NetResult<T>): string {
  return r.ok ? 'ok' : r.error.code;
}

/** The first line the server sends, then an echo of `probe`. */
async function converse(socket: Socket, probe = 'ping'): Promise<string[]> {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.write(`${probe}\n`);
  while (text.split('\n').length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
  return text.split('\n').slice(0, 2);
}

/** A connection the kernel must refuse to complete: it times out, and `counter` went up. */
async function blackholed(options: TcpConnectOptions, counter: string): Promise<void> {
  const before = tcpExt(counter);
  const sockets = openSockets();
  const r = await connectTcp({ ...options, timeoutMs: 300 });
  assert.equal(code(r), 'ETIMEDOUT');
  assert.ok(tcpExt(counter) > before, `TcpExt ${counter} counted the dropped packet`);
  assert.deepEqual(leaked(sockets), [], 'the fd was closed');
}

for (const [v, loop, other] of [
  [4, '127.0.0.1', '127.0.0.2'],
  [6, '::1', undefined],
] as const) {
  describe(`connectTcp over IPv${v}`, () => {
    it('signs the SYN with the MD5 key, so a listener with the same key accepts it', async (t) => {
      const { server, port } = await listen(loop, (s) => keyListener(s, loop, 'documentation-only-key'));
      t.after(() => server.close());
      const socket = value(await connectTcp({ host: loop, port, md5Key: 'documentation-only-key', timeoutMs: 2000 }));
      t.after(() => socket.destroy());
      assert.deepEqual(await converse(socket), [`hello ${loop}`, 'ping']);
    });

    it('does not connect with a wrong key, no key, or a key the listener does not expect', async (t) => {
      const { server, port } = await listen(loop, (s) => keyListener(s, loop, 'right'));
      t.after(() => server.close());
      await blackholed({ host: loop, port, md5Key: 'wrong', timeoutMs: 0 }, 'TCPMD5Failure');
      await blackholed({ host: loop, port, timeoutMs: 0 }, 'TCPMD5NotFound');
      const { server: open, port: openPort } = await listen(loop);
      t.after(() => open.close());
      await blackholed({ host: loop, port: openPort, md5Key: 'right', timeoutMs: 0 }, 'TCPMD5Unexpected');
    });

    it('GTSM: ttl 255 / minTtl 254 on both ends connects; the listener drops TTL 64 when it wants 255', async (t) => {
      const { server, port } = await listen(loop, (s) => assert.ok(setTtl(s, gtsm()).ok));
      t.after(() => server.close());
      const socket = value(await connectTcp({ host: loop, port, ...gtsm(), timeoutMs: 2000 }));
      t.after(() => socket.destroy());
      assert.deepEqual(await converse(socket), [`hello ${loop}`, 'ping']);

      const { server: strict, port: strictPort } = await listen(loop, (s) => assert.ok(setTtl(s, { minTtl: 255 }).ok));
      t.after(() => strict.close());
      await blackholed({ host: loop, port: strictPort, timeoutMs: 0 }, 'TCPMinTTLDrop');
      const ok = value(await connectTcp({ host: loop, port: strictPort, ttl: 255, timeoutMs: 2000 }));
      ok.destroy();
    });

    it("the client's minTtl drops a SYN-ACK sent at 64; a listener's ttl reaches its SYN-ACKs and accepted sockets", async (t) => {
      const { server: plain, port: plainPort } = await listen(loop);
      t.after(() => plain.close());
      await blackholed({ host: loop, port: plainPort, minTtl: 255, timeoutMs: 0 }, 'TCPMinTTLDrop');

      const { server, port } = await listen(loop, (s) => assert.ok(setTtl(s, { ttl: 255 }).ok));
      t.after(() => server.close());
      const socket = value(await connectTcp({ host: loop, port, minTtl: 255, timeoutMs: 2000 }));
      t.after(() => socket.destroy());
      assert.deepEqual(await converse(socket), [`hello ${loop}`, 'ping'], 'data from the accepted socket arrives at 255');
    });

    it("accepted sockets inherit the listener's minTtl", async (t) => {
      const { server, port } = await listen(loop, (s) => assert.ok(setTtl(s, { minTtl: 255 }).ok));
      t.after(() => server.close());
      const socket = value(await connectTcp({ host: loop, port, ttl: 255, timeoutMs: 2000 }));
      t.after(() => socket.destroy());
      assert.deepEqual(await converse(socket), [`hello ${loop}`, 'ping']);
      // Lower the client's TTL on the established connection: its segments are now dropped.
      assert.ok(setTtl(socket, { ttl: 64 }).ok);
      const before = tcpExt('TCPMinTTLDrop');
      socket.write('late\n');
      while (tcpExt('TCPMinTTLDrop') === before) await new Promise((resolve) => setTimeout(resolve, 5));
    });

    it('binds to the given source address', async (t) => {
      const source = other ?? loop; // IPv6 loopback has no second address: ::1 still goes through bind()
      const { server, port } = await listen(loop);
      t.after(() => server.close());
      const socket = value(await connectTcp({ host: loop, port, family: v, bind: source, timeoutMs: 2000 }));
      t.after(() => socket.destroy());
      assert.equal(socket.localAddress, source);
      assert.deepEqual(await converse(socket), [`hello ${source}`, 'ping']);
    });

    it('reports ECONNREFUSED without leaking the fd, unless minTtl or a key drops the RST', async () => {
      const { server, port } = await listen(loop);
      server.close();
      const sockets = openSockets();
      const r = await connectTcp({ host: loop, port, ttl: 255, timeoutMs: 2000 });
      assert.equal(code(r), 'ECONNREFUSED');
      assert.equal(r.ok ? undefined : r.error.syscall, 'connect');
      assert.deepEqual(leaked(sockets), []);
      // The RST for a closed port goes out at the default TTL, so GTSM drops it; and the kernel
      // sends none at all to a signed SYN when it has no key to sign the RST with
      // (tcp_v4_send_reset). Either way the caller sees ETIMEDOUT, not ECONNREFUSED.
      await blackholed({ host: loop, port, ...gtsm(), timeoutMs: 0 }, 'TCPMinTTLDrop');
      assert.equal(code(await connectTcp({ host: loop, port, md5Key: 'k', timeoutMs: 300 })), 'ETIMEDOUT');
      assert.deepEqual(leaked(sockets), []);
    });
  });
}

describe('connectTcp and setTtl errors', () => {
  it('checks arguments before any system call', async () => {
    const base = { host: '127.0.0.1', port: 179, timeoutMs: 100 };
    for (const bad of [
      { ...base, host: 'peer.example' },
      { ...base, host: 'fe80::1%lo' },
      { ...base, family: 6 as const },
      { ...base, port: 0 },
      { ...base, port: 65536 },
      { ...base, bind: '::1' },
      { ...base, bind: 'localhost' },
      { ...base, ttl: 0 },
      { ...base, ttl: 256 },
      { ...base, minTtl: -1 },
      { ...base, md5Key: '' },
      { ...base, md5Key: 'k'.repeat(81) },
      { ...base, timeoutMs: 0 },
    ]) {
      const r = await connectTcp(bad);
      assert.equal(code(r), 'InvalidArgument', JSON.stringify(bad));
    }
    assert.equal(code(setTtl(createServer(), { ttl: 255 })), 'EBADF', 'not listening yet');
    assert.equal(code(setTtl(createServer(), { ttl: 1.5 })), 'InvalidArgument');
  });

  it('closes the fd when the addon fails after socket(): a bind address not on this host', async () => {
    const sockets = openSockets();
    const r = await connectTcp({ host: '127.0.0.1', port: 179, bind: '192.0.2.1', md5Key: 'k', timeoutMs: 100 });
    assert.equal(code(r), 'EADDRNOTAVAIL');
    assert.equal(r.ok ? undefined : r.error.syscall, 'bind');
    assert.deepEqual(leaked(sockets), []);
  });

  it("a dual-stack listener's minTtl also applies to IPv4 peers (IP_MINTTL beside IPV6_MINHOPCOUNT)", async (t) => {
    const { server, port } = await listen('::', (s) => assert.ok(setTtl(s, { minTtl: 255 }).ok));
    t.after(() => server.close());
    await blackholed({ host: '127.0.0.1', port, timeoutMs: 0 }, 'TCPMinTTLDrop');
    const socket = value(await connectTcp({ host: '127.0.0.1', port, ttl: 255, timeoutMs: 2000 }));
    t.after(() => socket.destroy());
    assert.deepEqual(await converse(socket), ['hello ::ffff:127.0.0.1', 'ping']);
  });
});
