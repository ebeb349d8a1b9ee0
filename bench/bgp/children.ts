// The BGP benches' clock and their child processes. The senders run as children inside a node
// namespace (`ip netns exec`), so they stamp their own "started sending" moments; every process
// here reads the same CLOCK_MONOTONIC through process.hrtime, so those stamps and the bench's
// own compare directly (performance.now() has a per-process origin and would not).
// A sender child speaks JSON lines: commands on stdin, events (with `at`, ms) on stdout.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** CLOCK_MONOTONIC in ms: comparable across processes. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGTERM to the child's process group, SIGKILL after `graceMs`; resolves once it has exited. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (s: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, s);
    } catch {
      // gone already
    }
  };
  signal('SIGTERM');
  const late = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
  if (late) {
    signal('SIGKILL');
    await exited;
  }
}

/** VmRSS and VmHWM of a process, in MB (10⁶ bytes); null when it is gone. */
export function memoryOf(pid: number): { rssMb: number; hwmMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssMb: (kb('VmRSS') * 1024) / 1e6, hwmMb: (kb('VmHWM') * 1024) / 1e6 };
  } catch {
    return null;
  }
}

export type SenderEvent = { ev: string; at: number } & Record<string, unknown>;

function isEvent(v: unknown): v is SenderEvent {
  return typeof v === 'object' && v !== null && 'ev' in v && typeof v.ev === 'string' && 'at' in v && typeof v.at === 'number';
}

/** The bench's side of a sender child: send a command, wait for an event by name. */
export class SenderChild {
  readonly child: ChildProcess;
  readonly #events: SenderEvent[] = [];
  readonly #waiters: { ev: string; resolve: (e: SenderEvent) => void }[] = [];
  #stderr = '';
  #exited = false;

  readonly label: string;

  constructor(child: ChildProcess, label: string) {
    this.child = child;
    this.label = label;
    if (child.stdout === null) throw new Error(`${label}: no stdout pipe`);
    createInterface({ input: child.stdout }).on('line', (line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        this.#stderr += `${line}\n`;
        return;
      }
      if (!isEvent(parsed)) return;
      const i = this.#waiters.findIndex((w) => w.ev === parsed.ev);
      const w = i >= 0 ? this.#waiters.splice(i, 1)[0] : undefined;
      if (w !== undefined) w.resolve(parsed);
      else this.#events.push(parsed);
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-4000);
    });
    child.once('exit', () => {
      this.#exited = true;
    });
  }

  send(command: Record<string, unknown>): void {
    this.child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  /** The next event named `ev` (an earlier unclaimed one first); throws on timeout or exit. */
  async next(ev: string, timeoutMs: number): Promise<SenderEvent> {
    const i = this.#events.findIndex((e) => e.ev === ev);
    if (i >= 0) return this.#events.splice(i, 1)[0] as SenderEvent;
    const err = this.#events.find((e) => e.ev === 'error');
    if (err !== undefined) throw new Error(`${this.label}: ${String(err['message'])}`);
    return new Promise<SenderEvent>((resolve, reject) => {
      const waiter = { ev, resolve: (e: SenderEvent) => done(() => resolve(e)) };
      const t = setTimeout(() => done(() => reject(new Error(`${this.label}: no "${ev}" within ${timeoutMs} ms; events meanwhile: ${JSON.stringify(this.#events.slice(-5))}; stderr: ${this.#stderr.trim().slice(-1500)}`))), timeoutMs);
      const exitCheck = setInterval(() => {
        if (this.#exited) done(() => reject(new Error(`${this.label} exited before "${ev}"; stderr: ${this.#stderr.trim().slice(-1500)}`)));
        const e = this.#events.find((x) => x.ev === 'error');
        if (e !== undefined) done(() => reject(new Error(`${this.label}: ${String(e['message'])}`)));
      }, 50);
      const done = (f: () => void): void => {
        clearTimeout(t);
        clearInterval(exitCheck);
        const k = this.#waiters.indexOf(waiter);
        if (k >= 0) this.#waiters.splice(k, 1);
        f();
      };
      this.#waiters.push(waiter);
    });
  }

  stop(graceMs = 3000): Promise<void> {
    this.child.stdin?.end();
    return stopChild(this.child, graceMs);
  }
}

/** For the child programs: one event line on stdout. */
export function emit(ev: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ ev, at: nowMs(), ...fields })}\n`);
}

/** For the child programs: each stdin line as a parsed command. */
export function onCommands(handle: (cmd: Record<string, unknown>) => void): void {
  createInterface({ input: process.stdin }).on('line', (line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) handle(Object.fromEntries(Object.entries(parsed)));
  });
  process.stdin.on('end', () => process.exit(0));
}

/** The n-th /32 in 198.18.0.0/15 (RFC 2544; 131,072 addresses, room for 100,000). */
export function benchPrefix(n: number): string {
  const v = ((198 << 24) >>> 0) + (18 << 16) + n;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/32`;
}
