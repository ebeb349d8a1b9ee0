// The README's demo, run in-process: what it prints is what a newcomer sees.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runLab } from '../../src/lab/command.ts';

describe('herald lab', () => {
  it('allocates, refuses node addresses, leaves foreign classes alone, keeps shared IPs, survives a restart', async () => {
    const lines: string[] = [];
    await runLab((l) => lines.push(l), 'silent');
    const out = lines.join('\n');
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
});
