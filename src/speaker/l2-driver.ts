// The L2 speaker's shell around the pure Election (docs/l2.md, "The shell, step by step"): it
// feeds the election every event with the time, carries out every action it gets back, runs the
// heartbeat and node-Lease cadence, and hands the L2 backend the table of VIPs to answer for.
// I/O goes through three small ports (l2-driver-ports.ts) so the same code runs against fakes in
// virtual time.
import type { Election } from '../election/election.ts';
import type { NodeStamp } from '../election/peers.ts';
import type { LeaseRecord, LeaseView, VipAction, WriteResult } from '../election/vip-machine.ts';
import { isNews, versionOf } from '../election/vip-machine.ts';
import type { DesiredState } from './desired.ts';
import { electionInput } from './desired.ts';
import { HeartbeatLink } from './heartbeat-link.ts';
import { HeartbeatRounds } from './heartbeat-rounds.ts';
import { AnnouncerTable } from './announcer-table.ts';
import { LeaseResync } from './lease-resync.ts';
import type { Endpoint, L2DriverOptions } from './l2-driver-ports.ts';
import type { WriteAction } from '../election/lease-objects.ts';
export type { AnnouncerPort, HoldEnd } from './announcer-table.ts';
export type { WriteAction } from '../election/lease-objects.ts';
export type { Clock, DriverHooks, Endpoint, HeartbeatPort, L2DriverOptions, LeasePort } from './l2-driver-ports.ts';

const SELF_CHECK_MS = 5_000;
const HANDOVER_HOLD_MS = 1_000;

const NO_INTERFACES: readonly string[] = [];

export class L2Driver {
  readonly #o: L2DriverOptions;
  readonly #e: Election;
  #desired: DesiredState | null = null;
  /** Which heartbeats count, and where ours go (heartbeat-link.ts). */
  readonly #link: HeartbeatLink;
  /** When our rounds go out (heartbeat-rounds.ts). */
  readonly #rounds: HeartbeatRounds;
  /** The re-list and the catch-up after a fence (lease-resync.ts). */
  readonly #resync: LeaseResync;
  /** The last view of every VIP Lease seen, desired or not: a VIP that becomes desired later
   *  starts from it (the election knows only desired VIPs, and an `unknown` one never moves). */
  readonly #leaseViews = new Map<string, LeaseView>();
  #leasesSynced = false;
  #nextCheckAt = -Infinity;
  /** Note-made views (ip → epoch) at the last self-check: still there at the next one, they are read. */
  #notesAtCheck = new Map<string, number>();
  #tickTimer: unknown = null;
  #wakeTimer: unknown = null;
  #wakeAt: number | null = null;
  #nodeLeaseInFlight = false;
  #stopped = false;
  /** Whether the last round found this node fenced (onFence reports the changes). */
  #fenced = false;
  /** Lease reads for a conflict in flight, by VIP (`confirmHeld`). */
  readonly #conflictChecks = new Map<string, Promise<boolean>>();
  /** What the announcer answers for, and the handovers it still answers (announcer-table.ts). */
  readonly #table: AnnouncerTable;

  constructor(o: L2DriverOptions) {
    this.#o = o;
    this.#e = o.election;
    this.#link = new HeartbeatLink({
      me: o.election.me,
      ...(o.key === undefined ? {} : { key: o.key }),
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      onRefused: (code) => this.#o.hooks?.onHeartbeatError?.(code),
    });
    this.#rounds = new HeartbeatRounds({
      election: o.election,
      link: this.#link,
      clock: o.clock,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      ...(o.sharedNow === undefined ? {} : { sharedNow: o.sharedNow }),
      send: (bytes, to) => this.#o.heartbeats.send(bytes, to),
      onError: (what, err) => this.#o.hooks?.onError?.(what, err),
    });
    this.#resync = new LeaseResync({
      election: o.election,
      timers: o.clock,
      leases: o.leases,
      now: () => this.#now(),
      onList: (list, startedAt) => this.onLeaseSync(list.leases, startedAt, list.version),
      onActions: (actions) => this.#apply(actions),
      onError: (what, err) => this.#o.hooks?.onError?.(what, err),
    });
    this.#table = new AnnouncerTable({
      announcer: o.announcer,
      clock: o.clock,
      holdMs: o.handoverHoldMs ?? HANDOVER_HOLD_MS,
      interfacesOf: (ip) => this.#desired?.vips.get(ip)?.interfaces ?? NO_INTERFACES,
      onHoldEnd: (ip, how, ms) => this.#o.hooks?.onHandoverHoldEnd?.(ip, how, ms),
    });
  }

  #now(): number {
    return this.#o.clock.now();
  }

  // ---- inputs -------------------------------------------------------------------------------

  setDesired(state: DesiredState): void {
    const before = this.#desired?.vips;
    this.#desired = state;
    for (const ip of this.#table.held()) if (!state.vips.has(ip)) this.#table.end(ip, 'gone');
    const now = this.#now();
    const actions = this.#e.setDesired(electionInput(state), state.servablePolicies, now);
    for (const ip of state.vips.keys()) {
      if (before?.has(ip) === true) continue;
      const view = this.#leaseViews.get(ip) ?? (this.#leasesSynced ? { kind: 'absent' as const } : undefined);
      if (view !== undefined) actions.push(...this.#e.onLease(ip, view, now));
    }
    this.#apply(actions);
    // Interfaces of a held VIP may have changed without any start or stop.
    this.#table.syncAll();
  }

  /** Node addresses (InternalIP/ExternalIP) by node: a heartbeat must come from one of its node's. */
  setNodeAddresses(addresses: ReadonlyMap<string, readonly string[]>): void {
    this.#link.setNodeAddresses(addresses);
  }

  onNodeLease(node: string, stamp: NodeStamp | null, endpoints: readonly Endpoint[]): void {
    if (node === this.#e.me) return;
    this.#link.setPeer(node, stamp?.incarnation ?? null, stamp === null ? null : endpoints);
    this.#apply(this.#e.onNodeLease(node, stamp, this.#now()));
  }

  /**
   * A watch event: `isNews` decides, here as in the election (issue #10); it may end a catch-up.
   * `lagMs`: how late the write landed here (LeaseAdapter's onVipLease).
   */
  onVipLease(ip: string, view: LeaseView, lagMs: number | null = null): void {
    this.#observe(ip, view, lagMs);
    this.#resync.onWatchEvent();
  }

  /** A watch event or a read (a read lands at no particular lag). */
  #observe(ip: string, view: LeaseView, lagMs: number | null = null): void {
    this.#remember(ip, view);
    this.#apply(this.#e.onLease(ip, view, this.#now(), lagMs));
  }

  #remember(ip: string, view: LeaseView): void {
    const known = this.#leaseViews.get(ip);
    if (known !== undefined && !isNews(view, { kind: known.kind, version: versionOf(known) })) return;
    if (view.kind === 'absent') this.#leaseViews.delete(ip);
    else this.#leaseViews.set(ip, view);
  }

  /**
   * A full list of the VIP Leases whose request was sent at `startedAt`, as of the resourceVersion
   * `version` (when known). The watch goes on while a list is out, so an entry can be older than
   * what it showed meanwhile: that entry changes nothing (issue #10).
   */
  onLeaseSync(leases: ReadonlyMap<string, LeaseRecord>, startedAt: number, version: string | null = null): void {
    const absent: LeaseView = version === null ? { kind: 'absent' } : { kind: 'absent', asOf: version };
    // After a 401 the store may have been replaced, its versions started over (Election.onLeaseSync).
    if (this.#e.storeReplaced) this.#leaseViews.clear();
    for (const ip of [...this.#leaseViews.keys()]) if (!leases.has(ip)) this.#remember(ip, absent);
    for (const [ip, record] of leases) this.#remember(ip, { kind: 'present', record });
    this.#leasesSynced = true;
    this.#apply(this.#e.onLeaseSync(leases, startedAt, this.#now(), version));
  }

  onDatagram(bytes: Uint8Array, from: Endpoint): void {
    const m = this.#link.receive(bytes, from.address, this.#now());
    if (m === null) return;
    this.#o.hooks?.onHeartbeat?.();
    const onNote = this.#o.hooks?.onNote;
    const before = onNote === undefined ? null : m.notes.map((n) => this.#e.holderOf(n.ip));
    this.#apply(this.#e.onHeartbeat(m, this.#now()));
    if (onNote === undefined || before === null) return;
    m.notes.forEach((n, i) => {
      if (this.#e.holderOf(n.ip) !== before[i]) onNote(n.ip, n.holder, n.epoch, m.node);
    });
  }

  /** The responder's fence check, at reply time; a handover's hold answers while the fence allows. */
  mayAnswer(ip: string): boolean {
    if (this.#stopped) return false;
    const now = this.#now();
    return this.#e.mayAnswer(ip, now) || (this.#table.isHeld(ip) && this.#e.unfenced(now));
  }

  /**
   * Another MAC announced or answered for `ip` (the responder's conflict). For a VIP we handed
   * over and still hold, that is the successor taking it: the hold ends at once, and it is no
   * conflict (true). Frames are read in the order they arrived, so every request before the
   * successor's announcement was answered here and none after it is (docs/l2.md).
   */
  successorAnnounced(ip: string): boolean {
    if (!this.#table.isHeld(ip)) return false;
    this.#table.end(ip, 'announced');
    return true;
  }

  /**
   * Another host announced `ip`, which this node answers (the responder's conflict; not a
   * successor's announcement, see `successorAnnounced`). Under load that host was most often a
   * peer that had taken the VIP while this node's watch had not shown the take yet: reported as a
   * duplicate address, with an Event and a defending burst that pointed clients back at the node
   * about to stop (bench/README.md, "Thirteenth session"). So the Lease is read first, once per
   * VIP at a time: true when it still names this node (another device claims the VIP), false when
   * it names another holder (the view is applied, and this node has stopped).
   */
  confirmHeld(ip: string): Promise<boolean> {
    const inFlight = this.#conflictChecks.get(ip);
    if (inFlight !== undefined) return inFlight;
    const check = this.#o.leases
      .readVipLease(ip)
      .then((view) => {
        if (this.#stopped) return false;
        this.#observe(ip, view);
        return this.#e.mayAnswer(ip, this.#now());
      })
      .finally(() => this.#conflictChecks.delete(ip));
    this.#conflictChecks.set(ip, check);
    return check;
  }

  /** VIPs handed over and still answered here, waiting for the successor's announcement. */
  holding(): readonly string[] {
    return this.#table.held().sort();
  }

  view(): ReturnType<Election['view']> {
    return this.#e.view(this.#now());
  }

  answering(): readonly string[] {
    return this.#table.answering().sort();
  }

  // ---- the cadence --------------------------------------------------------------------------

  start(): void {
    this.#tick();
  }

  #tick(): void {
    if (this.#stopped) return;
    const now = this.#now();
    this.#apply(this.#e.tick(now));
    this.#noteFence(now);
    this.#rounds.send();
    this.#maybeRenewNodeLease();
    this.#resync.maybeStart();
    if (now >= this.#nextCheckAt) {
      this.#nextCheckAt = now + (this.#o.selfCheckMs ?? SELF_CHECK_MS);
      this.#selfCheck();
    }
    this.#tickTimer = this.#o.clock.setTimeout(() => this.#tick(), this.#rounds.untilNextRound());
    this.#scheduleWake();
  }

  /**
   * A fence's start and end, once each: per VIP the election only says "stopped, fenced" (5,000
   * lines for 5,000 VIPs), and the metric shows that a node fenced, never why (bench/README.md,
   * "Twelfth session": fences at 5,000 VIPs with no reason in any log).
   */
  #noteFence(now: number): void {
    const fenced = !this.#e.unfenced(now);
    // Every round, not only at the transition: a fence can begin and end between two rounds.
    if (!fenced) this.#table.fenceOver();
    if (fenced === this.#fenced) return;
    this.#fenced = fenced;
    // view() walks the VIPs: fine here, once per fence.
    const v = this.#e.view(now);
    const ago = (at: number | null): number | null => (at === null ? null : Math.round(now - at));
    this.#o.hooks?.onFence?.(fenced, { peerContactMsAgo: ago(v.peerContactAt), apiOkMsAgo: ago(v.apiOkAt), cutOff: v.fenced });
  }

  /** Between ticks, the election may name an earlier moment (a fence deadline, a stagger turn). */
  #scheduleWake(): void {
    const now = this.#now();
    const at = this.#e.nextWakeAt(now);
    if (at === null || at - now >= this.#o.heartbeatIntervalMs || at === this.#wakeAt) return;
    if (this.#wakeTimer !== null) this.#o.clock.clearTimeout(this.#wakeTimer);
    this.#wakeAt = at;
    this.#wakeTimer = this.#o.clock.setTimeout(() => {
      this.#wakeTimer = null;
      this.#wakeAt = null;
      if (!this.#stopped) this.#apply(this.#e.tick(this.#now()));
    }, Math.max(1, at - now));
  }

  #maybeRenewNodeLease(): void {
    const now = this.#now();
    if (this.#nodeLeaseInFlight || !this.#e.wantsNodeLeaseWrite(now)) return;
    this.#nodeLeaseInFlight = true;
    const stamp = this.#e.nodeLeaseWriteStarted(now);
    this.#o.leases.renewNodeLease(stamp).then(
      (r) => this.#nodeLeaseDone(r, now),
      (err: unknown) => {
        this.#o.hooks?.onError?.('node lease renewal', err);
        this.#nodeLeaseDone(false, now);
      },
    );
  }

  #nodeLeaseDone(result: boolean | 'refused', startedAt: number): void {
    this.#nodeLeaseInFlight = false;
    const now = this.#now();
    this.#e.onApiResult(result === true, startedAt, now);
    if (result === 'refused') this.#e.onApiRefused(startedAt, now);
  }

  /**
   * The self-check (issue #10): the election's view of every VIP Lease against the watch's cache,
   * and the announcer's table against what the election answers. Both agree by construction once
   * observations are ordered; a difference is repaired here, so that a VIP is never left dark for
   * good by a bug, and reported (`onRepair`, herald_l2_self_check_repairs_total).
   */
  #selfCheck(): void {
    if (!this.#leasesSynced) return;
    const { actions, repaired } = this.#e.checkLeases(this.#o.leases.cachedVipLeases(), this.#now());
    if (repaired.length > 0) this.#o.hooks?.onRepair?.('lease', repaired);
    this.#apply(actions);
    const want = new Set(this.#e.view(this.#now()).answering);
    const wrong = this.#table.repair(want);
    if (wrong.length > 0) this.#o.hooks?.onRepair?.('table', wrong);
    // A view set by a heartbeat note is confirmed by the watch within a watch latency. One still
    // unconfirmed a whole period later (the same note) is read from the API (`checkNote`).
    const notes = this.#e.unconfirmedNotes();
    for (const [ip, epoch] of notes) {
      if (this.#notesAtCheck.get(ip) !== epoch) continue;
      this.#o.leases.readVipLease(ip).then(
        (view) => {
          if (this.#stopped) return;
          this.#remember(ip, view);
          const { actions: checked, repaired: stale } = this.#e.onNoteCheck(ip, epoch, view, this.#now());
          if (stale) this.#o.hooks?.onRepair?.('note', [ip]);
          this.#apply(checked);
        },
        (err: unknown) => this.#o.hooks?.onError?.('lease read for an unconfirmed note', err),
      );
    }
    this.#notesAtCheck = notes;
  }

  // ---- actions ------------------------------------------------------------------------------

  #apply(actions: readonly VipAction[]): void {
    let notify = false;
    for (const a of actions) {
      switch (a.kind) {
        case 'write':
          this.#write(a);
          break;
        case 'start': {
          this.#table.started(a.ip, { resume: a.cause === 'resume', handedToUs: a.cause === 'handover' });
          const vip = this.#desired?.vips.get(a.ip);
          if (a.cause === 'take' && a.from !== null) {
            const heard = this.#link.lastHeard(a.from);
            if (heard !== undefined) this.#o.hooks?.onFailover?.(this.#now() - heard);
          }
          this.#o.hooks?.onStart?.(a.ip, a.cause, a.from, vip?.interfaces ?? NO_INTERFACES, vip?.services ?? []);
          break;
        }
        case 'stop':
          this.#table.stopped(a.ip, { keep: a.reason === 'fenced' && !this.#stopped, holdAt: a.reason === 'handedOver' && !this.#stopped ? this.#now() : null });
          this.#o.hooks?.onStop?.(a.ip, a.reason);
          break;
        case 'notify':
          notify = true;
          break;
      }
    }
    // A take or handover spreads by an extra heartbeat round at once, not at the next tick.
    if (notify && !this.#stopped) this.#rounds.noteSoon();
    this.#scheduleWake();
  }

  #write(a: WriteAction): void {
    const sentAt = this.#now();
    const done = (r: WriteResult): void => {
      this.#o.hooks?.onWrite?.(a, r, this.#now() - sentAt);
      this.#apply(this.#e.onWriteResult(a.ip, r, this.#now()));
      // A conflict means our view of this Lease is old. The machine waits for the watch to show a
      // newer version; if that watch event never comes (a missed event), the VIP stayed stuck
      // with a holder nobody answered for (bench/l2 Finding 2). So read it once, now.
      if (!r.ok && r.conflict && !this.#stopped) {
        this.#o.leases.readVipLease(a.ip).then(
          (view) => {
            if (!this.#stopped) this.#observe(a.ip, view);
          },
          (err: unknown) => this.#o.hooks?.onError?.('lease read after a conflict', err),
        );
      }
    };
    this.#o.leases.write(a).then(done, (err: unknown) => {
      this.#o.hooks?.onError?.('lease write', err);
      done({ ok: false, conflict: false });
    });
  }

  // ---- shutdown -----------------------------------------------------------------------------

  /**
   * SIGTERM: hand over or release every VIP, and wait for the successors' announcements (the
   * holds), then resolve (or after `graceMs`, whatever is left).
   */
  async drain(graceMs: number): Promise<boolean> {
    this.#apply(this.#e.drain(this.#now()));
    const deadline = this.#now() + graceMs;
    while ((!this.#e.drained() || this.#table.held().length > 0) && this.#now() < deadline && !this.#stopped) {
      await new Promise<void>((resolve) => this.#o.clock.setTimeout(resolve, Math.min(20, this.#o.heartbeatIntervalMs)));
    }
    return this.#e.drained();
  }

  stop(): void {
    this.#stopped = true;
    this.#resync.stop();
    for (const t of [this.#tickTimer, this.#wakeTimer]) if (t !== null) this.#o.clock.clearTimeout(t);
    this.#tickTimer = null;
    this.#wakeTimer = null;
    this.#rounds.stop();
    this.#table.clear();
  }
}
