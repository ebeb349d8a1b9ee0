// Timings: the defaults satisfy the safety inequalities of docs/l2.md, and bad flags fall back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_L2_TIMINGS, checkTimings } from '../../src/election/timings.ts';
import type { L2Timings } from '../../src/election/timings.ts';

test('the defaults pass every rule, and the fence inequality F + 2h <= D holds with margin', () => {
  const { timings, problems } = checkTimings({});
  assert.deepEqual(problems, []);
  assert.deepEqual(timings, DEFAULT_L2_TIMINGS);
  const t = DEFAULT_L2_TIMINGS;
  assert.ok(t.fenceAfterMs + 2 * t.heartbeatIntervalMs <= t.peerDeadAfterMs);
  assert.ok(t.probeAfterMs > 2 * t.heartbeatIntervalMs && t.probeAfterMs < t.fenceAfterMs);
  assert.ok(t.evidenceTtlMs > t.nodeLeaseRenewMs);
  // The failover target: D + one write is well under a second.
  assert.ok(t.peerDeadAfterMs < 1_000);
});

test('valid overrides are kept', () => {
  const { timings, problems } = checkTimings({ heartbeatIntervalMs: 50, peerDeadAfterMs: 300, fenceAfterMs: 180, probeAfterMs: 120 });
  assert.deepEqual(problems, []);
  assert.equal(timings.heartbeatIntervalMs, 50);
  assert.equal(timings.fenceAfterMs, 180);
});

test('each broken rule falls back to the default with a reason naming the rule', () => {
  const table: [Partial<L2Timings>, keyof L2Timings, RegExp][] = [
    [{ heartbeatIntervalMs: 5 }, 'heartbeatIntervalMs', /at least 10ms/],
    [{ peerDeadAfterMs: 200 }, 'peerDeadAfterMs', /at least 3 heartbeat intervals/],
    [{ fenceAfterMs: 500 }, 'fenceAfterMs', /F \+ 2h <= peer-dead-after/],
    [{ fenceAfterMs: 150 }, 'fenceAfterMs', /2h < F/],
    [{ probeAfterMs: 400 }, 'probeAfterMs', /P < fence-after/],
    [{ evidenceTtlMs: 1_000 }, 'evidenceTtlMs', /exceed node-lease-renew/],
    [{ takeoverStaggerMs: -1 }, 'takeoverStaggerMs', /not be negative/],
  ];
  for (const [given, field, why] of table) {
    const { timings, problems } = checkTimings(given);
    assert.equal(timings[field], DEFAULT_L2_TIMINGS[field], field);
    assert.equal(problems.length, 1, `${field}: ${problems.join('; ')}`);
    assert.match(problems[0] ?? '', why);
    assert.ok(problems[0]?.startsWith(field));
  }
});

test('a value that is not a number is reported and replaced', () => {
  const { timings, problems } = checkTimings({ peerDeadAfterMs: Number.NaN });
  assert.equal(timings.peerDeadAfterMs, DEFAULT_L2_TIMINGS.peerDeadAfterMs);
  assert.match(problems[0] ?? '', /not a number/);
});

test('when even the default does not fit the other overrides, every timing reverts to the defaults', () => {
  // h = 400 is valid alone, but D = 600 (default) is then below 3h, and so is every later rule.
  const { timings, problems } = checkTimings({ heartbeatIntervalMs: 400 });
  assert.deepEqual(timings, DEFAULT_L2_TIMINGS);
  assert.match(problems.at(-1) ?? '', /using all default timings/);
});
