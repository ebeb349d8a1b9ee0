// The vocabulary of src/net: what the L2 responder (and later BGP) asks of the network, whatever
// sits behind it — the native addon (sockets.ts) or the in-memory fake (test/support/fake-net.ts).
// Errors are values with stable codes; nothing here throws.
import type { Result } from '../api/result.ts';

/** Ethertypes for `PacketSocketOptions.protocol` (linux/if_ether.h). Any other ethertype works too. */
export const ETH_P = {
  /** Every protocol; the only binding that also sees frames this host sends (packet(7)). */
  ALL: 0x0003,
  IP: 0x0800,
  ARP: 0x0806,
  IPV6: 0x86dd,
} as const;

/** ICMPv6 types the speaker filters on (RFC 4861 §4). */
export const ICMP6_TYPE = {
  ROUTER_SOLICITATION: 133,
  ROUTER_ADVERTISEMENT: 134,
  NEIGHBOR_SOLICITATION: 135,
  NEIGHBOR_ADVERTISEMENT: 136,
} as const;

/** RFC 4861 §7.1: NDP is sent with, and only accepted at, hop limit 255. */
export const NDP_HOP_LIMIT = 255;

/**
 * Stable error codes. Failures of a system call carry the kernel's errno name (`EPERM` without
 * CAP_NET_RAW, `ENODEV` for a vanished interface, `ENETDOWN` when the link went down, `ENOBUFS`
 * when the device queue is full); `EUNKNOWN` stands for one libuv has no name for.
 */
export type NetErrorCode =
  /** native/build/Release/herald_net.node does not exist: the addon was not built (`npm run build:native`). */
  | 'AddonMissing'
  /** The addon exists but could not be loaded, or is not the version this code expects. */
  | 'AddonLoadFailed'
  /** A caller passed something no system call could accept (a bad address, ifindex or hop limit). */
  | 'InvalidArgument'
  /** The socket was closed before the call. */
  | 'Closed'
  | ErrnoName;

/** An errno name such as `EPERM`, as Node's own system errors use in `code`. */
export type ErrnoName = `E${string}`;

export interface NetError {
  code: NetErrorCode;
  message: string;
  /** The system call that failed, when one did (`bind`, `setsockopt(IPV6_JOIN_GROUP)`…). */
  syscall?: string;
}

/** Kept by name for the files another change holds (issue #9); new code writes Result<T, NetError>. */
export type NetResult<T> = Result<T, NetError>;

/**
 * How the kernel classified a received frame (packet(7) `sll_pkttype`): `outgoing` frames are
 * ones this host sent (seen only by `ETH_P.ALL` sockets), which a responder must ignore.
 */
export type PacketType = 'host' | 'broadcast' | 'multicast' | 'otherhost' | 'outgoing' | 'loopback' | 'other';

export interface Frame {
  /** The whole Ethernet frame from the destination MAC on (no FCS). */
  data: Buffer;
  type: PacketType;
  /** Kernel receive time (CLOCK_REALTIME, ns) when the socket was opened with `timestamps`. */
  timestampNs?: bigint;
}

export interface PacketSocketOptions {
  ifindex: number;
  /** An ethertype from `ETH_P`, or any other (host order). */
  protocol: number;
  onFrame: (frame: Frame) => void;
  /** Receive errors; the socket stays open (ENETDOWN comes once when the link goes down). */
  onError: (error: NetError) => void;
  timestamps?: boolean;
  /** A classic BPF program (struct sock_filter[], 8 bytes per instruction) run in the kernel. */
  filter?: Uint8Array;
}

/** A raw Ethernet socket bound to one interface. */
export interface PacketSocket {
  readonly ifindex: number;
  readonly protocol: number;
  /** Sends one whole frame out of the interface; nothing is queued in user space. */
  send(frame: Uint8Array): NetResult<void>;
  /**
   * The frames the kernel has queued on this socket now (at most 64), read without waiting and
   * returned instead of passed to `onFrame`; none once closed. Receive errors still go to `onError`.
   */
  readQueued(): Frame[];
  /** Idempotent. */
  close(): void;
}

export interface Icmp6Message {
  /** The ICMPv6 message from its type byte on (the kernel has already verified the checksum). */
  body: Buffer;
  /** RFC 5952 text; `::` for a DAD probe (RFC 4862 §5.4.2). */
  source: string;
  destination: string;
  /** From the IPv6 header, via ancillary data; NDP demands 255. */
  hopLimit: number;
  /** The interface it arrived on. */
  ifindex: number;
}

export interface Icmp6Outgoing {
  /** From the type byte on; leave the checksum zero, the kernel fills it in. */
  body: Uint8Array;
  destination: string;
  hopLimit: number;
  /** Omit to let the kernel choose one of the interface's own addresses. */
  source?: string;
}

export interface Icmp6SocketOptions {
  ifindex: number;
  /** ICMPv6 types to receive (`ICMP6_TYPE`); every other type is filtered in the kernel. */
  types: readonly number[];
  onMessage: (message: Icmp6Message) => void;
  onError: (error: NetError) => void;
}

/** A raw ICMPv6 socket bound to one interface. */
export interface Icmp6Socket {
  readonly ifindex: number;
  send(message: Icmp6Outgoing): NetResult<void>;
  /** Joins a multicast group on the interface (e.g. a VIP's solicited-node group). */
  join(group: string): NetResult<void>;
  leave(group: string): NetResult<void>;
  /** Idempotent; leaves every group it joined. */
  close(): void;
}

/** What the speaker is handed: `nativeNet()` in production, a `FakeHost` in unit tests. */
export interface Net {
  openPacketSocket(options: PacketSocketOptions): NetResult<PacketSocket>;
  openIcmp6Socket(options: Icmp6SocketOptions): NetResult<Icmp6Socket>;
}

export function netError(code: NetErrorCode, message: string, syscall?: string): { ok: false; error: NetError } {
  return { ok: false, error: syscall === undefined ? { code, message } : { code, message, syscall } };
}
