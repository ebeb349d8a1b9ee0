// Rebalancing handovers spread over time (src/election/rebalance-budget.ts, issue #10): a node
// that joins is the better candidate for its share of every VIP at once.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { REBALANCE_BURST, REBALANCE_PER_S, RebalanceBudget } from '../../src/election/rebalance-budget.ts';

test('a burst at once, then the rate; a VIP that must wait is told when the next turn comes', () => {
  const b = new RebalanceBudget();
  let now = 1_000;
  let granted = 0;
  while (b.take(now)) granted++;
  assert.equal(granted, REBALANCE_BURST, 'the burst');
  const next = b.nextAt(now);
  assert.ok(next > now && next <= now + Math.ceil(1000 / REBALANCE_PER_S), `next turn at +${next - now} ms`);
  assert.equal(b.take(next - 1), false, 'not before it');
  assert.equal(b.take(next), true, 'then one');
  // Over a second, the rate (within one token).
  now = next;
  let more = 0;
  for (let t = now; t <= now + 1_000; t += 10) while (b.take(t)) more++;
  assert.ok(Math.abs(more - REBALANCE_PER_S) <= 1, `${more} in a second`);
  // Idle, it fills back up to the burst, not beyond.
  now += 60_000;
  granted = 0;
  while (b.take(now)) granted++;
  assert.equal(granted, REBALANCE_BURST);
});

test('a clock that goes back changes nothing (times come from the caller)', () => {
  const b = new RebalanceBudget();
  for (let i = 0; i < REBALANCE_BURST; i++) assert.ok(b.take(5_000));
  assert.equal(b.take(4_000), false);
  assert.equal(b.take(5_000), false);
});
