// The bench's side of l2-sweep-agent.ts: starts it in the client namespace, runs sweeps of every
// VIP, and reads a sweep's records as per-VIP facts (who answered, double answers, darkness).
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LabHost, LabNetwork } from '../../src/lab/netns.ts';
import { sleep } from '../l2/report.ts';

const AGENT = fileURLToPath(new URL('./l2-sweep-agent.ts', import.meta.url));

export interface SweepRecord {
  targets: readonly string[];
  everyMs: number;
  /** Round send stamps, realtime ns, ascending. */
  rounds: bigint[];
  /**
   * Per target: its replies in arrival order, with the round each answers: the last round sent
   * before it from the sender address the reply is for (rounds take the addresses in turn).
   */
  replies: Map<string, { t: bigint; mac: string; round: number }[]>;
  sendErrors: number;
}

export class Sweep {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #stderr: string[] = [];
  #nextId = 1;
  #targets: readonly string[] = [];
  #everyMs = 0;
  #senders = 1;

  private constructor(child: ChildProcess) {
    this.#child = child;
    if (child.stdout === null || child.stderr === null) throw new Error('sweep agent without pipes');
    createInterface({ input: child.stdout }).on('line', (line) => this.#onLine(line));
    createInterface({ input: child.stderr }).on('line', (line) => {
      this.#stderr.push(line);
      if (this.#stderr.length > 20) this.#stderr.shift();
    });
    child.once('exit', (code, signal) => {
      for (const p of this.#pending.values()) p.reject(new Error(`sweep agent exited (${code ?? signal}): ${this.#stderr.join('\n')}`));
      this.#pending.clear();
    });
  }

  /** Starts the agent in `client`'s namespace; `ips` are the sender addresses of its requests, one per round in turn. */
  static async start(lab: LabNetwork, client: LabHost, ips: readonly string[]): Promise<Sweep> {
    const s = new Sweep(lab.spawnIn(client.ns, [process.execPath, AGENT], { stdio: ['pipe', 'pipe', 'pipe'] }));
    s.#senders = ips.length;
    await s.#call('open', { ifindex: client.ifindex, mac: client.mac, ips });
    return s;
  }

  #onLine(line: string): void {
    let m: unknown;
    try {
      m = JSON.parse(line);
    } catch {
      this.#stderr.push(`(not JSON) ${line.slice(0, 200)}`);
      return;
    }
    if (typeof m !== 'object' || m === null || !('id' in m) || typeof m.id !== 'number') return;
    const p = this.#pending.get(m.id);
    if (p === undefined) return;
    this.#pending.delete(m.id);
    if ('error' in m && typeof m.error === 'string') p.reject(new Error(`sweep agent: ${m.error}`));
    else p.resolve('result' in m ? m.result : undefined);
  }

  #call(op: string, args: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#nextId++;
    const stdin = this.#child.stdin;
    if (stdin === null) return Promise.reject(new Error('sweep agent has no stdin'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`sweep agent: ${op} timed out`));
      }, 30_000);
      this.#pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      stdin.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  async start(targets: readonly string[], everyMs: number): Promise<void> {
    this.#targets = targets;
    this.#everyMs = everyMs;
    await this.#call('start', { targets, everyMs });
  }

  async stop(): Promise<SweepRecord> {
    const r = (await this.#call('stop')) as { rounds: string[]; macs: string[]; replies: [number, number, string, number][]; sendErrors: number };
    const rounds = r.rounds.map((t) => BigInt(t));
    const replies = new Map(this.#targets.map((ip) => [ip, [] as { t: bigint; mac: string; round: number }[]]));
    for (const [ti, mi, ts, sender] of r.replies) {
      const t = BigInt(ts);
      const round = roundOf(rounds, this.#senders, sender, t);
      if (round === null) continue; // before the first round from that address: not an answer of this sweep
      replies.get(this.#targets[ti] ?? '')?.push({ t, mac: r.macs[mi] ?? '?', round });
    }
    return { targets: this.#targets, everyMs: this.#everyMs, rounds, replies, sendErrors: r.sendErrors };
  }

  /** One round for every target, replies awaited for `waitMs`: VIP → the MACs that answered. */
  async once(targets: readonly string[], waitMs: number): Promise<Map<string, Set<string>>> {
    await this.start(targets, 5000);
    await sleep(waitMs);
    const rec = await this.stop();
    return new Map([...rec.replies].map(([ip, rs]) => [ip, new Set(rs.map((r) => r.mac))]));
  }

  close(): void {
    this.#child.stdin?.end();
  }
}

/**
 * The round a reply at `t` answers: the last round sent before `t` from sender address `sender`
 * (round k is sent from address k mod `senders`). A reply can only answer a request already sent;
 * one more than `senders` rounds late is counted in a later round of the same address, which a
 * sweep of 4 addresses at 100 ms makes a delay of 400 ms or more.
 */
export function roundOf(rounds: readonly bigint[], senders: number, sender: number, t: bigint): number | null {
  let lo = 0;
  let hi = rounds.length - 1;
  let last = -1;
  // Binary search for the last round sent at or before t.
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((rounds[mid] ?? t) <= t) {
      last = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (last < 0) return null;
  const back = (((last - sender) % senders) + senders) % senders;
  const round = last - back;
  return round >= 0 ? round : null;
}

/** Segments of one sweep (stopped and restarted between them) as one record. */
export function mergeRecords(segments: readonly SweepRecord[]): SweepRecord {
  const first = segments[0];
  if (first === undefined) throw new Error('no sweep segments');
  const rounds: bigint[] = [];
  const replies = new Map(first.targets.map((ip) => [ip, [] as { t: bigint; mac: string; round: number }[]]));
  let sendErrors = 0;
  for (const seg of segments) {
    const offset = rounds.length;
    rounds.push(...seg.rounds);
    for (const [ip, rs] of seg.replies) replies.get(ip)?.push(...rs.map((r) => ({ ...r, round: r.round + offset })));
    sendErrors += seg.sendErrors;
  }
  return { targets: first.targets, everyMs: first.everyMs, rounds, replies, sendErrors };
}

/** VIP → the MACs that answered the segment's last complete round (the one before its last). */
export function lastCompleteRound(rec: SweepRecord): Map<string, Set<string>> {
  const round = rec.rounds.length - 2;
  return new Map([...rec.replies].map(([ip, rs]) => [ip, new Set(rs.filter((r) => r.round === round).map((r) => r.mac))]));
}

export interface VipFacts {
  /** Rounds that two or more MACs answered, with those MACs and the round's send time. */
  doubles: { round: number; t: bigint; macs: string[] }[];
  /** The longest time nobody answered, ms: largest spacing of answers (and of the ends) minus one period. */
  darkMs: number;
  /** When the longest dark time began (realtime ns). */
  darkFrom: bigint;
  /** MACs in the order they answered, runs collapsed: [A, B, A] = moved to B and back. */
  sequence: string[];
}

/** What a sweep saw of one VIP between `fromNs` and `toNs` (both ends count as answers' limits). */
export function vipFacts(rec: SweepRecord, ip: string, fromNs: bigint, toNs: bigint): VipFacts {
  const rs = (rec.replies.get(ip) ?? []).filter((r) => r.t >= fromNs && r.t <= toNs);
  const byRound = new Map<number, Set<string>>();
  for (const r of rs) {
    const s = byRound.get(r.round) ?? new Set<string>();
    s.add(r.mac);
    byRound.set(r.round, s);
  }
  const doubles = [...byRound].filter(([, s]) => s.size > 1).map(([round, s]) => ({ round, t: rec.rounds[round] ?? 0n, macs: [...s] }));
  let darkMs = 0;
  let darkFrom = fromNs;
  let prev = fromNs;
  for (const t of [...rs.map((r) => r.t), toNs]) {
    const ms = Number(t - prev) / 1e6 - rec.everyMs;
    if (ms > darkMs) {
      darkMs = ms;
      darkFrom = prev;
    }
    prev = t;
  }
  const sequence: string[] = [];
  for (const r of rs) if (sequence[sequence.length - 1] !== r.mac) sequence.push(r.mac);
  return { doubles, darkMs, darkFrom, sequence };
}
