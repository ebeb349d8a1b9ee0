// The pins scripts/cluster-binaries.sh builds from are the pins the harness looks for (issue #8).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUILD_SCRIPT, findBinaries, PACKAGE_ROOT, pinnedVersion } from '../../src/controlplane/binaries.ts';

test('pinnedVersion reads a require line, a require block entry and ignores replace targets', () => {
  const goMod = ['module x', '', 'require k8s.io/kubernetes v1.34.4', 'require (', '\tgo.etcd.io/etcd/server/v3 v3.6.17 // indirect', ')', 'replace (', '\tk8s.io/api => k8s.io/api v0.34.4', ')'].join('\n');
  assert.equal(pinnedVersion(goMod, 'k8s.io/kubernetes'), 'v1.34.4');
  assert.equal(pinnedVersion(goMod, 'go.etcd.io/etcd/server/v3'), 'v3.6.17');
  assert.equal(pinnedVersion(goMod, 'k8s.io/api'), undefined);
});

test('the harness and the build script agree on the cache folder', () => {
  const found = findBinaries();
  const dir = found.ok ? found.value.dir : /missing (\S+)\/(?:kube-apiserver|kubectl|etcd)\)/.exec(found.message)?.[1];
  // The script prints its folder when everything is built; when not, only the harness's message is
  // checked, whichever binary it names (a build under way has kube-apiserver before kubectl).
  if (!found.ok) assert.ok(dir !== undefined, found.message);
  else assert.equal(execFileSync(join(PACKAGE_ROOT, BUILD_SCRIPT), { encoding: 'utf8' }).trim(), dir);
  assert.match(dir ?? '', /kube-v1\.34\.\d+-etcd-v3\.6\.\d+$/);
});

test('missing binaries are one line naming the command that builds them', () => {
  const empty = mkdtempSync(join(tmpdir(), 'herald-cache-'));
  try {
    const found = findBinaries({ HERALD_CACHE: empty });
    assert.equal(found.ok, false);
    if (found.ok) return;
    assert.equal(found.code, 'not-built');
    assert.doesNotMatch(found.message, /\n/);
    assert.match(found.message, /kube-apiserver v1\.34\.\d+ \/ etcd v3\.6\.\d+ are not built/);
    assert.ok(found.message.includes(join(PACKAGE_ROOT, BUILD_SCRIPT)), found.message);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
