// The footprint bench's per-node memory cgroups (bench/speaker/pod-cgroups.ts): the limit it
// reads is the DaemonSet's, and a speaker started through `ip netns exec`, as the lab starts
// them, runs inside its node's group and Node sees the limit. Regression: the first version
// entered the group through the host's /sys/fs/cgroup, which `ip netns exec` hides behind a
// fresh sysfs; every speaker exited before it started ("cannot create …/cgroup.procs").
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { PodCgroups, deployedSpeakerLimit, speakerLimit } from '../../bench/speaker/pod-cgroups.ts';

test("the limit is the speaker container's limits.memory in deploy/speaker.yaml", () => {
  const manifest = readFileSync(new URL('../../deploy/speaker.yaml', import.meta.url), 'utf8');
  const daemonSet = parseAllDocuments(manifest).map((d) => d.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: { name: string; resources?: { limits?: { memory?: string } } }[] } } } }).find((d) => d.kind === 'DaemonSet');
  const containers = daemonSet?.spec?.template?.spec?.containers ?? [];
  assert.equal(containers.length, 1);
  assert.equal(deployedSpeakerLimit(manifest), containers[0]?.resources?.limits?.memory);
  assert.deepEqual(speakerLimit('deploy')?.what.startsWith(String(containers[0]?.resources?.limits?.memory)), true);
  assert.equal(speakerLimit('none'), undefined);
  assert.equal(speakerLimit('256Mi')?.bytes, 256 * 1024 * 1024);
  assert.throws(() => deployedSpeakerLimit('kind: DaemonSet\nspec: {}\n'), /no resources\.limits\.memory/);
});

const haveIp = spawnSync('ip', ['-V']).status === 0;
const cgroups = existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') || existsSync('/sys/fs/cgroup/cgroup.controllers');
const skip = process.getuid?.() !== 0 || !haveIp || !cgroups ? 'needs root, ip and a memory cgroup controller' : false;

test('a speaker started through ip netns exec runs in its node\'s group and Node reads the limit', { skip }, () => {
  const ns = `herald-test-podcg-${process.pid}`;
  const limit = 192 * 1024 * 1024;
  const groups = new PodCgroups(`herald-test-podcg-${process.pid}`, limit);
  const mountsBefore = readFileSync('/proc/self/mountinfo', 'utf8');
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const argv = groups.wrap('node-a', [process.execPath, '-e', 'process.stdout.write(String(process.constrainedMemory()))']);
    const seen = execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' });
    assert.equal(Number(seen), limit);
    const f = groups.figures('node-a');
    assert.ok(f !== undefined && f.chargedMb > 0 && f.oomKills === 0, JSON.stringify(f));
    assert.equal(groups.figures('node-b'), undefined, 'a group is made only when its node\'s speaker starts');
  } finally {
    groups.removeAll();
    execFileSync('ip', ['netns', 'del', ns]);
  }
  // The script mounted in ip netns exec's own mount namespace: the host's mounts are as before.
  const cgroupMounts = (text: string): string[] => text.split('\n').filter((l) => l.includes('/sys/fs/cgroup')).map((l) => l.split(' ').slice(4, 5).join());
  assert.deepEqual(cgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8')), cgroupMounts(mountsBefore));
});
