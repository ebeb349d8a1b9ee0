// The 403 scan the e2e files end with (src/lab/log-scan.ts): it must see every form a refusal
// takes in Herald's logs, and nothing else, or the RBAC check of the e2e suites checks nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forbiddenLines } from '../../src/lab/log-scan.ts';

test('forbiddenLines finds client-node, status-code and reason forms of a 403, and no other line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-log-scan-'));
  try {
    const log = join(dir, 'speaker-node-a.log');
    writeFileSync(log, [
      '{"level":"warn","path":"/api/v1/services","err":"HTTP 403","msg":"watch failed; restarting"}',
      '{"level":"warn","node":"node-a","err":"HTTP-Code: 403\\nMessage: Forbidden","msg":"node Lease renewal failed"}',
      '{"level":"warn","ip":"192.0.2.200","op":"take","code":403,"msg":"VIP Lease write failed"}',
      '{"level":"warn","msg":"events is forbidden: User cannot create resource"}',
      '{"level":"debug","seq":1403,"code":4030,"msg":"heartbeat"}',
      '{"level":"warn","code":401,"err":"HTTP 401","msg":"node Lease renewal failed"}',
    ].join('\n'));
    const found = forbiddenLines([log, join(dir, 'controller.log')]);
    assert.equal(found.length, 4, found.join('\n'));
    assert.ok(found.every((l) => l.startsWith('speaker-node-a.log: ')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
