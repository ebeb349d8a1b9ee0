// Rendezvous hashing: deterministic, spreads VIPs evenly, moves only what it must, and spreads
// a failed node's VIPs evenly over the survivors (no herd on one successor).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { desiredOwner, rankNodes, weight } from '../../src/election/hash.ts';

const NODES = Array.from({ length: 10 }, (_, i) => `node-${i + 1}`);
/** 10,000 documentation addresses: 198.18.0.0/15 (RFC 2544) and 2001:db8::/32 (RFC 3849). */
const VIPS = Array.from({ length: 10_000 }, (_, i) => (i % 2 === 0 ? `198.18.${(i >> 8) & 0xff}.${i & 0xff}` : `2001:db8::${i.toString(16)}`));

function owners(vips: readonly string[], nodes: readonly string[]): Map<string, string> {
  return new Map(vips.map((v) => [v, desiredOwner(v, nodes) ?? '']));
}

function counts(m: Map<string, string>): Map<string, number> {
  const c = new Map<string, number>();
  for (const n of m.values()) c.set(n, (c.get(n) ?? 0) + 1);
  return c;
}

test('weights are deterministic integers below 2^53 and differ between nodes', () => {
  assert.equal(weight('192.0.2.10', 'n1'), weight('192.0.2.10', 'n1'));
  assert.notEqual(weight('192.0.2.10', 'n1'), weight('192.0.2.10', 'n2'));
  assert.notEqual(weight('192.0.2.10', 'n1'), weight('192.0.2.11', 'n1'));
  for (const v of VIPS.slice(0, 200)) {
    for (const n of NODES) {
      const w = weight(v, n);
      assert.ok(Number.isSafeInteger(w) && w >= 0, `${v} ${n}: ${w}`);
    }
  }
});

test('rankNodes is a permutation of the distinct nodes, best first, and desiredOwner is its head', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...NODES), { maxLength: 15 }), fc.constantFrom(...VIPS.slice(0, 50)), (nodes, vip) => {
      const ranked = rankNodes(vip, nodes);
      assert.deepEqual([...ranked].sort(), [...new Set(nodes)].sort());
      for (let i = 1; i < ranked.length; i++) assert.ok(weight(vip, ranked[i - 1] ?? '') >= weight(vip, ranked[i] ?? ''));
      assert.equal(desiredOwner(vip, nodes), ranked[0] ?? null);
      // The order of the input does not matter: every speaker gets the same answer.
      assert.deepEqual(rankNodes(vip, [...nodes].reverse()), ranked);
    }),
  );
});

test('demoted nodes rank after all others, in their own rendezvous order', () => {
  const vip = '192.0.2.10';
  const demoted = new Set(['node-1', 'node-2', 'node-3']);
  const ranked = rankNodes(vip, NODES, demoted);
  assert.deepEqual(new Set(ranked.slice(-3)), demoted);
  assert.deepEqual(ranked.slice(-3), rankNodes(vip, [...demoted]));
  assert.deepEqual(ranked.slice(0, -3), rankNodes(vip, NODES.filter((n) => !demoted.has(n))));
  assert.equal(desiredOwner(vip, NODES, demoted), ranked[0]);
  // All demoted: still a ranking (a cluster whose nodes are all cordoned still announces).
  assert.equal(desiredOwner(vip, ['node-1', 'node-2'], new Set(['node-1', 'node-2'])), rankNodes(vip, ['node-1', 'node-2'])[0]);
  assert.equal(desiredOwner(vip, []), null);
});

test('10,000 VIPs spread evenly over 10 nodes (each within 10% of its share, chi-square sane)', () => {
  const c = counts(owners(VIPS, NODES));
  assert.equal(c.size, NODES.length);
  const expected = VIPS.length / NODES.length;
  let chi2 = 0;
  for (const n of NODES) {
    const k = c.get(n) ?? 0;
    assert.ok(Math.abs(k - expected) < expected * 0.1, `${n} owns ${k}, expected about ${expected}`);
    chi2 += (k - expected) ** 2 / expected;
  }
  // 9 degrees of freedom: P(chi² > 27.9) = 0.001 for a uniform hash.
  assert.ok(chi2 < 27.9, `chi² = ${chi2.toFixed(1)}`);
});

test('a node leaving moves only its own VIPs, spread evenly over the survivors', () => {
  const before = owners(VIPS, NODES);
  const gone = 'node-4';
  const after = owners(VIPS, NODES.filter((n) => n !== gone));
  const moved = new Map<string, number>();
  for (const [v, was] of before) {
    const now = after.get(v) ?? '';
    if (was !== gone) assert.equal(now, was, `${v} moved from ${was} though ${gone} left`);
    else moved.set(now, (moved.get(now) ?? 0) + 1);
  }
  // The failed node's ~1,000 VIPs: each survivor takes about 1/9 of them, none takes a herd.
  const total = [...moved.values()].reduce((a, b) => a + b, 0);
  assert.equal(moved.size, 9);
  for (const [n, k] of moved) assert.ok(Math.abs(k - total / 9) < (total / 9) * 0.35, `${n} took ${k} of ${total}`);
});

test('a node joining takes about 1/(n+1) of the VIPs, evenly from everyone, and nothing else moves', () => {
  const before = owners(VIPS, NODES);
  const after = owners(VIPS, [...NODES, 'node-11']);
  const from = new Map<string, number>();
  for (const [v, was] of before) {
    const now = after.get(v) ?? '';
    if (now !== was) {
      assert.equal(now, 'node-11', `${v} moved from ${was} to ${now}, not to the new node`);
      from.set(was, (from.get(was) ?? 0) + 1);
    }
  }
  const total = [...from.values()].reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total - VIPS.length / 11) < (VIPS.length / 11) * 0.1, `${total} moved`);
  for (const [n, k] of from) assert.ok(Math.abs(k - total / 10) < (total / 10) * 0.35, `${n} gave ${k}`);
});

test('property: removing a node that does not own a VIP never changes its owner; adding one changes it only to the newcomer', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.constantFrom(...NODES), { minLength: 2 }), fc.constantFrom(...VIPS.slice(0, 500)), fc.constantFrom(...NODES), (nodes, vip, other) => {
      const owner = desiredOwner(vip, nodes);
      if (owner !== other && nodes.includes(other)) assert.equal(desiredOwner(vip, nodes.filter((n) => n !== other)), owner);
      if (!nodes.includes(other)) assert.ok([owner, other].includes(desiredOwner(vip, [...nodes, other])));
    }),
  );
});
