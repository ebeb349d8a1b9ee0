// The simulator fits heartbeats by bisection (sim.ts `fit`). A heartbeat too large for 1,400
// bytes must come out as the very bytes the shell's fitHeartbeat sends, or a 100-node simulation
// would not be the shell's cluster; one that fits is sent as encoded, as the simulator always
// did (fitHeartbeat would list the heard entries by age: the same content in another order).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeHeartbeat, fitHeartbeat } from '../../src/election/heartbeat.ts';
import type { Heartbeat } from '../../src/election/heartbeat.ts';
import { fit } from './sim.ts';

const KEY = new TextEncoder().encode('sim-key');
const name = (i: number): string => `node-${String(i).padStart(3, '0')}`;

test('fit sends the bytes fitHeartbeat sends, for heartbeats that fit and that do not', () => {
  let cut = 0;
  for (let peers = 1; peers < 130; peers += 6) {
    for (const notes of [0, 1, 7, 16]) {
      const m: Heartbeat = {
        node: name(0),
        incarnation: 1_000_123,
        seq: 77,
        fenced: false,
        leaving: false,
        warming: peers % 2 === 0,
        apiAgeMs: 40,
        policies: ['p', 'q'],
        heard: Array.from({ length: peers }, (_, i) => ({ node: name(i + 1), incarnation: 1_000_000 + i, seq: 3 * i, ageMs: (i * 37) % 250 })),
        notes: Array.from({ length: notes }, (_, i) => ({ ip: `10.0.${i}.1`, holder: name(i), epoch: i })),
      };
      const whole = encodeHeartbeat(m, KEY);
      const want = whole.ok ? whole : fitHeartbeat(m, KEY);
      const got = fit(m);
      assert.ok(want.ok && got.ok);
      assert.deepEqual(Buffer.from(got.value), Buffer.from(want.value), `${peers} peers, ${notes} notes`);
      if (!whole.ok) cut++;
    }
  }
  assert.ok(cut > 10, 'no heartbeat needed cutting: the test checked only the easy case');
});
