// The L2 backend: puts the speaker's decisions on the wire (STYLE.md lessons 5 and 6). The speaker
// tells it one VIP at a time (`put`, `remove`: O(1) per change, issue #10), or hands it the full
// table of VIPs this node holds now (`set`, diffed against the last one); `resync` is the periodic
// full pass (Cilium's l2responder does the same: apply incrementally, reconcile fully every few
// seconds). Per interface it keeps
// the sockets of backend-link.ts. It never adds an address to an interface, never answers for the
// node's own addresses (the responder checks `own`), and never throws: errors go to hooks.onError,
// and what failed is retried on the next `set` or `resync`.
import { Link, type L2BackendHooks, type Timers } from './backend-link.ts';
import { parseIp, type IpAddress } from './ip.ts';
import { realtimeClock, type RealtimeNs } from './realtime.ts';
import type { NetInterface } from '../net/interfaces.ts';
import type { Net, NetResult } from '../net/types.ts';

export { NDP_FILTER, type BackendDropReason, type L2BackendHooks, type L2Family, type Timers } from './backend-link.ts';

/** A VIP this node holds now, and the interface names to answer on (docs/l2.md, desired state). */
export interface L2BackendEntry {
  readonly ip: string;
  readonly interfaces: readonly string[];
}

export interface GratuitousOptions {
  /** Rounds per takeover (ARP: request and reply form each round; IPv6: one unsolicited NA). */
  readonly count: number;
  /** Between rounds; round 0 goes out at once. */
  readonly intervalMs: number;
}

/**
 * 3 rounds 200 ms apart: RFC 4861 §7.2.6 allows up to MAX_NEIGHBOR_ADVERTISEMENT = 3 unsolicited
 * NAs; RFC 5227 §3's ANNOUNCE_NUM = 2 at ANNOUNCE_INTERVAL = 2 s is meant for address
 * configuration, and too slow to repair caches after a ≈ 0.6 s failover. The repeats cover a lost
 * frame; the first round goes out at once.
 */
export const DEFAULT_GRATUITOUS: GratuitousOptions = { count: 3, intervalMs: 200 };

export interface L2BackendOptions {
  readonly net: Net;
  /** Current interface facts; production passes `listInterfaces` (src/net/interfaces.ts). */
  readonly interfaces: () => NetResult<NetInterface[]>;
  /** The node's own IPs (never answered); may return the same set each time, which is then cached. */
  readonly ownAddresses: () => ReadonlySet<string>;
  readonly gratuitous?: GratuitousOptions;
  readonly hooks: L2BackendHooks;
  /** Injectable for tests in virtual time; the global timers by default. */
  readonly timers?: Timers;
  /** CLOCK_REALTIME ns (the receive stamps' clock); a calibrated hrtime by default (realtime.ts). */
  readonly realtimeNs?: RealtimeNs;
}

const GLOBAL_TIMERS: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class L2Backend {
  readonly #o: L2BackendOptions;
  readonly #links = new Map<string, Link>();
  /** ip → interface names, canonical, from the last `set` and the `put`s and `remove`s since. */
  #desired = new Map<IpAddress, ReadonlySet<string>>();
  /** The text each entry was given as → its parsed address: each VIP is parsed once, not per change. */
  #parsed = new Map<string, IpAddress>();
  #facts: Map<string, NetInterface> | undefined;
  #factsError: string | undefined;
  #ownSource: ReadonlySet<string> | undefined;
  #own: ReadonlySet<IpAddress> = new Set();
  #closed = false;

  readonly #realtimeNs: RealtimeNs;

  constructor(options: L2BackendOptions) {
    this.#o = options;
    this.#realtimeNs = options.realtimeNs ?? realtimeClock();
    // Calibrates the clock now (a few ms of spinning), not in the middle of a first handover.
    this.#realtimeNs();
  }

  /**
   * Desired state: the full table of held VIPs. A VIP × interface that is new is answered and gets
   * the gratuitous burst at once; one that is gone stops being answered at once, and its burst is
   * cancelled. Sockets open and close per interface as needed. Interface facts are re-read only
   * when an interface named is not known yet (`resync` re-reads them always).
   */
  set(entries: readonly L2BackendEntry[]): void {
    if (this.#closed) return;
    const desired = new Map<IpAddress, Set<string>>();
    const parsed = new Map<string, IpAddress>();
    for (const entry of entries) {
      const ip = this.#parse(entry.ip);
      if (ip === null) continue;
      parsed.set(entry.ip, ip);
      const names = desired.get(ip) ?? new Set<string>();
      for (const name of entry.interfaces) names.add(name);
      desired.set(ip, names);
    }
    this.#desired = desired;
    this.#parsed = parsed;
    const names = this.#wantedNames();
    if (this.#facts === undefined || [...names].some((name) => this.#facts?.has(name) !== true)) this.#readFacts();
    this.#applyAll(names);
  }

  /**
   * Answer for `ip` on `interfaces` (replacing the ones it had): only the links it joins or
   * leaves are touched. Two spellings of one address are one entry: the last `put` wins.
   * `afterAnnouncement`: a VIP handed over to this node answers only requests received after its
   * announcement (docs/l2.md, "Planned handover"); its old holder answers the ones before.
   */
  put(ip: string, interfaces: readonly string[], opts: { afterAnnouncement?: boolean } = {}): void {
    if (this.#closed) return;
    const addr = this.#parse(ip);
    if (addr === null) return;
    this.#parsed.set(ip, addr);
    const before = this.#desired.get(addr);
    const after = new Set(interfaces);
    this.#desired.set(addr, after);
    // An interface not seen yet: read the facts again, then the full pass (as `set` does).
    if (this.#facts === undefined || interfaces.some((name) => this.#facts?.has(name) !== true)) {
      this.#readFacts();
      this.#applyAll(this.#wantedNames());
    } else {
      for (const name of before ?? []) if (!after.has(name)) this.#leave(name, addr);
      for (const name of after) {
        if (before?.has(name) === true) continue;
        let link = this.#links.get(name);
        if (link === undefined) {
          link = this.#newLink(name);
          link.apply(this.#facts.get(name), new Set());
        }
        if (opts.afterAnnouncement === true) link.awaitAnnouncement(addr);
        link.add(addr);
      }
    }
    if (opts.afterAnnouncement === true) for (const name of after) if (before?.has(name) !== true) this.#links.get(name)?.answerAfterAnnouncement(addr);
  }

  /** Stop answering for `ip` at once (its bursts are cancelled); unknown addresses are ignored. */
  remove(ip: string): void {
    if (this.#closed) return;
    const addr = this.#parsed.get(ip);
    if (addr === undefined) return;
    this.#parsed.delete(ip);
    const names = this.#desired.get(addr);
    this.#desired.delete(addr);
    for (const name of names ?? []) this.#leave(name, addr);
  }

  #leave(name: string, ip: IpAddress): void {
    const link = this.#links.get(name);
    if (link === undefined) return;
    link.remove(ip);
    if (!link.empty) return;
    link.close();
    this.#links.delete(name);
  }

  #parse(text: string): IpAddress | null {
    const known = this.#parsed.get(text);
    if (known !== undefined) return known;
    const ip = parseIp(text);
    if (ip.ok) return ip.value;
    this.#o.hooks.onError(ip.error.code, ip.error.message, '');
    return null;
  }

  #newLink(name: string): Link {
    const link = new Link(name, { net: this.#o.net, hooks: this.#o.hooks, timers: this.#o.timers ?? GLOBAL_TIMERS, gratuitous: this.#o.gratuitous ?? DEFAULT_GRATUITOUS, own: () => this.#ownAddresses(), realtimeNs: this.#realtimeNs });
    this.#links.set(name, link);
    return link;
  }

  /** The VIPs answered now, with the interfaces they are answered on (their socket is open). */
  held(): ReadonlyMap<string, readonly string[]> {
    const out = new Map<string, string[]>();
    for (const link of this.#links.values()) {
      for (const ip of link.answering()) out.set(ip, [...(out.get(ip) ?? []), link.name]);
    }
    return out;
  }

  /** Sends the gratuitous burst again for a held VIP on all its interfaces (conflict defence,
   *  RFC 5227 §2.4 (b); or a periodic refresh). Unknown or unheld addresses are ignored. */
  announce(ip: string): void {
    const parsed = parseIp(ip);
    if (this.#closed || !parsed.ok) return;
    for (const name of this.#desired.get(parsed.value) ?? []) this.#links.get(name)?.announce(parsed.value);
  }

  /**
   * Full pass: re-reads the interfaces (an ifindex or MAC may have changed, a link may have been
   * recreated or come back up) and reopens, rejoins and re-announces what needs it. The speaker
   * calls it every few seconds.
   */
  resync(): void {
    if (this.#closed) return;
    this.#readFacts();
    this.#applyAll(this.#wantedNames());
  }

  /** Closes every socket and cancels every timer; idempotent. */
  close(): void {
    this.#closed = true;
    for (const link of this.#links.values()) link.close();
    this.#links.clear();
    this.#desired.clear();
    this.#parsed.clear();
  }

  #wantedNames(): Set<string> {
    const names = new Set<string>();
    for (const ifaces of this.#desired.values()) for (const name of ifaces) names.add(name);
    return names;
  }

  #applyAll(names: ReadonlySet<string>): void {
    for (const [name, link] of this.#links) {
      if (names.has(name)) continue;
      link.close();
      this.#links.delete(name);
    }
    const vips = new Map<string, Set<IpAddress>>([...names].map((name) => [name, new Set<IpAddress>()]));
    for (const [ip, ifaces] of this.#desired) for (const name of ifaces) vips.get(name)?.add(ip);
    for (const name of names) (this.#links.get(name) ?? this.#newLink(name)).apply(this.#facts?.get(name), vips.get(name) ?? new Set());
  }

  /** On failure the last facts stay in use; the error is reported once until it changes. */
  #readFacts(): void {
    const read = this.#o.interfaces();
    if (!read.ok) {
      if (this.#factsError !== read.error.code) this.#o.hooks.onError(read.error.code, read.error.message, '');
      this.#factsError = read.error.code;
      return;
    }
    this.#factsError = undefined;
    this.#facts = new Map(read.value.map((iface) => [iface.name, iface]));
  }

  #ownAddresses(): ReadonlySet<IpAddress> {
    const source = this.#o.ownAddresses();
    if (source !== this.#ownSource) {
      this.#ownSource = source;
      this.#own = new Set([...source].flatMap((text) => {
        const ip = parseIp(text);
        return ip.ok ? [ip.value] : [];
      }));
    }
    return this.#own;
  }
}
