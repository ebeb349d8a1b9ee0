// L2 on standby until an L2AnnouncementPolicy selects this node (issue #10). A node no policy
// selects can announce nothing by ARP or NDP, yet every speaker ran the L2 election: a signed
// heartbeat to every peer ten times a second (0.6 % of a core with two peers on this machine,
// growing with the node count: bench/README.md, "The heartbeat exchange alone"), VIP and node
// Lease watches, a node-Lease write every 2 s. So in a BGP-only cluster, or on the nodes an L2
// policy's nodeSelector leaves out, a speaker keeps only a slow node Lease for `herald status`
// (standby-lease.ts), which peers read as no L2 peer. The first policy that selects the node
// (`selectsNode`: a malformed one counts, whoever wrote it means L2) starts the L2 speaker exactly
// as a process start does, warm-up included, so docs/l2.md's argument for a joining speaker
// covers it. It then runs until the process stops, even if the policies go: a restart puts it
// back on standby (docs/l2.md, "Standby").

export interface L2Part {
  start(): Promise<void>;
  stop(opts: { drainMs: number }): Promise<void>;
  inputsChanged(): void;
  readiness(): { ok: boolean; reason: string };
}

/** What the gate holds while on standby (a StandbyLease). */
export interface StandbyPart {
  start(): void;
  stop(opts: { remove: boolean }): Promise<void>;
}

export interface GateLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface L2GateOptions<S extends L2Part> {
  /**
   * Builds the L2 speaker; its election, Lease watches and heartbeat socket exist only from then.
   * `atStart`: the first decision after the caches synced, at the process start; false for a
   * speaker woken from standby later, whose election's warm-up must run from the wake, since
   * peers woken by the same policy have not been heard yet.
   */
  make: (atStart: boolean) => S;
  /** Whether some L2AnnouncementPolicy selects this node (`selectsNode`). */
  wanted: () => boolean;
  /** The cluster caches: nothing is decided before their first list. */
  synced: Promise<void>;
  standby: () => StandbyPart;
  log: GateLog;
  onStandby?: (standby: boolean) => void;
}

type State<S> = { kind: 'new' } | { kind: 'standby'; lease: StandbyPart } | { kind: 'waking' } | { kind: 'running'; speaker: S } | { kind: 'stopped' };

export class L2Gate<S extends L2Part> {
  readonly #o: L2GateOptions<S>;
  #state: State<S> = { kind: 'new' };
  #waking: Promise<void> = Promise.resolve();

  constructor(o: L2GateOptions<S>) {
    this.#o = o;
  }

  /** The L2 speaker once it runs. */
  get speaker(): S | null {
    return this.#state.kind === 'running' ? this.#state.speaker : null;
  }

  get isStandby(): boolean {
    return this.#state.kind === 'standby';
  }

  async start(): Promise<void> {
    await this.#o.synced;
    if (this.#state.kind !== 'new') return;
    if (this.#o.wanted()) {
      // At the process start a failure is the start's (startSpeaker names it and exits).
      this.#waking = this.#wake({ rethrow: true, atStart: true });
      await this.#waking;
      return;
    }
    this.#toStandby();
    this.#o.log.info({}, 'no L2AnnouncementPolicy selects this node: L2 on standby (no heartbeats, no election) until one does');
  }

  /** A cluster cache changed (and, periodically, with no change): the first policy wakes L2. */
  inputsChanged(): void {
    if (this.#state.kind === 'running') this.#state.speaker.inputsChanged();
    else if (this.#state.kind === 'standby' && this.#o.wanted()) {
      this.#waking = this.#wake({ rethrow: false, atStart: false }).catch((err: unknown) => {
        this.#o.log.error({ code: 'HERALD_L2_START_FAILED', err: err instanceof Error ? err.message : String(err) }, 'stopping the L2 speaker that failed to start failed too');
      });
    }
  }

  readiness(): { ok: boolean; reason: string } {
    switch (this.#state.kind) {
      case 'running':
        return this.#state.speaker.readiness();
      case 'standby':
        return { ok: true, reason: 'L2 on standby: no L2AnnouncementPolicy selects this node' };
      case 'waking':
        return { ok: false, reason: 'an L2AnnouncementPolicy selects this node: the L2 speaker is starting' };
      default:
        return { ok: false, reason: 'caches or Leases not synced yet' };
    }
  }

  async stop(opts: { drainMs: number }): Promise<void> {
    const before = this.#state;
    this.#state = { kind: 'stopped' };
    // A failed first wake already rejected start(): its error is the caller's, not stop's.
    await this.#waking.catch(() => undefined);
    // A wake that finished meanwhile left its speaker in #wake's hands: it stops it (see there).
    if (before.kind === 'running') await before.speaker.stop(opts);
    if (before.kind === 'standby') await before.lease.stop({ remove: true });
  }

  /** A method, not a comparison inline: the state changes across the awaits of #wake. */
  #stopped(): boolean {
    return this.#state.kind === 'stopped';
  }

  #toStandby(): void {
    const lease = this.#o.standby();
    this.#state = { kind: 'standby', lease };
    lease.start();
    this.#o.onStandby?.(true);
  }

  /**
   * Standby (or new) → running. A start that fails at the process start is the start's error; later (the heartbeat port taken since the process began, say)
   * one (the heartbeat port taken since the process began, say) is stopped and L2 goes back on
   * standby; the next cache change or periodic pass tries again.
   */
  async #wake(opts: { rethrow: boolean; atStart: boolean }): Promise<void> {
    const before = this.#state;
    this.#state = { kind: 'waking' };
    if (before.kind === 'standby') {
      // The standby Lease writer stops before the L2 speaker's own renewals begin: one writer.
      await before.lease.stop({ remove: false });
      this.#o.log.info({}, 'an L2AnnouncementPolicy selects this node: starting L2 (election, heartbeats)');
    }
    this.#o.onStandby?.(false);
    const speaker = this.#o.make(opts.atStart);
    try {
      await speaker.start();
    } catch (err) {
      await speaker.stop({ drainMs: 0 });
      if (opts.rethrow) throw err;
      this.#o.log.error({ code: 'HERALD_L2_START_FAILED', err: err instanceof Error ? err.message : String(err) }, 'L2 speaker failed to start; back on standby, trying again at the next change');
      if (this.#state.kind === 'waking') this.#toStandby();
      return;
    }
    if (this.#stopped()) {
      // stop() came during the start: it awaited this wake and left the speaker to us.
      await speaker.stop({ drainMs: 0 });
      return;
    }
    this.#state = { kind: 'running', speaker };
  }
}
