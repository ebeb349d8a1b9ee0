// api-suite: the real control plane's own life cycle; runs in `npm run test:real` (HERALD_APISERVER=real)
// Issue #8: etcd and kube-apiserver stop on every exit path of whoever started them — close(),
// a SIGINT (Ctrl-C) and even a SIGKILL of the test process — leaving nothing running or listening.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { apiServerKind, startControlPlane } from '../../src/controlplane/control-plane.ts';

const skip = apiServerKind() === 'real' ? false : 'a real kube-apiserver suite: runs in npm run test:real';
const FIXTURE = new URL('./fixtures/hold.ts', import.meta.url).pathname;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function gone(pids: number[], port: number): Promise<void> {
  const end = Date.now() + 15_000;
  while (pids.some(alive) || (await listening(port))) {
    if (Date.now() > end) assert.fail(`still running: ${pids.filter(alive).join(', ') || 'none'}; port ${port} listening: ${String(await listening(port))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('real control plane life cycle', { skip }, () => {
  test('close() stops etcd and kube-apiserver and removes the folder', async () => {
    const cp = await startControlPlane({ kind: 'real', heraldCrds: false });
    const real = cp.real;
    assert.ok(real !== undefined);
    const pids = Object.values(real.pids()).filter((p): p is number => p !== undefined);
    assert.equal(pids.length, 2);
    assert.equal(await listening(real.port), true);
    await cp.close();
    await gone(pids, real.port);
    assert.equal(existsSync(real.dir), false);
  });

  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    test(`a ${signal} of the process that started it leaves nothing running or listening`, async () => {
      const child = spawn(process.execPath, [FIXTURE], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const line = await new Promise<string>((resolve, reject) => {
          createInterface({ input: child.stdout }).once('line', resolve);
          child.once('exit', (code) => reject(new Error(`fixture exited with ${String(code)} before it was ready`)));
        });
        const started = JSON.parse(line) as { pids: { kubeApiserver: number; etcd: number }; port: number; dir: string };
        const pids = [started.pids.kubeApiserver, started.pids.etcd];
        assert.ok(pids.every(alive));
        child.kill(signal);
        await gone(pids, started.port);
        // Its files go at the next start, which sweeps folders whose owner is dead.
        const next = await startControlPlane({ kind: 'real', heraldCrds: false });
        await next.close();
        assert.equal(existsSync(started.dir), false);
      } finally {
        child.kill('SIGKILL');
      }
    });
  }
});
