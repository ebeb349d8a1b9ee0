// UDP with the received TTL: the typed face of the addon's UdpSocket (native/src/udp_socket.cc).
// BFD single hop (RFC 5881 §5) sends with TTL 255 and drops what arrives with less; Node's dgram
// shows no TTL, hence the addon. Errors are values; nothing here throws.
import { isIP } from 'node:net';
import { asBuffer, attempt, toNetError } from './errors.ts';
import { loadAddon } from './native.ts';
import type { NativeUdpSocket } from './native.ts';
import { netError } from './types.ts';
import type { NetError, NetResult } from './types.ts';

export interface UdpDatagram {
  readonly body: Uint8Array;
  readonly source: string;
  readonly sourcePort: number;
  /** TTL (IPv4) or hop limit (IPv6) the datagram arrived with; -1 if the kernel gave none. */
  readonly ttl: number;
  readonly ifindex: number;
}

export interface UdpSocketOptions {
  readonly family: 4 | 6;
  /** Local address ("0.0.0.0" / "::" for any). */
  readonly bind: string;
  /** 0: the kernel picks one. */
  readonly port: number;
  /** TTL / hop limit of every datagram sent, 1..255. */
  readonly ttl: number;
  readonly onMessage: (d: UdpDatagram) => void;
  readonly onError: (e: NetError) => void;
}

export interface UdpSocket {
  send(body: Uint8Array, destination: string, port: number): NetResult<void>;
  close(): void;
}

/** Opens a socket through the addon (the speaker's transport; tests pass a fake `open`). */
export function openUdpSocket(o: UdpSocketOptions): NetResult<UdpSocket> {
  if (isIP(o.bind) !== o.family) return netError('InvalidArgument', `bind must be an IPv${o.family} address, got ${JSON.stringify(o.bind)}`);
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 0xffff) return netError('InvalidArgument', `port must be 0..65535, got ${o.port}`);
  if (!Number.isInteger(o.ttl) || o.ttl < 1 || o.ttl > 255) return netError('InvalidArgument', `ttl must be 1..255, got ${o.ttl}`);
  const addon = loadAddon();
  if (!addon.ok) return addon;
  const opened = attempt(
    () =>
      new addon.value.UdpSocket(
        o.family,
        o.bind,
        o.port,
        o.ttl,
        (body, source, sourcePort, ttl, ifindex) => o.onMessage({ body, source, sourcePort, ttl, ifindex }),
        (error) => o.onError(toNetError(error)),
      ),
  );
  return opened.ok ? { ok: true, value: new AddonUdpSocket(opened.value, o.family) } : opened;
}

class AddonUdpSocket implements UdpSocket {
  #socket: NativeUdpSocket | undefined;
  readonly #family: 4 | 6;

  constructor(socket: NativeUdpSocket, family: 4 | 6) {
    this.#socket = socket;
    this.#family = family;
  }

  send(body: Uint8Array, destination: string, port: number): NetResult<void> {
    const socket = this.#socket;
    if (socket === undefined) return netError('Closed', 'UDP socket is closed');
    if (isIP(destination) !== this.#family) return netError('InvalidArgument', `destination must be an IPv${this.#family} address, got ${JSON.stringify(destination)}`);
    const sent = attempt(() => socket.send(asBuffer(body), destination, port));
    return sent.ok ? { ok: true, value: undefined } : sent;
  }

  close(): void {
    this.#socket?.close();
    this.#socket = undefined;
  }
}
