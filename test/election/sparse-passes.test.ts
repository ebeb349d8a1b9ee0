// Issue #10: a tick steps only the VIPs whose wake-up time has come, unless something every VIP
// reads has changed (`Election#inputs`); before, every tick and most events stepped all of them,
// which was most of a speaker's CPU at 1,000 VIPs. The claim: a VIP whose state and inputs did
// not change decides as it did, so the sparse passes make the same writes at the same moments and
// answer the same VIPs as full passes. Held here against the full passes (`fullPasses`), over
// seeded stories of joins, stalls past F, a crash, a partition and an API outage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadlines } from '../../src/election/deadlines.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';
import { Sim } from './sim.ts';

const T = DEFAULT_L2_TIMINGS;

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** One seeded story; returns what an outsider can see: every write, and who answers at the end. */
function story(seed: number, fullPasses: boolean): { writes: string[]; answering: string[]; leases: string[] } {
  const r = rng(seed);
  const vips = Array.from({ length: 60 }, (_, i) => `198.19.0.${i + 1}`);
  const nodes = ['n1', 'n2', 'n3', 'n4'];
  const sim = new Sim({ nodes, vips, apiLatencyMs: 5 + Math.floor(r() * 30), listLatencyMs: 200, authenticated: seed % 2 === 0, fullPasses });
  for (const n of nodes.slice(1)) sim.crash(n);
  sim.run(T.peerDeadAfterMs + T.stableAfterMs + 500);
  for (const n of nodes.slice(1)) {
    sim.start(n);
    for (let k = 0; k < 20; k++) {
      const who = nodes[Math.floor(r() * nodes.length)] ?? 'n1';
      if (r() < 0.15 && sim.up(who)) sim.stall(who, T.fenceAfterMs + Math.floor(r() * 300));
      sim.run(100);
    }
  }
  sim.run(3_000);
  sim.crash('n2');
  sim.run(2_000);
  sim.partition(['n1'], ['n3', 'n4']);
  sim.run(1_500);
  sim.partition(['n1'], ['n3', 'n4'], false);
  sim.setApiDown(true);
  sim.run(1_000);
  sim.setApiDown(false);
  sim.start('n2');
  sim.run(6_000);
  return {
    writes: sim.writeLog.map((w) => `${w.at} ${w.node} ${w.op} ${w.ip} ${w.holder} ${w.ok}`).sort(),
    answering: vips.map((ip) => `${ip}=${sim.answering(ip).join('+')}`),
    leases: vips.map((ip) => `${ip}=${sim.leases.get(ip)?.holder ?? '-'}@${sim.leases.get(ip)?.epoch ?? '-'}`),
  };
}

test('issue #10 — sparse passes make the same writes at the same moments as full passes, and answer the same VIPs', () => {
  for (let seed = 1; seed <= 6; seed++) {
    const full = story(seed, true);
    const sparse = story(seed, false);
    assert.ok(full.writes.length > 60, `story ${seed}: the story writes (${full.writes.length})`);
    assert.deepEqual(sparse.writes, full.writes, `story ${seed}: writes`);
    assert.deepEqual(sparse.answering, full.answering, `story ${seed}: who answers`);
    assert.deepEqual(sparse.leases, full.leases, `story ${seed}: Leases`);
  }
});

test('Deadlines: the earliest and the keys due agree with a plain map under random sets and deletes', () => {
  const r = rng(42);
  const heap = new Deadlines();
  const plain = new Map<string, number>();
  for (let i = 0; i < 5_000; i++) {
    const key = `k${Math.floor(r() * 200)}`;
    const op = r();
    if (op < 0.6) {
      const at = Math.floor(r() * 1_000);
      heap.set(key, at);
      plain.set(key, at);
    } else if (op < 0.9) {
      heap.delete(key);
      plain.delete(key);
    } else {
      const now = Math.floor(r() * 300);
      const due = [...plain].filter(([, at]) => at <= now);
      for (const [k] of due) plain.delete(k);
      assert.deepEqual(heap.popThrough(now).sort(), due.map(([k]) => k).sort());
    }
    assert.equal(heap.size, plain.size);
    assert.equal(heap.earliest(), plain.size === 0 ? null : Math.min(...plain.values()));
    assert.equal(heap.get(key), plain.get(key));
  }
});
