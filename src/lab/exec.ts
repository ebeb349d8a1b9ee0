// Running the programs the lab is made of (`ip`, `sh`, and whatever a test runs inside a
// namespace): output collected as a value, a non-zero exit a value too, and only a program that
// cannot be started at all an error (with the Debian package to install).
import { spawn, spawnSync } from 'node:child_process';
import { LabError } from './errors.ts';

export interface ExecResult {
  /** Exit code, or null when the process ended by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The timeout elapsed and the process was killed (SIGKILL). */
  readonly timedOut: boolean;
}

export interface ExecOptions {
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  readonly input?: string;
  /** Kill the process (SIGKILL) after this long; unlimited when absent. */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Debian packages that provide the programs the lab and its tests run. */
const PACKAGES: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  bridge: 'iproute2',
  ping: 'iputils-ping',
  arping: 'arping',
  ndisc6: 'ndisc6',
  sh: 'dash',
};

export function spawnFailure(program: string, err: unknown): LabError {
  const code = err instanceof Error && 'code' in err ? err.code : undefined;
  if (code === 'ENOENT') {
    const pkg = PACKAGES[program];
    return new LabError('CommandNotFound', `${program} is not installed${pkg === undefined ? '' : ` (Debian: apt-get install -y ${pkg})`}`, { cause: err });
  }
  return new LabError('SpawnFailed', `cannot start ${program}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

export function run(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const [program, ...args] = argv;
  if (program === undefined) return Promise.reject(new LabError('InvalidOptions', 'empty command line'));
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: opts.env, cwd: opts.cwd });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(spawnFailure(program, e));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), timedOut });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** The same, blocking: for the process-exit path, where nothing asynchronous runs any more. */
export function runSync(argv: readonly string[]): ExecResult {
  const [program, ...args] = argv;
  if (program === undefined) throw new LabError('InvalidOptions', 'empty command line');
  const r = spawnSync(program, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.error !== undefined) throw spawnFailure(program, r.error);
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, timedOut: false };
}

export function commandFailed(argv: readonly string[], r: ExecResult): LabError {
  const how = r.timedOut ? 'timed out' : r.code === null ? `killed by ${r.signal ?? 'a signal'}` : `exit ${r.code}`;
  return new LabError('CommandFailed', `${argv.join(' ')}: ${how}: ${r.stderr.trim() || r.stdout.trim()}`);
}

/** Runs a command that must succeed; returns its stdout. */
export async function mustRun(argv: readonly string[], opts: ExecOptions = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw commandFailed(argv, r);
  return r.stdout;
}

/** `ip` answers these when what it was asked to delete is already gone. */
export function isAlreadyGone(r: ExecResult): boolean {
  return r.code !== 0 && /Cannot find device|No such file or directory|does not exist/.test(r.stderr);
}
