// The L2 chaos sweep's round attribution (bench/chaos/l2-sweep.ts, bench/README.md L2 chaos
// Finding 6): with one sender address a reply more than a round late was counted in the next
// round, beside the successor's answer, as "two MACs". Rounds now take the sender addresses in
// turn and a reply names its round by the address it answers.
import assert from 'node:assert/strict';
import test from 'node:test';
import { byRequest } from '../../bench/chaos/l2-judge.ts';
import { roundOf } from '../../bench/chaos/l2-sweep.ts';

const ms = (n: number): bigint => BigInt(n) * 1_000_000n;
// Rounds every 100 ms from t = 1,000 ms; four sender addresses in turn.
const rounds = Array.from({ length: 12 }, (_, k) => ms(1000 + 100 * k));

test('regression: bench/README L2 chaos Finding 6 — a reply a round late is counted in the round it answers, not the next', () => {
  // Round 4 (address 0) asked at 1,400 ms; its answer arrives at 1,530 ms, after round 5 was sent.
  assert.equal(roundOf(rounds, 4, 0, ms(1530)), 4);
  // The successor answers round 5 (address 1) at 1,510 ms: a different round, so no double.
  assert.equal(roundOf(rounds, 4, 1, ms(1510)), 5);
});

test('a reply answers the last round sent from its address at or before it arrived', () => {
  for (let sender = 0; sender < 4; sender++) {
    for (let t = 1000; t < 2300; t += 7) {
      const r = roundOf(rounds, 4, sender, ms(t));
      const expected = rounds.reduce<number | null>((best, at, k) => (k % 4 === sender && at <= ms(t) ? k : best), null);
      assert.equal(r, expected, `sender ${sender} at ${t} ms`);
    }
  }
});

test('a reply before any round from its address is no answer of the sweep', () => {
  assert.equal(roundOf(rounds, 4, 2, ms(1150)), null);
  assert.equal(roundOf(rounds, 4, 0, ms(999)), null);
  // One address: the last round sent before the reply, as before.
  assert.equal(roundOf(rounds, 1, 0, ms(1250)), 2);
});

// The same for the 10 ms probe (bench/chaos/l2-judge.ts byRequest): a holder busy handing over
// answered a probe 30 ms late, and the judge counted that reply against the probe sent just
// before it, beside the successor's answer to that one, as "two MACs".
test('regression: issue #14 planned handover — a probe reply 30 ms late is counted against the probe it answers', () => {
  const sent = Array.from({ length: 10 }, (_, k) => ms(1000 + 10 * k));
  const sentBy = sent.map((_, k) => k % 8);
  // Probe 2 (sent 1,020 ms, address 2) answered by the old holder at 1,051 ms; probe 5 (1,050 ms,
  // address 5) answered by the successor at 1,050.6 ms.
  const replies = [
    { t: ms(1050) + 600_000n, mac: 'new', kind: 'reply' as const, sender: 5 },
    { t: ms(1051), mac: 'old', kind: 'reply' as const, sender: 2 },
  ];
  const grouped = byRequest(replies, sent, sentBy);
  assert.deepEqual([...grouped].map(([k, rs]) => [k, rs.map((r) => r.mac)]).sort(), [
    [2, ['old']],
    [5, ['new']],
  ]);
  // Without the sender addresses both land on probe 5: the artifact.
  assert.deepEqual([...byRequest(replies, sent)].map(([k, rs]) => [k, rs.map((r) => r.mac)]), [[5, ['new', 'old']]]);
});
