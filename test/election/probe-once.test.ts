// Probing asks once per silence, and once per cluster (src/election/contact.ts `probing` and
// `#mayAsk`; docs/l2.md "Probing"): a witness answers a prober once per node newly missing from
// its heard list, so a probe repeated every h until evidence or D asks nothing new, and the
// answers reach every node by the same watch, so one node's ask serves all. Simulated cluster,
// virtual time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from './sim.ts';
import { busiest, moved, runStory } from './story.ts';
import { FIRST_ASKERS } from '../../src/election/contact.ts';
import { rankNodes } from '../../src/election/hash.ts';
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
  // Nine survivors: at most one probing write each, and their renewals every R fall due within it at most once.
  assert.ok(sim.nodeLeaseWrites <= 9, `${sim.nodeLeaseWrites} node-Lease writes in ${T.peerDeadAfterMs + 500} ms after the crash`);
  assert.equal(new Set(sim.probingWrites).size, sim.probingWrites.length, `one probe per node at most: ${sim.probingWrites.join(', ')}`);
  for (const ms of sim.dark.values()) assert.ok(ms <= T.peerDeadAfterMs + 100, `${ms} ms dark: failover as before`);
});

test('regression: bench/README.md election Finding 3 (rank) — a crash at 10 and at 40 nodes is asked about by the first FIRST_ASKERS survivors by rank, not by all', () => {
  for (const n of [10, 40]) {
    const sim = new Sim({ nodes: names(n), vips });
    sim.run(5_000);
    const victim = busiest(sim);
    const survivors = names(n).filter((x) => x !== victim);
    sim.resetStats();
    sim.crash(victim);
    sim.run(T.peerDeadAfterMs + 500);
    assert.deepEqual([...sim.probingWrites].sort(), rankNodes(victim, survivors).slice(0, FIRST_ASKERS).sort(), `${n} nodes: who asked`);
    for (const ms of sim.dark.values()) assert.ok(ms <= T.peerDeadAfterMs + 100, `${n} nodes: ${ms} ms dark, failover as before`);
  }
});

test('a probe that failed is written again after h (it asked nobody), while the peer is still silent', () => {
  const sim = new Sim({ nodes: names(4), vips: vips.slice(0, 16) });
  sim.run(5_000);
  const victim = busiest(sim);
  const survivors = names(4).filter((n) => n !== victim);
  const [watcher = ''] = rankNodes(victim, survivors);
  const before = sim.nodeLeases.get(watcher);
  // Nobody's ask reaches the server, so nobody has asked when the watcher's API comes back.
  for (const n of survivors) sim.cutApi(n, true);
  sim.crash(victim);
  sim.run(T.probeAfterMs + T.heartbeatIntervalMs);
  assert.deepEqual(sim.nodeLeases.get(watcher), before, 'its probe did not reach the server');
  sim.cutApi(watcher, false);
  sim.run(2 * T.heartbeatIntervalMs);
  assert.equal(sim.nodeLeases.get(watcher)?.probing, true, 'the probe went out again once the API answered, before D');
});

test('the first askers cut from the API: the next survivor by rank asks, once, and nobody else does', () => {
  const sim = new Sim({ nodes: names(8), vips: vips.slice(0, 32) });
  sim.run(5_000);
  const victim = busiest(sim);
  const ranked = rankNodes(victim, names(8).filter((n) => n !== victim));
  const cut = ranked.slice(0, FIRST_ASKERS);
  for (const n of cut) sim.cutApi(n, true);
  sim.resetStats();
  sim.crash(victim);
  sim.run(T.peerDeadAfterMs + 500);
  assert.deepEqual(sim.probingWrites.filter((n) => !cut.includes(n)), [ranked[FIRST_ASKERS]], `asked: ${sim.probingWrites.join(', ')}`);
});

test('a split of the mesh: each side hears of the other from its own first askers, whose stamps list their side, before D', () => {
  const sim = new Sim({ nodes: names(8), vips: vips.slice(0, 32) });
  sim.run(5_000);
  const a = names(8).slice(0, 4);
  const b = names(8).slice(4);
  sim.resetStats();
  sim.partition(a, b);
  sim.run(T.peerDeadAfterMs + 100);
  for (const x of a) for (const y of b) {
    assert.equal(sim.election(x).view(sim.now).peers[y], 'unreachable', `${x} sees ${y} alive by the API`);
    assert.equal(sim.election(y).view(sim.now).peers[x], 'unreachable', `${y} sees ${x} alive by the API`);
  }
  assert.ok(sim.probingWrites.length <= 8, `${sim.probingWrites.length} probing writes for a split of 8: ${sim.probingWrites.join(', ')}`);
  assert.equal(sim.apiWrites, 0, 'no VIP Lease write');
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
