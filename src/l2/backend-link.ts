// One interface of the L2 backend (backend.ts): its sockets, the VIPs it answers for, their
// solicited-node groups and gratuitous bursts. `apply` is idempotent: it brings the sockets in
// line with the VIPs and the interface's current facts, and retries whatever failed last time.
// `add` and `remove` change one VIP in O(1) (issue #10: a 1,000-VIP join rebuilt every table on
// every change); the speaker's periodic `apply` is the full pass that retries the rest.
//   IPv4: an AF_PACKET socket bound to ETH_P_ARP (requests in, replies and announcements out).
//   IPv6: an AF_PACKET socket bound to ETH_P_IPV6 with a BPF filter passing only NS/NA. NDP is read
//   from frames, not from the ICMPv6 socket, because a unicast NS to a VIP (NUD, RFC 4861 §7.3.3)
//   never reaches a raw ICMPv6 socket: the VIP is not a local address (docs/native.md, "Kernel
//   behaviour"). The ICMPv6 socket receives nothing (no types); it exists to join each VIP's
//   solicited-node group (RFC 4291 §2.7.1), which programs the NIC's multicast filter.
import { announcements } from './announce.ts';
import { bpf } from './bpf.ts';
import { parseMac } from './ethernet.ts';
import { HandoverMarks, type Timers } from './handover-marks.ts';
import { isIpv4, type IpAddress, type Ipv4, type Ipv6 } from './ip.ts';
import { solicitedNodeAddress } from './ndp.ts';
import type { RealtimeNs } from './realtime.ts';
import { respondToFrame, type DropReason, type HeldSet, type L2Interface, type PacketType } from './responder.ts';
import type { NetInterface } from '../net/interfaces.ts';
import { ETH_P } from '../net/types.ts';
import type { Frame, Icmp6Socket, Net, NetError, PacketSocket } from '../net/types.ts';

export type L2Family = 'arp' | 'ndp';
export type { Timers };

/** The responder's reasons, plus the backend's own: the fence said no at reply time, a packet
 *  type the responder has no name for (`loopback`, `other`), or a request received before this
 *  node's first announcement of a VIP it just took (docs/l2.md, "Planned handover"). */
export type BackendDropReason = DropReason | 'fenced' | 'unexpected-packet-type' | 'before-announcement' | 'announced-before-ours';

export interface L2BackendHooks {
  /** The election's fence check (docs/l2.md "Fencing"), asked at the moment a frame would go out. */
  mayAnswer(ip: string): boolean;
  onAnswered(family: L2Family, ip: string, iface: string): void;
  onDropped(reason: BackendDropReason, iface: string): void;
  /** One call per frame sent: two per IPv4 round (request and reply forms), one per IPv6 round. */
  onGratuitous(family: L2Family, ip: string, iface: string): void;
  /** Another MAC answers or announces a VIP we hold (RFC 5227 §2.4 (a)); `mac` null when unknown. */
  onConflict(ip: string, mac: string | null, iface: string): void;
  /** Socket and interface errors, as values; `iface` is '' when no interface is concerned. */
  onError(code: string, message: string, iface: string): void;
}

export interface LinkDeps {
  readonly net: Net;
  readonly hooks: L2BackendHooks;
  readonly timers: Timers;
  readonly gratuitous: { readonly count: number; readonly intervalMs: number };
  /** The node's own addresses in canonical form, read per frame (never answered). */
  readonly own: () => ReadonlySet<IpAddress>;
  /** CLOCK_REALTIME ns, the clock of the sockets' receive stamps (SO_TIMESTAMPNS). */
  readonly realtimeNs: RealtimeNs;
}

/**
 * Classic BPF for the ETH_P_IPV6 socket (offsets from the Ethernet header; no extension headers,
 * which NDP never carries): accept when next header (byte 20) is 58 and the ICMPv6 type (byte 54)
 * is 135 (NS) or 136 (NA), else drop in the kernel. struct sock_filter is {u16 code; u8 jt; u8 jf;
 * u32 k} in host byte order.
 */
export const NDP_FILTER: Uint8Array = bpf([
  [0x30, 0, 0, 20], // ldb [20]
  [0x15, 0, 3, 58], // jeq #58, else drop
  [0x30, 0, 0, 54], // ldb [54]
  [0x35, 0, 1, 135], // jge #135, else drop
  [0x25, 0, 1, 136], // jgt #136 → drop, else accept
  [0x06, 0, 0, 0], // ret #0
  [0x06, 0, 0, 0x40000], // ret #262144 (the whole frame)
]);

/** linux/if_packet.h types the responder knows; `loopback` and `other` never carry ARP/NDP for us. */
function responderPacketType(type: Frame['type']): PacketType | null {
  return type === 'loopback' || type === 'other' ? null : type;
}

export class Link {
  readonly name: string;
  readonly #deps: LinkDeps;
  #iface: L2Interface | undefined;
  #up = false;
  #v4 = new Set<Ipv4>();
  #v6 = new Set<Ipv6>();
  #arp: PacketSocket | undefined;
  #ip6: PacketSocket | undefined;
  #icmp6: Icmp6Socket | undefined;
  readonly #joined = new Set<Ipv6>();
  /** Solicited-node group → how many IPv6 VIPs here share it (RFC 4291 §2.7.1: the low 24 bits). */
  #groups = new Map<Ipv6, number>();
  /** VIPs whose burst went out on the current sockets while the link was up. */
  readonly #announced = new Set<IpAddress>();
  /**
   * When each VIP began to be answered here (realtime ns, the receive stamps' clock). Another
   * host's announcement received before that is not a conflict: it is the previous holder's, read
   * late by a busy event loop. At 5,000 VIPs such frames, with peers' takeovers the node had not
   * seen yet, made 1,100–1,400 false conflicts per speaker in 2.5 minutes, each a warning, an
   * Event and a defending burst (bench/README.md, "Thirteenth session").
   */
  readonly #since = new Map<IpAddress, bigint>();
  /** Pending rounds; every VIP here is also in #announced. */
  readonly #bursts = new Map<IpAddress, unknown>();
  /** VIPs handed over to us: which requests are ours, from the stamp of our announcement leaving. */
  readonly #handovers: HandoverMarks;
  /** The last error reported per subject (`iface`, `arp`, `join:<group>`…): a failure that repeats
   *  at every resync is reported once, until it changes or succeeds. */
  readonly #reported = new Map<string, string>();
  /** `answering()` as the responder asks it, read live at each frame: no copy per change. */
  readonly #held: HeldSet = {
    has: (ip) => (isIpv4(ip) ? this.#arp !== undefined && this.#v4.has(ip) : this.#ip6 !== undefined && this.#v6.has(ip)),
  };

  constructor(name: string, deps: LinkDeps) {
    this.name = name;
    this.#deps = deps;
    this.#handovers = new HandoverMarks({ ...deps, onTapError: (error) => this.#report('tap', error) });
  }

  /** VIPs answered here now: held, and the socket of their family is open. */
  answering(): IpAddress[] {
    return [...(this.#arp === undefined ? [] : this.#v4), ...(this.#ip6 === undefined ? [] : this.#v6)];
  }

  /** Whether `vips` are exactly the VIPs held here (no copy: this runs at every resync). */
  #holdsExactly(vips: ReadonlySet<IpAddress>): boolean {
    if (vips.size !== this.#v4.size + this.#v6.size) return false;
    for (const ip of vips) if (!(isIpv4(ip) ? this.#v4.has(ip) : this.#v6.has(ip))) return false;
    return true;
  }

  /** No VIP here: the backend closes the link. */
  get empty(): boolean {
    return this.#v4.size === 0 && this.#v6.size === 0;
  }

  apply(facts: NetInterface | undefined, vips: ReadonlySet<IpAddress>): void {
    // The resync every 5 s gives the same VIPs almost always: the sets held stay, as new ones lived
    // long enough to be promoted and grew the old generation at rest (issue #10).
    if (!this.#holdsExactly(vips)) {
      const v4 = new Set([...vips].filter(isIpv4));
      const v6 = new Set([...vips].filter((ip): ip is Ipv6 => !isIpv4(ip)));
      for (const ip of [...this.#v4, ...this.#v6]) {
        if (vips.has(ip)) continue;
        this.#forget(ip); // stop at once
        this.#since.delete(ip);
      }
      const now = this.#deps.realtimeNs();
      for (const ip of vips) if (!this.#since.has(ip)) this.#since.set(ip, now);
      this.#v4 = v4;
      this.#v6 = v6;
      this.#groups = new Map();
      for (const ip of v6) this.#count(solicitedNodeAddress(ip), 1);
    }
    this.#updateFacts(facts);
    const iface = this.#iface;
    if (iface === undefined) return;
    if (this.#v4.size > 0) this.#arp ??= this.#openPacket(iface, ETH_P.ARP, 'arp');
    else this.#arp = this.#closeSocket(this.#arp, v4Of(this.#announced));
    if (this.#v6.size > 0) {
      this.#ip6 ??= this.#openPacket(iface, ETH_P.IPV6, 'ip6');
      this.#icmp6 ??= this.#openIcmp6(iface);
    } else {
      this.#ip6 = this.#closeSocket(this.#ip6, v6Of(this.#announced));
      this.#icmp6?.close(); // leaves its groups
      this.#icmp6 = undefined;
    }
    this.#syncGroups();
    if (!this.#up) return;
    for (const ip of this.answering()) if (!this.#announced.has(ip)) this.announce(ip);
  }

  /**
   * A VIP handed over to this node (docs/l2.md, "Planned handover"), before `add` sends its first
   * announcement: a tap opens to see that frame leave. Until then its old holder answers.
   */
  awaitAnnouncement(ip: IpAddress): void {
    const iface = this.#iface;
    if (iface === undefined || this.#announced.has(ip) || (isIpv4(ip) ? this.#v4.has(ip) : this.#v6.has(ip))) return;
    this.#handovers.expect(ip, iface);
  }

  /**
   * Right after `add` of a VIP handed over: answer only requests received after its announcement
   * left (the tap's stamp), or without a tap ANSWER_AFTER_ANNOUNCEMENT_NS after now.
   */
  answerAfterAnnouncement(ip: IpAddress): void {
    if (!(isIpv4(ip) ? this.#v4.has(ip) : this.#v6.has(ip))) return;
    this.#handovers.sent(ip);
  }

  /** One VIP more, with the interface's last facts: sockets and group as needed, then its burst. */
  add(ip: IpAddress): void {
    if (isIpv4(ip)) {
      if (this.#v4.has(ip)) return;
      this.#v4.add(ip);
    } else {
      if (this.#v6.has(ip)) return;
      this.#v6.add(ip);
      this.#count(solicitedNodeAddress(ip), 1);
    }
    this.#since.set(ip, this.#deps.realtimeNs());
    const iface = this.#iface;
    if (iface === undefined) return;
    if (isIpv4(ip)) this.#arp ??= this.#openPacket(iface, ETH_P.ARP, 'arp');
    else {
      this.#ip6 ??= this.#openPacket(iface, ETH_P.IPV6, 'ip6');
      this.#icmp6 ??= this.#openIcmp6(iface);
      this.#join(solicitedNodeAddress(ip));
    }
    if (this.#up && !this.#announced.has(ip)) this.announce(ip);
  }

  /** One VIP less: it stops being answered at once, its burst is cancelled. */
  remove(ip: IpAddress): void {
    this.#since.delete(ip);
    if (isIpv4(ip)) {
      if (!this.#v4.delete(ip)) return;
      this.#forget(ip);
      if (this.#v4.size === 0) this.#arp = this.#closeSocket(this.#arp, v4Of(this.#announced));
      return;
    }
    if (!this.#v6.delete(ip)) return;
    this.#forget(ip);
    const group = solicitedNodeAddress(ip);
    if (this.#count(group, -1) === 0 && this.#joined.has(group) && this.#icmp6 !== undefined) {
      this.#joined.delete(group);
      const left = this.#icmp6.leave(group);
      if (!left.ok) this.#report(`leave:${group}`, left.error);
    }
    if (this.#v6.size > 0) return;
    this.#ip6 = this.#closeSocket(this.#ip6, v6Of(this.#announced));
    this.#icmp6?.close(); // leaves its groups
    this.#icmp6 = undefined;
    this.#joined.clear();
  }

  #count(group: Ipv6, delta: number): number {
    const n = (this.#groups.get(group) ?? 0) + delta;
    if (n > 0) this.#groups.set(group, n);
    else this.#groups.delete(group);
    return n;
  }

  /**
   * Sends `count` rounds of gratuitous ARP (RFC 5227 §3 request form and RFC 2002 §4.6 reply form)
   * or unsolicited NA with Override to all-nodes (RFC 4861 §7.2.6), round 0 at once; restarts a
   * burst already running. Each round asks the fence first and is skipped when it says no.
   */
  announce(ip: IpAddress): void {
    const iface = this.#iface;
    const socket = isIpv4(ip) ? this.#arp : this.#ip6;
    if (iface === undefined || socket === undefined || !(isIpv4(ip) ? this.#v4.has(ip) : this.#v6.has(ip))) return;
    if (this.#deps.own().has(ip)) return; // the kernel's address, not a VIP: never ours to announce
    this.#cancelBurst(ip);
    this.#announced.add(ip);
    const all = announcements(ip, iface, this.#deps.gratuitous.count);
    const { intervalMs } = this.#deps.gratuitous;
    const family: L2Family = isIpv4(ip) ? 'arp' : 'ndp';
    const round = (r: number): void => {
      this.#bursts.delete(ip);
      if (this.#deps.hooks.mayAnswer(ip)) {
        for (const a of all) if (a.round === r && this.#send(socket, a.frame)) this.#deps.hooks.onGratuitous(family, ip, this.name);
      }
      if (all.some((a) => a.round === r + 1)) this.#bursts.set(ip, this.#deps.timers.setTimeout(() => round(r + 1), intervalMs));
    };
    round(0);
  }

  close(): void {
    this.#closeAll();
    this.#v4.clear();
    this.#v6.clear();
    this.#since.clear();
    this.#groups.clear();
  }

  #updateFacts(facts: NetInterface | undefined): void {
    if (facts === undefined) {
      this.#closeAll();
      this.#iface = undefined;
      this.#report('iface', { code: 'ENODEV', message: `no interface ${this.name}` });
      return;
    }
    const mac = parseMac(facts.mac);
    if (!mac.ok) {
      this.#closeAll();
      this.#iface = undefined;
      this.#report('iface', { code: 'NoLinkLayerAddress', message: `interface ${this.name} has no Ethernet address (${JSON.stringify(facts.mac)})` });
      return;
    }
    this.#reported.delete('iface');
    const old = this.#iface;
    if (old !== undefined && (old.ifindex !== facts.ifindex || old.mac !== mac.value)) this.#closeAll(); // recreated or re-addressed
    this.#iface = { name: this.name, ifindex: facts.ifindex, mac: mac.value };
    const up = facts.up && facts.operState !== 'down' && facts.operState !== 'lowerlayerdown';
    if (up && !this.#up) this.#announced.clear(); // back up: tell the neighbours again
    this.#up = up;
  }

  #openPacket(iface: L2Interface, protocol: number, subject: 'arp' | 'ip6'): PacketSocket | undefined {
    const opened = this.#deps.net.openPacketSocket({
      ifindex: iface.ifindex,
      protocol,
      // Receive stamps: a new VIP is answered only for requests after its announcement.
      timestamps: true,
      onFrame: (frame) => this.#onFrame(frame),
      onError: (error) => this.#onSocketError(error),
      ...(subject === 'ip6' ? { filter: NDP_FILTER } : {}),
    });
    if (!opened.ok) return this.#report(subject, opened.error);
    this.#reported.delete(subject);
    return opened.value;
  }

  #openIcmp6(iface: L2Interface): Icmp6Socket | undefined {
    const opened = this.#deps.net.openIcmp6Socket({ ifindex: iface.ifindex, types: [], onMessage: () => {}, onError: (error) => this.#onSocketError(error) });
    if (!opened.ok) return this.#report('icmp6', opened.error);
    this.#reported.delete('icmp6');
    return opened.value;
  }

  /** Joins the solicited-node group of every IPv6 VIP and leaves the rest; VIPs can share one. */
  #syncGroups(): void {
    const socket = this.#icmp6;
    if (socket === undefined) return this.#joined.clear();
    for (const group of [...this.#joined]) {
      if (this.#groups.has(group)) continue;
      this.#joined.delete(group);
      const left = socket.leave(group);
      if (!left.ok) this.#report(`leave:${group}`, left.error);
    }
    for (const group of this.#groups.keys()) this.#join(group);
  }

  #join(group: Ipv6): void {
    const socket = this.#icmp6;
    if (socket === undefined || this.#joined.has(group)) return;
    const joined = socket.join(group);
    if (!joined.ok) {
      this.#report(`join:${group}`, joined.error);
      return;
    }
    this.#reported.delete(`join:${group}`);
    this.#joined.add(group);
  }

  #onFrame(frame: Frame): void {
    const iface = this.#iface;
    if (iface === undefined) return;
    const { hooks } = this.#deps;
    const packetType = responderPacketType(frame.type);
    if (packetType === null) return hooks.onDropped('unexpected-packet-type', this.name);
    // The held set is read live, so a VIP removed by set() is not answered from a queued frame.
    const view = { iface, held: this.#held, own: this.#deps.own() };
    const decision = respondToFrame(view, frame.data, { ifindex: iface.ifindex, packetType, vlan: null });
    if (decision.kind === 'drop') return hooks.onDropped(decision.reason, this.name);
    // The fence is asked at reply time; a fenced node holds nothing it could defend either.
    if (!hooks.mayAnswer(decision.ip)) return hooks.onDropped('fenced', this.name);
    if (decision.kind === 'conflict') {
      const since = this.#since.get(decision.ip);
      if (frame.timestampNs !== undefined && since !== undefined && frame.timestampNs < since) return hooks.onDropped('announced-before-ours', this.name);
      return hooks.onConflict(decision.ip, decision.mac, this.name);
    }
    if (!this.#handovers.admits(decision.ip, frame.timestampNs)) return hooks.onDropped('before-announcement', this.name);
    const socket = isIpv4(decision.ip) ? this.#arp : this.#ip6;
    if (socket !== undefined && this.#send(socket, decision.frame)) hooks.onAnswered(isIpv4(decision.ip) ? 'arp' : 'ndp', decision.ip, this.name);
  }

  #send(socket: PacketSocket, frame: Uint8Array): boolean {
    const sent = socket.send(frame);
    if (!sent.ok) this.#deps.hooks.onError(sent.error.code, sent.error.message, this.name);
    return sent.ok;
  }

  /** Receive errors (ENETDOWN once when the link goes down): reported; the socket stays open. On
   *  ENETDOWN the bursts stop, and the first `apply` that finds the link up announces again. */
  #onSocketError(error: NetError): void {
    if (error.code === 'ENETDOWN') {
      this.#up = false;
      for (const ip of [...this.#announced]) this.#forget(ip);
    }
    this.#deps.hooks.onError(error.code, error.message, this.name);
  }

  #forget(ip: IpAddress): void {
    this.#handovers.forget(ip);
    this.#cancelBurst(ip);
    this.#announced.delete(ip);
  }

  #cancelBurst(ip: IpAddress): void {
    const handle = this.#bursts.get(ip);
    if (handle === undefined) return;
    this.#deps.timers.clearTimeout(handle);
    this.#bursts.delete(ip);
  }

  /** Closes a packet socket and forgets the bursts and announcements that went out on it. */
  #closeSocket(socket: PacketSocket | undefined, vips: readonly IpAddress[]): undefined {
    socket?.close();
    for (const ip of vips) this.#forget(ip);
    return undefined;
  }

  #closeAll(): void {
    this.#handovers.close();
    this.#arp = this.#closeSocket(this.#arp, v4Of(this.#announced));
    this.#ip6 = this.#closeSocket(this.#ip6, v6Of(this.#announced));
    this.#icmp6?.close(); // leaves its groups
    this.#icmp6 = undefined;
    this.#joined.clear();
  }

  #report(subject: string, error: { readonly code: string; readonly message: string }): undefined {
    if (this.#reported.get(subject) === error.code) return undefined;
    this.#reported.set(subject, error.code);
    this.#deps.hooks.onError(error.code, error.message, this.name);
    return undefined;
  }
}

function v4Of(ips: Iterable<IpAddress>): Ipv4[] {
  return [...ips].filter(isIpv4);
}

function v6Of(ips: Iterable<IpAddress>): Ipv6[] {
  return [...ips].filter((ip): ip is Ipv6 => !isIpv4(ip));
}
