// The lab's network: real hosts in network namespaces on one Ethernet segment (issue #3, "The
// lab"). The segment is a bridge in its own namespace, so the root namespace gains nothing but,
// when asked, one veth into the segment for the controller and the API server stand-in, on a
// management network of its own (198.19.k.254; see plan.ts for why not 192.0.2.0/24).
// Each node and the client is a namespace with one veth `eth0` on the bridge.
//
//   root ns ── <prefix>-h ─┐
//                          │  <prefix>-seg: br0 (no STP, no multicast snooping, no IPv6 of its own)
//   <prefix>-node-a: eth0 ─┤
//   <prefix>-node-b: eth0 ─┤
//   <prefix>-client: eth0 ─┘
//
// Everything made is recorded as it is made, so close() — and the exit hooks, and a failed
// build — remove exactly that, and nothing that existed before.
import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError, messageOf } from './errors.ts';
import { run } from './exec.ts';
import type { ExecOptions, ExecResult } from './exec.ts';
import { closeAtExit } from './exit-hooks.ts';
import { takeSlot } from './host-slot.ts';
import { HOST_SYSCTLS, SEGMENT_SYSCTLS, hostLinkSysctls, ipIn, linkInfo, nsSysctls, rootAddresses, waitOperstate } from './links.ts';
import { hostIfaceName, inMgmtNet, planNetwork } from './plan.ts';
import type { EndpointPlan, NetworkPlan } from './plan.ts';
import { driveAsync, driveSync, teardownPlan } from './teardown.ts';

export type { ExecOptions, ExecResult } from './exec.ts';
export { LabError, isLabError } from './errors.ts';
export type { LabErrorCode } from './errors.ts';
export { DEFAULT_LAB_PATTERN, cleanupStaleLabs } from './stale.ts';
export type { StaleCleanup } from './stale.ts';

/** The steps of a build, in order, as passed to `onStep`. */
export type BuildStep = 'host-slot' | 'namespaces' | 'segment' | `attach ${string}` | 'host-link' | 'carrier';

export interface LabNetworkOptions {
  /** Names everything: namespaces `<prefix>-seg`, `<prefix>-node-a`…, `<prefix>-client`, host
   *  link `<prefix>-h`. `[a-z][a-z0-9]{0,11}`; default `hl<pid>n<counter>` (see cleanupStaleLabs). */
  readonly prefix?: string;
  /** 1..26 nodes: node-a at 192.0.2.11, node-b at .12, … */
  readonly nodes: number;
  /** Also give every host its 2001:db8::/64 address. */
  readonly ipv6: boolean;
  /** Add a router namespace `<prefix>-router` on the segment at 192.0.2.1 (the BGP lab's ToR). */
  readonly router?: boolean;
  /** Join the root namespace to the segment on a management network of the lab's own:
   *  198.19.k.254 there, 198.19.k.11… on the nodes (k = 0 unless other labs run; plan.ts). */
  readonly hostLink: boolean;
  /** Called (and awaited) before each step; a throw aborts the build, which then cleans up. */
  readonly onStep?: (step: BuildStep) => void | Promise<void>;
  /** Tear down at process exit and on SIGINT/SIGTERM/SIGHUP if still open (default true). */
  readonly closeAtExit?: boolean;
  /** close() sends SIGTERM to spawned processes, then SIGKILL after this long (default 2000 ms). */
  readonly killGraceMs?: number;
}

/** A node or the client: a namespace with one interface on the segment. */
export interface LabHost {
  readonly name: string;
  readonly ns: string;
  readonly iface: 'eth0';
  /** eth0's ifindex inside `ns`. */
  readonly ifindex: number;
  readonly mac: string;
  readonly ipv4: string;
  readonly ipv6: string | null;
  /** Its second address on eth0, on the management network, when the lab has a host link. */
  readonly mgmt: { readonly ipv4: string; readonly ipv6: string | null } | null;
}

/** The root namespace's veth into the segment, with its management-network addresses. */
export interface LabHostLink {
  readonly iface: string;
  readonly mac: string;
  readonly ipv4: string;
  readonly ipv6: string | null;
}

export interface SpawnInOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Default ['ignore', 'pipe', 'pipe']: read the pipes, or a chatty child blocks on them. */
  readonly stdio?: StdioOptions;
}

export interface LabNetwork {
  readonly prefix: string;
  readonly segment: { readonly ns: string; readonly bridge: 'br0' };
  readonly nodes: readonly LabHost[];
  readonly client: LabHost;
  /** The router namespace, when the lab was built with `router: true`. */
  readonly router: LabHost | null;
  readonly host: LabHostLink | null;
  /** Runs `ip netns exec ns argv…` to completion. */
  exec(ns: string, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Starts a long-running process in `ns` (its own process group); killed on close. */
  spawnIn(ns: string, argv: readonly string[], opts?: SpawnInOptions): ChildProcess;
  /** The segment's port of a node (or 'client') goes down: the host sees NO-CARRIER, like a pulled cable. */
  linkDown(name: string): Promise<void>;
  linkUp(name: string): Promise<void>;
  /** The host is cut off the bridge while its own link stays up: a silent partition. */
  partition(name: string): Promise<void>;
  heal(name: string): Promise<void>;
  /** Idempotent: kills spawned processes (SIGTERM, then SIGKILL after killGraceMs), removes everything made. */
  close(): Promise<void>;
}

const KILL_GRACE_MS = 2000;

class Lab implements LabNetwork {
  readonly prefix: string;
  readonly segment: { readonly ns: string; readonly bridge: 'br0' };
  nodes: LabHost[] = [];
  #client: LabHost | null = null;
  router: LabHost | null = null;
  host: LabHostLink | null = null;
  #plan: NetworkPlan;
  readonly #killGraceMs: number;
  readonly #made: { namespaces: string[]; hostIface: string | null } = { namespaces: [], hostIface: null };
  readonly #children = new Map<ChildProcess, Promise<void>>();
  #releaseHostLink: (() => void) | null = null;
  #unregister: () => void = () => undefined;
  #closed = false;
  #closing: Promise<void> | null = null;

  constructor(plan: NetworkPlan, killGraceMs: number) {
    this.#plan = plan;
    this.#killGraceMs = killGraceMs;
    this.prefix = plan.prefix;
    this.segment = { ns: plan.segmentNs, bridge: 'br0' };
  }

  registerForExit(): void {
    this.#unregister = closeAtExit(this);
  }

  async build(opts: LabNetworkOptions): Promise<void> {
    const step = async (s: BuildStep) => {
      this.#assertOpen(); // closed meanwhile by a signal whose other listeners kept us running
      await opts.onStep?.(s);
    };
    if (opts.hostLink) {
      await step('host-slot');
      const holder = { pid: process.pid, prefix: this.prefix, iface: hostIfaceName(this.prefix) };
      // A slot whose networks hold none of the root namespace's addresses: no competing routes.
      const usable = async (slot: number) => !(await rootAddresses()).some((a) => inMgmtNet(slot, a));
      const { slot, release } = await takeSlot(holder, usable);
      this.#releaseHostLink = release;
      this.#plan = planNetwork({ ...opts, prefix: this.prefix }, slot);
    }
    const plan = this.#plan;
    const endpoints = [...plan.nodes, plan.client, ...(plan.router === null ? [] : [plan.router])];
    await step('namespaces');
    await this.#addNamespace(plan.segmentNs, SEGMENT_SYSCTLS);
    for (const e of endpoints) await this.#addNamespace(e.ns, HOST_SYSCTLS);
    await step('segment');
    await ipIn(plan.segmentNs, 'link', 'add', 'br0', 'index', '10', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0');
    await ipIn(plan.segmentNs, 'link', 'set', 'br0', 'up');
    for (const e of endpoints) {
      await step(`attach ${e.name}`);
      await this.#attach(e);
    }
    if (plan.hostLink !== null) {
      const h = plan.hostLink;
      await step('host-link');
      await ipIn(null, 'link', 'add', h.iface, 'address', h.mac, 'type', 'veth', 'peer', 'name', 'host', 'index', String(h.portIndex), 'netns', plan.segmentNs);
      this.#made.hostIface = h.iface;
      hostLinkSysctls(h.iface); // while it is still down: nothing arrives before they hold
      await ipIn(plan.segmentNs, 'link', 'set', 'host', 'master', 'br0', 'up');
      await ipIn(null, 'addr', 'add', `${h.ipv4}/24`, 'dev', h.iface);
      if (h.ipv6 !== null) await ipIn(null, 'addr', 'add', `${h.ipv6}/64`, 'dev', h.iface, 'nodad');
      await ipIn(null, 'link', 'set', h.iface, 'up');
      this.host = { iface: h.iface, mac: h.mac, ipv4: h.ipv4, ipv6: h.ipv6 };
    }
    await step('carrier');
    // IPv6 joins the addresses' solicited-node groups only once the carrier is up.
    for (const e of endpoints) await waitOperstate(e.ns, 'eth0', 'UP');
    if (plan.hostLink !== null) await waitOperstate(null, plan.hostLink.iface, 'UP');
    const hosts = await Promise.all(endpoints.map((e) => this.#describe(e)));
    if (plan.router !== null) this.router = hosts.pop() ?? null;
    this.#client = hosts.pop() ?? null;
    this.nodes = hosts;
  }

  get client(): LabHost {
    if (this.#client === null) throw new LabError('Closed', `lab ${this.prefix} was never built`);
    return this.#client;
  }

  async #addNamespace(ns: string, settings: Readonly<Record<string, number>>): Promise<void> {
    await ipIn(null, 'netns', 'add', ns);
    this.#made.namespaces.push(ns);
    await nsSysctls(ns, settings);
    await ipIn(ns, 'link', 'set', 'lo', 'up');
  }

  async #attach(e: EndpointPlan): Promise<void> {
    const seg = this.#plan.segmentNs;
    await ipIn(seg, 'link', 'add', e.name, 'index', String(e.portIndex), 'type', 'veth', 'peer', 'name', 'eth0', 'address', e.mac, 'netns', e.ns);
    await ipIn(seg, 'link', 'set', e.name, 'master', 'br0', 'up');
    await ipIn(e.ns, 'addr', 'add', `${e.ipv4}/24`, 'dev', 'eth0');
    if (e.ipv6 !== null) await ipIn(e.ns, 'addr', 'add', `${e.ipv6}/64`, 'dev', 'eth0', 'nodad');
    if (e.mgmt !== null) await ipIn(e.ns, 'addr', 'add', `${e.mgmt.ipv4}/24`, 'dev', 'eth0');
    if (e.mgmt !== null && e.mgmt.ipv6 !== null) await ipIn(e.ns, 'addr', 'add', `${e.mgmt.ipv6}/64`, 'dev', 'eth0', 'nodad');
    await ipIn(e.ns, 'link', 'set', 'eth0', 'up');
  }

  async #describe(e: EndpointPlan): Promise<LabHost> {
    const info = await linkInfo(e.ns, 'eth0');
    return { name: e.name, ns: e.ns, iface: 'eth0', ifindex: info.ifindex, mac: info.mac, ipv4: e.ipv4, ipv6: e.ipv6, mgmt: e.mgmt };
  }

  #endpoint(name: string): EndpointPlan {
    this.#assertOpen();
    const e = [...this.#plan.nodes, this.#plan.client, ...(this.#plan.router === null ? [] : [this.#plan.router])].find((x) => x.name === name);
    if (e === undefined) throw new LabError('UnknownHost', `no host ${JSON.stringify(name)} in lab ${this.prefix} (nodes: ${this.#plan.nodes.map((n) => n.name).join(', ')}; client)`);
    return e;
  }

  #assertOpen(): void {
    if (this.#closed) throw new LabError('Closed', `lab ${this.prefix} is closed`);
  }

  #assertOurs(ns: string): void {
    this.#assertOpen();
    if (!this.#made.namespaces.includes(ns)) throw new LabError('UnknownNamespace', `${ns} is not a namespace of lab ${this.prefix}`);
  }

  exec(ns: string, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    try {
      this.#assertOurs(ns);
    } catch (err) {
      return Promise.reject(err);
    }
    return run(['ip', 'netns', 'exec', ns, ...argv], opts);
  }

  spawnIn(ns: string, argv: readonly string[], opts: SpawnInOptions = {}): ChildProcess {
    this.#assertOurs(ns);
    // `ip netns exec` execs the program, so the child's pid is the program's; its own process
    // group lets close() reach whatever it starts in turn.
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { detached: true, stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'], env: opts.env, cwd: opts.cwd });
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve()); // spawn failure: the caller sees it on the child
    });
    this.#children.set(child, exited);
    void exited.then(() => this.#children.delete(child));
    return child;
  }

  async linkDown(name: string): Promise<void> {
    const e = this.#endpoint(name);
    await ipIn(this.#plan.segmentNs, 'link', 'set', e.name, 'down');
    await waitOperstate(e.ns, 'eth0', 'not UP');
  }

  async linkUp(name: string): Promise<void> {
    const e = this.#endpoint(name);
    await ipIn(this.#plan.segmentNs, 'link', 'set', e.name, 'up');
    await waitOperstate(e.ns, 'eth0', 'UP');
  }

  async partition(name: string): Promise<void> {
    await ipIn(this.#plan.segmentNs, 'link', 'set', this.#endpoint(name).name, 'nomaster');
  }

  async heal(name: string): Promise<void> {
    // Without STP a port forwards as soon as it joins (forward_delay 0).
    await ipIn(this.#plan.segmentNs, 'link', 'set', this.#endpoint(name).name, 'master', 'br0');
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    const problems = await this.#stopChildren();
    problems.push(...(await driveAsync(teardownPlan(this.#made))));
    this.#finish(problems);
    if (problems.length > 0) throw new LabError('CleanupIncomplete', `lab ${this.prefix} left: ${problems.join('; ')}`);
  }

  /** For the exit hooks: no waiting, SIGKILL at once. */
  closeSync(): void {
    this.#closed = true;
    const problems: string[] = [];
    for (const child of this.#children.keys()) signalGroup(child, 'SIGKILL', problems);
    try {
      problems.push(...driveSync(teardownPlan(this.#made)));
    } catch (err) {
      problems.push(messageOf(err));
    }
    this.#finish(problems);
    if (problems.length > 0) process.stderr.write(`herald lab: lab ${this.prefix} left: ${problems.join('; ')}\n`);
  }

  /** Leaves the lab registered for exit (so the exit hook tries again) when something remains. */
  #finish(problems: string[]): void {
    if (problems.length > 0) return;
    this.#releaseHostLink?.();
    this.#releaseHostLink = null;
    this.#unregister();
  }

  /** SIGTERM to each process group, SIGKILL to those still there after the grace time. */
  async #stopChildren(): Promise<string[]> {
    const problems: string[] = [];
    const running = [...this.#children];
    if (running.length === 0) return problems;
    for (const [child] of running) signalGroup(child, 'SIGTERM', problems);
    const all = Promise.all(running.map(([, exited]) => exited));
    const grace = new AbortController();
    const late = sleep(this.#killGraceMs, 'late', { signal: grace.signal }).catch(() => 'cancelled');
    const first = await Promise.race([all.then(() => 'done'), late]);
    grace.abort();
    if (first === 'late') {
      for (const [child] of running) signalGroup(child, 'SIGKILL', problems);
      if (problems.length === 0) await all;
    }
    return problems;
  }
}

/** Signals the child's process group; a group already gone is fine, other failures are noted. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals, problems: string[]): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch (err) {
    if (!(err instanceof Error && 'code' in err && err.code === 'ESRCH')) problems.push(`${signal} to process group ${child.pid}: ${messageOf(err)}`);
  }
}

/**
 * Builds the lab's network. On any failure everything made so far is removed and the error is
 * thrown (a LabError with code CleanupIncomplete, caused by the original, if even that failed).
 */
export async function buildLabNetwork(opts: LabNetworkOptions): Promise<LabNetwork> {
  const grace = opts.killGraceMs ?? KILL_GRACE_MS;
  if (!(Number.isFinite(grace) && grace >= 0)) throw new LabError('InvalidOptions', `killGraceMs must be a non-negative number of milliseconds, got ${grace}`);
  const lab = new Lab(planNetwork(opts, null), grace);
  if (opts.closeAtExit !== false) lab.registerForExit();
  try {
    await lab.build(opts);
  } catch (err) {
    try {
      await lab.close();
    } catch (cleanup) {
      throw new LabError('CleanupIncomplete', `${messageOf(cleanup)} (after the build failed: ${messageOf(err)})`, { cause: err });
    }
    throw err;
  }
  return lab;
}
