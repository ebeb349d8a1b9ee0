// What the L2 backend was told to answer, per VIP, and the handovers still answered here
// (docs/l2.md, "Planned handover"). The driver decides; this keeps the announcer in line with
// the decision one VIP at a time (issue #10: O(1) per change) and times the holds.

/**
 * The L2 backend, told one VIP at a time (issue #10: the whole table, sorted, stringified and
 * re-parsed on every change was 38 % of a 1,000-VIP join's CPU): answer ARP/NDP for `ip` on
 * these interfaces (replacing the ones given before), or stop answering for it.
 */
export interface AnnouncerPort {
  /** `afterAnnouncement`: handed over to us; the old holder answers until our announcement (docs/l2.md, "Planned handover"). */
  put(ip: string, interfaces: readonly string[], opts?: { afterAnnouncement?: boolean }): void;
  remove(ip: string): void;
}

/** How a hold ended (see `AnnouncerTable.end`): the successor announced, the deadline came, we answer again, or the VIP is gone. */
export type HoldEnd = 'announced' | 'deadline' | 'resumed' | 'gone';

/** The clock a hold is timed by (the driver's). */
export interface HoldClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface AnnouncerTableOptions {
  announcer: AnnouncerPort;
  clock: HoldClock;
  /** How long a handed-over VIP is still answered without the successor's announcement; 0 = not at all. */
  holdMs: number;
  /** The driver's decision for `ip` now: answered or not, and on which interfaces. */
  decision(ip: string): { answering: boolean; interfaces: readonly string[] };
  onHoldEnd(ip: string, how: HoldEnd, ms: number): void;
}

export class AnnouncerTable {
  readonly #o: AnnouncerTableOptions;
  /** What the announcer was told: VIP → interfaces. */
  readonly #table = new Map<string, readonly string[]>();
  /**
   * VIPs handed over and still answered here until the successor announces them (issue #14: a
   * drain lost every probe between the handover write and the successor's watch event): when
   * the hold began and its deadline timer.
   */
  readonly #holds = new Map<string, { since: number; timer: unknown }>();

  constructor(o: AnnouncerTableOptions) {
    this.#o = o;
  }

  /**
   * Brings the announcer's entry for `ip` in line with the decision: answered on its interfaces,
   * or removed unless held. `handedToUs`: a new entry answers after our announcement.
   */
  sync(ip: string, handedToUs = false): void {
    const have = this.#table.get(ip);
    const { answering, interfaces } = this.#o.decision(ip);
    if (!answering) {
      if (have === undefined || this.#holds.has(ip)) return;
      this.#table.delete(ip);
      this.#o.announcer.remove(ip);
      return;
    }
    if (have !== undefined && (have === interfaces || sameList(have, interfaces))) return;
    this.#table.set(ip, interfaces);
    this.#o.announcer.put(ip, interfaces, handedToUs && have === undefined ? { afterAnnouncement: true } : {});
  }

  /** VIPs the announcer answers for now. */
  entries(): IterableIterator<string> {
    return this.#table.keys();
  }

  /** Keeps `ip` answered after a handover, until `end` or `holdMs`. Only a VIP answered now is held. */
  hold(ip: string, now: number): void {
    if (this.#o.holdMs <= 0 || !this.#table.has(ip) || this.#holds.has(ip)) return;
    const timer = this.#o.clock.setTimeout(() => this.end(ip, 'deadline'), this.#o.holdMs);
    this.#holds.set(ip, { since: now, timer });
  }

  isHeld(ip: string): boolean {
    return this.#holds.has(ip);
  }

  held(): string[] {
    return [...this.#holds.keys()];
  }

  /** Ends the hold of `ip` (if any): it leaves the announcer unless it is answered again. */
  end(ip: string, how: HoldEnd): void {
    const h = this.#holds.get(ip);
    if (h === undefined) return;
    this.#o.clock.clearTimeout(h.timer);
    this.#holds.delete(ip);
    this.sync(ip);
    this.#o.onHoldEnd(ip, how, this.#o.clock.now() - h.since);
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
