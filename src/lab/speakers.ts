// The L2 lab's speakers: one `herald speaker` process per node namespace, its output in a log
// file, started, signalled and restarted by node name. The network (netns.ts) owns the
// processes for cleanup: whatever is spawned here dies with the lab, even on a failed start.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError, messageOf } from './errors.ts';
import type { LabHost, LabNetwork } from './netns.ts';

export const SPEAKER_METRICS_PORT = 9423; // as in deploy/speaker.yaml
export const SPEAKER_HEALTH_PORT = 9424;
export const HEARTBEAT_PORT = 9425;

export interface SpeakerSpec {
  readonly node: LabHost;
  /**
   * The whole command line, run inside the node's namespace; a function is asked at every start
   * (an upgrade rolls nodes to another build between a stop and the next start).
   */
  readonly argv: readonly string[] | (() => readonly string[]);
  readonly logFile: string;
  /** `host:port` of its /healthz, reachable from the root namespace (the node's mgmt address). */
  readonly health: string;
}

/**
 * `herald speaker`'s flags for one lab node (the contract in issue #3 and docs/l2.md). The
 * heartbeats are signed with `heartbeatKeyFile`, as in a cluster (issue #14: the speaker refuses
 * to start without a key unless told --insecure-heartbeats); writeHeartbeatKey makes one.
 */
export function speakerFlags(node: LabHost, kubeconfig: string, namespace: string, logLevel: string, heartbeatKeyFile: string): string[] {
  const mgmt = node.mgmt?.ipv4;
  if (mgmt === undefined) throw new LabError('InvalidOptions', `node ${node.name} has no management address: build the lab with hostLink: true`);
  return ['--node-name', node.name, '--kubeconfig', kubeconfig, '--namespace', namespace, '--metrics-addr', `${mgmt}:${SPEAKER_METRICS_PORT}`, '--health-addr', `${mgmt}:${SPEAKER_HEALTH_PORT}`, '--heartbeat-port', String(HEARTBEAT_PORT), '--heartbeat-key-file', heartbeatKeyFile, '--log-level', logLevel];
}

/** A fresh 32-byte heartbeat key in `dir` (mode 0600), shared by the lab's speakers; returns its path. */
export function writeHeartbeatKey(dir: string): string {
  const file = join(dir, 'heartbeat.key');
  writeFileSync(file, randomBytes(32), { mode: 0o600 });
  return file;
}

export function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
}

export class Speakers {
  readonly #network: LabNetwork;
  readonly #specs: ReadonlyMap<string, SpeakerSpec>;
  readonly #running = new Map<string, Running>();

  constructor(network: LabNetwork, specs: readonly SpeakerSpec[]) {
    this.#network = network;
    this.#specs = new Map(specs.map((s) => [s.node.name, s]));
  }

  #spec(node: string): SpeakerSpec {
    const s = this.#specs.get(node);
    if (s === undefined) throw new LabError('UnknownHost', `no speaker for ${JSON.stringify(node)} (nodes: ${[...this.#specs.keys()].join(', ')})`);
    return s;
  }

  isRunning(node: string): boolean {
    const r = this.#running.get(node);
    return r !== undefined && r.child.exitCode === null && r.child.signalCode === null;
  }

  /** The pid of the node's speaker (the last one started), or undefined. */
  pid(node: string): number | undefined {
    return this.#running.get(node)?.child.pid;
  }

  /** Starts the node's speaker and waits (up to `timeoutMs`) until its /healthz answers 200. */
  async start(node: string, timeoutMs = 20_000): Promise<void> {
    const spec = this.#spec(node);
    if (this.isRunning(node)) throw new LabError('InvalidOptions', `the speaker on ${node} is already running`);
    const fd = openSync(spec.logFile, 'a');
    let child: ChildProcess;
    try {
      child = this.#network.spawnIn(spec.node.ns, typeof spec.argv === 'function' ? spec.argv() : spec.argv, { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd); // the child has its own copy
    }
    const exited = new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: null, signal: null }));
    });
    this.#running.set(node, { child, exited });
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (!this.isRunning(node)) throw new LabError('CommandFailed', `the speaker on ${node} exited (${JSON.stringify(await exited)}) before it was healthy:\n${this.logTail(node)}`);
      try {
        const res = await fetch(`http://${spec.health}/healthz`, { signal: AbortSignal.timeout(1000) });
        await res.body?.cancel();
        if (res.status === 200) return;
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = messageOf(err);
      }
      await sleep(100);
    }
    throw new LabError('CommandFailed', `the speaker on ${node} was not healthy within ${timeoutMs} ms (${last}):\n${this.logTail(node)}`);
  }

  /**
   * Signals the speaker (its whole process group for SIGKILL) and waits for it to exit; after
   * `timeoutMs` it gets SIGKILL. Resolves with how it ended.
   */
  async kill(node: string, signal: NodeJS.Signals, timeoutMs = 15_000): Promise<Exit> {
    const r = this.#running.get(node);
    if (r === undefined) throw new LabError('InvalidOptions', `no speaker was started on ${node}`);
    if (this.isRunning(node)) {
      signalProcess(r.child, signal);
      const late = new AbortController();
      const timer = sleep(timeoutMs, 'late', { signal: late.signal }).catch(() => 'cancelled');
      const first = await Promise.race([r.exited.then(() => 'exited'), timer]);
      late.abort();
      if (first === 'late') signalProcess(r.child, 'SIGKILL');
    }
    return r.exited;
  }

  async restart(node: string): Promise<void> {
    if (this.isRunning(node)) await this.kill(node, 'SIGTERM');
    await this.start(node);
  }

  /** The last `lines` lines of the node's speaker log. */
  logTail(node: string, lines = 30): string {
    try {
      return readFileSync(this.#spec(node).logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch (err) {
      return `(no log: ${messageOf(err)})`;
    }
  }

  /** Every node's log tail, headed by its name: for failure messages. */
  logTails(lines = 15): string {
    return [...this.#specs.keys()].map((n) => `--- speaker ${n}${this.isRunning(n) ? '' : ' (not running)'}:\n${this.logTail(n, lines)}`).join('\n');
  }

  async stopAll(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5000): Promise<void> {
    await Promise.all([...this.#running.keys()].map((n) => this.kill(n, signal, timeoutMs)));
  }
}

function signalProcess(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // `ip netns exec` execs the program, so the pid is the speaker's; its group is its own.
    process.kill(signal === 'SIGKILL' ? -child.pid : child.pid, signal);
  } catch (err) {
    if (!(err instanceof Error && 'code' in err && err.code === 'ESRCH')) throw err;
  }
}
