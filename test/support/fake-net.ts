// In-memory stand-ins for the native sockets, so the L2 responder's unit tests never need the
// addon, root or a namespace (as MetalLB tests ARP over a loopback PacketConn). A FakeSegment is
// a hub: every frame reaches every other attached interface. A FakeHost implements Net. They keep
// the kernel behaviours the responder depends on:
// - packet types from the destination MAC; a host's own frames are `outgoing`, and only to its
//   other ETH_P.ALL sockets (the sending socket never sees its own frame);
// - ICMPv6 reaches an interface only for ff02::1, its own addresses and their solicited-node
//   groups, and groups a socket joined on it; hop limits arrive as sent; no multicast loopback;
// - closed sockets, a link that is down and a host without CAP_NET_RAW fail with the same codes.
// Deliveries are queued and run in a microtask, or at once with `segment.flush()`.
import ipaddr from 'ipaddr.js';
import { asBuffer, checkHopLimit, checkIcmp6Types, checkIfindex, checkIPv6, checkMulticastGroup, checkProtocol, OK } from '../../src/net/errors.ts';
import { ETH_P, netError } from '../../src/net/types.ts';
import type { ErrnoName, Frame, Icmp6Message, Icmp6Outgoing, Icmp6Socket, Icmp6SocketOptions, Net, NetResult, PacketSocket, PacketSocketOptions, PacketType } from '../../src/net/types.ts';

export interface FakeInterfaceOptions {
  ifindex: number;
  mac: string;
  name?: string;
  /** IPv6 addresses assigned to the interface; the first is the source when a send names none. */
  addresses?: readonly string[];
}

/** What crossed the segment, in order, for assertions ("a gratuitous ARP was sent"). */
export interface SegmentFrame {
  from: string;
  data: Buffer;
}
export interface SegmentMessage {
  from: string;
  body: Buffer;
  source: string;
  destination: string;
  hopLimit: number;
}

const MAX_DELIVERIES_PER_FLUSH = 10_000;

export class FakeSegment {
  readonly frames: SegmentFrame[] = [];
  readonly messages: SegmentMessage[] = [];
  readonly interfaces: FakeInterface[] = [];
  #pending: (() => void)[] = [];
  #scheduled = false;

  /** Runs every queued delivery, including those queued by the receivers meanwhile. */
  flush(): void {
    for (let n = 0; ; n++) {
      const deliver = this.#pending.shift();
      if (deliver === undefined) return;
      if (n >= MAX_DELIVERIES_PER_FLUSH) {
        this.#pending = [];
        throw new Error(`FakeSegment: over ${MAX_DELIVERIES_PER_FLUSH} deliveries in one flush (a reply loop?)`);
      }
      deliver();
    }
  }

  /**
   * The receive stamp (CLOCK_REALTIME ns) given to every frame put on the wire, as SO_TIMESTAMPNS
   * would: taken when the frame is transmitted, delivered to sockets opened with `timestamps`.
   */
  stampNs: (() => bigint) | undefined;

  /** A frame from a station outside every FakeHost (a client), as every interface receives it. */
  inject(frame: Uint8Array): void {
    this.transmit(undefined, 'outside', Buffer.from(frame));
  }

  /** An ICMPv6 message from a station outside every FakeHost. */
  injectIcmp6(message: Icmp6Outgoing & { source: string }): void {
    const { hopLimit } = message;
    this.carry(undefined, { from: 'outside', body: Buffer.from(message.body), source: normalize(message.source), destination: normalize(message.destination), hopLimit });
  }

  /** Used by FakePacketSocket.send: puts a frame on the wire. */
  transmit(sender: FakePacketSocket | undefined, from: string, data: Buffer): void {
    this.frames.push({ from, data });
    const stamp = this.stampNs?.();
    for (const iface of this.interfaces) {
      const own = sender !== undefined && iface === sender.iface;
      if (!iface.up) continue;
      const type: PacketType = own ? 'outgoing' : classify(iface.mac, data);
      for (const socket of iface.packetSockets) {
        if (socket === sender || (own && socket.protocol !== ETH_P.ALL) || !socket.accepts(data)) continue;
        socket.enqueue(Buffer.from(data), type, stamp);
        this.#queue(() => socket.deliverNext());
      }
    }
  }

  /** Used by FakeIcmp6Socket.send: an ICMPv6 message to whichever interfaces accept its destination. */
  carry(sender: FakeInterface | undefined, message: SegmentMessage): void {
    this.messages.push(message);
    for (const iface of this.interfaces) {
      if (iface === sender || !iface.up || !iface.acceptsIPv6(message.destination)) continue;
      for (const socket of iface.icmp6Sockets) {
        if (!socket.types.includes(message.body[0] ?? -1)) continue;
        const { source, destination, hopLimit } = message;
        this.#queue(() => socket.deliver({ body: Buffer.from(message.body), source, destination, hopLimit, ifindex: iface.ifindex }));
      }
    }
  }

  #queue(deliver: () => void): void {
    this.#pending.push(deliver);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.flush();
    });
  }
}

/** One node: a Net whose sockets live on its FakeInterfaces. */
export class FakeHost implements Net {
  readonly name: string;
  readonly interfaces = new Map<number, FakeInterface>();
  /** Set to make every open fail, e.g. `EPERM` for a speaker without CAP_NET_RAW. */
  denyOpen: ErrnoName | undefined;
  /** Packet sockets of these protocols fail to open with the code given (e.g. ETH_P.ALL → EPERM). */
  readonly denyProtocols = new Map<number, ErrnoName>();

  constructor(name: string) {
    this.name = name;
  }

  attach(segment: FakeSegment, options: FakeInterfaceOptions): FakeInterface {
    const iface = new FakeInterface(this, segment, options);
    this.interfaces.set(iface.ifindex, iface);
    segment.interfaces.push(iface);
    return iface;
  }

  openPacketSocket(options: PacketSocketOptions): NetResult<PacketSocket> {
    const valid = [checkIfindex(options.ifindex), checkProtocol(options.protocol)].find((r) => !r.ok);
    if (valid !== undefined) return valid;
    const iface = this.#open(options.ifindex);
    if (!iface.ok) return iface;
    const denied = this.denyProtocols.get(options.protocol);
    if (denied !== undefined) return netError(denied, `socket: protocol 0x${options.protocol.toString(16)} denied on fake host ${this.name}`, 'socket');
    const socket = new FakePacketSocket(iface.value, options);
    iface.value.packetSockets.add(socket);
    return { ok: true, value: socket };
  }

  openIcmp6Socket(options: Icmp6SocketOptions): NetResult<Icmp6Socket> {
    const valid = [checkIfindex(options.ifindex), checkIcmp6Types(options.types)].find((r) => !r.ok);
    if (valid !== undefined) return valid;
    const iface = this.#open(options.ifindex);
    if (!iface.ok) return iface;
    const socket = new FakeIcmp6Socket(iface.value, options);
    iface.value.icmp6Sockets.add(socket);
    return { ok: true, value: socket };
  }

  #open(ifindex: number): NetResult<FakeInterface> {
    if (this.denyOpen !== undefined) return netError(this.denyOpen, `socket: denied on fake host ${this.name}`, 'socket');
    const iface = this.interfaces.get(ifindex);
    return iface === undefined ? netError('ENODEV', `bind: no ifindex ${ifindex} on fake host ${this.name}`, 'bind') : { ok: true, value: iface };
  }
}

export class FakeInterface {
  readonly host: FakeHost;
  readonly segment: FakeSegment;
  readonly name: string;
  readonly ifindex: number;
  readonly mac: string;
  readonly addresses: readonly string[];
  readonly packetSockets = new Set<FakePacketSocket>();
  readonly icmp6Sockets = new Set<FakeIcmp6Socket>();
  /** Multicast groups joined on this interface, with how many sockets joined each. */
  readonly groups = new Map<string, number>();
  up = true;

  constructor(host: FakeHost, segment: FakeSegment, options: FakeInterfaceOptions) {
    this.host = host;
    this.segment = segment;
    this.ifindex = options.ifindex;
    this.mac = options.mac.toLowerCase();
    this.name = options.name ?? `eth${options.ifindex}`;
    this.addresses = (options.addresses ?? []).map(normalize);
  }

  get label(): string {
    return `${this.host.name}/${this.name}`;
  }

  /** Link down: packet sockets get ENETDOWN once (as packet(7) sockets do) and sends fail until up. */
  setUp(up: boolean): void {
    if (this.up && !up) for (const socket of this.packetSockets) socket.fail('ENETDOWN');
    this.up = up;
  }

  acceptsIPv6(destination: string): boolean {
    return destination === 'ff02::1' || (this.groups.get(destination) ?? 0) > 0 || this.addresses.some((a) => a === destination || solicitedNode(a) === destination);
  }
}

export class FakePacketSocket implements PacketSocket {
  readonly iface: FakeInterface;
  readonly ifindex: number;
  readonly protocol: number;
  #options: PacketSocketOptions | undefined;

  constructor(iface: FakeInterface, options: PacketSocketOptions) {
    this.iface = iface;
    this.ifindex = options.ifindex;
    this.protocol = options.protocol;
    this.#options = options;
  }

  send(frame: Uint8Array): NetResult<void> {
    if (this.#options === undefined) return netError('Closed', `packet socket on ifindex ${this.ifindex} is closed`);
    if (!this.iface.up) return netError('ENETDOWN', 'send: network is down', 'send');
    if (frame.length < 14) return netError('EINVAL', 'send: a frame needs at least an Ethernet header', 'send');
    this.iface.segment.transmit(this, this.iface.label, Buffer.from(asBuffer(frame)));
    return OK;
  }

  close(): void {
    this.#options = undefined;
    this.#inbox.length = 0;
    this.iface.packetSockets.delete(this);
  }

  accepts(frame: Buffer): boolean {
    return this.protocol === ETH_P.ALL || (frame.length >= 14 && frame.readUInt16BE(12) === this.protocol);
  }

  /** Frames the segment queued for this socket and nobody has read yet, oldest first. */
  readonly #inbox: Frame[] = [];

  enqueue(data: Buffer, type: PacketType, timestampNs?: bigint): void {
    const o = this.#options;
    if (o === undefined) return;
    this.#inbox.push(timestampNs !== undefined && o.timestamps === true ? { data, type, timestampNs } : { data, type });
  }

  /** The segment's turn for this socket: the oldest frame not read by `readQueued` meanwhile. */
  deliverNext(): void {
    const frame = this.#inbox.shift();
    if (frame !== undefined) this.#options?.onFrame(frame);
  }

  readQueued(): Frame[] {
    return this.#inbox.splice(0, 64);
  }

  fail(code: ErrnoName): void {
    this.#options?.onError({ code, message: `recvmsg: ${code}`, syscall: 'recvmsg' });
  }
}

export class FakeIcmp6Socket implements Icmp6Socket {
  readonly iface: FakeInterface;
  readonly ifindex: number;
  readonly types: readonly number[];
  readonly joined = new Set<string>();
  #options: Icmp6SocketOptions | undefined;

  constructor(iface: FakeInterface, options: Icmp6SocketOptions) {
    this.iface = iface;
    this.ifindex = options.ifindex;
    this.types = [...options.types];
    this.#options = options;
  }

  send(message: Icmp6Outgoing): NetResult<void> {
    if (this.#options === undefined) return netError('Closed', `ICMPv6 socket on ifindex ${this.ifindex} is closed`);
    const { destination, hopLimit, source } = message;
    const valid = [checkIPv6(destination, 'destination'), checkHopLimit(hopLimit), source === undefined ? OK : checkIPv6(source, 'source')].find((r) => !r.ok);
    if (valid !== undefined) return valid;
    if (!this.iface.up) return netError('ENETDOWN', 'sendmsg: network is down', 'sendmsg');
    const from = source ?? this.iface.addresses[0];
    if (from === undefined) return netError('EADDRNOTAVAIL', 'sendmsg: the interface has no IPv6 address to send from', 'sendmsg');
    const body = Buffer.from(asBuffer(message.body));
    this.iface.segment.carry(this.iface, { from: this.iface.label, body, source: normalize(from), destination: normalize(destination), hopLimit });
    return OK;
  }

  join(group: string): NetResult<void> {
    const valid = this.#usable(group);
    if (!valid.ok) return valid;
    const g = normalize(group);
    if (this.joined.has(g)) return netError('EADDRINUSE', 'setsockopt(IPV6_JOIN_GROUP): address already in use', 'setsockopt(IPV6_JOIN_GROUP)');
    this.joined.add(g);
    this.iface.groups.set(g, (this.iface.groups.get(g) ?? 0) + 1);
    return OK;
  }

  leave(group: string): NetResult<void> {
    const valid = this.#usable(group);
    if (!valid.ok) return valid;
    const g = normalize(group);
    if (!this.joined.delete(g)) return netError('EADDRNOTAVAIL', 'setsockopt(IPV6_LEAVE_GROUP): not a member', 'setsockopt(IPV6_LEAVE_GROUP)');
    const left = (this.iface.groups.get(g) ?? 1) - 1;
    if (left > 0) this.iface.groups.set(g, left);
    else this.iface.groups.delete(g);
    return OK;
  }

  close(): void {
    for (const g of [...this.joined]) this.leave(g);
    this.#options = undefined;
    this.iface.icmp6Sockets.delete(this);
  }

  deliver(message: Icmp6Message): void {
    this.#options?.onMessage(message);
  }

  #usable(group: string): NetResult<void> {
    if (this.#options === undefined) return netError('Closed', `ICMPv6 socket on ifindex ${this.ifindex} is closed`);
    return checkMulticastGroup(group);
  }
}

/** The packet type a receiving interface with `mac` gives a frame (net/ethernet/eth.c eth_type_trans). */
function classify(mac: string, frame: Buffer): PacketType {
  const dst = [...frame.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
  if (dst === 'ff:ff:ff:ff:ff:ff') return 'broadcast';
  if (((frame[0] ?? 0) & 1) === 1) return 'multicast';
  return dst === mac ? 'host' : 'otherhost';
}

/** RFC 5952 text, as the kernel's inet_ntop prints addresses. */
function normalize(address: string): string {
  return ipaddr.parse(address).toString();
}

/** RFC 4291 §2.7.1: ff02::1:ff00:0/104 plus the address's low 24 bits. */
function solicitedNode(address: string): string {
  const bytes = ipaddr.IPv6.parse(address).toByteArray();
  const [a = 0, b = 0, c = 0] = bytes.slice(13);
  return normalize(`ff02::1:ff${a.toString(16).padStart(2, '0')}:${((b << 8) | c).toString(16)}`);
}
