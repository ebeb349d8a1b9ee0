// api-suite: part 1 of `herald lab` on the control plane HERALD_APISERVER names (issue #8, point 8)
// The README's demo, run in-process: what it prints is what a newcomer sees. `herald lab
// --apiserver real` runs it on kube-apiserver and etcd; without their build it says so in one line.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiServerKind } from '../../src/controlplane/control-plane.ts';
import { runLab } from '../../src/lab/command.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const KIND = apiServerKind();

describe('herald lab', () => {
  it(`allocates, refuses node addresses, leaves foreign classes alone, keeps shared IPs, survives a restart (${KIND === 'real' ? 'kube-apiserver' : 'the stand-in'})`, async () => {
    const lines: string[] = [];
    await runLab((l) => lines.push(l), 'silent', KIND);
    const out = lines.join('\n');
    assert.match(lines[0] ?? '', KIND === 'real' ? /^kube-apiserver v1\.34\.\d+ with etcd v3\.6\.\d+ at https:\/\/127\.0\.0\.1:\d+$/ : /^API server stand-in at /);
    const row = (name: string) => lines.find((l) => l.startsWith(`  ${name.padEnd(14)} `) && /Satisfied|Unavailable|Herald's|Incompatible/.test(l)) ?? '';
    assert.match(row('wants-node-ip'), /RequestedIPUnavailable: .*192\.0\.2\.11.*node-a/);
    assert.match(row('other-lb'), /not Herald's/);
    assert.match(row('pinned'), /192\.0\.2\.5 +Satisfied/);
    assert.match(row('red-app'), /198\.51\.100\.10 +Satisfied/);
    assert.match(row('node-ipam'), /192\.0\.2\.11,192\.0\.2\.12 +Satisfied/);
    assert.match(out, /late-overlap .*CONFLICT/);
    assert.match(out, /every Service kept its addresses/);
    // No Service ever got a node address from a pool.
    for (const l of lines.filter((x) => /from pool/.test(x))) assert.doesNotMatch(l, /192\.0\.2\.1[123]\b/);
  });

  it('--apiserver real without the built binaries: one line that says what to run, exit 1, nothing started', () => {
    const empty = mkdtempSync(join(tmpdir(), 'herald-no-binaries-'));
    try {
      const r = spawnSync(process.execPath, [CLI, 'lab', '--apiserver', 'real', '--skip-l2', '--skip-bgp'], { encoding: 'utf8', env: { ...process.env, HERALD_CACHE: empty }, timeout: 30_000 });
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0] ?? '', /^herald lab: kube-apiserver v1\.34\.\d+ \/ etcd v3\.6\.\d+ are not built .*run .*scripts\/cluster-binaries\.sh once/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('--apiserver with another value: usage error, exit 2', () => {
    const r = spawnSync(process.execPath, [CLI, 'lab', '--apiserver', 'kind', '--skip-l2', '--skip-bgp'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^herald lab: --apiserver must be dev or real, not "kind"/);
  });
});
