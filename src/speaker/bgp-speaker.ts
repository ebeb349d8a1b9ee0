// `herald speaker` in BGP mode: the BGPPeers and BGPAnnouncementPolicies that apply to this node
// become one declarative BgpSession per peer (src/bgp/session.ts), each set to the routes
// desiredRoutes computes (src/bgp/desired.ts). Wiring only; the decisions are in src/bgp/.
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeLink } from '../kube/client.ts';
import { isKubeObject } from '../kube/http.ts';
import { errorMessage } from '../kube/client.ts';
import { watchResource } from '../kube/informer.ts';
import type { WatchedCache } from '../kube/informer.ts';
import type { AdapterOptions } from '../api/service.ts';
import { localConfigFor, parseBgpPolicies, parsePeers } from '../bgp/config.ts';
import type { PeerView } from '../bgp/config.ts';
import { HERALD_GROUP, HERALD_VERSION, BGPPEER_PLURAL, BGPPOLICY_PLURAL } from '../api/names.ts';
import { desiredRoutes } from '../bgp/desired.ts';
import type { BgpDesiredState } from '../bgp/desired.ts';
import { BgpSession } from '../bgp/session.ts';
import type { NextHops } from '../bgp/session.ts';
import { connectTcp, setTtl } from '../net/tcp-socket.ts';
import { setTcpMd5, socketFd } from '../net/tcp-md5.ts';
import { ANN_BGP_SESSIONS } from '../api/names.ts';
import type { BfdSessionStatus, SessionStatus } from '../api/bgp.ts';
import { BfdHub } from '../bfd/hub.ts';
import type { BfdPeerConfig } from '../bfd/hub.ts';
import { DIAG_NAMES } from '../bfd/types.ts';
import type { BfdState } from '../bfd/types.ts';
import { openUdpSocket } from '../net/udp-socket.ts';
import { nextHopsFor } from './next-hops.ts';
import type { KubeInputs } from './kube-inputs.ts';
import type { SpeakerMetrics } from './metrics.ts';

export interface BgpSpeakerConfig {
  node: string;
  namespace: string;
  adapter: AdapterOptions;
  /** Where peers may connect to us (RFC 4271: 179); 0 = active sessions only. */
  listenPort: number;
}

export interface BgpSpeakerDeps {
  clients: KubeLink;
  inputs: KubeInputs;
  log: Logger;
  metrics: SpeakerMetrics;
}

type Obj = KubernetesObject & { spec?: unknown };

/** One key of a Secret as the server sends it (base64), or undefined. */
function secretValue(secret: unknown, key: string): string | undefined {
  if (typeof secret !== 'object' || secret === null || !('data' in secret)) return undefined;
  const data = secret.data;
  if (typeof data !== 'object' || data === null) return undefined;
  const v: unknown = (data as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

interface Running {
  session: BgpSession;
  /** The configuration it was started with: a change restarts the session. */
  key: string;
  peer: PeerView;
  /** The table last given to `set`: the same table again (no input changed) is not walked again. */
  routes?: RouteTable;
}

type RouteTable = Parameters<BgpSession['set']>[0];
const NO_ROUTES: RouteTable = new Map();

/** A burst of watch events within this long becomes one reconcile pass. */
export const RECONCILE_BATCH_MS = 20;
/** Passes start at most once per max(this, 20 passes' time) while changes keep coming (as the L2 side's recompute). */
const RECONCILE_MIN_INTERVAL_MS = 100;
/** The desired routes are computed again even when no input says it changed (a missed watch event would otherwise stand). */
const FULL_PASS_EVERY_MS = 60_000;


const CLOCK = { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>) };

export class BgpSpeaker {
  readonly #c: BgpSpeakerConfig;
  readonly #d: BgpSpeakerDeps;
  readonly #peers: WatchedCache<Obj>;
  readonly #policies: WatchedCache<Obj>;
  readonly #sessions = new Map<string, Running>();
  readonly #passwords = new Map<string, string>();
  /** Per peer: FSM state, since when, prefixes advertised (published by `statusAnnotations`). */
  readonly #status = new Map<string, SessionStatus>();
  #server: Server | null = null;
  readonly #bfd: BfdHub;
  /** Per peer with BFD: its state for `statusAnnotations` (kept apart: a BGP restart keeps BFD running). */
  readonly #bfdStatus = new Map<string, BfdSessionStatus>();
  /** The last BFD set-up error logged per peer, so a retried failure is logged once. */
  readonly #bfdErrors = new Map<string, string>();
  #stopping = false;
  #scheduled: ReturnType<typeof setTimeout> | undefined;
  /**
   * The desired state of the last pass that computed it, reused while no input changed: every
   * watch event of the caches it reads comes through `schedule`, which sets `#dirty`. The
   * periodic reconcile recomputed 1,000 Services' routes every 5 s at rest, about half of a BGP
   * speaker's CPU at steady state (issue #10, bench/README.md "Speaker footprint").
   */
  #computed: BgpDesiredState | undefined;
  #computations = 0;
  #computedAt = -Infinity;
  #dirty = true;
  /** When the last pass started and how long it took (ms, monotonic): the next waits for the throttle. */
  #lastPassAt = -Infinity;
  #lastPassMs = 0;
  readonly synced: Promise<void>;

  constructor(c: BgpSpeakerConfig, d: BgpSpeakerDeps, onChange: () => void) {
    this.#c = c;
    this.#d = d;
    const path = (plural: string) => `/apis/${HERALD_GROUP}/${HERALD_VERSION}/${plural}`;
    // A missing CRD is a 404, which ApiHealth names with the fix (issue #13).
    const list = (plural: string) => () => d.clients.http.list<Obj>(path(plural), isKubeObject);
    this.#peers = watchResource<Obj>({ kc: d.clients.kc, path: path(BGPPEER_PLURAL), list: list(BGPPEER_PLURAL), log: d.log, onEvent: onChange });
    this.#policies = watchResource<Obj>({ kc: d.clients.kc, path: path(BGPPOLICY_PLURAL), list: list(BGPPOLICY_PLURAL), log: d.log, onEvent: onChange });
    this.synced = Promise.all([this.#peers.synced, this.#policies.synced]).then(() => undefined);
    this.#bfd = new BfdHub({
      openUdp: openUdpSocket,
      clock: CLOCK,
      random: Math.random,
      hooks: {
        onState: (name, from, to, diag) => this.#bfdState(name, from, to, diag),
        onPacket: (name, direction) => d.metrics.bfdPackets.inc({ peer: name, direction }),
        onDiscard: (reason) => d.metrics.bfdDiscarded.inc({ reason }),
        onError: (what, e) => d.log.debug({ code: e.code }, `${what}: ${e.message}`),
      },
    });
  }

  /** How many times the desired routes were computed (tests and benchmarks: a pass with no input changed reuses the last). */
  get computations(): number {
    return this.#computations;
  }

  isSynced(): boolean {
    return this.#peers.isSynced() && this.#policies.isSynced();
  }

  async start(): Promise<void> {
    if (this.#c.listenPort === 0) return;
    const server = createServer({ noDelay: true }, (s) => this.#inbound(s));
    server.on('error', (err) => this.#d.log.error({ err: err.message }, 'BGP listener failed'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#c.listenPort, '::', () => resolve());
    });
    this.#server = server;
  }

  /**
   * Something changed: reconcile soon, once for a whole burst of watch events. Reconciling on
   * every event made 1,000 Services created in a row cost 1,000 full passes, which blocked the
   * event loop past the hold time, and every session dropped (bench/bgp Finding 1).
   */
  schedule(): void {
    this.#dirty = true;
    if (this.#stopping || this.#scheduled !== undefined) return;
    // While Services keep arriving, a pass (O(Services)) at most once per max(100 ms, 20 passes'
    // time): 1,000 Services at 20/s otherwise cost a pass every 20 ms, O(n²) over the burst
    // (issue #10). A change after a quiet spell still goes out in RECONCILE_BATCH_MS.
    const throttle = Math.max(RECONCILE_MIN_INTERVAL_MS, 20 * this.#lastPassMs);
    const wait = Math.max(RECONCILE_BATCH_MS, this.#lastPassAt + throttle - performance.now());
    this.#scheduled = setTimeout(() => {
      this.#scheduled = undefined;
      this.reconcile();
    }, wait);
  }

  /** Sessions and routes brought to what the caches say; the routes computed again only when an input changed (or FULL_PASS_EVERY_MS passed). Idempotent. */
  reconcile(): void {
    if (this.#stopping || !this.isSynced() || !this.#d.inputs.isSynced()) return;
    const started = performance.now();
    try {
      this.#reconcile(started);
    } finally {
      this.#lastPassAt = started;
      this.#lastPassMs = performance.now() - started;
    }
  }

  #desired(now: number): BgpDesiredState {
    if (this.#computed !== undefined && !this.#dirty && now - this.#computedAt < FULL_PASS_EVERY_MS) return this.#computed;
    const snap = this.#d.inputs.snapshot();
    const peers = parsePeers(this.#peers.list());
    const policies = parseBgpPolicies(this.#policies.list());
    for (const [name, e] of [...peers.errors, ...policies.errors]) this.#d.log.debug({ name, code: e.code }, `ignored: ${e.message}`);
    const state = desiredRoutes({ me: this.#c.node, nodes: snap.nodes, services: snap.services, slices: snap.slices, peers: peers.valid, policies: policies.valid, adapter: this.#c.adapter });
    // Clean only once computed: a pass that threw leaves the next one to compute again.
    this.#dirty = false;
    this.#computed = state;
    this.#computedAt = now;
    this.#computations++;
    return this.#computed;
  }

  #reconcile(now: number): void {
    const state = this.#desired(now);
    const me = this.#d.inputs.node(this.#c.node);
    const wanted = new Set(state.sessions.map((p) => p.name));
    for (const [name, r] of this.#sessions) {
      if (!wanted.has(name)) this.#retire(name, r, 'peer removed or no longer selects this node');
    }
    if (me === undefined) return;
    for (const peer of state.sessions) {
      const local = localConfigFor(peer, me);
      const password = peer.password === null ? null : (this.#passwords.get(`${peer.password.secretName}/${peer.password.key}`) ?? null);
      // BFD timers are changed on the running session (a Poll Sequence), never by a BGP restart.
      const { bfd, ...bgpOnly } = peer;
      const key = JSON.stringify({ peer: bgpOnly, local, password });
      let r = this.#sessions.get(peer.name);
      if (r !== undefined && r.key !== key) {
        this.#retire(peer.name, r, 'configuration changed');
        r = undefined;
      }
      if (r === undefined) {
        if (peer.password !== null && password === null) {
          void this.#loadPassword(peer.password.secretName, peer.password.key);
          continue; // started once the key is read
        }
        r = { session: this.#session(peer, local, password), key, peer };
        this.#sessions.set(peer.name, r);
        this.#listenerKey(peer.peerAddress, password);
        // R bit set on every session this process starts (RFC 4724 §4.1: a restarting speaker
        // MUST set it). A router that held our paths through a restart keeps them, marked
        // stale, until our End-of-RIB; some routers flush them on an OPEN without R
        // (cilium/cilium#28168). Set on a first start too: it only tells the router not to wait
        // for our End-of-RIB before sending its own routes, which Herald does not install. The
        // L2/BGP chaos bench saw R = 0 in 20 of 20 restarts (issue #14).
        r.session.start(true);
      }
      const table = state.routes.get(peer.name) ?? NO_ROUTES;
      if (r.routes !== table) {
        r.session.set(table);
        r.routes = table;
      }
      this.#syncBfd(peer.name, bfd === null ? null : { peerAddress: peer.peerAddress, family: peer.peerFamily === 'IPv6' ? 6 : 4, localAddress: peer.sourceAddress, timers: { desiredMinTxUs: bfd.minTxMs * 1000, requiredMinRxUs: bfd.minRxMs * 1000, detectMult: bfd.detectMultiplier } });
    }
    for (const name of this.#bfd.names()) if (!this.#sessions.has(name)) this.#syncBfd(name, null);
  }

  /** Starts, retimes or ends the BFD session beside a peer's BGP session (spec.bfd). */
  #syncBfd(name: string, config: BfdPeerConfig | null): void {
    if (config === null) {
      if (!this.#bfd.names().includes(name)) return;
      this.#bfd.delete(name);
      this.#d.metrics.setBfdState(name, null);
      this.#bfdStatus.delete(name);
      return;
    }
    const r = this.#bfd.set(name, config);
    if (r.ok) {
      this.#bfdErrors.delete(name);
      if (!this.#bfdStatus.has(name)) {
        // A new session starts Down (RFC 5880 §6.8.1) and says so until its first change.
        this.#bfdStatus.set(name, { state: 'Down', diag: 'none', since: new Date().toISOString() });
        this.#d.metrics.setBfdState(name, 'Down');
      }
      return;
    }
    if (this.#bfdErrors.get(name) === r.error.message) return;
    this.#bfdErrors.set(name, r.error.message);
    this.#d.log.warn({ peer: name, code: r.error.code }, `BFD session not started: ${r.error.message}; retried on the next change`);
  }

  /**
   * A BFD state change. Up → Down (the peer's packets stopped, or it said it is down) takes the
   * BGP session down at once (RFC 5882 §4.3): the router, which runs BFD too, has dropped our
   * paths by now, and a session kept up would look healthy while it carries nothing.
   */
  #bfdState(name: string, from: BfdState, to: BfdState, diag: number): void {
    const diagName = DIAG_NAMES[diag] ?? String(diag);
    this.#d.metrics.setBfdState(name, to);
    this.#bfdStatus.set(name, { state: to, diag: diagName, since: new Date().toISOString() });
    const log = { peer: name, from, to, diag: diagName };
    if (from === 'Up') {
      this.#d.metrics.bfdSessionDowns.inc({ peer: name, diag: diagName });
      this.#d.log.warn(log, 'BFD session down: tearing the BGP session down');
      this.#sessions.get(name)?.session.bfdDown();
    } else {
      this.#d.log.info(log, 'BFD session state');
    }
  }

  /**
   * SIGTERM. `shutdown` (a drain, a node leaving) withdraws everything now with Cease (RFC 9003);
   * `restart` (an upgrade) lets routers keep our routes for the restart time (RFC 4724).
   */
  async stop(mode: 'shutdown' | 'restart', message: string): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#scheduled);
    await Promise.all([...this.#sessions.values()].map((r) => r.session.stop(mode, message)));
    this.#sessions.clear();
    // A shutdown says AdminDown, so routers do not count it as a failure (RFC 5880 §6.8.16); a
    // restart goes quiet, as its BGP sessions do, and the routers' graceful restart covers it.
    this.#bfd.close(mode === 'shutdown');
    await new Promise<void>((resolve) => (this.#server === null ? resolve() : this.#server.close(() => resolve())));
    await Promise.all([this.#peers.stop(), this.#policies.stop()]);
  }

  #session(peer: PeerView, local: ReturnType<typeof localConfigFor>, password: string | null): BgpSession {
    const m = this.#d.metrics;
    const log = this.#d.log.child({ peer: peer.name });
    const family = peer.peerFamily === 'IPv6' ? 6 : 4;
    return new BgpSession({
      name: peer.name,
      peerAddress: peer.peerAddress,
      peerPort: peer.peerPort,
      local,
      connect: async () => {
        const r = await connectTcp({ host: peer.peerAddress, port: peer.peerPort, family, timeoutMs: 5000, ttl: peer.ttl, ...(peer.minTtl === null ? {} : { minTtl: peer.minTtl }), ...(peer.sourceAddress === null ? {} : { bind: peer.sourceAddress }), ...(password === null ? {} : { md5Key: password }) });
        if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
        return r.value;
      },
      nextHops: (localAddress): NextHops => nextHopsFor(localAddress, peer.peerAddress, this.#d.inputs.node(this.#c.node), networkInterfaces()),
      clock: CLOCK,
      random: Math.random,
      hooks: {
        onState: (st) => {
          m.setBgpState(peer.name, st);
          const prev = this.#status.get(peer.name);
          this.#status.set(peer.name, { peer: peer.name, state: st, since: new Date().toISOString(), prefixes: prev?.prefixes ?? { ipv4: 0, ipv6: 0 } });
          log.info({ state: st }, 'BGP session state');
        },
        onEstablished: (n) => {
          m.bgpSessionsEstablished.inc({ peer: peer.name });
          log.info({ holdTime: n.holdTimeSeconds, families: n.families, gracefulRestart: n.gracefulRestart }, 'BGP session established');
        },
        onDown: (reason) => log.warn({ reason: reason.kind, ...('notification' in reason ? { code: reason.notification.code, subcode: reason.notification.subcode } : {}) }, 'BGP session down'),
        onMessage: (direction, type) => m.bgpMessages.inc({ peer: peer.name, direction, type }),
        onNotification: (direction, n) => m.bgpNotifications.inc({ peer: peer.name, direction, code: String(n.code), subcode: String(n.subcode) }),
        onAdvertised: (counts) => {
          for (const [f, n] of Object.entries(counts)) m.bgpPrefixesAdvertised.set({ peer: peer.name, family: f }, n);
          const st = this.#status.get(peer.name);
          if (st !== undefined) st.prefixes = { ipv4: counts.ipv4, ipv6: counts.ipv6 };
        },
        onSkipped: (_prefix, reason) => m.bgpPrefixesSkipped.inc({ peer: peer.name, reason }),
        onError: (what, err) => log.debug({ err: errorMessage(err) }, `${what} error`),
      },
    });
  }

  /** The sessions of this node, as an annotation of its node Lease (docs/bgp.md, "Seeing session state"). */
  statusAnnotations(): Record<string, string> {
    const list = [...this.#status.values()].sort((a, b) => (a.peer < b.peer ? -1 : 1)).map((s) => {
      const bfd = this.#bfdStatus.get(s.peer);
      return bfd === undefined ? s : { ...s, bfd };
    });
    return list.length === 0 ? {} : { [ANN_BGP_SESSIONS]: JSON.stringify(list) };
  }

  #retire(name: string, r: Running, why: string): void {
    this.#sessions.delete(name);
    this.#status.delete(name);
    this.#d.metrics.setBgpState(name, null);
    this.#d.log.info({ peer: name, why }, 'stopping BGP session');
    void r.session.stop('shutdown', why);
  }

  async #loadPassword(secret: string, key: string): Promise<void> {
    try {
      const s = await this.#d.clients.http.json({ method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(this.#c.namespace)}/secrets/${encodeURIComponent(secret)}` });
      const b64 = secretValue(s, key);
      if (b64 === undefined) throw new Error(`Secret ${this.#c.namespace}/${secret} has no key "${key}"`);
      this.#passwords.set(`${secret}/${key}`, Buffer.from(b64, 'base64').toString('utf8'));
      this.reconcile();
    } catch (err) {
      // Never logged: the key itself. Retried on the next reconcile (every few seconds).
      this.#d.log.warn({ secret, err: errorMessage(err) }, 'cannot read the BGP password Secret; the session waits for it');
    }
  }

  /** RFC 2385: the listening socket needs the key before the peer's SYN arrives. */
  #listenerKey(peer: string, password: string | null): void {
    if (this.#server === null || password === null) return;
    const fd = socketFd(this.#server);
    const r = fd.ok ? setTcpMd5(fd.value, peer, password) : fd;
    if (!r.ok) this.#d.log.warn({ peer, code: r.error.code }, `cannot install the TCP MD5 key on the listener: ${r.error.message}`);
  }

  #inbound(socket: Socket): void {
    const remote = (socket.remoteAddress ?? '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
    const r = [...this.#sessions.values()].find((x) => x.peer.peerAddress === remote);
    if (r === undefined || this.#stopping) {
      socket.destroy(); // not a configured peer (RFC 4271 §8: unconfigured connections are refused)
      return;
    }
    if (r.peer.minTtl !== null) setTtl(socket, { ttl: r.peer.ttl, minTtl: r.peer.minTtl });
    r.session.acceptInbound(socket);
  }
}
