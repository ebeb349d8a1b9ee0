// What the L2 backend was told to answer, per VIP, and the handovers still answered here
// (docs/l2.md, "Planned handover"). The driver decides; this keeps the announcer in line with
// the decision one VIP at a time (issue #10: O(1) per change) and times the holds.
import { sameStrings } from '../api/same.ts';

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
  /** The interfaces `ip` is answered on (its desired state's). */
  interfacesOf(ip: string): readonly string[];
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
  /** VIPs the election answers (its start and stop actions). */
  readonly #answering = new Set<string>();
  /**
   * VIPs stopped by a fence, left in the announcer until it ends: the responder asks the fence at
   * reply time, so such an entry answers nothing meanwhile, and a VIP that resumes needs no new
   * entry and no gratuitous burst. Removing and re-adding every VIP made each fence of a
   * 5,000-VIP speaker 30,000 frames that every peer read, a burst that starved the next speaker
   * into its own fence (bench/README.md, "Thirteenth session").
   */
  readonly #kept = new Set<string>();

  constructor(o: AnnouncerTableOptions) {
    this.#o = o;
  }

  /** The election answers `ip` now (a start action). */
  started(ip: string, how: { resume: boolean; handedToUs: boolean }): void {
    // Kept through a fence: a resume finds its entry as it was. Any other start means the Lease
    // moved meanwhile (taken from us, then back), so the entry goes and comes back new, with its
    // burst: another node may have announced the VIP in between.
    if (this.#kept.delete(ip) && !how.resume) this.sync(ip);
    this.#answering.add(ip);
    if (this.isHeld(ip)) this.end(ip, 'resumed');
    this.sync(ip, how.handedToUs);
  }

  /** The election stopped answering `ip`; `keep`: a fence stopped it, `holdAt`: handed over at that moment. */
  stopped(ip: string, how: { keep: boolean; holdAt: number | null }): void {
    this.#answering.delete(ip);
    if (how.keep) this.#kept.add(ip);
    else this.#kept.delete(ip);
    if (how.holdAt !== null) this.hold(ip, how.holdAt);
    this.sync(ip);
  }

  /**
   * The fence is over: a VIP it stopped that has not resumed by now moved to another node
   * meanwhile (or waits for a write), and leaves the announcer. One that resumes later comes back
   * through a new entry and its burst, as any start does.
   */
  fenceOver(): void {
    for (const ip of this.#kept) {
      this.#kept.delete(ip);
      this.sync(ip);
    }
  }

  isAnswering(ip: string): boolean {
    return this.#answering.has(ip);
  }

  answering(): string[] {
    return [...this.#answering];
  }

  /** The self-check found the answered set wrong: `want` is right; returns the VIPs that differed. */
  repair(want: ReadonlySet<string>): string[] {
    const wrong = [...new Set([...want, ...this.#answering])].filter((ip) => want.has(ip) !== this.#answering.has(ip));
    if (wrong.length === 0) return wrong;
    this.#answering.clear();
    for (const ip of want) this.#answering.add(ip);
    for (const ip of wrong) this.sync(ip);
    return wrong;
  }

  /** Interfaces may have changed without a start or stop (a new desired state). */
  syncAll(): void {
    for (const ip of this.#answering) this.sync(ip);
    for (const ip of this.#kept) this.sync(ip);
  }

  /** Shutdown: every hold ends, nothing is answered. */
  clear(): void {
    for (const ip of this.held()) this.end(ip, 'gone');
    this.#answering.clear();
    this.#kept.clear();
    for (const ip of [...this.#table.keys()]) this.sync(ip);
  }

  /**
   * Brings the announcer's entry for `ip` in line: answered on its interfaces while the election
   * answers it or a fence keeps it, else removed unless held. `handedToUs`: a new entry answers
   * after our announcement.
   */
  sync(ip: string, handedToUs = false): void {
    const have = this.#table.get(ip);
    const answering = this.#answering.has(ip) || this.#kept.has(ip);
    if (!answering) {
      if (have === undefined || this.#holds.has(ip)) return;
      this.#table.delete(ip);
      this.#o.announcer.remove(ip);
      return;
    }
    const interfaces = this.#o.interfacesOf(ip);
    if (have !== undefined && sameStrings(have, interfaces)) return;
    this.#table.set(ip, interfaces);
    this.#o.announcer.put(ip, interfaces, handedToUs && have === undefined ? { afterAnnouncement: true } : {});
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
