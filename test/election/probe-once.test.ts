// Probing asks once per silence (src/election/contact.ts `probing`; docs/l2.md "Probing"): a
// witness answers a prober once per node newly missing from its heard list, so a probe repeated
// every h until evidence or D asks nothing new. Simulated cluster, virtual time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from './sim.ts';
import { busiest, moved, runStory } from './story.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';

const T = DEFAULT_L2_TIMINGS;
const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i + 1}`);
const vips = Array.from({ length: 100 }, (_, i) => `198.51.100.${i + 1}`);

test('regression: bench/README.md election Finding 3 — every peer of a crashed node probed every h until D (36 node-Lease writes at 10 nodes); now once each', () => {
  const sim = new Sim({ nodes: names(10), vips });
  sim.run(5_000);
  const victim = busiest(sim);
  sim.resetStats();
  sim.crash(victim);
  sim.run(T.peerDeadAfterMs + 500);
  // Nine survivors, one probing write each; their renewals every R fall due within it at most once.
  assert.ok(sim.nodeLeaseWrites <= 9, `${sim.nodeLeaseWrites} node-Lease writes in ${T.peerDeadAfterMs + 500} ms after the crash`);
  assert.ok(sim.nodeLeaseWrites >= 9, 'each survivor still asks once');
  for (const ms of sim.dark.values()) assert.ok(ms <= T.peerDeadAfterMs + 100, `${ms} ms dark: failover as before`);
});

test('a probe that failed is written again after h (it asked nobody), while the peer is still silent', () => {
  const sim = new Sim({ nodes: names(4), vips: vips.slice(0, 16) });
  sim.run(5_000);
  const victim = busiest(sim);
  const watcher = names(4).find((n) => n !== victim) ?? '';
  const before = sim.nodeLeases.get(watcher);
  sim.cutApi(watcher, true);
  sim.crash(victim);
  sim.run(T.probeAfterMs + T.heartbeatIntervalMs);
  assert.deepEqual(sim.nodeLeases.get(watcher), before, 'its probe did not reach the server');
  sim.cutApi(watcher, false);
  sim.run(2 * T.heartbeatIntervalMs);
  assert.equal(sim.nodeLeases.get(watcher)?.probing, true, 'the probe went out again once the API answered, before D');
});

test('a node cut from its peers still gets evidence before D from one probe each: nothing is taken by force', () => {
  const sim = new Sim({ nodes: names(4), vips: vips.slice(0, 16) });
  sim.run(5_000);
  const holder = busiest(sim);
  const other = names(4).find((n) => n !== holder) ?? '';
  runStory(sim, [
    {
      what: 'UDP cut between the holder and everyone',
      act: (s) => s.isolate(holder),
      ms: 3_000,
      without: () => [holder],
      check: (s) => assert.equal(s.election(other).view(s.now).peers[holder], 'unreachable', 'alive by its node Lease, not dead'),
    },
    { what: 'healed', act: (s) => s.isolate(holder, false), ms: 3_000, check: (s, before) => assert.ok(moved(before, s.owners()).length > 0) },
  ]);
});
