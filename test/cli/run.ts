// Running `herald` as a user does: a real process (node_modules/.bin/node src/cli.ts …), its exit
// code, its stderr line and its JSON log lines (issue #13).
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Node 24 as the project pins it; the CLI runs its TypeScript directly. */
export const NODE = `${ROOT}node_modules/.bin/node`;
export const CLI = `${ROOT}src/cli.ts`;

/** The environment of a user outside any pod: no in-cluster variables, no kubeconfig variable. */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root' };
  return { ...env, ...extra };
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs to the end (or `timeoutMs`, then SIGTERM). */
export function runHerald(args: readonly string[], o: { env?: NodeJS.ProcessEnv; cli?: string; prefix?: readonly string[]; timeoutMs?: number } = {}): Promise<Finished> {
  const argv = [...(o.prefix ?? []), NODE, o.cli ?? CLI, ...args];
  const [file = NODE, ...rest] = argv;
  return new Promise((resolve) => {
    execFile(file, rest, { env: o.env ?? userEnv(), timeout: o.timeoutMs ?? 20_000, killSignal: 'SIGTERM' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface LogLine {
  level: string;
  msg: string;
  code?: string;
  [k: string]: unknown;
}

/** A long-running command: its log lines as they come, its /readyz, and a clean stop. */
export class Running {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  stderr = '';
  #buf = '';
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = userEnv()) {
    this.child = spawn(NODE, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d: Buffer) => {
      this.#buf += d.toString('utf8');
      let i: number;
      while ((i = this.#buf.indexOf('\n')) >= 0) {
        const text = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 1);
        try {
          this.lines.push(JSON.parse(text) as LogLine);
        } catch {
          this.lines.push({ level: 'text', msg: text });
        }
      }
    });
    this.child.stderr?.on('data', (d: Buffer) => void (this.stderr += d.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Waits for a log line matching `pred`. */
  async waitFor(pred: (l: LogLine) => boolean, timeoutMs = 20_000, what = 'a log line'): Promise<LogLine> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(pred);
      if (found !== undefined) return found;
      if (Date.now() > end) throw new Error(`no ${what} within ${timeoutMs} ms; stderr: ${this.stderr}\nlog:\n${this.lines.map((l) => `${l.level} ${l.msg}`).join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** GET http://127.0.0.1:port/path → status and body. */
export function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => void (body += d.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls /readyz until `pred` holds. */
export async function readyzUntil(port: number, pred: (r: { status: number; body: string }) => boolean, timeoutMs = 20_000): Promise<{ status: number; body: string }> {
  const end = Date.now() + timeoutMs;
  let last: { status: number; body: string } | undefined;
  for (;;) {
    last = await httpGet(port, '/readyz').catch(() => undefined);
    if (last !== undefined && pred(last)) return last;
    if (Date.now() > end) throw new Error(`/readyz never matched; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A TCP port free right now on 127.0.0.1 (and, closed again, one nothing listens on). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A UDP port free right now on every address. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket('udp6');
    s.bind({ port: 0, address: '::' }, () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

/** A kubeconfig for `server` with a token and no CA check (the server never answers in these cases). */
export function kubeconfigFor(server: string): string {
  return ['apiVersion: v1', 'kind: Config', 'clusters:', '- name: c', `  cluster: {server: "${server}", insecure-skip-tls-verify: true}`, 'users:', '- name: u', '  user: {token: t}', 'contexts:', '- name: ctx', '  context: {cluster: c, user: u}', 'current-context: ctx', ''].join('\n');
}
