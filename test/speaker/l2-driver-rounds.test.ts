// Issue #10: heartbeat rounds on the shared (wall) clock's multiples of h, so every node sends at
// once and its peers' heartbeats reach it together, read in one wakeup instead of one each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Election } from '../../src/election/election.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';
import { L2Driver } from '../../src/speaker/l2-driver.ts';
import { VirtualClock } from './driver-world.ts';

const T = DEFAULT_L2_TIMINGS;
const H = T.heartbeatIntervalMs;

async function sendTimes(offset: number | null, startAt: number): Promise<number[]> {
  const clock = new VirtualClock();
  await clock.advance(startAt);
  const sent: number[] = [];
  const never = (): Promise<never> => new Promise(() => undefined);
  const driver = new L2Driver({
    election: new Election({ me: 'node-a', incarnation: 1, timings: T, startedAt: clock.now(), trustNotes: false }),
    clock,
    heartbeatIntervalMs: H,
    ...(offset === null ? {} : { sharedNow: () => clock.now() + offset }),
    leases: { write: never, renewNodeLease: () => Promise.resolve(true), listVipLeases: never, readVipLease: never, cachedVipLeases: () => new Map() },
    heartbeats: { send: () => void sent.push(clock.now()) },
    announcer: { put: () => undefined, remove: () => undefined },
  });
  driver.onNodeLease('node-b', { incarnation: 7, seq: 0, heard: [], probing: false }, [{ address: '192.0.2.12', port: 9425 }]);
  driver.start();
  await clock.advance(2_000);
  driver.stop();
  return offset === null ? sent : sent.map((t) => t + offset);
}

test('rounds fall on the shared clock multiples of h, whatever the local clock and start: never sooner than h/4, never later than 1.25 h', async () => {
  for (const offset of [0, 37, 99, 1_733_400_000_123]) {
    for (const startAt of [0, 1, 76, 80]) {
      const shared = await sendTimes(offset, startAt);
      assert.ok(shared.length >= 18, `${shared.length} rounds in 2 s`);
      // The first round goes at start; every later one on a multiple of h.
      for (const t of shared.slice(1)) assert.equal(((t % H) + H) % H, 0, `offset ${offset}, start ${startAt}: a round at ${t}`);
      for (let i = 1; i < shared.length; i++) {
        const gap = (shared[i] ?? 0) - (shared[i - 1] ?? 0);
        assert.ok(gap >= H / 4 && gap <= 1.25 * H, `offset ${offset}, start ${startAt}: rounds ${gap} ms apart`);
      }
    }
  }
});

test('without a shared clock, rounds are every h from the start', async () => {
  const local = await sendTimes(null, 33);
  for (let i = 1; i < local.length; i++) assert.equal((local[i] ?? 0) - (local[i - 1] ?? 0), H);
});
