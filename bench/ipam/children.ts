// Child processes and temp directories of a bench, with cleanup that runs however the bench
// ends: `cleanup()` from a finally block (SIGTERM, then SIGKILL after a grace period), and a
// synchronous last resort on process exit and on SIGINT/SIGTERM/SIGHUP. A bench killed with
// SIGKILL cannot clean up; its children then outlive it (Node has no PR_SET_PDEATHSIG).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  name: string;
  pid: number;
  proc: ChildProcess;
  /** The last lines of stdout and stderr, interleaved, for a report when something breaks. */
  tail: string[];
  /** Called with every new line of stdout and stderr. */
  listeners: Set<(line: string) => void>;
  /** Settles when the process has exited. */
  exited: Promise<Exit>;
  exit: Exit | undefined;
}

const TAIL_LINES = 40;
const children = new Set<Child>();
const tempDirs = new Set<string>();
let handlersInstalled = false;

function killNow(): void {
  for (const c of children) if (c.exit === undefined) c.proc.kill('SIGKILL');
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killNow);
  const onSignal = (sig: NodeJS.Signals, code: number): void => {
    process.stderr.write(`\n${sig}: killing children and removing temp files\n`);
    killNow();
    process.exit(code);
  };
  process.once('SIGINT', () => onSignal('SIGINT', 130));
  process.once('SIGTERM', () => onSignal('SIGTERM', 143));
  process.once('SIGHUP', () => onSignal('SIGHUP', 129));
}

export function makeTempDir(prefix: string): string {
  installHandlers();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Spawns a process with piped output; `onLine` sees every line of stdout and stderr. */
export function spawnChild(name: string, command: string, args: readonly string[], cwd: string, onLine?: (line: string) => void): Child {
  installHandlers();
  const proc = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new Error(`could not start ${name}: ${command} ${args.join(' ')}`);
  const tail: string[] = [];
  let resolveExit: (e: Exit) => void = () => {};
  const child: Child = {
    name,
    pid: proc.pid,
    proc,
    tail,
    listeners: new Set(onLine === undefined ? [] : [onLine]),
    exit: undefined,
    exited: new Promise<Exit>((resolve) => {
      resolveExit = resolve;
    }),
  };
  for (const stream of [proc.stdout, proc.stderr]) {
    if (stream === null) continue;
    // Reading every line also keeps the pipe drained, so a chatty child never blocks on write.
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      for (const l of child.listeners) l(line);
    });
  }
  proc.on('exit', (code, signal) => {
    child.exit = { code, signal };
    resolveExit(child.exit);
  });
  proc.on('error', (err) => {
    tail.push(`spawn error: ${err.message}`);
    child.exit ??= { code: null, signal: null };
    resolveExit(child.exit);
  });
  children.add(child);
  return child;
}

/** Resolves with the first line matching `re`; rejects if the child exits first or time runs out. */
export function waitForLine(child: Child, re: RegExp, timeoutMs: number): Promise<string> {
  const seen = child.tail.find((l) => re.test(l));
  if (seen !== undefined) return Promise.resolve(seen);
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${child.name} printed no line matching ${String(re)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onLine = (line: string): void => {
      if (!re.test(line)) return;
      done();
      resolve(line);
    };
    const onExit = (): void => {
      done();
      reject(new Error(`${child.name} exited (${describeExit(child.exit)}) before printing a line matching ${String(re)}`));
    };
    const done = (): void => {
      clearTimeout(timer);
      child.listeners.delete(onLine);
      child.proc.off('exit', onExit);
    };
    child.listeners.add(onLine);
    child.proc.on('exit', onExit);
  });
}

export function describeExit(e: Exit | undefined): string {
  if (e === undefined) return 'still running';
  return e.signal !== null ? `signal ${e.signal}` : `code ${String(e.code)}`;
}

/** SIGTERM every child still running, SIGKILL what is left after `graceMs`; remove temp dirs. */
export async function cleanup(graceMs = 3_000): Promise<void> {
  const running = [...children].filter((c) => c.exit === undefined);
  for (const c of running) c.proc.kill('SIGTERM');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
  await Promise.race([Promise.all(running.map((c) => c.exited)), timeout]);
  for (const c of running) if (c.exit === undefined) c.proc.kill('SIGKILL');
  await Promise.race([Promise.all(running.map((c) => c.exited)), new Promise((r) => setTimeout(r, 1_000).unref())]);
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

export interface MemoryFigures {
  /** Peak resident set size (VmHWM), kB. */
  peakKb: number;
  /** Current resident set size (VmRSS), kB. */
  rssKb: number;
}

/** VmHWM and VmRSS of a live process from /proc/PID/status (Linux), or undefined. */
export function memoryOf(pid: number): MemoryFigures | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const field = (name: string): number | undefined => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  };
  const peakKb = field('VmHWM');
  const rssKb = field('VmRSS');
  return peakKb === undefined || rssKb === undefined ? undefined : { peakKb, rssKb };
}

/** A loopback TCP port that was free a moment ago (bind :0, read the port, close). */
export function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no port from the OS'))));
    });
  });
}

/** User + system CPU seconds a live process has used so far (/proc/PID/stat, Linux), or undefined. */
export function cpuSecondsOf(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (proc(5)),
  // in clock ticks of 1/100 s on Linux (USER_HZ).
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / 100 : undefined;
}
