// Flags of `herald speaker`: defaults, every refusal with a message, timings that fall back to
// their defaults with a reason, and the command as a user runs it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';
import { parseDuration, parseSpeakerArgs } from '../../src/speaker/command.ts';

const run = promisify(execFile);
/** Flags that are not about the heartbeat key: run unauthenticated, said explicitly (issue #14). */
const INSECURE = '--insecure-heartbeats';
const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;

describe('parseSpeakerArgs', () => {
  it('defaults: node from NODE_NAME, namespace from POD_NAMESPACE, default timings, port 9425', () => {
    const r = parseSpeakerArgs([INSECURE], { NODE_NAME: 'n1', POD_NAMESPACE: 'lb' });
    assert.ok(r.ok === true);
    assert.equal(r.flags.speaker.node, 'n1');
    assert.equal(r.flags.speaker.namespace, 'lb');
    assert.equal(r.flags.speaker.heartbeatPort, 9425);
    assert.deepEqual(r.flags.speaker.timings, DEFAULT_L2_TIMINGS);
    assert.deepEqual(r.flags.speaker.gratuitous, { count: 3, intervalMs: 200 });
    assert.equal(r.flags.drainMs, 8000);
    assert.equal(r.flags.speaker.heartbeatKey, undefined);
    assert.equal(r.flags.heartbeatKeys, null);
    assert.deepEqual(r.flags.warnings, []);
    assert.equal(r.flags.speaker.fenceDamping, false, 'damping is off unless asked for');
  });

  it('--fence-damping turns the election’s damping after a fence on (docs/l2.md, "Damping after a fence")', () => {
    const r = parseSpeakerArgs(['--node-name', 'n', INSECURE, '--fence-damping'], {});
    assert.ok(r.ok === true);
    assert.equal(r.flags.speaker.fenceDamping, true);
  });

  it('reads timings as durations; an unsafe combination falls back to the default with the rule it broke', () => {
    const ok = parseSpeakerArgs(['--node-name', 'n', INSECURE, '--heartbeat-interval', '50ms', '--peer-dead-after', '0.5s'], {});
    assert.ok(ok.ok === true);
    assert.equal(ok.flags.speaker.timings.heartbeatIntervalMs, 50);
    assert.equal(ok.flags.speaker.timings.peerDeadAfterMs, 500);
    // F + 2h ≤ D is broken by a fence time above D: the fence time goes back to its default.
    const bad = parseSpeakerArgs(['--node-name', 'n', INSECURE, '--fence-after', '5s'], {});
    assert.ok(bad.ok === true);
    assert.equal(bad.flags.speaker.timings.fenceAfterMs, DEFAULT_L2_TIMINGS.fenceAfterMs);
    assert.equal(bad.flags.warnings.length, 1);
    assert.match(bad.flags.warnings[0] ?? '', /fence/);
  });

  it('--node-lease-renew for a large cluster carries E and api-stale-after with it; --api-stale-after sets its own (issue #10)', () => {
    const big = parseSpeakerArgs(['--node-name', 'n', INSECURE, '--node-lease-renew', '5s'], {});
    assert.ok(big.ok === true);
    assert.deepEqual(big.flags.warnings, []);
    const t = big.flags.speaker.timings;
    assert.deepEqual([t.nodeLeaseRenewMs, t.evidenceTtlMs, t.apiStaleAfterMs], [5_000, 10_000, 7_500]);
    const own = parseSpeakerArgs(['--node-name', 'n', INSECURE, '--node-lease-renew', '5s', '--api-stale-after', '6s'], {});
    assert.ok(own.ok === true);
    assert.equal(own.flags.speaker.timings.apiStaleAfterMs, 6_000);
  });

  it('reads a heartbeat key of at least 16 bytes, and a second one while its file exists', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-key-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'k'), 'a-key-of-more-than-16-bytes');
    writeFileSync(join(dir, 'k2'), 'the-next-key-of-32-bytes-exactly');
    writeFileSync(join(dir, 'short'), 'tiny');
    const r = parseSpeakerArgs(['--node-name', 'n', '--heartbeat-key-file', join(dir, 'k')], {});
    assert.ok(r.ok === true);
    assert.equal(r.flags.heartbeatKeys?.sign.length, 27);
    assert.equal(r.flags.heartbeatKeys?.also, null);
    // The L2 speaker gets the live keys themselves: a reload reaches it without a restart.
    assert.equal(r.flags.speaker.heartbeatKey, r.flags.heartbeatKeys);
    const both = parseSpeakerArgs(['--node-name', 'n', '--heartbeat-key-file', join(dir, 'k'), '--heartbeat-accept-key-file', join(dir, 'k2')], {});
    assert.ok(both.ok === true);
    assert.equal(both.flags.heartbeatKeys?.also?.length, 32);
    // The accept file is absent outside a rotation (the Secret has no such item): no second key.
    const absent = parseSpeakerArgs(['--node-name', 'n', '--heartbeat-key-file', join(dir, 'k'), '--heartbeat-accept-key-file', join(dir, 'none')], {});
    assert.ok(absent.ok === true);
    assert.equal(absent.flags.heartbeatKeys?.also, null);
    const shortAccept = parseSpeakerArgs(['--node-name', 'n', '--heartbeat-key-file', join(dir, 'k'), '--heartbeat-accept-key-file', join(dir, 'short')], {});
    assert.ok(shortAccept.ok === false);
    assert.equal(shortAccept.environment, 'HERALD_KEY_FILE');
    assert.match(shortAccept.error, /^--heartbeat-accept-key-file ".*short" holds 4 bytes/);
    const s = parseSpeakerArgs(['--node-name', 'n', '--heartbeat-key-file', join(dir, 'short')], {});
    assert.ok(s.ok === false);
    assert.match(s.error, /16 bytes/);
    // What the flag names is wrong, not the flag: an environment error, exit 1 (issue #13).
    assert.equal(s.environment, 'HERALD_KEY_FILE');
    const missing = parseSpeakerArgs(['--node-name', 'n', '--heartbeat-key-file', join(dir, 'none')], {});
    assert.ok(missing.ok === false);
    assert.equal(missing.environment, 'HERALD_KEY_FILE');
  });

  it('refuses to start without a key unless told --insecure-heartbeats (issue #14): exit 1, naming the fix', () => {
    const r = parseSpeakerArgs(['--node-name', 'n'], {});
    assert.ok(r.ok === false);
    assert.equal(r.environment, 'HERALD_NO_HEARTBEAT_KEY');
    assert.match(r.error, /^no heartbeat key: pass --heartbeat-key-file with the Secret herald-system\/herald-heartbeat-key mounted .*, or --insecure-heartbeats to run unauthenticated \(docs\/l2\.md\)$/);
    const insecure = parseSpeakerArgs(['--node-name', 'n', INSECURE], {});
    assert.ok(insecure.ok === true);
    assert.equal(insecure.flags.heartbeatKeys, null);
  });

  for (const [argv, message] of [
    [[], /--node-name/],
    [['--node-name', 'n', '--heartbeat-port', '70000'], /heartbeat-port/],
    [['--node-name', 'n', '--heartbeat-interval', 'fast'], /duration/],
    [['--node-name', 'n', '--gratuitous-count', '99'], /gratuitous-count/],
    [['--node-name', 'n', '--default-service-ipam', 'magic'], /pool, node-ipam or none/],
    [['--node-name', 'n', '--accept-annotations', 'kube-vip'], /metallb and\/or cilium/],
    [['--node-name', 'n', '--log-level', 'loud'], /--log-level/],
    [['--node-name', 'n', '--heartbeat-key-file', '/nonexistent/key'], /heartbeat-key-file/],
    [['--node-name', 'n', INSECURE, '--heartbeat-key-file', '/k'], /^--insecure-heartbeats contradicts --heartbeat-key-file/],
    [['--node-name', 'n', '--heartbeat-accept-key-file', '/k'], /^--heartbeat-accept-key-file needs --heartbeat-key-file/],
    [['--node-name', 'n', '--heartbeat-key-file', '/k', '--heartbeat-accept-key-file', ''], /^--heartbeat-accept-key-file is empty/],
    [['--no-such-flag'], /^unknown flag --no-such-flag$/],
    [['--node-name', 'Node_A'], /is not a valid Node name/],
    [['--node-name', 'n', '--namespace', 'NS'], /is not a valid namespace name/],
    [['--node-name', 'n', '--metrics-addr', 'bogus'], /--metrics-addr: listen address "bogus" is not host:port/],
    [['--node-name', 'n', '--bgp-listen-port', '70000'], /--bgp-listen-port must be 0\.\.65535/],
  ] as const) {
    it(`refuses ${argv.join(' ') || 'no node name'} with a message`, () => {
      const r = parseSpeakerArgs(argv, {});
      assert.ok(r.ok === false);
      assert.match(r.error, message);
    });
  }

  it('parses durations', () => {
    assert.equal(parseDuration('100ms'), 100);
    assert.equal(parseDuration('2s'), 2000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('1m'), 60_000);
    for (const bad of ['', '10', 's', '-1s', '1h', '1e3ms']) assert.equal(parseDuration(bad), null, bad);
  });
});

describe('herald speaker as a command', () => {
  it('--help lists the flags and says it never adds a VIP to an interface', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'speaker', '--help']);
    assert.match(stdout, /--node-name/);
    assert.match(stdout, /--heartbeat-port/);
    assert.match(stdout, /never adds a VIP to an interface/);
  });

  it('a bad flag exits 2 with one line on stderr (test/cli/first-contact.test.ts has every case)', async () => {
    await assert.rejects(run(process.execPath, [CLI, 'speaker', '--node-name', 'n', INSECURE, '--heartbeat-port', 'x']), (err: { code?: number; stderr?: string }) => err.code === 2 && err.stderr === `herald speaker: --heartbeat-port must be 1..65535, not "x"; see 'herald speaker --help'\n`);
  });

  it('the top-level help lists the speaker', async () => {
    const { stdout } = await run(process.execPath, [CLI, '--help']);
    assert.match(stdout, /speaker/);
  });
});
