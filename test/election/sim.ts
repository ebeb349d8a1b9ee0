// A virtual-time world for the L2 election: speakers (real `Election`s), a UDP network that can
// be cut per direction, and an API server with optimistic concurrency, latency, a watch and
// per-node outages. Everything a real shell does, with no sockets and no clocks: the tests
// drive `run(ms)` and read what each node answers for.
import { Election } from '../../src/election/election.ts';
import type { DesiredVip } from '../../src/election/vip-table.ts';
import { DEFAULT_DAMPING } from '../../src/election/damping.ts';
import type { DampingTimings } from '../../src/election/damping.ts';
import { decodeHeartbeat } from '../../src/election/heartbeat.ts';
import { fitHeartbeat } from '../../src/election/heartbeat-fit.ts';
import type { Heartbeat } from '../../src/election/heartbeat.ts';
import type { NodeStamp } from '../../src/election/peers.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';
import type { L2Timings } from '../../src/election/timings.ts';
import type { LeaseRecord, VipAction, WriterStamp } from '../../src/election/vip-machine.ts';
import { EventQueue } from './event-queue.ts';

export interface SimOptions {
  nodes: readonly string[];
  vips: readonly string[];
  timings?: L2Timings;
  /** One-way latency of an API request and of its response. */
  apiLatencyMs?: number;
  /**
   * Latency of a list's response (default apiLatencyMs): a list of 1,000 Leases is a large
   * body to send, read and decode. The snapshot is taken when the server handles the request,
   * so watch events of later writes can reach the node before the list does (issue #10).
   */
  listLatencyMs?: number;
  /** Delay of a watch event after the write. */
  watchDelayMs?: number;
  /** Extra watch delay for some nodes (a process whose event loop lags, bench/l2 Finding 3). */
  watchLagMs?: Readonly<Record<string, number>>;
  udpDelayMs?: number;
  stepMs?: number;
  /**
   * Heartbeats carry an HMAC, so notes may start an answer (default true). Without a key (the
   * default of `herald speaker`) a note can only stop one.
   */
  authenticated?: boolean;
  /** Every Election steps every VIP at every tick and event (the reference of issue #10's sparse passes). */
  fullPasses?: boolean;
  /**
   * Damping after a fence (src/election/damping.ts): true for its default periods, or timings.
   * Off unless asked: the stories written before it expect a node back from a stall or a fence
   * to get its VIPs back J after it returns (test/election/damping.test.ts holds the damped
   * behaviour).
   */
  damping?: boolean | DampingTimings;
  /**
   * Spread the nodes' heartbeat timers over the interval (node i starts i steps later, modulo
   * h), as processes started at different moments are. By default every node sends in the same
   * step: past ~60 nodes, where heard lists are cut to the freshest entries, equal ages then
   * drop the same nodes from every list, and those nodes, never acknowledged, probe forever
   * (bench/README.md, "Election at scale").
   */
  heartbeatPhases?: boolean;
}

interface StoredLease {
  holder: string;
  epoch: number;
  version: number;
  writer: WriterStamp | undefined;
}

function record(l: StoredLease): LeaseRecord {
  const r: LeaseRecord = { holder: l.holder, epoch: l.epoch, version: String(l.version) };
  if (l.writer !== undefined) r.writer = l.writer;
  return r;
}

interface SimNode {
  name: string;
  election: Election | null;
  stalledUntil: number;
  apiCut: boolean;
  nextHeartbeatAt: number;
  nextTickAt: number;
  needsRelist: boolean;
  draining: boolean;
  /** Ignored by the speaker: it is not eligible for any VIP. */
  eligible: boolean;
  servable: boolean;
}

interface Queued {
  at: number;
  order: number;
  node: string;
  run: (e: Election, now: number) => void;
}

const KEY = new TextEncoder().encode('sim-key');

export interface Overlap {
  ip: string;
  nodes: string[];
  from: number;
  to: number;
}

export class Sim {
  now = 0;
  readonly t: L2Timings;
  readonly #o: Required<Omit<SimOptions, 'timings' | 'watchLagMs' | 'authenticated' | 'fullPasses' | 'damping' | 'heartbeatPhases'>>;
  readonly #phases: boolean;
  readonly #damping: DampingTimings | false;
  readonly #trustNotes: boolean;
  readonly #fullPasses: boolean;
  readonly #lag: Readonly<Record<string, number>>;
  readonly nodes = new Map<string, SimNode>();
  readonly leases = new Map<string, StoredLease>();
  readonly nodeLeases = new Map<string, NodeStamp>();
  #version = 0;
  #order = 0;
  readonly #queue = new EventQueue<Queued>();
  /** "a>b": datagrams from a to b are lost. */
  readonly blocked = new Set<string>();
  /** Overlaps seen (two or more nodes answering one VIP), closed or still open, since resetStats. */
  readonly overlaps: Overlap[] = [];
  readonly #open = new Map<string, Overlap>();
  /** VIP Lease writes and node Lease writes sent to the API server. */
  apiWrites = 0;
  nodeLeaseWrites = 0;
  /** Of the node Lease writes, those that asked everyone to renew (`probing`), and by whom. */
  readonly probingWrites: string[] = [];
  apiDown = false;
  /** Per VIP: ms with nobody answering while some node could (since the last resetStats). */
  readonly dark = new Map<string, number>();
  /** The same as intervals: [from, to] of each time a VIP went dark (to = null while it is). */
  readonly darkEpisodes: { ip: string; from: number; to: number | null }[] = [];
  readonly #darkOpen = new Map<string, { ip: string; from: number; to: number | null }>();
  /**
   * Per VIP, the nodes whose election said `start` and not `stop` since: the only nodes that can
   * answer it (an Election answers a VIP only while its state says `answering`, which only those
   * actions change). The per-step check asks these, not every node for every VIP (issue #10).
   */
  readonly #started = new Map<string, Set<string>>();

  constructor(o: SimOptions) {
    this.t = o.timings ?? DEFAULT_L2_TIMINGS;
    this.#o = { nodes: o.nodes, vips: o.vips, apiLatencyMs: o.apiLatencyMs ?? 3, listLatencyMs: o.listLatencyMs ?? o.apiLatencyMs ?? 3, watchDelayMs: o.watchDelayMs ?? 5, udpDelayMs: o.udpDelayMs ?? 1, stepMs: o.stepMs ?? 10 };
    this.#lag = o.watchLagMs ?? {};
    this.#trustNotes = o.authenticated ?? true;
    this.#fullPasses = o.fullPasses ?? false;
    this.#damping = o.damping === true ? DEFAULT_DAMPING : (o.damping ?? false);
    this.#phases = o.heartbeatPhases ?? false;
    for (const n of o.nodes) this.nodes.set(n, { name: n, election: null, stalledUntil: 0, apiCut: false, nextHeartbeatAt: 0, nextTickAt: 0, needsRelist: false, draining: false, eligible: true, servable: true });
    for (const n of o.nodes) this.start(n);
  }

  // ---- faults -------------------------------------------------------------------------------

  start(name: string): void {
    const n = this.#node(name);
    for (const who of this.#started.values()) who.delete(name);
    n.election = new Election({ me: name, incarnation: 1_000_000 + this.now * 10 + this.#order++, timings: this.t, startedAt: this.now, trustNotes: this.#trustNotes, fullPasses: this.#fullPasses, damping: this.#damping });
    const slots = Math.max(1, Math.floor(this.t.heartbeatIntervalMs / this.#o.stepMs));
    n.nextHeartbeatAt = this.now + (this.#phases ? ([...this.nodes.keys()].indexOf(name) % slots) * this.#o.stepMs : 0);
    n.nextTickAt = this.now;
    n.draining = false;
    this.#handle(n, n.election.setDesired(this.#desired(), n.servable ? ['p'] : [], this.now));
    // The informer's first list, then its watch from the list's version: no event is older.
    const sentAt = this.now;
    this.#api(name, () => true, (e, now) => {
      for (const [node, stamp] of this.nodeLeases) this.#handle(n, e.onNodeLease(node, stamp, now));
      this.#handle(n, e.onLeaseSync(this.#snapshot(), sentAt, now));
    });
  }

  crash(name: string): void {
    this.#node(name).election = null;
  }

  drain(name: string): void {
    const n = this.#node(name);
    if (n.election === null) return;
    n.draining = true;
    this.#handle(n, n.election.drain(this.now));
  }

  stall(name: string, ms: number): void {
    this.#node(name).stalledUntil = this.now + ms;
  }

  /** Cuts one node from the API server: its watch breaks, and it re-lists when it is back. */
  cutApi(name: string, cut: boolean): void {
    const n = this.#node(name);
    n.apiCut = cut;
    if (cut) n.needsRelist = true;
    else if (n.needsRelist && !this.apiDown) this.#relist(n);
  }

  setApiDown(down: boolean): void {
    this.apiDown = down;
    for (const n of this.nodes.values()) {
      if (down) n.needsRelist = true;
      else if (n.needsRelist && !n.apiCut) this.#relist(n);
    }
  }

  /** Cuts (or heals) UDP between two groups, both directions. */
  partition(a: readonly string[], b: readonly string[], cut = true): void {
    for (const x of a) for (const y of b) for (const k of [`${x}>${y}`, `${y}>${x}`]) cut ? this.blocked.add(k) : this.blocked.delete(k);
  }

  isolate(name: string, cut = true): void {
    this.partition([name], [...this.nodes.keys()].filter((n) => n !== name), cut);
  }

  healAll(): void {
    this.blocked.clear();
    this.setApiDown(false);
    for (const n of this.nodes.values()) this.cutApi(n.name, false);
  }

  setEligible(name: string, eligible: boolean): void {
    this.#node(name).eligible = eligible;
    for (const n of this.nodes.values()) if (n.election !== null) this.#handle(n, n.election.setDesired(this.#desired(), n.servable ? ['p'] : [], this.now));
  }

  // ---- time ---------------------------------------------------------------------------------

  run(ms: number): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now += this.#o.stepMs;
      for (let s = this.#server.popDue(this.now); s !== undefined; s = this.#server.popDue(this.now)) s.run();
      this.#deliver();
      for (const n of this.nodes.values()) this.#tickNode(n);
      this.#checkOverlaps();
    }
  }

  /** Runs until `pred` holds (checked every step) or `ms` pass; returns the time it took, or null. */
  runUntil(pred: () => boolean, ms: number): number | null {
    const start = this.now;
    while (this.now - start < ms) {
      if (pred()) return this.now - start;
      this.run(this.#o.stepMs);
    }
    return pred() ? this.now - start : null;
  }

  // ---- observations -------------------------------------------------------------------------

  up(name: string): boolean {
    const n = this.#node(name);
    return n.election !== null && this.now >= n.stalledUntil;
  }

  answering(ip: string): string[] {
    return [...this.nodes.values()].filter((n) => n.election !== null && this.now >= n.stalledUntil && n.election.mayAnswer(ip, this.now)).map((n) => n.name);
  }

  /**
   * `answering(ip)` at the cost of the nodes that started it (usually one), not of every node:
   * for checks over 10,000 VIPs (bench/election/scale.ts).
   */
  answerersOf(ip: string): string[] {
    return this.#answeringNow(ip);
  }

  /** Nodes that could hold VIPs: running, not draining, eligible. */
  liveEligible(): string[] {
    return [...this.nodes.values()].filter((n) => n.election !== null && !n.draining && n.eligible && n.servable).map((n) => n.name);
  }

  election(name: string): Election {
    const e = this.#node(name).election;
    if (e === null) throw new Error(`${name} is not running`);
    return e;
  }

  longestOverlap(): number {
    return Math.max(0, ...this.overlaps.map((o) => o.to - o.from));
  }

  resetStats(): void {
    this.dark.clear();
    this.darkEpisodes.length = 0;
    this.#darkOpen.clear();
    this.overlaps.length = 0;
    this.apiWrites = 0;
    this.nodeLeaseWrites = 0;
    this.probingWrites.length = 0;
  }

  /** Who answers for each VIP now ('' for nobody). */
  owners(): Map<string, string> {
    return new Map(this.#o.vips.map((ip) => [ip, this.answering(ip).join('+')]));
  }

  // ---- internals ----------------------------------------------------------------------------

  #node(name: string): SimNode {
    const n = this.nodes.get(name);
    if (n === undefined) throw new Error(`no node ${name}`);
    return n;
  }

  /**
   * The desired state every node is given, built again only when eligibility changes: the same
   * DesiredVip objects for every node, so their Elections share each VIP's ranking (vip-table.ts).
   */
  #desired(): Map<string, DesiredVip> {
    const key = [...this.nodes.values()].map((n) => (n.eligible ? n.name : '')).join(',');
    if (this.#desiredFor?.key === key) return this.#desiredFor.desired;
    const nodes = new Map<string, readonly string[]>();
    for (const n of this.nodes.values()) if (n.eligible) nodes.set(n.name, ['p']);
    const desired = new Map(this.#o.vips.map((ip) => [ip, { nodes, demoted: new Set<string>(), servable: true }]));
    this.#desiredFor = { key, desired };
    return desired;
  }

  #desiredFor: { key: string; desired: Map<string, DesiredVip> } | null = null;

  #snapshot(): Map<string, LeaseRecord> {
    return new Map([...this.leases].map(([ip, l]) => [ip, record(l)]));
  }

  #enqueue(at: number, node: string, run: (e: Election, now: number) => void): void {
    this.#queue.push({ at, order: this.#order++, node, run });
  }

  #deliver(): void {
    const later: Queued[] = [];
    for (let q = this.#queue.popDue(this.now); q !== undefined; q = this.#queue.popDue(this.now)) {
      const n = this.#node(q.node);
      if (n.election === null) continue;
      if (this.now < n.stalledUntil) {
        later.push({ ...q, at: n.stalledUntil });
        continue;
      }
      q.run(n.election, this.now);
    }
    for (const q of later) this.#queue.push(q);
  }

  #apiReachable(n: SimNode): boolean {
    return !n.apiCut && !this.apiDown;
  }

  /** From now on every request takes `ms` each way (a burst slowing the API server down). */
  setApiLatency(ms: number): void {
    this.#o.apiLatencyMs = ms;
  }

  /** From now on watch events reach the nodes `ms` after the write (kube-apiserver's watch falling behind its answers in a burst). */
  setWatchDelay(ms: number): void {
    this.#o.watchDelayMs = ms;
  }

  /**
   * From now on these nodes' requests take their own time each way, the rest `setApiLatency`'s:
   * an API server answering a burst in no particular order, one node's requests after another's
   * (10 real speakers on 2 CPUs: one node's takes answered within 116 ms, another's after 344 ms).
   */
  setNodeApiLatency(ms: Readonly<Record<string, number>>): void {
    this.#nodeLatency = ms;
  }
  #nodeLatency: Readonly<Record<string, number>> = {};

  /** A request: applied at the server after the latency if reachable; the reply comes back after the latency (or `replyMs`). */
  #api(name: string, apply: () => boolean, reply: (e: Election, now: number, ok: boolean) => void, replyMs?: number): void {
    const lat = this.#nodeLatency[name] ?? this.#o.apiLatencyMs;
    const n = this.#node(name);
    // The server side runs regardless of the client's state (a crashed client's request still lands).
    this.#serverAt(this.now + lat, () => {
      const ok = this.#apiReachable(n) && apply();
      // A reply lost on the way back is an error to the client, though the write happened.
      this.#enqueue(this.now + (replyMs ?? lat), name, (e, now) => reply(e, now, this.#apiReachable(n) && ok));
    });
  }

  readonly #server = new EventQueue<{ at: number; order: number; run: () => void }>();
  #serverAt(at: number, run: () => void): void {
    this.#server.push({ at, order: this.#order++, run });
  }

  /**
   * The shell's re-list (after a fence, or the API back for this node). The server takes the
   * snapshot when it handles the request; the watch goes on meanwhile, so events of writes after
   * the snapshot may reach the node before the list does (issue #10).
   */
  #relist(n: SimNode): void {
    n.needsRelist = false;
    n.election?.leaseSyncStarted();
    const sentAt = this.now;
    let snapshot = new Map<string, LeaseRecord>();
    let listVersion = '';
    this.relists++;
    this.#api(
      n.name,
      () => {
        snapshot = this.#snapshot();
        listVersion = String(this.#version);
        return true;
      },
      (e, now, ok) => {
        if (!ok) {
          n.needsRelist = true;
          e.leaseSyncFailed();
          return;
        }
        for (const [node, stamp] of this.nodeLeases) this.#handle(n, e.onNodeLease(node, stamp, now));
        this.#handle(n, e.onLeaseSync(snapshot, sentAt, now, listVersion));
      },
      this.#o.listLatencyMs,
    );
  }

  /** Re-lists sent (after fences and API cuts). */
  relists = 0;

  #watch(fn: (e: Election, now: number, n: SimNode) => void): void {
    for (const n of this.nodes.values()) {
      this.#enqueue(this.now + this.#o.watchDelayMs + (this.#lag[n.name] ?? 0), n.name, (e, now) => {
        if (!this.#apiReachable(n)) {
          n.needsRelist = true;
          return;
        }
        fn(e, now, n);
      });
    }
  }

  /** Every VIP write the server received: who, what, and whether it was applied. */
  readonly writeLog: { at: number; node: string; op: string; ip: string; holder: string; ok: boolean }[] = [];

  #write(n: SimNode, a: Extract<VipAction, { kind: 'write' }>): void {
    const ip = a.ip;
    const sentAt = this.now;
    let version = '';
    let conflict = false;
    this.#api(
      n.name,
      () => {
        this.apiWrites++;
        const cur = this.leases.get(ip);
        const matches = a.expect === null ? cur === undefined : cur !== undefined && String(cur.version) === a.expect.version;
        this.writeLog.push({ at: this.now, node: n.name, op: a.op, ip, holder: a.holder, ok: matches });
        if (!matches) {
          conflict = true;
          return false;
        }
        this.#version++;
        version = String(this.#version);
        if (a.op === 'delete') this.leases.delete(ip);
        else this.leases.set(ip, { holder: a.holder, epoch: a.epoch, version: this.#version, writer: a.writer });
        const rec = this.leases.get(ip);
        // The lag the shell reads from acquireTime: one clock here, so no offset to learn.
        this.#watch((e, now, w) => this.#handle(w, e.onLease(ip, rec === undefined ? { kind: 'absent' } : { kind: 'present', record: record(rec) }, now, rec === undefined ? null : now - sentAt)));
        return true;
      },
      (e, now, ok) => this.#handle(n, e.onWriteResult(ip, ok ? { ok: true, version } : { ok: false, conflict }, now)),
    );
  }

  #handle(n: SimNode, actions: readonly VipAction[]): void {
    for (const a of actions) {
      if (a.kind === 'write') this.#write(n, a);
      else if (a.kind === 'start') {
        let who = this.#started.get(a.ip);
        if (who === undefined) this.#started.set(a.ip, (who = new Set()));
        who.add(n.name);
      } else if (a.kind === 'stop') this.#started.get(a.ip)?.delete(n.name);
      else if (a.kind === 'notify' && n.election !== null) this.#sendHeartbeat(n, a.to === null ? null : [a.to]);
    }
  }

  #sendHeartbeat(n: SimNode, to: readonly string[] | null): void {
    if (n.election === null) return;
    const m = n.election.heartbeat(this.now);
    // The shell's heartbeat: cut to one datagram as the driver cuts it (heartbeat-fit.ts).
    const bytes = fitHeartbeat(m, KEY, undefined, 2 * this.t.heartbeatIntervalMs);
    if (!bytes.ok) throw new Error(`heartbeat does not encode: ${bytes.error.message}`);
    // Decoded once for every receiver: the bytes are the same, and an Election only reads them.
    const d = decodeHeartbeat(bytes.value, KEY);
    if (!d.ok) throw new Error(`heartbeat does not decode: ${d.error.message}`);
    for (const peer of to ?? [...this.nodes.keys()]) {
      if (peer === n.name || this.blocked.has(`${n.name}>${peer}`)) continue;
      this.#enqueue(this.now + this.#o.udpDelayMs, peer, (e, now) => this.#handle(this.#node(peer), e.onHeartbeat(d.value, now)));
    }
  }

  #tickNode(n: SimNode): void {
    const e = n.election;
    if (e === null || this.now < n.stalledUntil) return;
    // Like the shell: a tick every heartbeat interval, or earlier when the election asks.
    if (this.now >= n.nextTickAt) {
      this.#handle(n, e.tick(this.now));
      n.nextTickAt = Math.min(this.now + this.t.heartbeatIntervalMs, e.nextWakeAt(this.now) ?? Infinity);
    }
    if (e.wantsLeaseSync(this.now)) this.#relist(n);
    if (this.now >= n.nextHeartbeatAt) {
      this.#sendHeartbeat(n, null);
      n.nextHeartbeatAt = this.now + this.t.heartbeatIntervalMs;
    }
    if (e.wantsNodeLeaseWrite(this.now)) {
      const stamp = e.nodeLeaseWriteStarted(this.now);
      this.nodeLeaseWrites++;
      if (stamp.probing) this.probingWrites.push(n.name);
      const sentAt = this.now;
      this.#api(
        n.name,
        () => {
          this.nodeLeases.set(n.name, stamp);
          this.#watch((w, now, wn) => this.#handle(wn, w.onNodeLease(n.name, stamp, now)));
          return true;
        },
        (w, now, ok) => w.onApiResult(ok, sentAt, now),
      );
    }
    if (n.draining && e.drained()) {
      // A clean exit: the node Lease goes with it.
      n.election = null;
      this.nodeLeases.delete(n.name);
      this.#watch((w, now, wn) => this.#handle(wn, w.onNodeLease(n.name, null, now)));
    }
  }

  /** `answering(ip)`, asking only the nodes that started it (the same nodes, in the same order when several). */
  #answeringNow(ip: string): string[] {
    const started = this.#started.get(ip);
    if (started === undefined || started.size === 0) return [];
    let who: string[] = [];
    for (const name of started) {
      const n = this.nodes.get(name);
      if (n !== undefined && n.election !== null && this.now >= n.stalledUntil && n.election.mayAnswer(ip, this.now)) who.push(name);
    }
    if (who.length > 1) who = this.answering(ip);
    return who;
  }

  #checkOverlaps(): void {
    const anyLive = this.liveEligible().length > 0;
    // The check used to ask every running node about every VIP, and each question advances that
    // node's guard (fence episodes, NodeGuard.update): keep doing that once per node and step, so
    // the cheaper check changes no outcome.
    if (this.#o.vips.length > 0) for (const n of this.nodes.values()) if (n.election !== null && this.now >= n.stalledUntil) n.election.mayAnswer('', this.now);
    for (const ip of this.#o.vips) {
      const who = this.#answeringNow(ip);
      const open = this.#open.get(ip);
      if (who.length > 1) {
        if (open === undefined) {
          const o: Overlap = { ip, nodes: who, from: this.now, to: this.now };
          this.overlaps.push(o);
          this.#open.set(ip, o);
        } else open.to = this.now;
      } else if (open !== undefined) {
        this.#open.delete(ip);
      }
      const dark = who.length === 0 && anyLive;
      if (dark) this.dark.set(ip, (this.dark.get(ip) ?? 0) + this.#o.stepMs);
      const episode = this.#darkOpen.get(ip);
      if (dark && episode === undefined) {
        const e = { ip, from: this.now - this.#o.stepMs, to: null };
        this.darkEpisodes.push(e);
        this.#darkOpen.set(ip, e);
      } else if (!dark && episode !== undefined) {
        episode.to = this.now;
        this.#darkOpen.delete(ip);
      }
    }
  }
}
