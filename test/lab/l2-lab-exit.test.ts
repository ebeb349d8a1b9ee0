// api-suite: Ctrl-C during the L2 lab leaves nothing behind, on either control plane (issue #8)
// A process running the whole L2 lab (namespaces, speakers, a `herald controller` process, and
// the stand-in or a real kube-apiserver with etcd) is interrupted: the exit hooks remove the
// namespaces and directories, and every process the lab started dies with it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isAlive, listNamespaces } from '../../src/lab/teardown.ts';
import { pollUntil } from '../../src/lab/poll.ts';

const CHILD = fileURLToPath(new URL('./fixtures/l2-lab-child.ts', import.meta.url));

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root: network namespaces';
  const ip = spawnSync('ip', ['-V'], { stdio: 'ignore' });
  return ip.error === undefined ? false : 'needs ip (iproute2)';
}

interface Made {
  prefix: string;
  dirs: string[];
  pids: number[];
}

describe('the L2 lab on SIGINT', { skip: skipReason(), timeout: 120_000 }, () => {
  it('removes its namespaces and directories, and leaves no speaker, controller, kube-apiserver or etcd running', async () => {
    const proc = spawn(process.execPath, [CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exit = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => proc.once('exit', (code, signal) => resolve([code, signal])));
    let out = '';
    let err = '';
    proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const made = await new Promise<Made>((resolve, reject) => {
      proc.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const line = out.split('\n')[0] ?? '';
        if (out.includes('\n')) resolve(JSON.parse(line) as Made);
      });
      void exit.then(([code, signal]) => reject(new Error(`the lab child ended (${code ?? signal}) before it reported:\n${err}`)));
    });
    // Everything the control plane runs lives under its directory: find it by that.
    const underDirs = (): number[] => {
      const r = spawnSync('pgrep', ['-f', made.dirs.join('|')], { encoding: 'utf8' });
      return r.stdout.split('\n').filter(Boolean).map(Number).filter((p) => p !== proc.pid);
    };
    assert.ok(made.pids.length >= 4, `three speakers and a controller: ${JSON.stringify(made)}`);
    assert.ok((await listNamespaces()).some((ns) => ns.startsWith(`${made.prefix}-`)));
    // On the real server: etcd and kube-apiserver found by their directory, so the check below sees them.
    if (made.dirs.length > 1) assert.ok(underDirs().length >= 2, `etcd and kube-apiserver under ${made.dirs.join(', ')}`);
    proc.kill('SIGINT');
    assert.deepEqual(await exit, [null, 'SIGINT'], 'it dies of the signal, after the hooks');
    assert.deepEqual((await listNamespaces()).filter((ns) => ns.startsWith(`${made.prefix}-`)), []);
    for (const d of made.dirs) assert.equal(existsSync(d), false, `${d} is left`);
    // The control plane and the controller die with their parent (setpriv --pdeathsig), a moment after it.
    await pollUntil('every process of the lab gone', async () => {
      const left = [...made.pids.filter((p) => isAlive(p)), ...underDirs().filter((p) => isAlive(p))];
      return left.length === 0 ? { done: true, value: left } : { done: false, seen: left.join(', ') };
    }, { timeoutMs: 10_000, intervalMs: 100 });
  });
});
