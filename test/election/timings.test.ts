// Timings: the defaults satisfy the safety inequalities of docs/l2.md, and bad flags fall back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_L2_TIMINGS, checkTimings, nodeLeaseDurationSeconds, renewAdvice, scaledWithRenew } from '../../src/election/timings.ts';
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

test('issue #10 large clusters: R alone scales E to 2R and api-stale-after to 1.5R, and the rules hold', () => {
  const { timings, problems } = checkTimings({ nodeLeaseRenewMs: 5_000 });
  assert.deepEqual(problems, []);
  assert.deepEqual([timings.nodeLeaseRenewMs, timings.evidenceTtlMs, timings.apiStaleAfterMs], [5_000, 10_000, 7_500]);
  // The other timings stay where the failover figures were measured.
  for (const k of ['heartbeatIntervalMs', 'peerDeadAfterMs', 'fenceAfterMs', 'probeAfterMs', 'stableAfterMs'] as const) assert.equal(timings[k], DEFAULT_L2_TIMINGS[k], k);
  // At the default R the scaled values are the defaults; below it they never fall under them.
  assert.deepEqual(scaledWithRenew(DEFAULT_L2_TIMINGS.nodeLeaseRenewMs), { evidenceTtlMs: DEFAULT_L2_TIMINGS.evidenceTtlMs, apiStaleAfterMs: DEFAULT_L2_TIMINGS.apiStaleAfterMs });
  assert.deepEqual(checkTimings({ nodeLeaseRenewMs: 500 }).timings.evidenceTtlMs, DEFAULT_L2_TIMINGS.evidenceTtlMs);
});

test('regression: issue #10 — --node-lease-renew above 3 s reverted every timing to the defaults (E and api-stale-after did not follow it)', () => {
  for (const renew of [3_000, 4_000, 6_000, 60_000]) {
    const { timings, problems } = checkTimings({ nodeLeaseRenewMs: renew });
    assert.deepEqual(problems, [], String(renew));
    assert.equal(timings.nodeLeaseRenewMs, renew);
    assert.ok(timings.evidenceTtlMs > renew && timings.apiStaleAfterMs > renew, String(renew));
  }
});

test('an explicit E or api-stale-after below a large R falls back to the value scaled from R, not to every default', () => {
  const { timings, problems } = checkTimings({ nodeLeaseRenewMs: 5_000, evidenceTtlMs: 4_000, apiStaleAfterMs: 3_000 });
  assert.deepEqual([timings.nodeLeaseRenewMs, timings.evidenceTtlMs, timings.apiStaleAfterMs], [5_000, 10_000, 7_500]);
  assert.equal(problems.length, 2);
  assert.match(problems[0] ?? '', /^evidenceTtlMs: 4000ms rejected .*using 10000ms/);
  assert.match(problems[1] ?? '', /^apiStaleAfterMs: 3000ms rejected .*using 7500ms/);
  // Given explicitly and valid, they are kept as given.
  assert.deepEqual(checkTimings({ nodeLeaseRenewMs: 5_000, evidenceTtlMs: 6_000, apiStaleAfterMs: 5_500 }).timings.evidenceTtlMs, 6_000);
});

test('the node Lease lasts three renewal periods: 6 s at the default R', () => {
  assert.equal(nodeLeaseDurationSeconds(DEFAULT_L2_TIMINGS), 6);
  assert.equal(nodeLeaseDurationSeconds({ nodeLeaseRenewMs: 5_000 }), 15);
  assert.equal(nodeLeaseDurationSeconds({ nodeLeaseRenewMs: 2_500 }), 8);
});

test('renewAdvice: silent within 20 writes/s, else the whole-second R that fits (issue #10: 100 nodes need 5 s)', () => {
  assert.equal(renewAdvice(40, 2_000), null, '40 nodes at 2 s: exactly 20/s');
  assert.deepEqual(renewAdvice(41, 2_000), { writesPerSecond: 20.5, suggestedRenewMs: 3_000 });
  assert.deepEqual(renewAdvice(100, 2_000), { writesPerSecond: 50, suggestedRenewMs: 5_000 });
  assert.equal(renewAdvice(100, 5_000), null);
  assert.equal(renewAdvice(1, 500), null);
  for (let n = 1; n <= 5_000; n += 37) {
    const a = renewAdvice(n, 2_000);
    if (a !== null) assert.equal(renewAdvice(n, a.suggestedRenewMs), null, `${n} nodes at the suggested ${a.suggestedRenewMs} ms`);
  }
});

test('every rule at its bound: the bound itself is kept, one millisecond past it falls back with the rule named', () => {
  const d = DEFAULT_L2_TIMINGS;
  const h = d.heartbeatIntervalMs;
  // [overrides exactly at the bound, the same one step past it, the field, what the reason says]
  const table: [Partial<L2Timings>, Partial<L2Timings>, keyof L2Timings, RegExp][] = [
    [{ heartbeatIntervalMs: 10, peerDeadAfterMs: 60, fenceAfterMs: 30, probeAfterMs: 25, writeRetryMs: 10, noteTtlMs: 10 }, { heartbeatIntervalMs: 9 }, 'heartbeatIntervalMs', /heartbeat interval must be at least 10ms/],
    // D = 3h is its own bound, but F's rule (2h < F, F + 2h <= D) needs D > 4h: only the refusal is testable.
    [{}, { peerDeadAfterMs: 3 * h - 1 }, 'peerDeadAfterMs', /peer-dead-after must be at least 3 heartbeat intervals/],
    [{ fenceAfterMs: d.peerDeadAfterMs - 2 * h }, { fenceAfterMs: d.peerDeadAfterMs - 2 * h + 1 }, 'fenceAfterMs', /F \+ 2h <= peer-dead-after/],
    [{ fenceAfterMs: 2 * h + 1, probeAfterMs: 2 * h + 0.5 }, { fenceAfterMs: 2 * h, probeAfterMs: 2 * h + 0.5 }, 'fenceAfterMs', /2h < F/],
    [{ probeAfterMs: 2 * h + 1 }, { probeAfterMs: 2 * h }, 'probeAfterMs', /2h < P < fence-after/],
    [{ probeAfterMs: d.fenceAfterMs - 1 }, { probeAfterMs: d.fenceAfterMs }, 'probeAfterMs', /P < fence-after/],
    [{ nodeLeaseRenewMs: 5 * h }, { nodeLeaseRenewMs: 5 * h - 1 }, 'nodeLeaseRenewMs', /node-lease-renew must be at least 5 heartbeat intervals/],
    [{ evidenceTtlMs: d.nodeLeaseRenewMs + 1 }, { evidenceTtlMs: d.nodeLeaseRenewMs }, 'evidenceTtlMs', /evidence-ttl must exceed node-lease-renew and fence-after/],
    [{ stableAfterMs: 0 }, { stableAfterMs: -1 }, 'stableAfterMs', /stable-after must not be negative/],
    [{ takeoverStaggerMs: 0 }, { takeoverStaggerMs: -1 }, 'takeoverStaggerMs', /takeover-stagger must not be negative/],
    [{ writeRetryMs: h }, { writeRetryMs: h - 1 }, 'writeRetryMs', /write retry must be at least one heartbeat interval/],
    [{ apiStaleAfterMs: d.nodeLeaseRenewMs + 1 }, { apiStaleAfterMs: d.nodeLeaseRenewMs }, 'apiStaleAfterMs', /api-stale-after must exceed node-lease-renew/],
    [{ noteTtlMs: h }, { noteTtlMs: h - 1 }, 'noteTtlMs', /note TTL must be at least one heartbeat interval/],
  ];
  for (const [at, past, field, why] of table) {
    const kept = checkTimings(at);
    assert.deepEqual(kept.problems, [], `${field} at its bound: ${kept.problems.join('; ')}`);
    if (at[field] !== undefined) assert.equal(kept.timings[field], at[field], `${field} at its bound is kept`);
    const refused = checkTimings(past);
    assert.equal(refused.timings[field], DEFAULT_L2_TIMINGS[field], `${field} past its bound falls back`);
    assert.match(refused.problems.join('; '), why, field);
    // Only that field falls back: an unrelated override given with it is kept, with no other problem.
    const other: keyof L2Timings = field === 'takeoverStaggerMs' ? 'stableAfterMs' : 'takeoverStaggerMs';
    const beside = checkTimings({ ...past, [other]: 33 });
    assert.deepEqual(beside.timings, { ...DEFAULT_L2_TIMINGS, ...past, [field]: DEFAULT_L2_TIMINGS[field], [other]: 33 }, `${field} falls back alone`);
    assert.equal(beside.problems.length, 1, `${field}: ${beside.problems.join('; ')}`);
    assert.ok(beside.problems[0]?.startsWith(`${field}: `), beside.problems[0]);
  }
});

test('D = 3h passes its own rule: what refuses it is the fence rule after it (2h < F and F + 2h <= D need D > 4h)', () => {
  const h = DEFAULT_L2_TIMINGS.heartbeatIntervalMs;
  const { timings, problems } = checkTimings({ peerDeadAfterMs: 3 * h });
  assert.deepEqual(timings, DEFAULT_L2_TIMINGS);
  assert.equal(problems.length, 1, problems.join('; '));
  assert.match(problems[0] ?? '', /^fenceAfterMs: .*using all default timings$/);
});

test('E above R but not above F is refused: evidence must outlive the fence time too', () => {
  // A long D makes room for F above R (F + 2h <= D; R >= 5h).
  const wide = { peerDeadAfterMs: 3_000, fenceAfterMs: 2_500 };
  const atF = checkTimings({ ...wide, evidenceTtlMs: 2_500 });
  assert.equal(atF.timings.evidenceTtlMs, DEFAULT_L2_TIMINGS.evidenceTtlMs);
  assert.match(atF.problems.join('; '), /evidence-ttl must exceed node-lease-renew and fence-after/);
  const aboveF = checkTimings({ ...wide, evidenceTtlMs: 2_501 });
  assert.deepEqual(aboveF.problems, []);
  assert.equal(aboveF.timings.evidenceTtlMs, 2_501);
});

test('E past the fence time but not R, and keys that are no timing, are handled as named', () => {
  const d = DEFAULT_L2_TIMINGS;
  const low = checkTimings({ evidenceTtlMs: d.fenceAfterMs });
  assert.equal(low.timings.evidenceTtlMs, d.evidenceTtlMs);
  assert.match(low.problems[0] ?? '', /evidence-ttl must exceed/);
  const odd = checkTimings({ heartbeatIntervalMs: undefined, ...({ colour: 5 } as Partial<L2Timings>) });
  assert.deepEqual(odd, { timings: DEFAULT_L2_TIMINGS, problems: [] });
  const inf = checkTimings({ peerDeadAfterMs: Number.POSITIVE_INFINITY });
  assert.equal(inf.timings.peerDeadAfterMs, d.peerDeadAfterMs);
  assert.match(inf.problems[0] ?? '', /peerDeadAfterMs: Infinity is not a number; using 600ms/);
  // An R that is itself refused scales nothing: E and api-stale-after stay at their defaults.
  const tiny = checkTimings({ nodeLeaseRenewMs: 1 });
  assert.deepEqual([tiny.timings.nodeLeaseRenewMs, tiny.timings.evidenceTtlMs, tiny.timings.apiStaleAfterMs], [d.nodeLeaseRenewMs, d.evidenceTtlMs, d.apiStaleAfterMs]);
  // Infinity for R is no number: nothing scales from it.
  const infR = checkTimings({ nodeLeaseRenewMs: Number.POSITIVE_INFINITY });
  assert.deepEqual([infR.timings.evidenceTtlMs, infR.timings.apiStaleAfterMs], [d.evidenceTtlMs, d.apiStaleAfterMs]);
});
