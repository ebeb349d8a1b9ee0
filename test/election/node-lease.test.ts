// The node Lease cadence: every R, every h while probing or asked to, one write at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeLeaseCadence } from '../../src/election/node-lease.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';

const T = DEFAULT_L2_TIMINGS;

test('renews every R; every h while probing or when a peer asked; never two at once', () => {
  const c = new NodeLeaseCadence(T);
  assert.equal(c.due(0, false), true, 'the first write at once');
  c.started(0);
  assert.equal(c.due(T.nodeLeaseRenewMs, false), false, 'one in flight');
  assert.equal(c.finished(true), false);
  assert.equal(c.due(T.nodeLeaseRenewMs - 1, false), false);
  assert.equal(c.due(T.nodeLeaseRenewMs, false), true);
  assert.equal(c.due(T.heartbeatIntervalMs - 1, true), false);
  assert.equal(c.due(T.heartbeatIntervalMs, true), true, 'probing: every h');
  c.probeRequested();
  assert.equal(c.due(T.heartbeatIntervalMs, false), true, 'a peer asked for evidence');
  c.started(T.heartbeatIntervalMs);
  c.finished(true);
  assert.equal(c.due(2 * T.heartbeatIntervalMs, false), false, 'the request was answered');
});

test('a success after failures reports that the API is back', () => {
  const c = new NodeLeaseCadence(T);
  c.started(0);
  assert.equal(c.finished(false), false);
  c.started(2_000);
  assert.equal(c.finished(false), false);
  c.started(4_000);
  assert.equal(c.finished(true), true);
  c.started(6_000);
  assert.equal(c.finished(true), false);
});
