// TCP for BGP sessions (RFC 4271 §8.2.1), set up before the first SYN: a source address, a TCP
// MD5 key (RFC 2385) and GTSM TTLs (RFC 5082) or an eBGP multihop TTL. Node creates a client's
// socket inside connect(), too late for all three, so the addon creates it (tcp_socket.cc) and
// net.Socket connects the fd it is given: libuv only makes a socket when its handle has none.
import { closeSync } from 'node:fs';
import { isIP, Socket } from 'node:net';
import type { Server } from 'node:net';
import { attempt, OK, toNetError } from './errors.ts';
import { loadAddon } from './native.ts';
import { socketFd, TCP_MD5_MAX_KEY_BYTES } from './tcp-md5.ts';
import { netError } from './types.ts';
import type { NetResult } from './types.ts';

export interface TtlOptions {
  /** IP TTL / IPv6 hop limit of every packet sent, 1..255 (kernel default 64). */
  ttl?: number;
  /** Packets that arrive with a lower TTL are dropped by the kernel (TcpExt TCPMinTTLDrop); 0..255, 0 = off. */
  minTtl?: number;
}

export interface TcpConnectOptions extends TtlOptions {
  /** An IP address (BGP peers are configured by address; no name lookup). */
  host: string;
  port: number;
  /** Defaults to `host`'s family; when given it must match. */
  family?: 4 | 6;
  /** Local source address, of the same family; the port is chosen at connect time. */
  bind?: string;
  /** RFC 2385 key for `host`, 1..80 bytes (a string is taken as UTF-8). */
  md5Key?: string | Uint8Array;
  /** The connection attempt fails with `ETIMEDOUT` after this long (a signed SYN the peer drops is never answered). */
  timeoutMs: number;
}

/** RFC 5082 §3: send at 255, accept only from peers at most `hops` away (255 − (hops − 1)). */
export function gtsm(hops = 1): Required<TtlOptions> {
  return { ttl: 255, minTtl: 256 - hops };
}

/**
 * Connects to a BGP peer with everything set before the SYN. Resolves to a connected net.Socket,
 * or to an error: `InvalidArgument`, `AddonMissing`/`AddonLoadFailed`, the kernel's errno name
 * (`ECONNREFUSED`, `EADDRNOTAVAIL` for a `bind` address not on this host, `ENOPROTOOPT` without
 * CONFIG_TCP_MD5SIG…) or `ETIMEDOUT`. Never rejects; the fd is closed on every failure. With
 * GTSM or a key, a closed port also gives `ETIMEDOUT` (its RST is dropped or never sent). The
 * socket comes without an 'error' listener: add one before the next turn of the event loop.
 */
export function connectTcp(options: TcpConnectOptions): Promise<NetResult<Socket>> {
  const checked = checkConnect(options);
  if (!checked.ok) return Promise.resolve(checked);
  const { family, key } = checked.value;
  const addon = loadAddon();
  if (!addon.ok) return Promise.resolve(addon);
  const { host, port, bind, ttl, minTtl, timeoutMs } = options;
  const fd = attempt(() => addon.value.tcpSocket(family, bind, key === undefined ? undefined : host, key, ttl, minTtl));
  if (!fd.ok) return Promise.resolve(fd);

  let socket: Socket;
  try {
    // readable: true starts reading at once, so connect() must follow in this same turn: a socket
    // left unconnected until the loop polls it fails its read with ENOTCONN.
    socket = new Socket({ fd: fd.value, readable: true, writable: true });
  } catch (thrown) {
    closeSync(fd.value);
    return Promise.resolve({ ok: false, error: toNetError(thrown) });
  }
  return new Promise((resolve) => {
    const fail = (result: NetResult<Socket>) => {
      clearTimeout(timer);
      socket.removeListener('connect', connected);
      socket.destroy(); // closes the fd
      resolve(result);
    };
    const failed = (error: unknown) => fail({ ok: false, error: toNetError(error) });
    const connected = () => {
      clearTimeout(timer);
      socket.removeListener('error', failed);
      resolve({ ok: true, value: socket });
    };
    const timer = setTimeout(() => fail(netError('ETIMEDOUT', `no connection to ${host} port ${port} within ${timeoutMs} ms`, 'connect')), timeoutMs);
    socket.once('error', failed).once('connect', connected);
    try {
      socket.connect(port, host);
    } catch (thrown) {
      failed(thrown);
    }
  });
}

/**
 * Sets the TTL options on a listening net.Server (accepted connections inherit them, and the
 * SYN-ACK already goes out at `ttl`) or on a connected net.Socket. On an IPv6 socket the IPv4
 * options are set too, for v4-mapped peers of a dual-stack listener.
 */
export function setTtl(owner: Server | Socket, options: TtlOptions): NetResult<void> {
  const valid = checkTtl(options);
  if (!valid.ok) return valid;
  const fd = socketFd(owner);
  if (!fd.ok) return fd;
  const addon = loadAddon();
  if (!addon.ok) return addon;
  return attempt(() => addon.value.setTtl(fd.value, options.ttl, options.minTtl));
}

function checkTtl({ ttl, minTtl }: TtlOptions): NetResult<void> {
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl >= 1 && ttl <= 255)) return netError('InvalidArgument', `ttl must be 1..255, got ${ttl}`);
  if (minTtl !== undefined && !(Number.isInteger(minTtl) && minTtl >= 0 && minTtl <= 255)) return netError('InvalidArgument', `minTtl must be 0..255, got ${minTtl}`);
  return OK;
}

function checkConnect(options: TcpConnectOptions): NetResult<{ family: 4 | 6; key: Buffer | undefined }> {
  const { host, port, bind, md5Key, timeoutMs } = options;
  const version = isIP(host);
  const family = version === 4 || version === 6 ? version : 0;
  // A zone (fe80::1%eth0) would need TCP_MD5SIG_FLAG_IFINDEX and a scoped bind; not supported yet.
  if (family === 0 || host.includes('%')) return netError('InvalidArgument', `host must be an IP address without a zone, got ${JSON.stringify(host)}`);
  if (options.family !== undefined && options.family !== family) return netError('InvalidArgument', `host ${host} is not IPv${options.family}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return netError('InvalidArgument', `port must be 1..65535, got ${port}`);
  if (bind !== undefined && isIP(bind) !== family) return netError('InvalidArgument', `bind must be an IPv${family} address like host, got ${JSON.stringify(bind)}`);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return netError('InvalidArgument', `timeoutMs must be positive, got ${timeoutMs}`);
  const ttl = checkTtl(options);
  if (!ttl.ok) return ttl;
  const key = md5Key === undefined ? undefined : typeof md5Key === 'string' ? Buffer.from(md5Key, 'utf8') : Buffer.from(md5Key);
  if (key !== undefined && (key.length === 0 || key.length > TCP_MD5_MAX_KEY_BYTES)) {
    return netError('InvalidArgument', `an MD5 key is 1..${TCP_MD5_MAX_KEY_BYTES} bytes, got ${key.length}`);
  }
  return { ok: true, value: { family, key } };
}
