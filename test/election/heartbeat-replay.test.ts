// Replay protection (issue #14): a heartbeat counts only when it is newer than the last one counted
// from its node, with seq compared as a wrapping u32, and the node's own Lease deciding between lives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplayGuard, seqAfter } from '../../src/election/heartbeat-replay.ts';

test('seqAfter is RFC 1982 serial order on u32: it wraps', () => {
  assert.ok(seqAfter(2, 1));
  assert.ok(!seqAfter(1, 1));
  assert.ok(!seqAfter(1, 2));
  assert.ok(seqAfter(0, 0xffffffff));
  assert.ok(seqAfter(5, 0xfffffff0));
  fc.assert(fc.property(fc.nat(0xffffffff), fc.integer({ min: 1, max: 0x7fffffff }), (a, d) => seqAfter((a + d) >>> 0, a) && !seqAfter(a, (a + d) >>> 0)));
});

test('a story: replays, reordering, restarts, and a clock that went back', () => {
  const g = new ReplayGuard();
  const steps: [string, () => boolean, boolean][] = [
    ['first heartbeat of node-b', () => g.admit('node-b', 1000, 7), true],
    ['the next one', () => g.admit('node-b', 1000, 8), true],
    ['the same one again (a replay)', () => g.admit('node-b', 1000, 8), false],
    ['an older one (replayed or reordered)', () => g.admit('node-b', 1000, 6), false],
    ['another node is judged apart', () => g.admit('node-c', 5, 1), true],
    ['node-b restarted: a greater incarnation, any seq', () => g.admit('node-b', 2000, 1), true],
    ['its previous life, replayed', () => g.admit('node-b', 1000, 9), false],
    ['its Lease names the new life', () => (g.onStamp('node-b', 2000), true), true],
    ['node-b restarted with its clock gone back: not yet believed', () => g.admit('node-b', 1500, 1), false],
    ['its Lease names the new life: believed', () => (g.onStamp('node-b', 1500), g.admit('node-b', 1500, 2)), true],
    ['the life the clock went back from, replayed: newer, but the Lease says it is over', () => g.admit('node-b', 1000, 50), false],
    ['seq wraps within a life', () => g.admit('node-b', 1500, 0x80000000) && g.admit('node-b', 1500, 0xfffffffe) && g.admit('node-b', 1500, 0), true],
  ];
  for (const [what, step, want] of steps) assert.equal(step(), want, what);
});

test('judge: the same heartbeat twice is a duplicate (dual-stack peers get each on both families), an older one stale', () => {
  const g = new ReplayGuard();
  assert.deepEqual([g.judge('n', 1, 5), g.judge('n', 1, 5), g.judge('n', 1, 4), g.judge('n', 1, 6)], ['fresh', 'duplicate', 'stale', 'fresh']);
});

test('property: replaying any captured sequence adds at most the heartbeats not yet seen, each once', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(1000), { minLength: 1, maxLength: 50 }), (seqs) => {
      const g = new ReplayGuard();
      const admitted = seqs.filter((s) => g.admit('n', 1, s));
      // Strictly increasing: a replayed or reordered one never counts.
      for (let i = 1; i < admitted.length; i++) assert.ok((admitted[i] ?? 0) > (admitted[i - 1] ?? 0));
      assert.equal(seqs.filter((s) => g.admit('n', 1, s)).length, 0);
    }),
  );
});
