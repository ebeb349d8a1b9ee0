// A virtual-time world for L2Driver tests: a clock with a timer queue, a Lease store with
// optimistic concurrency and a delayed watch, a UDP mesh that can be cut, and recording
// announcers. Unlike test/election/sim.ts (which drives bare Elections), this runs the real
// shell: its cadence, its port calls and its promise plumbing.
import { strict as assert } from 'node:assert';
import { Election } from '../../src/election/election.ts';
import type { NodeStamp } from '../../src/election/peers.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';
import type { LeaseList, LeaseRecord, LeaseView, WriteResult } from '../../src/election/vip-machine.ts';
import type { DesiredState } from '../../src/speaker/desired.ts';
import { L2Driver } from '../../src/speaker/l2-driver.ts';
import type { Clock, Endpoint, WriteAction } from '../../src/speaker/l2-driver.ts';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class VirtualClock implements Clock {
  #now = 1_000_000;
  #seq = 0;
  #timers = new Map<number, Timer>();

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const seq = ++this.#seq;
    this.#timers.set(seq, { at: this.#now + Math.max(0, ms), seq, fn });
    return seq;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.#timers.delete(handle);
  }

  /** Runs every timer due within `ms`, in time order, letting promise chains settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await new Promise<void>((r) => setImmediate(r));
      let next: Timer | undefined;
      for (const t of this.#timers.values()) if (t.at <= end && (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (next === undefined) break;
      this.#timers.delete(next.seq);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = end;
  }
}

interface Stored {
  holder: string;
  epoch: number;
  version: number;
}

export interface WorldNode {
  name: string;
  address: string;
  driver: L2Driver;
  /** The driver's election (a test may build a heartbeat of this node's, as it would send). */
  election: Election;
  /** The announcer's table now: VIP → interfaces (issue #10: it is told one VIP at a time). */
  table: Map<string, readonly string[]>;
  /** VIPs new in the announcer's table, in order, and whether they came by a handover to this node. */
  puts: { ip: string; afterAnnouncement: boolean }[];
  /** VIPs removed from the announcer's table, in order. */
  removes: string[];
  alive: boolean;
  apiDown: boolean;
  /** The node's watch cache (what its informer holds): the Leases as its watch delivered them. */
  cache: Map<string, LeaseRecord>;
  /** VIPs whose next watch event this node's election does not get, though its cache does (a lost callback). */
  hideNext: Set<string>;
  /** The newest version this node's watch delivered (its catch-up, lease-resync.ts); null once an event was lost, until a list. */
  watchVersion: string | null;
  /** Extra delay of this node's watch events, in order (a slow watch, not a lossy one). */
  watchDelayMs: number;
  /** Its requests fail (time out) while its watch still flows: an API server too busy to answer. */
  requestsFail: boolean;
}

const API_MS = 3;

export class DriverWorld {
  readonly clock = new VirtualClock();
  readonly leases = new Map<string, Stored>();
  readonly nodes = new Map<string, WorldNode>();
  /** "a>b": datagrams from a to b are lost. */
  readonly cut = new Set<string>();
  writes: { node: string; op: string; ip: string; ok: boolean; at: number }[] = [];
  #version = 0;
  /**
   * Extra time a list's response takes after the server took its snapshot (a list of 1,000
   * Leases is a large body): the watch goes on meanwhile (issue #10).
   */
  listReplyMs = 0;
  /** Self-check repairs reported by each node (DriverHooks.onRepair). */
  readonly repairs: { node: string; what: string; ips: readonly string[] }[] = [];
  /** Heartbeat notes that changed a node's view of a holder (DriverHooks.onNote): "node ip holder epoch from". */
  readonly notesApplied: string[] = [];
  /** Fence starts and ends reported by each node (DriverHooks.onFence), with virtual time. */
  readonly fences: { node: string; fenced: boolean; at: number; peerContactMsAgo: number | null; apiOkMsAgo: number | null; cutOff: boolean }[] = [];

  readonly #handoverHoldMs: number | undefined;

  /** `handoverHoldMs`: the drivers' option (docs/l2.md, "Planned handover"); their default when absent. */
  constructor(names: readonly string[], opts: { handoverHoldMs?: number } = {}) {
    this.#handoverHoldMs = opts.handoverHoldMs;
    names.forEach((name, i) => this.#add(name, `192.0.2.${11 + i}`));
  }

  #add(name: string, address: string): void {
    const clock = this.clock;
    const election = new Election({ me: name, incarnation: clock.now() + this.nodes.size, timings: DEFAULT_L2_TIMINGS, startedAt: clock.now(), trustNotes: false });
    // Assigned below; the closures run only once the world is started.
    let node: WorldNode;
    const api = <T>(fn: () => T): Promise<T> =>
      new Promise((resolve, reject) => clock.setTimeout(() => (node.apiDown || node.requestsFail ? reject(new Error('connection refused')) : resolve(fn())), API_MS));
    const driver = new L2Driver({
      election,
      clock,
      heartbeatIntervalMs: DEFAULT_L2_TIMINGS.heartbeatIntervalMs,
      ...(this.#handoverHoldMs === undefined ? {} : { handoverHoldMs: this.#handoverHoldMs }),
      leases: {
        write: (a: WriteAction) =>
          api(() => this.#write(name, a)).then((r): WriteResult => {
            if (this.loseReplies === 0) return r;
            this.loseReplies--;
            return { ok: false, conflict: false }; // applied, but the reply was lost (a client timeout)
          }),
        renewNodeLease: (stamp: NodeStamp) => api(() => this.#renew(name, stamp)),
        // The server takes the snapshot when the request arrives; the body arrives later.
        listVipLeases: () => api(() => (this.lists.push(name), this.#list())).then((list) => new Promise<LeaseList>((resolve) => clock.setTimeout(() => resolve(list), this.listReplyMs))),
        readVipLease: (ip: string) => api(() => this.#view(ip)),
        cachedVipLeases: () => node.cache,
        vipRevision: () => api(() => String(this.#version + this.revisionAhead)),
        vipWatchVersion: () => node.watchVersion,
      },
      heartbeats: { send: (bytes: Uint8Array, to: readonly Endpoint[]) => this.#send(node, bytes, to) },
      announcer: {
        put: (ip, interfaces, opts) => {
          const fresh = !node.table.has(ip);
          node.table.set(ip, interfaces);
          if (fresh) node.puts.push({ ip, afterAnnouncement: opts?.afterAnnouncement === true });
          // The segment: a VIP new here is announced (gratuitous ARP), and every other node reads
          // it, in order, before any later request (docs/l2.md, "Planned handover").
          if (fresh && !this.announcementsLost) for (const other of this.nodes.values()) if (other !== node && other.alive) other.driver.successorAnnounced(ip);
        },
        remove: (ip) => {
          if (node.table.delete(ip)) node.removes.push(ip);
        },
      },
      hooks: {
        onRepair: (what, ips) => this.repairs.push({ node: name, what, ips }),
        onNote: (ip, holder, epoch, from) => this.notesApplied.push(`${name} ${ip} ${holder} ${epoch} ${from}`),
        onFence: (fenced, why) => this.fences.push({ node: name, fenced, at: this.clock.now(), ...why }),
      },
    });
    node = { name, address, table: new Map(), puts: [], removes: [], alive: true, apiDown: false, driver, election, cache: new Map(), hideNext: new Set(), watchVersion: null, watchDelayMs: 0, requestsFail: false };
    this.nodes.set(name, node);
  }

  #view(ip: string): LeaseView {
    const l = this.leases.get(ip);
    return l === undefined ? { kind: 'absent' } : { kind: 'present', record: { holder: l.holder, epoch: l.epoch, version: String(l.version) } };
  }

  /** Drop the next `n` watch events to everyone (a stream that missed them, bench/l2 Finding 2). */
  dropWatchEvents = 0;
  /** Lose the replies to the next `n` VIP Lease writes (the server applied them). */
  loseReplies = 0;
  /** Nobody hears announcements (a successor on another segment, or every frame lost). */
  announcementsLost = false;

  #records(): Map<string, LeaseRecord> {
    return new Map([...this.leases].map(([ip, l]) => [ip, { holder: l.holder, epoch: l.epoch, version: String(l.version) }]));
  }

  #list(): LeaseList {
    return { leases: this.#records(), version: String(this.#version) };
  }

  /** The informer's list at start-up, then its watch from that version: the cache and the election agree. */
  #sync(n: WorldNode): void {
    const list = this.#list();
    n.cache = new Map(list.leases);
    n.watchVersion = list.version;
    n.driver.onLeaseSync(list.leases, this.clock.now(), list.version);
  }

  #write(node: string, a: WriteAction): WriteResult {
    const cur = this.leases.get(a.ip);
    const matches = a.expect === null ? cur === undefined : cur !== undefined && String(cur.version) === a.expect.version;
    this.writes.push({ node, op: a.op, ip: a.ip, ok: matches, at: this.clock.now() });
    if (!matches) return { ok: false, conflict: true };
    if (a.op === 'delete') {
      this.leases.delete(a.ip);
      const version = String(++this.#version);
      this.#watch(a.ip, version);
      return { ok: true, version };
    }
    const next = { holder: a.holder, epoch: a.epoch, version: ++this.#version };
    this.leases.set(a.ip, next);
    this.#watch(a.ip);
    return { ok: true, version: String(next.version) };
  }

  /** Watch events reach every live node a little after the write (a deletion carries its own version). */
  #watch(ip: string, deletedAt?: string): void {
    if (this.dropWatchEvents > 0) {
      this.dropWatchEvents--;
      // A watch that skips an event can no longer say how far it brought anyone.
      for (const n of this.nodes.values()) n.watchVersion = null;
      return;
    }
    const l = this.leases.get(ip);
    const version = l === undefined ? (deletedAt ?? String(this.#version)) : String(l.version);
    const view: LeaseView = l === undefined ? { kind: 'absent', asOf: version } : { kind: 'present', record: { holder: l.holder, epoch: l.epoch, version } };
    for (const n of this.nodes.values()) {
      this.clock.setTimeout(() => {
        if (!n.alive) return;
        if (n.apiDown) {
          n.watchVersion = null; // lost: only a list brings this node up to date again
          return;
        }
        if (view.kind === 'present') n.cache.set(ip, view.record);
        else n.cache.delete(ip);
        if (n.hideNext.delete(ip)) {
          n.watchVersion = null;
          return;
        }
        if (n.watchVersion !== null) n.watchVersion = version;
        n.driver.onVipLease(ip, view);
      }, API_MS + n.watchDelayMs);
    }
  }

  /** Another writer (an operator, a speaker outside the world) changes a VIP Lease; the watch tells everyone. */
  overwrite(ip: string, holder: string): void {
    const cur = this.leases.get(ip);
    this.leases.set(ip, { holder, epoch: (cur?.epoch ?? 0) + 1, version: ++this.#version });
    this.#watch(ip);
  }


  #renew(node: string, stamp: NodeStamp): boolean {
    const me = this.nodes.get(node);
    this.clock.setTimeout(() => {
      for (const n of this.nodes.values()) if (n.alive && n.name !== node && me !== undefined) n.driver.onNodeLease(node, stamp, [{ address: me.address, port: 9425 }]);
    }, API_MS);
    return true;
  }

  /** Lists of every VIP Lease, by the node that sent them, in order. */
  readonly lists: string[] = [];
  /**
   * How far the collection's revision runs ahead of the newest VIP Lease: on a real server it is
   * etcd's, which every other object moves too, so a quiet watch never reaches it.
   */
  revisionAhead = 0;

  /** Heartbeat rounds sent, by node (each `send` is one round to its peers). */
  readonly rounds = new Map<string, number>();

  #send(from: WorldNode, bytes: Uint8Array, to: readonly Endpoint[]): void {
    if (!from.alive) return;
    this.rounds.set(from.name, (this.rounds.get(from.name) ?? 0) + 1);
    for (const e of to) {
      const dest = [...this.nodes.values()].find((n) => n.address === e.address);
      if (dest === undefined || !dest.alive || this.cut.has(`${from.name}>${dest.name}`)) continue;
      const copy = Uint8Array.from(bytes);
      this.clock.setTimeout(() => {
        if (dest.alive) dest.driver.onDatagram(copy, { address: from.address, port: 9425 });
      }, 1);
    }
  }

  /** Starts every driver: node addresses, the desired state, the initial Lease list. */
  async start(desired: DesiredState): Promise<void> {
    const addresses = new Map([...this.nodes.values()].map((n) => [n.name, [n.address]]));
    for (const n of this.nodes.values()) {
      n.driver.setNodeAddresses(addresses);
      n.driver.setDesired(desired);
      this.#sync(n);
      n.driver.start();
    }
    await this.clock.advance(0);
  }

  /** A speaker that starts later (a node joining, or a restart under a new incarnation). */
  async join(name: string, desired: DesiredState): Promise<void> {
    const old = this.nodes.get(name);
    if (old !== undefined && old.alive) throw new Error(`${name} is running`);
    this.#add(name, old?.address ?? `192.0.2.${11 + this.nodes.size}`);
    const n = this.nodes.get(name);
    if (n === undefined) throw new Error(`no node ${name}`);
    n.driver.setNodeAddresses(new Map([...this.nodes.values()].map((x) => [x.name, [x.address]])));
    for (const x of this.nodes.values()) if (x !== n && x.alive) x.driver.setNodeAddresses(new Map([...this.nodes.values()].map((y) => [y.name, [y.address]])));
    n.driver.setDesired(desired);
    this.#sync(n);
    n.driver.start();
    await this.clock.advance(0);
  }

  /** kill -9: the process is gone, its heartbeats stop, its Leases stay. */
  crash(name: string): void {
    const n = this.nodes.get(name);
    if (n === undefined) throw new Error(`no node ${name}`);
    n.alive = false;
    n.driver.stop();
  }

  /** Nodes that would answer a request for `ip` now: in the announcer's table, and the responder's check at reply time says yes. */
  answering(ip: string): string[] {
    return [...this.nodes.values()].filter((n) => n.alive && n.table.has(ip) && n.driver.mayAnswer(ip)).map((n) => n.name);
  }
}

// ---- stories' helpers ----------------------------------------------------------------------

export const NODES = ['node-a', 'node-b', 'node-c'];

export function desired(ips: readonly string[], eligible: readonly string[] = NODES): DesiredState {
  return {
    vips: new Map(
      ips.map((ip) => [
        ip,
        { ip, family: ip.includes(':') ? ('IPv6' as const) : ('IPv4' as const), services: ['demo/web'], nodes: new Map(eligible.map((n) => [n, ['l2']])), demoted: new Set<string>(), interfaces: ['eth0'] },
      ]),
    ),
    skipped: [],
    nodeProblems: new Map(),
    servablePolicies: ['l2'],
  };
}

export async function settled(w: DriverWorld, ips: readonly string[]): Promise<void> {
  // Past the warm-up (D + J) and a few rounds: every VIP has exactly one holder.
  await w.clock.advance(3_000);
  for (const ip of ips) assert.equal(w.answering(ip).length, 1, `${ip} answered by ${w.answering(ip).join(',')}`);
}

/** VIPs whose Lease names a holder that does not answer for it (issue #10's "dark VIPs"). */
export function dark(w: DriverWorld, ips: readonly string[]): string[] {
  return ips.filter((ip) => {
    const holder = w.leases.get(ip)?.holder;
    return holder !== undefined && holder !== '' && !w.answering(ip).includes(holder);
  });
}

/** Cuts `node` from its peers (both ways) and from the API, or heals it. */
export function cutOff(w: DriverWorld, node: string, on: boolean): void {
  const n = w.nodes.get(node);
  assert.ok(n !== undefined, node);
  for (const peer of w.nodes.keys()) {
    if (peer === node) continue;
    for (const k of [`${peer}>${node}`, `${node}>${peer}`]) on ? w.cut.add(k) : w.cut.delete(k);
  }
  n.apiDown = on;
}
