// src/kube/gate.ts (issue #10): at most `limit` in flight, first come first served, a place given
// back when a call settles either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Gate } from '../../src/kube/gate.ts';

test('issue #10 — a Gate runs at most `limit` calls at once, in arrival order, and frees a place on rejection too', async () => {
  const gate = new Gate(2);
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  const releases: (() => void)[] = [];
  const calls = Array.from({ length: 6 }, (_, i) =>
    gate.run(async () => {
      started.push(i);
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
      if (i === 1) throw new Error('failed');
      return i;
    }),
  );
  const settle = async (): Promise<void> => {
    for (let k = 0; k < 5; k++) await Promise.resolve();
  };
  await settle();
  assert.deepEqual(started, [0, 1]);
  assert.equal(gate.waiting, 4);
  for (let k = 0; k < 6; k++) {
    releases.shift()?.();
    await settle();
  }
  const results = await Promise.allSettled(calls);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
  assert.equal(peak, 2);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
  assert.equal(gate.waiting, 0);
});
