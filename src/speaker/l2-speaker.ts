// `herald speaker` in L2 mode, put together: cluster caches → desired state → election shell →
// L2 backend → wire (STYLE.md, "A Service's journey"). Everything here is wiring; the decisions
// live in desired.ts (what to announce), election/ (who answers) and l2/ (what goes on the wire).
import type { V1Node } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeLink } from '../kube/client.ts';
import { EventRecorder, eventApiOver } from '../kube/events.ts';
import type { AdapterOptions } from '../api/service.ts';
import { Election } from '../election/election.ts';
import { DEFAULT_DAMPING } from '../election/damping.ts';
import { openHeartbeatTransport, unmapAddress } from '../election/heartbeat-udp.ts';
import type { HeartbeatTransport } from '../election/heartbeat-udp.ts';
import type { HeartbeatKey } from '../election/heartbeat.ts';
import { LeaseAdapter } from '../election/lease-adapter.ts';
import type { L2Timings } from '../election/timings.ts';
import { nodeLeaseDurationSeconds, renewAdvice } from '../election/timings.ts';
import { L2Backend } from '../l2/backend.ts';
import type { GratuitousOptions } from '../l2/backend.ts';
import { listInterfaces } from '../net/interfaces.ts';
import type { NetInterface } from '../net/interfaces.ts';
import type { Net, NetResult } from '../net/types.ts';
import { desiredAnnouncements } from './desired.ts';
import { keepUnchanged } from './desired-reuse.ts';
import { sameMembers } from '../api/same.ts';
import type { DesiredState } from './desired.ts';
import type { KubeInputs } from './kube-inputs.ts';
import { Conflicts } from './l2-conflicts.ts';
import { L2Driver } from './l2-driver.ts';
import { driverReports } from './l2-driver-reports.ts';
import type { Clock, Endpoint } from './l2-driver.ts';
import { readLocalInterfaces } from './local-interfaces.ts';
import type { InterfaceAddresses } from './local-interfaces.ts';
import { familyLabel } from './metrics.ts';
import type { SpeakerMetrics } from './metrics.ts';

export interface L2SpeakerConfig {
  node: string;
  namespace: string;
  adapter: AdapterOptions;
  timings: L2Timings;
  heartbeatPort: number;
  /** Signs and checks heartbeats; a rotation's pair reloads in place (src/speaker/heartbeat-keys.ts, issue #14). */
  heartbeatKey?: HeartbeatKey;
  gratuitous: GratuitousOptions;
  /** How often the interfaces are re-read and the backend fully reconciled. */
  resyncMs: number;
  /** Rank a node that fenced last for the VIPs taken from it (docs/l2.md, "Damping after a fence"); off by default. */
  fenceDamping?: boolean;
}

export interface L2SpeakerDeps {
  clients: KubeLink;
  /** The cluster caches, shared with the BGP speaker; the owner calls `inputsChanged()`. */
  inputs: KubeInputs;
  net: Net;
  log: Logger;
  metrics: SpeakerMetrics;
  /** Interface facts and addresses; the kernel's (sysfs, os.networkInterfaces) by default. */
  interfaces?: () => NetResult<NetInterface[]>;
  interfaceAddresses?: () => InterfaceAddresses;
  /** Annotations published on this node's Lease at each renewal (the BGP session states). */
  nodeStatus?: () => Readonly<Record<string, string>>;
  /**
   * When the election's warm-up clock starts (monotonic ms; default: now). At a process start it
   * is the process's start, as it was before L2 could be on standby (l2-gate.ts).
   */
  startedAt?: number;
}

const CLOCK: Clock = {
  // Monotonic: the election compares times, and a wall-clock step must not fence or kill anyone.
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

function nodeAddresses(nodes: readonly V1Node[]): Map<string, string[]> {
  return new Map(nodes.map((n) => [n.metadata?.name ?? '', (n.status?.addresses ?? []).filter((a) => a.type === 'InternalIP' || a.type === 'ExternalIP').map((a) => a.address)]));
}

const RECOMPUTE_BATCH_MS = 5;
/** A pass even when no input says it changed (a missed watch event would otherwise stand). */
const FULL_PASS_EVERY_MS = 60_000;
const RECOMPUTE_MIN_INTERVAL_MS = 100;

export class L2Speaker {
  readonly #c: L2SpeakerConfig;
  readonly #d: L2SpeakerDeps;
  readonly #events: EventRecorder;
  readonly #backend: L2Backend;
  readonly #driver: L2Driver;
  readonly #election: Election;
  readonly #leases: LeaseAdapter;
  readonly #inputs: KubeInputs;
  readonly #conflicts: Conflicts;
  #udp: HeartbeatTransport | null = null;
  #desired: DesiredState | null = null;
  #own: ReadonlySet<string> = new Set();
  #recomputeTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the last pass started, and how long it took (ms, monotonic): the next one waits for the throttle. */
  #lastRecomputeAt = -Infinity;
  #lastRecomputeMs = 0;
  /** A cluster cache changed since the last pass. */
  #inputsDirty = true;
  /** The local interfaces the last pass read, as text: they change without any watch event. */
  #lastInterfaces = '';
  #lastFullPassAt = -Infinity;
  #periodic: ReturnType<typeof setInterval> | undefined;
  #periodicPhase: ReturnType<typeof setTimeout> | undefined;
  /** Node count of the last renewal advice (`#adviseRenew`); 0: none given. */
  #renewAdvisedAt = 0;
  #started = false;

  constructor(c: L2SpeakerConfig, d: L2SpeakerDeps) {
    this.#c = c;
    this.#d = d;
    const { log, metrics, clients } = d;
    this.#events = new EventRecorder({ core: eventApiOver(clients.http), component: 'herald-speaker', instance: c.node, log, onError: () => metrics.kubeRequestErrors.inc({ verb: 'create', resource: 'events' }) });
    const election = new Election({ me: c.node, incarnation: Date.now(), timings: c.timings, startedAt: d.startedAt ?? CLOCK.now(), trustNotes: c.heartbeatKey !== undefined, damping: c.fenceDamping === true ? DEFAULT_DAMPING : false });
    this.#election = election;
    this.#backend = new L2Backend({
      net: d.net,
      interfaces: d.interfaces ?? listInterfaces,
      ownAddresses: () => this.#own,
      gratuitous: c.gratuitous,
      hooks: {
        mayAnswer: (ip) => this.#driver.mayAnswer(ip),
        onAnswered: (family) => metrics.requestsAnswered.inc({ family }),
        onDropped: (reason) => metrics.requestsDropped.inc({ reason }),
        onGratuitous: (_family, ip) => metrics.gratuitousSent.inc({ family: familyLabel(ip) }),
        onConflict: (ip, mac, iface) => this.#conflicts.seen(ip, mac, iface),
        onError: (code, message, iface) => {
          metrics.socketErrors.inc({ code });
          log.warn({ iface, code }, message);
        },
      },
    });
    this.#leases = new LeaseAdapter({
      kc: clients.kc,
      http: clients.http,
      node: c.node,
      namespace: c.namespace,
      log,
      now: CLOCK.now,
      nodeLeaseDurationSeconds: nodeLeaseDurationSeconds(c.timings),
      onVipLease: (ip, view, lagMs) => this.#driver.onVipLease(ip, view, lagMs),
      onNodeLease: (node, stamp, addresses) => this.#driver.onNodeLease(node, stamp, addresses),
      onVipLeaseSync: (leases, startedAt, version) => this.#driver.onLeaseSync(leases, startedAt, version),
    });
    this.#driver = new L2Driver({
      election,
      clock: CLOCK,
      key: c.heartbeatKey,
      heartbeatIntervalMs: c.timings.heartbeatIntervalMs,
      sharedNow: Date.now,
      leases: {
        write: (a) => this.#leases.write(a),
        renewNodeLease: (stamp) => this.#leases.renewNodeLease(stamp, this.#heartbeatEndpoints(), this.#d.nodeStatus?.() ?? {}),
        listVipLeases: () => this.#leases.listVipLeases(),
        readVipLease: (ip) => this.#leases.readVipLease(ip),
        cachedVipLeases: () => this.#leases.cachedVipLeases(),
      },
      heartbeats: { send: (bytes, to) => this.#udp?.send(bytes, to) },
      announcer: this.#backend,
      hooks: driverReports({
        node: c.node,
        timings: c.timings,
        log,
        metrics,
        answering: () => this.#driver.answering().length,
        onStart: (ip, cause, from, interfaces, services) => this.#started_(ip, cause, from, interfaces, services),
      }),
    });
    this.#conflicts = new Conflicts({
      node: c.node,
      log,
      metrics,
      now: CLOCK.now,
      successorAnnounced: (ip) => this.#driver.successorAnnounced(ip),
      confirmHeld: (ip) => this.#driver.confirmHeld(ip),
      holderOf: (ip) => election.holderOf(ip),
      servicesOf: (ip) => this.#desired?.vips.get(ip)?.services ?? [],
      emit: (key, type, reason, message) => this.#emit(key, type, reason, message),
      announce: (ip) => this.#backend.announce(ip),
    });
    this.#inputs = d.inputs;
  }

  get ready(): boolean {
    return this.#started && this.#inputs.isSynced() && this.#leases.isSynced();
  }

  /**
   * What /readyz says of the L2 side: caches and Leases synced, and past the election's warm-up
   * (Election.isWarm: until then peers would not hand this node a VIP, so a rollout must not
   * drain the next node yet).
   */
  readiness(): { ok: boolean; reason: string } {
    if (!this.ready) return { ok: false, reason: 'caches or Leases not synced yet' };
    if (!this.#election.isWarm(CLOCK.now())) return { ok: false, reason: 'warming up: peers do not count on this node to take VIPs yet' };
    return { ok: true, reason: 'caches and Leases synced, warmed up' };
  }

  /** Kubernetes requests of the Lease adapter by verb (for benchmarks and tests). */
  leaseRequests(): Readonly<Record<string, number>> {
    return this.#leases.requests();
  }

  async start(): Promise<void> {
    // Announce nothing before every cache and the Lease view are synced (STYLE.md lesson 9).
    await Promise.all([this.#inputs.synced, this.#leases.synced]);
    this.#udp = await this.#openHeartbeats();
    this.#recompute();
    this.#driver.start();
    this.#started = true;
    // Each speaker's periodic pass at its own phase: started together (a lab, a cluster-wide
    // restart), every speaker ran its pass over 5,000 Services in the same instant, and all
    // three stopped hearing each other at once, every 5 s (bench/README.md, "Thirteenth session").
    const phase = setTimeout(() => {
      this.#periodic = setInterval(() => {
        this.#recompute({ full: performance.now() - this.#lastFullPassAt >= FULL_PASS_EVERY_MS, periodic: true });
        this.#backend.resync();
        this.#adviseRenew();
      }, this.#c.resyncMs);
    }, Math.random() * this.#c.resyncMs);
    this.#periodicPhase = phase;
    this.#d.metrics.refreshOnCollect(() => this.#updateGauges());
    this.#d.log.info({ node: this.#c.node, heartbeatPort: this.#udp.port }, 'L2 speaker started');
  }

  /**
   * Says once, and again each time the cluster doubles, when the node-Lease renewals of this
   * many speakers exceed the API budget at rest (issue #10; the fix is one flag on every node).
   */
  #adviseRenew(): void {
    const nodes = this.#leases.nodeLeaseCount();
    if (nodes < 2 * this.#renewAdvisedAt) return;
    const advice = renewAdvice(nodes, this.#c.timings.nodeLeaseRenewMs);
    if (advice === null) return;
    this.#renewAdvisedAt = nodes;
    this.#d.log.warn(
      { nodes, renewMs: this.#c.timings.nodeLeaseRenewMs, writesPerSecond: Math.round(advice.writesPerSecond), suggested: `${advice.suggestedRenewMs / 1000}s` },
      `${nodes} speakers renewing their node Leases every ${this.#c.timings.nodeLeaseRenewMs / 1000}s write ${Math.round(advice.writesPerSecond)} times a second to the API server at rest; set --node-lease-renew=${advice.suggestedRenewMs / 1000}s on every speaker (the chart's speaker.nodeLeaseRenew; docs/operations.md, "Large clusters")`,
    );
  }

  /** SIGTERM / drain: hand every VIP over first (docs/l2.md), then close everything. */
  async stop(opts: { drainMs: number }): Promise<void> {
    clearTimeout(this.#recomputeTimer);
    clearTimeout(this.#periodicPhase);
    clearInterval(this.#periodic);
    let drained = true;
    if (this.#started && opts.drainMs > 0) drained = await this.#driver.drain(opts.drainMs);
    this.#driver.stop();
    this.#backend.close();
    // Only a drained node deletes its node Lease: one that still holds VIPs must stay visible.
    if (drained) await this.#leases.deleteNodeLease();
    else this.#d.log.warn({ node: this.#c.node }, 'drain timed out; VIPs still held go to the next node when this one is seen dead');
    await this.#leases.stop();
    this.#udp?.close();
    await this.#events.flush();
  }

  /**
   * Bound to this node's InternalIPs when they are local, so that heartbeats leave from the
   * address peers check them against (docs/l2.md); on every address otherwise.
   */
  async #openHeartbeats(): Promise<HeartbeatTransport> {
    const local = readLocalInterfaces(this.#d.interfaces, this.#d.interfaceAddresses);
    const mine = new Set(local.ok ? local.value.flatMap((i) => i.addresses) : []);
    const internal = this.#nodeInternalIPs().filter((a) => mine.has(a));
    const open = (addresses: readonly string[]): Promise<HeartbeatTransport> =>
      openHeartbeatTransport({
        port: this.#c.heartbeatPort,
        addresses,
        onDatagram: (bytes, from) => this.#driver.onDatagram(bytes, { address: unmapAddress(from.address), port: from.port }),
        onError: (e) => this.#d.log.debug({ code: e.code, peer: e.address }, `heartbeat transport: ${e.message}`),
      });
    if (internal.length > 0) {
      try {
        return await open(internal);
      } catch (err) {
        this.#d.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot bind heartbeats to the node addresses; using every address');
      }
    }
    return open([]);
  }

  #nodeInternalIPs(): string[] {
    return (this.#inputs.node(this.#c.node)?.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);
  }

  #heartbeatEndpoints(): Endpoint[] {
    const port = this.#udp?.port ?? this.#c.heartbeatPort;
    return this.#nodeInternalIPs().map((address) => ({ address, port }));
  }

  /** A cluster cache changed. */
  inputsChanged(): void {
    this.#inputsDirty = true;
    this.#scheduleRecompute();
  }

  /**
   * A few ms batch a burst of watch events into one pass; and a pass, which costs O(Services)
   * (about 6 ms at 1,000 here), runs at most once per max(100 ms, 20 passes' time): while 1,000
   * Services arrived at 20/s (40 watch events/s), a pass per event cost each speaker 10.6 CPU-s
   * from the first Service to settled, 5.3 with the throttle (issue #10, bench/speaker). A change
   * after a quiet spell still goes out in 5 ms.
   */
  #scheduleRecompute(): void {
    if (!this.#started || this.#recomputeTimer !== undefined) return;
    const throttle = Math.max(RECOMPUTE_MIN_INTERVAL_MS, 20 * this.#lastRecomputeMs);
    const wait = Math.max(RECOMPUTE_BATCH_MS, this.#lastRecomputeAt + throttle - performance.now());
    this.#recomputeTimer = setTimeout(() => {
      this.#recomputeTimer = undefined;
      this.#recompute();
    }, wait);
  }

  /**
   * A pass, when something it reads changed: a cluster cache (its events set `#inputsDirty`) or
   * the local interfaces (read each time: no event tells). The periodic check found nothing new
   * almost always, yet each pass over 1,000 Services with its garbage cost an idle speaker 0.35 %
   * of a core (issue #10, bench/README "Speaker footprint"); `full` passes anyway, every
   * FULL_PASS_EVERY_MS, in case an event was missed.
   */
  #recompute(opts: { full?: boolean; periodic?: boolean } = { full: true }): void {
    if (!this.#inputs.isSynced()) return;
    const started = performance.now();
    // The throttle counts passes that ran, not the periodic checks that found nothing to do.
    if (this.#recomputeNow(opts.full === true, opts.periodic === true)) {
      this.#lastRecomputeAt = started;
      this.#lastRecomputeMs = performance.now() - started;
    }
  }

  /** Whether a pass ran. */
  #recomputeNow(full: boolean, periodic: boolean): boolean {
    const ifaces = readLocalInterfaces(this.#d.interfaces, this.#d.interfaceAddresses);
    if (!ifaces.ok) {
      this.#d.log.error({ code: ifaces.error.code }, `cannot read interfaces: ${ifaces.error.message}`);
      return false;
    }
    const interfaces = JSON.stringify(ifaces.value);
    if (!full && interfaces === this.#lastInterfaces) {
      // The periodic check found only cluster changes: their pass keeps its throttle (a pass per
      // 5 s on top of it, at 5,000 Services, was 60 ms of CPU each in the middle of a join).
      if (periodic && this.#inputsDirty) this.#scheduleRecompute();
      if (periodic || !this.#inputsDirty) return false;
    }
    this.#inputsDirty = false;
    this.#lastInterfaces = interfaces;
    if (full) this.#lastFullPassAt = performance.now();
    const snap = this.#inputs.snapshot();
    const own = new Set(ifaces.value.flatMap((i) => i.addresses));
    if (!sameMembers(own, this.#own)) this.#own = own;
    // What an unchanged pass computed again is dropped young (desired-reuse.ts, issue #10).
    const state = keepUnchanged(this.#desired, desiredAnnouncements({ me: this.#c.node, services: snap.services, slices: snap.slices, nodes: snap.nodes, policies: snap.policies.policies, interfaces: ifaces.value, adapter: this.#c.adapter }));
    const same = state === this.#desired;
    this.#desired = state;
    this.#driver.setNodeAddresses(nodeAddresses(snap.nodes));
    // Given again when unchanged too: the full pass is the safety net for a missed event.
    this.#driver.setDesired(state);
    if (same) return true;
    const m = this.#d.metrics;
    m.vipsEligible.reset();
    for (const a of state.vips.values()) if (a.nodes.has(this.#c.node) && a.interfaces.length > 0) m.vipsEligible.inc({ family: familyLabel(a.ip) });
    return true;
  }

  #updateGauges(): void {
    const view = this.#driver.view();
    const m = this.#d.metrics;
    m.setPeers(Object.values(view.peers));
    m.fenced.set(view.fenced ? 1 : 0);
    m.vipsHeld.reset();
    for (const ip of this.#driver.answering()) m.vipsHeld.inc({ family: familyLabel(ip) });
  }

  #emit(serviceKey: string, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const [namespace = '', name = ''] = serviceKey.split('/');
    const svc = this.#inputs.service(namespace, name);
    this.#events.emit({ kind: 'Service', apiVersion: 'v1', namespace, name, uid: svc?.metadata?.uid }, type, reason, message);
  }

  #started_(ip: string, cause: string, from: string | null, interfaces: readonly string[], services: readonly string[]): void {
    // A resume (start-up, the end of a fence) comes for every VIP at once and is no news to the
    // user: a line at debug (onFence says it once), no Event (docs/l2.md).
    (cause === 'resume' ? this.#d.log.debug : this.#d.log.info).call(this.#d.log, { ip, node: this.#c.node, iface: interfaces.join(','), cause, from }, 'answering');
    if (cause === 'resume') return;
    for (const key of services) this.#emit(key, 'Normal', 'Announcing', `announcing ${ip} from ${this.#c.node} on ${interfaces.join(', ')}`);
  }
}
