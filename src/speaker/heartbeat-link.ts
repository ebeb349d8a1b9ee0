// The driver's heartbeat wire (docs/l2.md, "Liveness" and "Authenticated heartbeats"): which
// datagrams count and where ours go. A datagram counts when it decodes (and its MAC checks, with
// a key), comes from an address of the Node it names, and is newer than the last one counted from
// that node; each refusal is reported by its code. Where a round goes is heartbeat-paths.ts.
// No sockets and no clock of its own: the driver passes bytes and times.
import type { Heartbeat, HeartbeatKey } from '../election/heartbeat.ts';
import { decodeHeartbeat, peekHeartbeatSender } from '../election/heartbeat.ts';
import { fitHeartbeat } from '../election/heartbeat-fit.ts';
import { HeartbeatPaths } from '../election/heartbeat-paths.ts';
import type { PathEndpoint } from '../election/heartbeat-paths.ts';
import { ReplayGuard } from '../election/heartbeat-replay.ts';

export interface HeartbeatLinkOptions {
  me: string;
  key?: HeartbeatKey;
  heartbeatIntervalMs: number;
  /** A datagram refused, by its code (`BadSignature`, `WrongSource`, `Stale`, …). */
  onRefused(code: string): void;
}

export class HeartbeatLink {
  readonly #o: HeartbeatLinkOptions;
  readonly #paths: HeartbeatPaths;
  /** Issue #14: a captured signed heartbeat, sent again, must not keep a dead node alive. */
  readonly #replays = new ReplayGuard();
  readonly #nodeAddresses = new Map<string, Set<string>>();
  readonly #lastHeard = new Map<string, number>();

  constructor(o: HeartbeatLinkOptions) {
    this.#o = o;
    this.#paths = new HeartbeatPaths(o.heartbeatIntervalMs);
  }

  /** Node addresses (InternalIP/ExternalIP) by node: a heartbeat must come from one of its node's. */
  setNodeAddresses(addresses: ReadonlyMap<string, readonly string[]>): void {
    this.#nodeAddresses.clear();
    for (const [node, list] of addresses) this.#nodeAddresses.set(node, new Set(list));
  }

  /** A peer's node Lease: its life (for replays) and its addresses (null: the Lease is gone). */
  setPeer(node: string, incarnation: number | null, endpoints: readonly PathEndpoint[] | null): void {
    this.#replays.onStamp(node, incarnation);
    this.#paths.setPeer(node, endpoints);
  }

  /** When a heartbeat from `node` last counted here. */
  lastHeard(node: string): number | undefined {
    return this.#lastHeard.get(node);
  }

  /** The heartbeat `bytes` from `from`, when it counts; null (reported when refused) otherwise. */
  receive(bytes: Uint8Array, from: string, now: number): Heartbeat | null {
    // The heartbeat just counted, again on another of our addresses: dropped before its MAC is
    // checked (issue #10), unless it may move our path to that peer (heartbeat-paths.ts, "Echoed").
    const sender = peekHeartbeatSender(bytes);
    if (sender !== null && this.#replays.isLast(sender.node, sender.incarnation, sender.seq)) {
      if (this.#paths.mayMove(sender.node, now)) {
        // Only a verified copy moves the path (its header is the one just peeked); a forged one is refused like any other.
        if (this.#verified(bytes, from) !== null) this.#paths.echoed(sender.node, now);
      }
      return null;
    }
    const m = this.#verified(bytes, from);
    if (m === null) return null;
    const replay = this.#replays.judge(m.node, m.incarnation, m.seq);
    if (replay !== 'fresh') {
      if (replay === 'stale') this.#o.onRefused('Stale');
      return null;
    }
    this.#lastHeard.set(m.node, now);
    this.#paths.heard(m.node, m.heard.find((h) => h.node === this.#o.me)?.ageMs ?? null, now);
    return m;
  }

  /** This round's bytes and where they go, or why it does not encode. */
  round(m: Heartbeat, now: number): { bytes: Uint8Array; to: PathEndpoint[] } | { error: string } {
    const r = fitHeartbeat(m, this.#o.key, undefined, 2 * this.#o.heartbeatIntervalMs);
    if (!r.ok) return { error: r.error.message };
    return { bytes: r.value, to: this.#paths.destinations(now) };
  }

  /** Decoded, signed as required, not our own, and from an address of the Node it names (docs/l2.md). */
  #verified(bytes: Uint8Array, from: string): Heartbeat | null {
    const r = decodeHeartbeat(bytes, this.#o.key);
    if (!r.ok) {
      this.#o.onRefused(r.error.code);
      return null;
    }
    if (r.value.node === this.#o.me) return null;
    // Anyone else on the segment could otherwise keep a dead holder "alive".
    if (!this.#fromNode(r.value.node, from)) {
      this.#o.onRefused('WrongSource');
      return null;
    }
    return r.value;
  }

  #fromNode(node: string, address: string): boolean {
    const plain = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
    if (this.#nodeAddresses.get(node)?.has(plain) === true) return true;
    return this.#paths.endpoints(node).some((e) => e.address === plain);
  }
}
