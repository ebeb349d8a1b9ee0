// A holder cut from the API server while its peers still hear it, that then stalls past F (the L2
// chaos bench's `api-cut-stall` fault, issue #14): it fences, contact with its peers comes back,
// but it cannot revalidate (a re-list needs the API; its peers cannot vouch for it, since they
// reach the API and write). Its heartbeats used to say "not fenced" while it answered nothing, so
// no peer took its VIPs: they stayed dark until the API came back. Virtual time, 3 nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from './sim.ts';
import { busiest } from './story.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';

const T = DEFAULT_L2_TIMINGS;
const NODES = ['n1', 'n2', 'n3'];
const VIPS = Array.from({ length: 30 }, (_, i) => `198.19.0.${i}`);

test('regression: L2 chaos api-cut-stall — a holder that cannot revalidate says so, and its peers take its VIPs after D − F', () => {
  const sim = new Sim({ nodes: NODES, vips: VIPS });
  sim.run(T.peerDeadAfterMs + T.stableAfterMs + 3_000);
  const holder = busiest(sim);
  const held = VIPS.filter((ip) => sim.owners().get(ip) === holder);
  assert.ok(held.length > 0);
  sim.cutApi(holder, true);
  sim.run(1_000);
  // Cut from the API, heard by its peers: it keeps its VIPs (docs/l2.md, the failure table).
  for (const ip of held) assert.equal(sim.owners().get(ip), holder);
  sim.resetStats();
  sim.stall(holder, T.fenceAfterMs + 200);
  const taken = sim.runUntil(() => held.every((ip) => { const o = sim.owners().get(ip); return o !== '' && o !== holder; }), 5_000);
  assert.notEqual(taken, null, `its VIPs were still dark 5 s after the stall (answered by: ${[...new Set(held.map((ip) => sim.owners().get(ip)))].join(', ')})`);
  // And they stay answered: peers used to hand them back J later to the node that could not
  // answer (ranked first, heard, "not fenced"), and they went dark until the API came back.
  sim.run(5_000);
  for (const ip of held) assert.notEqual(sim.owners().get(ip), '', `${ip} answered 5 s later`);
  const darkest = Math.max(...held.map((ip) => sim.dark.get(ip) ?? 0));
  assert.ok(darkest <= T.fenceAfterMs + 200 + T.peerDeadAfterMs + 3 * T.heartbeatIntervalMs + 500, `dark ${darkest} ms`);
  assert.equal(sim.longestOverlap(), 0, 'never two answering');
  // The API back: the node re-lists, sees the new holders, and stays out of their way.
  sim.cutApi(holder, false);
  sim.run(3_000);
  assert.equal(sim.longestOverlap(), 0);
  for (const ip of VIPS) assert.notEqual(sim.owners().get(ip), '', `${ip} answered`);
});
