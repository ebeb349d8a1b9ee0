// The heartbeat transport (docs/l2.md, "Liveness"): UDP datagrams between speakers on the host
// network. Bytes in, bytes out; encoding is heartbeat.ts, decisions are election.ts. A send
// never blocks and never throws: a lost heartbeat is what the protocol is built to survive, so
// every failure (EHOSTUNREACH, ENETUNREACH, a closed socket) goes to `onError` and no further.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { isIP } from 'node:net';

export interface UdpEndpoint {
  address: string;
  port: number;
}

export interface TransportError {
  /** The system error code (`EHOSTUNREACH`, `EADDRINUSE`) or `EINVAL` for a bad destination. */
  code: string;
  message: string;
  /** The destination of a failed send, or the local address of a failed socket. */
  address?: string;
  port?: number;
}

export interface HeartbeatTransportOptions {
  /** UDP port (`--heartbeat-port`, 9425); 0 = any free port (tests), shared by every socket. */
  port: number;
  /** Local addresses to bind; empty or absent = `::` dual stack, or `0.0.0.0` without IPv6. */
  addresses?: readonly string[];
  onDatagram: (bytes: Uint8Array, from: UdpEndpoint) => void;
  onError: (err: TransportError) => void;
}

export interface HeartbeatTransport {
  /** The bound port. */
  readonly port: number;
  /** The bound local endpoints. */
  local(): UdpEndpoint[];
  /** Sends one datagram to each destination; failures go to onError. */
  send(bytes: Uint8Array, to: readonly UdpEndpoint[]): void;
  /** Idempotent. */
  close(): Promise<void>;
}

/** `::ffff:192.0.2.1` as a dual-stack socket reports an IPv4 sender → `192.0.2.1`. */
export function unmapAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m?.[1] ?? address;
}

function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : 'EUNKNOWN';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface Bound {
  socket: Socket;
  family: 4 | 6;
  /** Bound to `::` with IPv6-only off: it reaches IPv4 destinations as mapped addresses. */
  dualStack: boolean;
  address: string;
}

/** isIP of the few addresses a speaker sends to, remembered (bounded: a peer list is small, but addresses come from Leases). */
const families = new Map<string, number>();
function familyOf(address: string): number {
  let f = families.get(address);
  if (f === undefined) {
    if (families.size >= 1024) families.clear();
    families.set(address, (f = isIP(address)));
  }
  return f;
}

/**
 * The sockets' name lookup: every address they see is an IP literal (bind's, and send's after
 * the isIP check), so it is handed back as it is. dgram's default, dns.lookup, re-tests it with
 * isIP's regular expressions and defers each send by a tick: a tenth of a send's JavaScript at
 * ten rounds a second (issue #10, the speaker's idle profile).
 */
function literalLookup(hostname: string, _options: unknown, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = familyOf(hostname);
  if (family === 0) callback(Object.assign(new Error(`not an IP address: ${hostname}`), { code: 'EINVAL' }), '', 0);
  else callback(null, hostname, family);
}

function bind(address: string, port: number, onDatagram: HeartbeatTransportOptions['onDatagram'], onError: HeartbeatTransportOptions['onError']): Promise<Bound> {
  const family = isIP(address) === 6 ? 6 : 4;
  const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: false, lookup: literalLookup });
  return new Promise((resolve, reject) => {
    const failed = (err: Error): void => {
      try {
        socket.close();
      } catch {
        // already closed by the failed bind
      }
      reject(Object.assign(err, { address }));
    };
    socket.once('error', failed);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', failed);
      const local = socket.address().port;
      // After binding, socket errors are reports, never exceptions (an unhandled 'error' event would throw).
      socket.on('error', (err) => onError({ code: codeOf(err), message: messageOf(err), address, port: local }));
      socket.on('message', (msg, rinfo) => onDatagram(msg, { address: unmapAddress(rinfo.address), port: rinfo.port }));
      resolve({ socket, family, dualStack: family === 6 && address === '::', address });
    });
  });
}

async function closeAll(bound: readonly Bound[]): Promise<void> {
  await Promise.all(
    bound.map(
      (b) =>
        new Promise<void>((resolve) => {
          try {
            b.socket.close(() => resolve());
          } catch {
            resolve(); // already closed
          }
        }),
    ),
  );
}

/**
 * Binds the sockets (one per local address, all on one port). A bind failure rejects, after
 * closing what was bound: the speaker cannot run without its port. From then on, nothing throws.
 */
export async function openHeartbeatTransport(o: HeartbeatTransportOptions): Promise<HeartbeatTransport> {
  const bound: Bound[] = [];
  let port = o.port;
  const wanted = o.addresses !== undefined && o.addresses.length > 0 ? o.addresses : null;
  try {
    if (wanted === null) {
      try {
        bound.push(await bind('::', port, o.onDatagram, o.onError));
      } catch (err) {
        // A host without IPv6 (EAFNOSUPPORT, EADDRNOTAVAIL): IPv4 only.
        if (codeOf(err) === 'EADDRINUSE') throw err;
        bound.push(await bind('0.0.0.0', port, o.onDatagram, o.onError));
      }
    } else {
      for (const address of wanted) {
        const b = await bind(address, port, o.onDatagram, o.onError);
        bound.push(b);
        // Port 0: the first socket picks a free port and the others share it.
        port = b.socket.address().port;
      }
    }
  } catch (err) {
    await closeAll(bound);
    throw err;
  }
  const first = bound[0];
  if (first === undefined) throw new Error('no socket bound');
  port = first.socket.address().port;
  let closing: Promise<void> | null = null;

  function socketFor(family: 4 | 6): Bound | undefined {
    return bound.find((b) => b.family === family) ?? (family === 4 ? bound.find((b) => b.dualStack) : undefined);
  }

  return {
    port,
    local: () => bound.map((b) => ({ address: b.address, port })),
    send(bytes, to) {
      if (closing !== null) return;
      for (const dest of to) {
        const family = familyOf(dest.address);
        const via = family === 0 ? undefined : socketFor(family === 6 ? 6 : 4);
        const fail = (code: string, message: string): void => o.onError({ code, message, address: dest.address, port: dest.port });
        if (via === undefined || !Number.isInteger(dest.port) || dest.port < 1 || dest.port > 65535) {
          fail('EINVAL', family === 0 ? `not an IP address: ${dest.address}` : `no socket for ${dest.address}:${dest.port}`);
          continue;
        }
        // IP literals only, so no DNS lookup can delay a send; an IPv4 peer via `::` is mapped.
        const address = via.family === 6 && family === 4 ? `::ffff:${dest.address}` : dest.address;
        try {
          via.socket.send(bytes, dest.port, address, (err) => {
            if (err) fail(codeOf(err), messageOf(err));
          });
        } catch (err) {
          fail(codeOf(err), messageOf(err));
        }
      }
    },
    close() {
      closing ??= closeAll(bound);
      return closing;
    },
  };
}
