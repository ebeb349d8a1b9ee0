// Which requests for a VIP handed over to this node are this node's to answer (docs/l2.md,
// "Planned handover"). The old holder answers every request it reads before this node's first
// announcement of the VIP and stops at that frame. So this node answers the requests its kernel
// received after that announcement left it, and "left" is the kernel's own stamp of the frame:
// a tap of the interface's outgoing announcements (an ETH_P_ALL packet socket whose filter passes
// only outgoing ARP and NA), open only while handovers come, since while a tap is open the kernel
// clones every frame the host sends: it closes after a second with none. Not sooner: a drain hands
// over tens of VIPs at once, and a tap per VIP was a socket opened and closed per VIP. The tap is
// read at once after the send and again before deciding a request, so the order of the two
// sockets' wake-ups does not matter.
//
// Issue #14: the mark used to be the moment `add` returned plus 250 µs, while the old holder
// stops at the first of the round's two frames; with the JavaScript between them, neither
// answered for about 0.5 ms, and 4 of 37 drains lost a probe. Without a tap (it could not be
// opened) that margin is still the mark.
import { announcedAddress } from './announce.ts';
import { bpf } from './bpf.ts';
import type { IpAddress } from './ip.ts';
import type { RealtimeNs } from './realtime.ts';
import type { L2Interface } from './responder.ts';
import { ETH_P } from '../net/types.ts';
import type { Frame, Net, NetError, PacketSocket } from '../net/types.ts';

/**
 * Without a tap: requests received this long after the announcement's `send` returned are ours.
 * It covers the frame's way through the sender's softirq and the bridge or switch, which `send`
 * usually returns after; it is also the most a request can go unanswered by both.
 */
export const ANSWER_AFTER_ANNOUNCEMENT_NS = 250_000n;

/**
 * With a tap that has not shown the announcement yet (a qdisc holding the frame): the requests
 * this long after `send` returned are answered anyway. A frame held longer leaves an overlap of
 * the rest; a tap that never shows it costs this much of unanswered requests.
 */
export const TAP_PATIENCE_NS = 2_000_000n;

/** The tap closes once this passes with no handover expected (the old holder's hold, `handoverHoldMs`, is as long). */
export const TAP_IDLE_MS = 1_000;

const PACKET_OUTGOING = 4; // linux/if_packet.h
const SKF_AD_PKTTYPE = 0xfffff000 + 4; // SKF_AD_OFF + SKF_AD_PKTTYPE (linux/filter.h)

/**
 * Classic BPF for the tap: accept frames this host sends (packet type OUTGOING) that carry ARP,
 * or an ICMPv6 NA (next header 58 at byte 20, type 136 at byte 54); drop the rest in the kernel.
 */
export const OUTGOING_ANNOUNCEMENT_FILTER: Uint8Array = bpf([
  [0x20, 0, 0, SKF_AD_PKTTYPE], // 0: ld pkttype
  [0x15, 0, 7, PACKET_OUTGOING], // 1: jeq OUTGOING, else drop (9)
  [0x28, 0, 0, 12], // 2: ldh [12] ethertype
  [0x15, 6, 0, 0x0806], // 3: jeq ARP → accept (10)
  [0x15, 0, 4, 0x86dd], // 4: jeq IPv6, else drop (9)
  [0x30, 0, 0, 20], // 5: ldb [20] next header
  [0x15, 0, 2, 58], // 6: jeq ICMPv6, else drop (9)
  [0x30, 0, 0, 54], // 7: ldb [54] ICMPv6 type
  [0x15, 1, 0, 136], // 8: jeq NA → accept (10), else drop (9)
  [0x06, 0, 0, 0], // 9: ret #0
  [0x06, 0, 0, 0x40000], // 10: ret #262144 (the whole frame)
]);

/** The timers of the L2 backend's parts (virtual in tests). */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface HandoverMarkDeps {
  readonly net: Net;
  readonly timers: Timers;
  readonly realtimeNs: RealtimeNs;
  /** The tap could not be opened, or failed: reported by the link as subject `tap`. */
  readonly onTapError: (error: NetError) => void;
}

export class HandoverMarks {
  readonly #deps: HandoverMarkDeps;
  /** Requests the kernel received after this (CLOCK_REALTIME ns) are ours: the tap's stamp of the
   *  announcement, or until it shows, a margin after `send`. */
  readonly #marks = new Map<IpAddress, bigint>();
  /** Handovers expected whose announcement the tap has not shown yet. */
  readonly #waiting = new Set<IpAddress>();
  #tap: PacketSocket | undefined;
  #iface: L2Interface | undefined;
  #timer: unknown;
  /** A handover was expected since the timer last fired: the tap stays open another period. */
  #used = false;

  constructor(deps: HandoverMarkDeps) {
    this.#deps = deps;
  }

  /** Before the first announcement of `ip` is sent on `iface`: the tap must be open to see it leave. */
  expect(ip: IpAddress, iface: L2Interface): void {
    if (this.#tap !== undefined && this.#iface?.ifindex !== iface.ifindex) this.close();
    this.#marks.delete(ip);
    this.#waiting.delete(ip);
    // An announcement of `ip` still queued from before (it was ours not long ago) is not this
    // one: read what the tap holds first.
    this.#readTap();
    if (this.#tap === undefined) {
      const opened = this.#deps.net.openPacketSocket({
        ifindex: iface.ifindex,
        protocol: ETH_P.ALL,
        timestamps: true,
        filter: OUTGOING_ANNOUNCEMENT_FILTER,
        onFrame: (frame) => this.#onTap(frame),
        onError: (error) => this.#deps.onTapError(error),
      });
      if (!opened.ok) return this.#deps.onTapError(opened.error);
      this.#tap = opened.value;
      this.#iface = iface;
      this.#timer = this.#deps.timers.setTimeout(() => this.#tick(), TAP_IDLE_MS);
    }
    this.#used = true;
    this.#waiting.add(ip);
  }

  /** Right after the announcement's `send` returned (or did not send: the link is down). */
  sent(ip: IpAddress): void {
    if (this.#waiting.has(ip)) {
      this.#marks.set(ip, this.#deps.realtimeNs() + TAP_PATIENCE_NS);
      this.#readTap();
      return;
    }
    if (!this.#marks.has(ip)) this.#marks.set(ip, this.#deps.realtimeNs() + ANSWER_AFTER_ANNOUNCEMENT_NS);
  }

  /** Whether a request for `ip` the kernel stamped `stampNs` is ours to answer. */
  admits(ip: IpAddress, stampNs: bigint | undefined): boolean {
    if (stampNs === undefined || !this.#marks.has(ip)) return true;
    if (this.#waiting.has(ip)) this.#readTap(); // it may have left before the request arrived
    const mark = this.#marks.get(ip);
    if (mark === undefined) return true;
    if (stampNs <= mark) return false; // a tie goes to the old holder, which read it first
    // Frames are read in arrival order: once one is past the mark, all later ones are.
    this.forget(ip);
    return true;
  }

  forget(ip: IpAddress): void {
    this.#marks.delete(ip);
    this.#waiting.delete(ip);
  }

  /** The tap closes; marks still at their margin keep it (long past when the tap idles out). */
  close(): void {
    this.#waiting.clear();
    this.#tap?.close();
    this.#tap = undefined;
    this.#iface = undefined;
    if (this.#timer !== undefined) this.#deps.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    this.#timer = undefined;
    if (!this.#used) return this.close();
    this.#used = false;
    this.#timer = this.#deps.timers.setTimeout(() => this.#tick(), TAP_IDLE_MS);
  }

  #readTap(): void {
    const tap = this.#tap;
    if (tap === undefined) return;
    for (const frame of tap.readQueued()) this.#onTap(frame);
  }

  #onTap(frame: Frame): void {
    const iface = this.#iface;
    if (iface === undefined || frame.type !== 'outgoing') return;
    const ip = announcedAddress(frame.data, iface.mac);
    if (ip === null || !this.#waiting.has(ip)) return;
    this.#waiting.delete(ip);
    // No stamp on the tap means none on the requests either: every request is answered.
    if (frame.timestampNs === undefined) this.#marks.delete(ip);
    else this.#marks.set(ip, frame.timestampNs);
  }
}
