// TCP MD5 signatures (RFC 2385) for BGP: the kernel signs and checks every segment with a key per
// peer address. The key must be on the socket before the first SYN, so it goes on the listening
// socket (the key is inherited by accepted connections) or on a socket not yet connected.
import { isIP } from 'node:net';
import type { Server, Socket } from 'node:net';
import { attempt } from './errors.ts';
import { loadAddon } from './native.ts';
import { netError } from './types.ts';
import type { NetResult } from './types.ts';

/** TCP_MD5SIG_MAXKEYLEN in linux/tcp.h. */
export const TCP_MD5_MAX_KEY_BYTES = 80;

/**
 * Installs (or, with an empty key, removes) the MD5 key for `peer` on socket `fd`. An IPv4 peer on
 * an IPv6 socket is handled (the addon writes it v4-mapped). Errors: `AddonMissing`,
 * `InvalidArgument`, `ENOENT` when removing a key that is not there, `ENOPROTOOPT` on a kernel
 * without CONFIG_TCP_MD5SIG, `EBADF`/`ENOTSOCK` for a bad fd.
 */
export function setTcpMd5(fd: number, peer: string, key: string | Uint8Array): NetResult<void> {
  if (!Number.isInteger(fd) || fd < 0) return netError('InvalidArgument', `fd must be a file descriptor, got ${fd}`);
  if (isIP(peer) === 0) return netError('InvalidArgument', `peer must be an IP address, got ${JSON.stringify(peer)}`);
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  if (bytes.length > TCP_MD5_MAX_KEY_BYTES) return netError('InvalidArgument', `an MD5 key is at most ${TCP_MD5_MAX_KEY_BYTES} bytes (RFC 2385 keys are shared secrets, not files)`);
  const addon = loadAddon();
  if (!addon.ok) return addon;
  return attempt(() => addon.value.setTcpMd5(fd, peer, bytes));
}

/**
 * The fd under a listening net.Server or a connected net.Socket. Node keeps it on the internal
 * `_handle`; it is -1 (an error here) before listen()/connect() created the socket.
 */
export function socketFd(owner: Server | Socket): NetResult<number> {
  const handle: unknown = Reflect.get(owner, '_handle');
  const fd: unknown = typeof handle === 'object' && handle !== null ? Reflect.get(handle, 'fd') : undefined;
  return typeof fd === 'number' && fd >= 0 ? { ok: true, value: fd } : netError('EBADF', 'the socket has no file descriptor yet (not listening or connected)');
}
