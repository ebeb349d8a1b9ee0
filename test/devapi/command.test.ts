import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { runDevApiServerCommand } from '../../src/devapi/command.ts';
import { FIXTURES } from './helpers.ts';

function capture(): { out: string[]; err: string[]; io: { stdout: (l: string) => void; stderr: (l: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (l) => out.push(l), stderr: (l) => err.push(l) } };
}

describe('herald dev apiserver command', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'devapi-cmd-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('--help says it is not for production and documents the hooks', async () => {
    const c = capture();
    assert.equal(await runDevApiServerCommand(['--help'], c.io), 0);
    const text = c.out.join('\n');
    assert.match(text, /NEVER USE IT IN PRODUCTION/);
    for (const hook of ['/herald-dev/close-watches', '/herald-dev/fail', '/herald-dev/unreachable', '/herald-dev/counters']) assert.ok(text.includes(hook), hook);
    assert.match(text, /apply-patch\+yaml\) is not\s+implemented and answers 415/);
  });

  it('bad flags print a message on stderr and return 2', async () => {
    for (const argv of [['--bogus'], ['--listen', 'nowhere', '--kubeconfig-out', 'x'], ['--listen'], ['--history', '0', '--kubeconfig-out', 'x'], []]) {
      const c = capture();
      assert.equal(await runDevApiServerCommand(argv, c.io), 2, argv.join(' '));
      assert.equal(c.out.length, 0);
      assert.match(c.err.join('\n'), /^herald dev apiserver: /);
    }
  });

  it('prints one ready line, writes a usable kubeconfig and stops cleanly', async () => {
    const c = capture();
    const kubeconfig = join(dir, 'in-process.yaml');
    const stop = new AbortController();
    const ready = new Promise<string>((resolve) => {
      c.io.stdout = (l) => {
        c.out.push(l);
        resolve(l);
      };
    });
    const done = runDevApiServerCommand(['--listen', '127.0.0.1:0', '--kubeconfig-out', kubeconfig, '--crds', FIXTURES, '--advertise-address', '198.51.100.4', '--no-deploy-crds'], { ...c.io, signal: stop.signal });
    const line = await ready;
    assert.match(line, new RegExp(`^herald dev apiserver ready url=http://127\\.0\\.0\\.1:\\d+ kubeconfig=${kubeconfig.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    const kc = new KubeConfig();
    kc.loadFromString(await readFile(kubeconfig, 'utf8'));
    const core = kc.makeApiClient(CoreV1Api);
    const ep = await core.readNamespacedEndpoints({ name: 'kubernetes', namespace: 'default' });
    assert.equal(ep.subsets?.[0]?.addresses?.[0]?.ip, '198.51.100.4');
    const crds = await fetch(`${/url=(\S+)/.exec(line)?.[1] ?? ''}/apis/devapi.test/v1`);
    assert.equal(crds.status, 200, '--crds loaded');
    stop.abort();
    assert.equal(await done, 0);
    assert.equal(c.out.length, 1, 'exactly one line');
    assert.deepEqual(c.err, []);
  });

  it('as a process: ready line on stdout, exit 0 on SIGTERM', async () => {
    const kubeconfig = join(dir, 'spawned.yaml');
    const script = fileURLToPath(new URL('./fixtures/run-command.ts', import.meta.url));
    const child = spawn(process.execPath, [script, '--listen', '127.0.0.1:0', '--kubeconfig-out', kubeconfig, '--no-deploy-crds'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = createInterface(child.stdout);
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`exited early with ${String(code)}`)));
    });
    assert.match(first, /^herald dev apiserver ready url=http:\/\/127\.0\.0\.1:\d+ kubeconfig=/);
    assert.match(await readFile(kubeconfig, 'utf8'), /server: http:\/\/127\.0\.0\.1:\d+/);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
