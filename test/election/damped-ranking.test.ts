// Who comes last while damped (src/election/vip-table.ts `ranked`; docs/l2.md, "Damping after a
// fence"). bench/README.md, L2 Finding 7: with damping judged by each VIP's *previous* holder,
// which each node saw for itself and which changes with every move, one speaker's 1 s stall
// among 10 became 4,958 Lease writes in 20 s. The rule now reads only what every node reads
// alike: the damped set (from heartbeats) and the Lease's holder.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NoteLog } from '../../src/election/notes.ts';
import type { Pass } from '../../src/election/passes.ts';
import { initialVip } from '../../src/election/vip-machine.ts';
import { VipTable, type DesiredVip } from '../../src/election/vip-table.ts';

const NODES = ['n1', 'n2', 'n3', 'n4'];
const VIPS = Array.from({ length: 40 }, (_, i) => `198.51.100.${i + 1}`);

function table(me: string): VipTable {
  const t = new VipTable(me, new NoteLog(4_000, 256));
  const d: DesiredVip = { nodes: new Map(NODES.map((n) => [n, ['p']])), demoted: new Set(), servable: true };
  t.setDesired(new Map(VIPS.map((ip) => [ip, d])));
  return t;
}

function pass(damped: readonly string[]): Pass {
  const none: ReadonlySet<string> = new Set();
  return {
    now: 0,
    me: 'n1',
    leaving: false,
    mayAnswer: true,
    mayWrite: true,
    candidate: () => true,
    excluded: () => none,
    takeable: () => false,
    fresh: () => true,
    takeoverStaggerMs: 200,
    rebalanceAfterMs: 1_000,
    rebalance: () => true,
    damped: new Set(damped),
  };
}

/** The VIP's Lease names `holder`; this node last saw `previous` hold it (its own view). */
function held(t: VipTable, ip: string, holder: string, previous: string | null): void {
  t.reset({ ...initialVip(ip), lease: { kind: 'present', record: { holder, epoch: 3, version: '7' } }, previousHolder: previous });
}

test('regression: bench/README L2 Finding 7 — two nodes that saw different previous holders rank a VIP alike while a node is damped', () => {
  const a = table('n1');
  const b = table('n2');
  for (const ip of VIPS) {
    // Both read the Lease: n4 holds it. n1 saw it taken from n3 (the damped node); n2 saw a
    // later move (from n2 to n4) and not the take.
    held(a, ip, 'n4', 'n3');
    held(b, ip, 'n4', 'n2');
    assert.deepEqual(a.ranked(ip, pass(['n3'])), b.ranked(ip, pass(['n3'])), ip);
  }
});

test('a damped node comes last for every VIP it does not hold, in ranking order, and keeps its place for the VIPs it holds', () => {
  const t = table('n1');
  for (const ip of VIPS) {
    held(t, ip, 'n2', null);
    const natural = t.ranked(ip, pass([]));
    assert.deepEqual(t.ranked(ip, pass(['n3'])), [...natural.filter((n) => n !== 'n3'), 'n3'], ip);
    assert.deepEqual(t.ranked(ip, pass(['n3', 'n4'])), [...natural.filter((n) => n !== 'n3' && n !== 'n4'), ...natural.filter((n) => n === 'n3' || n === 'n4')], ip);
    held(t, ip, 'n3', null);
    assert.deepEqual(t.ranked(ip, pass(['n3'])), natural, `${ip}: its holder keeps its place`);
  }
});
