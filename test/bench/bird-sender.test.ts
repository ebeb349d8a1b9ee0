// The origination bench's BIRD sender (bench/bgp/bird-sender.ts): its configuration is one BIRD
// accepts (`bird -p` parses a configuration and exits), with the bench's N prefixes in a static
// protocol that starts disabled, so nothing is sent before the clock starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { birdSenderConfig } from '../../bench/bgp/bird-sender.ts';
import { benchPrefix } from '../../bench/bgp/children.ts';
import type { LabHost } from '../../src/lab/netns.ts';

function hasBird(): boolean {
  try {
    execFileSync('bird', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const host = (ipv4: string): LabHost => ({ ipv4 }) as LabHost;

test('birdSenderConfig: every bench prefix once, in a static protocol that starts disabled, exported to the one neighbour', () => {
  const conf = birdSenderConfig(host('192.0.2.11'), host('192.0.2.1'), 3);
  for (let i = 0; i < 3; i++) assert.equal(conf.split(`route ${benchPrefix(i)} blackhole;`).length, 2, benchPrefix(i));
  assert.ok(!conf.includes(`route ${benchPrefix(3)} `));
  assert.match(conf, /protocol static vips \{\n {2}disabled;/);
  assert.match(conf, /neighbor 192\.0\.2\.1 as 65000;/);
  assert.match(conf, /export all; next hop self;/);
});

test('birdSenderConfig: BIRD itself accepts it (bird -p)', { skip: hasBird() ? false : 'bird is not installed (apt-get install -y bird2)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bird-sender-'));
  try {
    const file = join(dir, 'bird.conf');
    writeFileSync(file, birdSenderConfig(host('192.0.2.11'), host('192.0.2.1'), 1000));
    // Throws with BIRD's parse error on stderr if it refuses the file.
    execFileSync('bird', ['-p', '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
