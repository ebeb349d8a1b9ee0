// The election in a simulated cluster (test/election/sim.ts): failover, handover, rebalancing,
// and every row of the failure table in docs/l2.md, as story tables with invariants checked
// after each step (story.ts). Virtual time: nothing here depends on the wall clock. Every story
// runs twice: with the default timings, and with R = 5 s, what docs/operations.md asks of a
// 100-node cluster (E and api-stale-after scaled with it: issue #10, simulator Finding 1).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from './sim.ts';
import { busiest, moved, runStory, spread } from './story.ts';
import { DEFAULT_L2_TIMINGS, checkTimings } from '../../src/election/timings.ts';
import type { L2Timings } from '../../src/election/timings.ts';

function stories(T: L2Timings): void {
  const D = T.peerDeadAfterMs;
  const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const vipsOf = (n: number): string[] => Array.from({ length: n }, (_, i) => (i % 4 === 3 ? `2001:db8::${i + 1}` : `198.51.100.${i + 1}`));
  /** Start-up: warm-up (D + J), then time to settle. */
  const BOOT = D + T.stableAfterMs + 1_000;

  function darkOf(sim: Sim, ips: readonly string[]): number[] {
    return ips.map((ip) => sim.dark.get(ip) ?? 0);
  }

  test('crash failover, rejoin and drain: 100 VIPs on 10 nodes', () => {
    const vips = vipsOf(100);
    const sim = new Sim({ nodes: names(10), vips, timings: T });
    let victim = '';
    let victims: string[] = [];
    runStory(sim, [
      {
        what: 'cold start',
        ms: BOOT,
        check: (s) => {
          // Exactly one create per VIP: the first choice takes, the others wait their stagger.
          assert.equal(s.apiWrites, 100, 'one Lease write per VIP at a cold start');
          const c = spread(s);
          assert.equal(c.size, 10, 'every node holds VIPs');
          for (const [n, k] of c) assert.ok(k >= 3 && k <= 25, `${n} holds ${k}`);
        },
      },
      {
        what: 'steady state costs node Lease renewals only',
        ms: 10_000,
        check: (s) => {
          assert.equal(s.apiWrites, 0, 'no VIP Lease is renewed');
          // 10 nodes renew every R = 2 s: 5/s. (Cilium's design: one request per VIP every few seconds.)
          assert.ok(s.nodeLeaseWrites <= 10 * (10_000 / T.nodeLeaseRenewMs) + 10, `${s.nodeLeaseWrites} node Lease writes in 10 s`);
        },
      },
      {
        what: 'the busiest holder crashes',
        act: (s) => {
          victim = busiest(s);
          victims = [...s.owners()].filter(([, who]) => who === victim).map(([ip]) => ip);
          s.crash(victim);
        },
        ms: 1_500,
        check: (s, before) => {
          // Only the crashed node's VIPs moved, and they went dark for about D, not more than a second.
          assert.deepEqual(moved(before, s.owners()).sort(), [...victims].sort());
          for (const [ip, ms] of s.dark) assert.ok(victims.includes(ip), `${ip} went dark for ${ms} ms though its holder did not crash`);
          const dark = darkOf(s, victims).sort((a, b) => a - b);
          assert.ok((dark.at(-1) ?? 0) <= D + 100, `worst failover ${dark.at(-1)} ms`);
          assert.ok((dark[0] ?? 0) >= D - T.heartbeatIntervalMs - 10, `failover ${dark[0]} ms is quicker than D allows: a live node may have been declared dead`);
          // Its successors are spread: no single survivor took them all.
          const takers = new Set(victims.map((ip) => s.owners().get(ip)));
          assert.ok(victims.length < 4 || takers.size >= 2, `all ${victims.length} VIPs went to ${[...takers].join()}`);
        },
      },
      {
        what: 'it restarts: after J its VIPs are handed back, each with no more than a step of silence',
        act: (s) => s.start(victim),
        ms: BOOT,
        check: (s, before) => {
          assert.deepEqual(moved(before, s.owners()).sort(), [...victims].sort(), 'exactly its VIPs came back');
          for (const ms of darkOf(s, victims)) assert.ok(ms <= 20, `handover silence ${ms} ms`);
        },
      },
      {
        what: 'SIGTERM: the node hands every VIP to its successor, then exits',
        act: (s) => {
          victim = busiest(s);
          victims = [...s.owners()].filter(([, who]) => who === victim).map(([ip]) => ip);
          s.drain(victim);
        },
        ms: 500,
        check: (s, before) => {
          assert.equal(s.up(victim), false, 'the drained node exited');
          assert.deepEqual(moved(before, s.owners()).sort(), [...victims].sort());
          // Planned handover: at most one simulation step (10 ms) without an answer; target 100 ms.
          for (const ms of darkOf(s, victims)) assert.ok(ms <= 20, `handover silence ${ms} ms`);
          assert.equal(s.apiWrites, victims.length, 'one write per VIP');
        },
      },
    ]);
  });

  test('eligibility: an excluded node hands over at once and never answers; readmitted, it gets its share back', () => {
    const sim = new Sim({ nodes: names(5), vips: vipsOf(30), timings: T });
    let mine: string[] = [];
    runStory(sim, [
      { what: 'start', ms: BOOT },
      {
        what: 'n1 becomes ineligible (excluded label, NotReady, or no local endpoint)',
        act: (s) => {
          mine = [...s.owners()].filter(([, who]) => who === 'n1').map(([ip]) => ip);
          s.setEligible('n1', false);
        },
        ms: 300,
        check: (s, before) => {
          assert.ok(mine.length > 0);
          assert.deepEqual(moved(before, s.owners()).sort(), [...mine].sort());
          for (const ms of darkOf(s, mine)) assert.ok(ms <= 20, `handover silence ${ms} ms`);
        },
      },
      { what: 'while excluded, n1 never answers', ms: 3_000, check: (s) => assert.ok(![...s.owners().values()].includes('n1')) },
      {
        what: 'readmitted: its VIPs return after J',
        act: (s) => s.setEligible('n1', true),
        ms: 2_000,
        check: (s) => assert.deepEqual([...s.owners()].filter(([, who]) => who === 'n1').map(([ip]) => ip).sort(), [...mine].sort()),
      },
    ]);
  });

  // ---- the failure table of docs/l2.md, row by row ------------------------------------------

  function cluster(n = 4): { sim: Sim; holder: string; held: string[] } {
    const sim = new Sim({ nodes: names(n), vips: vipsOf(16), timings: T });
    sim.run(BOOT);
    const holder = busiest(sim);
    return { sim, holder, held: [...sim.owners()].filter(([, who]) => who === holder).map(([ip]) => ip) };
  }

  test('cut off from the API server only: the holder keeps answering, nothing moves, nothing is written', () => {
    const { sim, holder } = cluster();
    runStory(sim, [
      {
        what: 'API cut for the holder for 10 s',
        act: (s) => s.cutApi(holder, true),
        ms: 10_000,
        check: (s, before) => {
          assert.deepEqual(moved(before, s.owners()), []);
          assert.equal(s.dark.size, 0);
          assert.equal(s.apiWrites, 0);
        },
      },
      { what: 'API back', act: (s) => s.cutApi(holder, false), ms: 2_000, check: (s) => assert.equal(s.apiWrites, 0) },
    ]);
  });

  test('cut off from its peers only: it yields (the mesh works elsewhere), its VIPs move once, and come back when healed', () => {
    const { sim, holder, held } = cluster();
    runStory(sim, [
      {
        what: 'UDP cut between the holder and everyone',
        act: (s) => s.isolate(holder),
        ms: 3_000,
        without: () => [holder],
        check: (s, before) => {
          assert.deepEqual(moved(before, s.owners()).sort(), [...held].sort());
          for (const ms of darkOf(s, held)) assert.ok(ms <= D + 300, `${ms} ms dark`);
          assert.equal(s.election(holder).view(s.now).leaving, true, 'the isolated node yields');
          // The others see it alive through its node Lease, not dead: they took nothing by force.
          assert.equal(s.election('n1' === holder ? 'n2' : 'n1').view(s.now).peers[holder], 'unreachable');
        },
      },
      { what: 'healed: the VIPs return', act: (s) => s.isolate(holder, false), ms: 3_000, check: (s, before) => assert.deepEqual(moved(before, s.owners()).sort(), [...held].sort()) },
    ]);
  });

  test('cut off from both: it fences before its peers take over; no moment with two answers', () => {
    const { sim, holder, held } = cluster();
    runStory(sim, [
      {
        what: 'UDP and API cut',
        act: (s) => {
          s.isolate(holder);
          s.cutApi(holder, true);
        },
        ms: 3_000,
        without: () => [holder],
        check: (s) => {
          assert.equal(s.election(holder).view(s.now).fenced, true);
          for (const ms of darkOf(s, held)) assert.ok(ms <= D + 100, `${ms} ms dark`);
        },
      },
      {
        what: 'healed: it revalidates by re-listing, then gets its VIPs back',
        act: (s) => {
          s.isolate(holder, false);
          s.cutApi(holder, false);
        },
        ms: 3_000,
        check: (s) => assert.equal(s.election(holder).view(s.now).revalidating, false),
      },
    ]);
  });

  test('the API server down for a minute: every VIP stays announced; a crash meanwhile waits for the API', () => {
    const { sim, holder, held } = cluster();
    runStory(sim, [
      {
        what: 'API down for 60 s',
        act: (s) => s.setApiDown(true),
        ms: 60_000,
        check: (s, before) => {
          assert.deepEqual(moved(before, s.owners()), []);
          assert.equal(s.dark.size, 0, 'no announcement stopped');
        },
      },
      {
        what: 'a holder crashes during the outage: nobody can write, so nobody takes over',
        act: (s) => s.crash(holder),
        ms: 5_000,
        settled: false,
        check: (s) => {
          for (const ip of held) assert.equal(s.owners().get(ip), '', `${ip} is answered without a Lease write`);
        },
      },
      {
        what: 'API back: the orphans are taken at once',
        act: (s) => s.setApiDown(false),
        ms: 200,
        check: (s) => assert.equal(s.apiWrites, held.length),
      },
    ]);
  });

  test('an API outage plus a blip of one node: peers vouch, so it resumes without the API', () => {
    const { sim, holder, held } = cluster();
    runStory(sim, [
      { what: 'API down', act: (s) => s.setApiDown(true), ms: 3_000 },
      { what: 'the holder is cut from its peers for 1 s: fenced', act: (s) => s.isolate(holder), ms: 1_000, settled: false, check: (s) => assert.equal(s.election(holder).view(s.now).fenced, true) },
      {
        what: 'contact back, API still down',
        act: (s) => s.isolate(holder, false),
        ms: 500,
        check: (s) => {
          for (const ms of darkOf(s, held)) assert.ok(ms <= 300, `${ms} ms dark after contact returned`);
        },
      },
    ]);
  });

  test('a 2/2 split of the UDP mesh with the API fine: evidence keeps both halves honest, nothing moves', () => {
    const { sim } = cluster(4);
    runStory(sim, [
      {
        what: 'split n1,n2 | n3,n4',
        act: (s) => s.partition(['n1', 'n2'], ['n3', 'n4']),
        ms: 8_000,
        check: (s, before) => {
          assert.deepEqual(moved(before, s.owners()), []);
          assert.equal(s.apiWrites, 0);
        },
      },
      { what: 'healed', act: (s) => s.partition(['n1', 'n2'], ['n3', 'n4'], false), ms: 2_000, check: (s) => assert.equal(s.apiWrites, 0) },
    ]);
  });

  test('two nodes: a crash fails over in under a second; a cut link moves nothing', () => {
    const { sim, holder, held } = cluster(2);
    const other = holder === 'n1' ? 'n2' : 'n1';
    runStory(sim, [
      { what: 'the link between them is cut', act: (s) => s.partition(['n1'], ['n2']), ms: 5_000, check: (s, before) => assert.deepEqual(moved(before, s.owners()), []) },
      { what: 'healed', act: (s) => s.partition(['n1'], ['n2'], false), ms: 2_000 },
      {
        what: 'the holder crashes',
        act: (s) => s.crash(holder),
        ms: 1_500,
        check: (s) => {
          for (const ip of held) assert.equal(s.owners().get(ip), other);
          for (const ms of darkOf(s, held)) assert.ok(ms <= D + 100, `${ms} ms dark`);
        },
      },
    ]);
  });

  test('a stalled holder does not answer from stale state when it wakes; it revalidates first', () => {
    const { sim, holder, held } = cluster();
    runStory(sim, [
      {
        what: 'the holder stalls for 2 s: its peers take over after D',
        act: (s) => s.stall(holder, 2_000),
        ms: 1_000,
        settled: false,
        check: (s) => {
          for (const ip of held) assert.notEqual(s.owners().get(ip), '', `${ip} not taken over`);
        },
      },
      { what: 'it wakes: no double answer (checked every step), then its VIPs come back', ms: 4_000 },
    ]);
  });

  test('UDP blocked everywhere: liveness falls back to node Leases; nothing moves until a holder really dies', () => {
    const { sim, holder, held } = cluster();
    runStory(sim, [
      {
        what: 'every node isolated',
        act: (s) => {
          for (const n of names(4)) s.isolate(n);
        },
        ms: 6_000,
        check: (s, before) => {
          assert.deepEqual(moved(before, s.owners()), []);
          assert.equal(s.apiWrites, 0);
        },
      },
      {
        what: 'a holder crashes: taken over once its evidence expires',
        act: (s) => s.crash(holder),
        ms: T.evidenceTtlMs + T.nodeLeaseRenewMs + 1_000,
        settled: false,
        check: (s) => {
          for (const ip of held) assert.notEqual(s.owners().get(ip), '');
          for (const ms of darkOf(s, held)) assert.ok(ms <= T.evidenceTtlMs + T.nodeLeaseRenewMs, `${ms} ms dark`);
        },
      },
    ]);
  });
}

const LARGE_CLUSTER = checkTimings({ nodeLeaseRenewMs: 5_000 });
assert.deepEqual(LARGE_CLUSTER.problems, []);
describe('default timings', () => stories(DEFAULT_L2_TIMINGS));
describe('R = 5 s, as for 100 nodes (E 10 s, api-stale-after 7.5 s)', () => stories(LARGE_CLUSTER.timings));
