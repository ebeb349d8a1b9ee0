// The bench's side of probe-agent.ts: starts the agent in the client namespace, sends commands,
// collects a stream of ARP arrivals, and turns one into a failover gap.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { LabHost, LabNetwork } from '../../src/lab/netns.ts';

const AGENT = fileURLToPath(new URL('./probe-agent.ts', import.meta.url));

export interface Arrival {
  /** Kernel receive time, CLOCK_REALTIME ns. */
  t: bigint;
  mac: string;
  /** `reply`: an answer to our request, unicast to us; `other`: a gratuitous ARP or a broadcast about the VIP. */
  kind: 'reply' | 'other';
  /** A stream with several sender addresses: which one the reply was addressed to. */
  sender?: number;
}

export interface LatencyResult {
  kernelNs: number[];
  wakeNs: number[];
  lost: number;
  macs: string[];
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class Probe {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #stderr: string[] = [];
  arrivals: Arrival[] = [];
  sent: bigint[] = [];
  /** A stream with several sender addresses: the sender of each request in `sent`. */
  sentBy: number[] = [];

  private constructor(child: ChildProcess) {
    this.#child = child;
    if (child.stdout === null || child.stderr === null) throw new Error('probe agent without pipes');
    createInterface({ input: child.stdout }).on('line', (line) => this.#onLine(line));
    createInterface({ input: child.stderr }).on('line', (line) => {
      this.#stderr.push(line);
      if (this.#stderr.length > 20) this.#stderr.shift();
    });
    child.once('exit', (code, signal) => {
      for (const p of this.#pending.values()) p.reject(new Error(`probe agent exited (${code ?? signal}): ${this.#stderr.join('\n')}`));
      this.#pending.clear();
    });
  }

  /** Starts the agent in `client`'s namespace and opens its socket on eth0. */
  static async start(lab: LabNetwork, client: LabHost): Promise<Probe> {
    const child = lab.spawnIn(client.ns, [process.execPath, AGENT], { stdio: ['pipe', 'pipe', 'pipe'] });
    const p = new Probe(child);
    await p.call('open', { ifindex: client.ifindex, mac: client.mac, ip: client.ipv4 });
    return p;
  }

  #onLine(line: string): void {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.#stderr.push(`(not JSON) ${line}`);
      return;
    }
    if (m['e'] === 'arp' && typeof m['t'] === 'string' && typeof m['mac'] === 'string') {
      const s = m['s'];
      this.arrivals.push({ t: BigInt(m['t']), mac: m['mac'].toLowerCase(), kind: m['kind'] === 'reply' ? 'reply' : 'other', ...(typeof s === 'number' ? { sender: s } : {}) });
      return;
    }
    if (m['e'] === 'sent' && typeof m['t'] === 'string') {
      this.sent.push(BigInt(m['t']));
      const s = m['s'];
      if (typeof s === 'number') this.sentBy.push(s);
      return;
    }
    if (m['e'] === 'error') {
      this.#stderr.push(`socket error ${String(m['code'])}: ${String(m['message'])}`);
      return;
    }
    const id = m['id'];
    if (typeof id !== 'number') return;
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    if (typeof m['error'] === 'string') p.reject(new Error(`probe agent: ${m['error']}`));
    else p.resolve(m['result']);
  }

  call(op: string, args: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<unknown> {
    const id = this.#nextId++;
    const stdin = this.#child.stdin;
    if (stdin === null) return Promise.reject(new Error('probe agent has no stdin'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`probe agent: ${op} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      stdin.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  /** `senders`: sender addresses used in turn, so that each reply names its request (see probe-agent.ts). */
  async startStream(target: string, intervalMs: number, senders?: readonly string[]): Promise<void> {
    this.arrivals = [];
    this.sent = [];
    this.sentBy = [];
    await this.call('stream', { target, intervalMs, ...(senders === undefined ? {} : { senders }) });
  }

  async stopStream(): Promise<void> {
    await this.call('stop');
  }

  async latency(targets: readonly string[], count: number, timeoutMs: number, gapMs: number): Promise<Record<string, LatencyResult>> {
    const r = await this.call('latency', { targets, count, timeoutMs, gapMs }, 600_000);
    return r as Record<string, LatencyResult>;
  }

  close(): void {
    this.#child.stdin?.end();
  }
}

export interface Gap {
  /** Last reply from the old MAC → first reply from another MAC, ms (kernel receive stamps). */
  gapMs: number;
  /** Event (kill) → first reply from another MAC, ms. */
  fromEventMs: number;
  /** Last reply from the old MAC → first frame of any kind (e.g. gratuitous ARP) from another MAC, ms. */
  gratuitousGapMs: number | null;
  /** Probes sent in the gap that nobody answered. */
  unanswered: number;
  newMac: string;
  /** Replies from the old MAC after the new one answered (both answering = split brain). */
  oldAfterNew: number;
  /** Median spacing of probes sent, ms (the real probe rate). */
  probeEveryMs: number;
}

/** The gap in a stream of arrivals around an event at `eventNs`, from the old holder `oldMac`. */
export function gapOf(arrivals: readonly Arrival[], sent: readonly bigint[], oldMac: string, eventNs: bigint): Gap | null {
  const old = oldMac.toLowerCase();
  const replies = arrivals.filter((a) => a.kind === 'reply');
  const firstNew = replies.find((a) => a.mac !== old && a.t > eventNs - 50_000_000n);
  if (firstNew === undefined) return null;
  const lastOld = [...replies].reverse().find((a) => a.mac === old && a.t < firstNew.t);
  if (lastOld === undefined) return null;
  const firstNewAny = arrivals.find((a) => a.mac !== old && a.t > lastOld.t);
  const ms = (ns: bigint): number => Number(ns) / 1e6;
  const spacing = sent.slice(1).map((t, i) => Number(t - (sent[i] ?? t)) / 1e6).sort((a, b) => a - b);
  return {
    gapMs: ms(firstNew.t - lastOld.t),
    fromEventMs: ms(firstNew.t - eventNs),
    gratuitousGapMs: firstNewAny === undefined ? null : ms(firstNewAny.t - lastOld.t),
    // The last probe before firstNew is the one it answers.
    unanswered: Math.max(0, sent.filter((t) => t > lastOld.t && t < firstNew.t).length - 1),
    newMac: firstNew.mac,
    oldAfterNew: replies.filter((a) => a.mac === old && a.t > firstNew.t).length,
    probeEveryMs: spacing[Math.floor(spacing.length / 2)] ?? Number.NaN,
  };
}
