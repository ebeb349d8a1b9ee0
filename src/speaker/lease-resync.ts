// After a fence the node answers again only once its view of the VIP Leases is current (docs/l2.md,
// "Revalidation"). Two ways: a catch-up, the collection's resourceVersion read by a list of one
// item, which the watch then reaches (src/election/watch-progress.ts); and, LIST_AFTER_MS later
// unless the catch-up is done by then, a list of every VIP Lease. At 5,000 VIPs under load a full list took 0.2–3 s, and the
// node said `fenced` until it came, so its peers took its VIPs (D − F after the first `fenced`
// heartbeat) and handed them back a second later: thousands of writes per fence, which starved
// the next speaker into its own fence (bench/README.md, "Thirteenth session"). While the Leases
// change, the watch reaches the revision within a round trip, and the list, which loads the API
// server the other speakers need just then, is not sent. While they do not, nothing new comes by
// the watch, and the list decides, as before, LIST_AFTER_MS later.
import type { Election } from '../election/election.ts';
import type { LeaseList, VipAction } from '../election/vip-machine.ts';
import { compareVersions } from '../election/vip-machine.ts';

/** How long a catch-up has before the list is sent too: a few API round trips here. */
export const LIST_AFTER_MS = 50;

/** The driver's timers (virtual in tests). */
export interface ResyncTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What a resync asks of the Kubernetes side (the driver's LeasePort has it). */
export interface ResyncPort {
  listVipLeases(): Promise<LeaseList>;
  /** The VIP Lease collection's resourceVersion now; absent: no catch-up, lists only. */
  vipRevision?(): Promise<string | null>;
  /** The newest resourceVersion the VIP Lease watch delivered (null: none yet, or a list being applied). */
  vipWatchVersion?(): string | null;
}

export interface ResyncOptions {
  election: Election;
  timers: ResyncTimers;
  leases: ResyncPort;
  now(): number;
  /** A list arrived (request sent at `startedAt`). */
  onList(list: LeaseList, startedAt: number): void;
  /** The election's actions after a catch-up. */
  onActions(actions: VipAction[]): void;
  onError(what: string, err: unknown): void;
}

export class LeaseResync {
  readonly #o: ResyncOptions;
  /** The catch-up under way: the revision the watch must reach, read by a request sent at `startedAt`. */
  #catchUp: { startedAt: number; revision: string } | null = null;
  /** The sync under way (a token): a probe's answer that comes after its list is dropped. */
  #round: object | null = null;
  /** The list, due LIST_AFTER_MS after the probe unless the catch-up comes first. */
  #listTimer: unknown = null;
  #stopped = false;

  constructor(o: ResyncOptions) {
    this.#o = o;
  }

  /** At each round: a sync starts when the election wants one (after a fence, once unfenced). */
  maybeStart(): void {
    const e = this.#o.election;
    const startedAt = this.#o.now();
    if (!e.wantsLeaseSync(startedAt)) return;
    e.leaseSyncStarted();
    const round = {};
    this.#round = round;
    this.#catchUp = null;
    // After a 401 the store may have been replaced, its versions started over: a list only.
    const probe = this.#o.leases.vipRevision;
    if (probe === undefined || e.storeReplaced) {
      this.#list(round, startedAt);
      return;
    }
    this.#listTimer = this.#o.timers.setTimeout(() => {
      this.#listTimer = null;
      if (this.#round === round) this.#list(round, startedAt);
    }, LIST_AFTER_MS);
    probe.call(this.#o.leases).then(
      (revision) => {
        if (this.#stopped || this.#round !== round) return;
        if (revision === null) return this.#listNow(round, startedAt);
        this.#catchUp = { startedAt, revision };
        this.onWatchEvent();
      },
      (err: unknown) => {
        this.#o.onError('lease revision', err);
        if (this.#round === round) this.#listNow(round, startedAt);
      },
    );
  }

  /** The list at once, not at its timer. */
  #listNow(round: object, startedAt: number): void {
    if (this.#listTimer === null) return; // sent already
    this.#o.timers.clearTimeout(this.#listTimer);
    this.#listTimer = null;
    this.#list(round, startedAt);
  }

  #list(round: object, startedAt: number): void {
    const e = this.#o.election;
    this.#o.leases.listVipLeases().then(
      (list) => {
        if (this.#round === round) [this.#round, this.#catchUp] = [null, null];
        if (!this.#stopped) this.#o.onList(list, startedAt);
      },
      (err: unknown) => {
        this.#o.onError('lease relist', err);
        if (this.#round === round) [this.#round, this.#catchUp] = [null, null];
        e.leaseSyncFailed();
      },
    );
  }

  /** After each watch event (and once the revision is known): has the watch reached it? */
  onWatchEvent(): void {
    const c = this.#catchUp;
    if (c === null || this.#stopped) return;
    const seen = this.#o.leases.vipWatchVersion?.() ?? null;
    if (seen === null) return;
    const order = compareVersions(seen, c.revision);
    if (order === -1) return;
    this.#catchUp = null;
    // Versions that cannot be ordered: the list decides.
    const round = this.#round;
    if (order === null) {
      if (round !== null) this.#listNow(round, c.startedAt);
      return;
    }
    // Caught up: the list, if not sent yet, is not needed.
    if (this.#listTimer !== null) this.#o.timers.clearTimeout(this.#listTimer);
    this.#listTimer = null;
    this.#round = null;
    this.#o.onActions(this.#o.election.onCaughtUp(c.startedAt, this.#o.now()));
  }

  stop(): void {
    this.#stopped = true;
    this.#catchUp = null;
    if (this.#listTimer !== null) this.#o.timers.clearTimeout(this.#listTimer);
    this.#listTimer = null;
  }
}
