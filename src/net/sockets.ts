// The Net that the speaker uses in production: the addon's sockets behind the typed interfaces
// of types.ts. Arguments are checked here (same checks as the fakes), every addon call that can
// fail returns a NetResult, and receive errors reach `onError` as values.
import { asBuffer, attempt, checkHopLimit, checkIcmp6Types, checkIfindex, checkIPv6, checkMulticastGroup, checkProtocol, OK, toNetError } from './errors.ts';
import { loadAddon } from './native.ts';
import type { NativeAddon, NativeIcmp6Socket, NativePacketSocket } from './native.ts';
import { netError } from './types.ts';
import type { Frame, Icmp6Outgoing, Icmp6Socket, Icmp6SocketOptions, Net, NetResult, PacketSocket, PacketSocketOptions, PacketType } from './types.ts';

/** packet(7) sll_pkttype values, in order: PACKET_HOST (0) … PACKET_LOOPBACK (5). */
const PACKET_TYPES: readonly PacketType[] = ['host', 'broadcast', 'multicast', 'otherhost', 'outgoing', 'loopback'];

export function packetTypeName(value: number): PacketType {
  return PACKET_TYPES[value] ?? 'other';
}

/** The addon-backed Net, or why it cannot be had (`AddonMissing`, `AddonLoadFailed`). */
export function nativeNet(): NetResult<Net> {
  const addon = loadAddon();
  return addon.ok ? { ok: true, value: addonNet(addon.value) } : addon;
}

export function addonNet(addon: NativeAddon): Net {
  return {
    openPacketSocket: (options) => openPacketSocket(addon, options),
    openIcmp6Socket: (options) => openIcmp6Socket(addon, options),
  };
}

function openPacketSocket(addon: NativeAddon, options: PacketSocketOptions): NetResult<PacketSocket> {
  const valid = [checkIfindex(options.ifindex), checkProtocol(options.protocol)].find((r) => !r.ok);
  if (valid !== undefined) return valid;
  const { onFrame, onError } = options;
  const opened = attempt(
    () =>
      new addon.PacketSocket(
        options.ifindex,
        options.protocol,
        (data, packetType, timestampNs) => onFrame(frameOf(data, packetType, timestampNs)),
        (error) => onError(toNetError(error)),
        options.timestamps === true,
        options.filter === undefined ? undefined : asBuffer(options.filter),
      ),
  );
  return opened.ok ? { ok: true, value: new AddonPacketSocket(opened.value, options.ifindex, options.protocol) } : opened;
}

class AddonPacketSocket implements PacketSocket {
  readonly ifindex: number;
  readonly protocol: number;
  #socket: NativePacketSocket | undefined;

  constructor(socket: NativePacketSocket, ifindex: number, protocol: number) {
    this.#socket = socket;
    this.ifindex = ifindex;
    this.protocol = protocol;
  }

  send(frame: Uint8Array): NetResult<void> {
    const socket = this.#socket;
    if (socket === undefined) return netError('Closed', `packet socket on ifindex ${this.ifindex} is closed`);
    const sent = attempt(() => socket.send(asBuffer(frame)));
    return sent.ok ? OK : sent;
  }

  readQueued(): Frame[] {
    const socket = this.#socket;
    if (socket === undefined) return [];
    return socket.readQueued().map(([data, packetType, timestampNs]) => frameOf(data, packetType, timestampNs));
  }

  close(): void {
    this.#socket?.close();
    this.#socket = undefined;
  }
}

function frameOf(data: Buffer, packetType: number, timestampNs: bigint | undefined): Frame {
  return timestampNs === undefined ? { data, type: packetTypeName(packetType) } : { data, type: packetTypeName(packetType), timestampNs };
}

function openIcmp6Socket(addon: NativeAddon, options: Icmp6SocketOptions): NetResult<Icmp6Socket> {
  const valid = [checkIfindex(options.ifindex), checkIcmp6Types(options.types)].find((r) => !r.ok);
  if (valid !== undefined) return valid;
  const { onMessage, onError } = options;
  const opened = attempt(
    () =>
      new addon.Icmp6Socket(
        options.ifindex,
        [...options.types],
        (body, source, destination, hopLimit, ifindex) => onMessage({ body, source, destination, hopLimit, ifindex }),
        (error) => onError(toNetError(error)),
      ),
  );
  return opened.ok ? { ok: true, value: new AddonIcmp6Socket(opened.value, options.ifindex) } : opened;
}

class AddonIcmp6Socket implements Icmp6Socket {
  readonly ifindex: number;
  #socket: NativeIcmp6Socket | undefined;

  constructor(socket: NativeIcmp6Socket, ifindex: number) {
    this.#socket = socket;
    this.ifindex = ifindex;
  }

  send(message: Icmp6Outgoing): NetResult<void> {
    const socket = this.#socket;
    if (socket === undefined) return netError('Closed', `ICMPv6 socket on ifindex ${this.ifindex} is closed`);
    const { body, destination, hopLimit, source } = message;
    const valid = [checkIPv6(destination, 'destination'), checkHopLimit(hopLimit), source === undefined ? OK : checkIPv6(source, 'source')].find((r) => !r.ok);
    if (valid !== undefined) return valid;
    const sent = attempt(() => socket.send(asBuffer(body), destination, hopLimit, source));
    return sent.ok ? OK : sent;
  }

  join(group: string): NetResult<void> {
    return this.#membership(group, (socket) => socket.join(group));
  }

  leave(group: string): NetResult<void> {
    return this.#membership(group, (socket) => socket.leave(group));
  }

  #membership(group: string, change: (socket: NativeIcmp6Socket) => void): NetResult<void> {
    const socket = this.#socket;
    if (socket === undefined) return netError('Closed', `ICMPv6 socket on ifindex ${this.ifindex} is closed`);
    const valid = checkMulticastGroup(group);
    if (!valid.ok) return valid;
    return attempt(() => change(socket));
  }

  /** The kernel drops the socket's group memberships with it. */
  close(): void {
    this.#socket?.close();
    this.#socket = undefined;
  }
}
