// The real kubectl (built by scripts/cluster-binaries.sh) run as a user runs it: a child process
// with a kubeconfig file in a temporary directory, its own HOME and cache, so nothing in ~/.kube
// is read or written (issue #8). startKubectlCluster() adds a real kube-apiserver without
// Herald's CRDs, so that `kubectl apply` is what installs them.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiServerKind, startControlPlane, type ControlPlane } from '../../src/controlplane/control-plane.ts';

/** The `skip` of a suite that needs the real server: false under HERALD_APISERVER=real, else why not. */
export const REAL_ONLY: string | false =
  apiServerKind() === 'real' ? false : 'needs the real kubectl and kube-apiserver; runs in `npm run test:real` (HERALD_APISERVER=real)';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlSession {
  /** The temporary directory: kubeconfig, HOME, cache. */
  readonly dir: string;
  /** Runs kubectl; never throws for a non-zero exit. */
  run(args: readonly string[], stdin?: string): Promise<KubectlResult>;
  /** Runs kubectl and returns stdout; a non-zero exit throws with the command and its stderr. */
  ok(args: readonly string[], stdin?: string): Promise<string>;
  close(): Promise<void>;
}

const TIMEOUT_MS = 60_000;

export async function kubectlSession(kubectl: string, kubeconfigYaml: string): Promise<KubectlSession> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-kubectl-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, kubeconfigYaml, { mode: 0o600 });
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache') };

  function run(args: readonly string[], stdin?: string): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(kubectl, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        const stderr = Buffer.concat(err).toString('utf8');
        resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: signal === null ? stderr : `${stderr}\n(kubectl killed by ${signal} after ${TIMEOUT_MS} ms)` });
      });
      child.stdin.end(stdin ?? '');
    });
  }

  return {
    dir,
    run,
    async ok(args, stdin) {
      const r = await run(args, stdin);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface KubectlCluster extends KubectlSession {
  readonly cp: ControlPlane;
}

/** A real kube-apiserver with no Herald CRDs, and kubectl acting as its admin. */
export async function startKubectlCluster(): Promise<KubectlCluster> {
  const cp = await startControlPlane({ kind: 'real', heraldCrds: false });
  try {
    const real = cp.real;
    if (real === undefined) throw new Error('startControlPlane({ kind: real }) returned no real server');
    const session = await kubectlSession(real.binaries.kubectl, cp.kubeconfigYaml());
    return {
      ...session,
      cp,
      async close() {
        await session.close();
        await cp.close();
      },
    };
  } catch (err) {
    await cp.close();
    throw err;
  }
}

/** Runs `f` over `items` with at most `limit` at a time, keeping the order of the results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await f(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Runs `attempt` until it returns without throwing, for up to `timeoutMs`; then its last error is
 * thrown. For what a real API server makes true a moment after a write: RBAC reaches the
 * authorizer, and a new CRD reaches discovery, through informers.
 */
export async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
