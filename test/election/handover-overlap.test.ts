// Regression (bench/l2 Finding 3): on a planned handover, the old holder answered until its own
// write's response came back, while the successor had already started on the Lease watch: two
// nodes answered one VIP for tens of milliseconds. docs/l2.md promises no overlap for SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from './sim.ts';
import { busiest } from './story.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';

const T = DEFAULT_L2_TIMINGS;
const BOOT = T.peerDeadAfterMs + T.stableAfterMs + 1_000;

test('regression: a draining holder stopped answering only when its handover write returned (overlap with the successor)', () => {
  const vips = Array.from({ length: 30 }, (_, i) => `198.51.100.${i + 1}`);
  // Find the busiest node first, then replay with that node's watch lagging (as a loaded process
  // lags): the successor hears of the handover 100 ms before the old holder does.
  const probe = new Sim({ nodes: ['n1', 'n2', 'n3'], vips });
  for (const n of ['n1', 'n2', 'n3']) probe.start(n);
  probe.run(BOOT);
  const victim = busiest(probe);
  const sim = new Sim({ nodes: ['n1', 'n2', 'n3'], vips, apiLatencyMs: 60, watchDelayMs: 1, watchLagMs: { [victim]: 100 } });
  for (const n of ['n1', 'n2', 'n3']) sim.start(n);
  sim.run(BOOT);
  assert.equal(busiest(sim), victim);
  const held = [...sim.owners()].filter(([, who]) => who === victim).map(([ip]) => ip);
  assert.ok(held.length > 0);
  sim.resetStats();
  sim.drain(victim);
  sim.run(1_000);
  assert.deepEqual(sim.overlaps, [], 'two nodes answered one VIP during the handover');
  for (const ip of held) assert.notEqual(sim.owners().get(ip), '', `${ip} was left dark`);
});
