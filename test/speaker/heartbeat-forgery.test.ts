// Forged heartbeats for a dead node, in virtual time (issue #14; the lab does it on a real segment
// in test/e2e/heartbeat-spoof.test.ts). node-b dies; a host on the segment then sends, every
// 10 ms, what it can make of node-b's heartbeats: unsigned ones, ones signed with a guessed key,
// node-b's real (signed) heartbeats replayed, and all of them from node-b's own address.
// None counts: node-a sees node-b dead D after its last real heartbeat, exactly as without the
// forger, and every forged datagram is counted under its reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Election } from '../../src/election/election.ts';
import { encodeHeartbeat } from '../../src/election/heartbeat.ts';
import type { Heartbeat } from '../../src/election/heartbeat.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';
import { L2Driver } from '../../src/speaker/l2-driver.ts';
import { VirtualClock } from './driver-world.ts';

const T = DEFAULT_L2_TIMINGS;
const KEY = randomBytes(32);
const B_ADDRESS = '192.0.2.12';

function beat(seq: number, over: Partial<Heartbeat> = {}): Heartbeat {
  return { node: 'node-b', incarnation: 1_700_000_000_000, seq, fenced: false, leaving: false, warming: false, apiAgeMs: 10, policies: ['default'], heard: [], notes: [], ...over };
}

function bytes(m: Heartbeat, key?: Uint8Array): Uint8Array {
  const r = encodeHeartbeat(m, key);
  assert.ok(r.ok);
  return r.value;
}

async function run(forger: boolean, signed = true): Promise<{ deadAfterMs: number; errors: Map<string, number> }> {
  const clock = new VirtualClock();
  const errors = new Map<string, number>();
  const election = new Election({ me: 'node-a', incarnation: 1, timings: T, startedAt: clock.now(), trustNotes: signed });
  const never = (): Promise<never> => new Promise(() => undefined);
  const driver = new L2Driver({
    election,
    clock,
    ...(signed ? { key: KEY } : {}),
    heartbeatIntervalMs: T.heartbeatIntervalMs,
    leases: { write: never, renewNodeLease: () => Promise.resolve(true), listVipLeases: never, readVipLease: never, cachedVipLeases: () => new Map() },
    heartbeats: { send: () => undefined },
    announcer: { put: () => undefined, remove: () => undefined },
    hooks: { onHeartbeatError: (code) => void errors.set(code, (errors.get(code) ?? 0) + 1) },
  });
  driver.setNodeAddresses(new Map([['node-b', [B_ADDRESS]]]));
  driver.onNodeLease('node-b', { incarnation: 1_700_000_000_000, seq: 0, heard: [], probing: false }, [{ address: B_ADDRESS, port: 9425 }]);
  driver.start();
  const from = { address: B_ADDRESS, port: 9425 };
  // node-b lives for 3 s: a signed heartbeat every h. The forger records them all.
  const captured: Uint8Array[] = [];
  let seq = 0;
  for (let t = 0; t < 3_000; t += T.heartbeatIntervalMs) {
    const b = bytes(beat(++seq), KEY);
    captured.push(b);
    driver.onDatagram(b, from);
    await clock.advance(T.heartbeatIntervalMs);
  }
  assert.equal(driver.view().peers['node-b'], 'alive');
  // node-b dies. The forger sends every 10 ms, from node-b's address.
  const diedAt = clock.now();
  const guess = randomBytes(32);
  let i = 0;
  let deadAfterMs = -1;
  while (clock.now() - diedAt < 3 * T.peerDeadAfterMs) {
    if (forger) {
      const next = seq + 1 + i;
      driver.onDatagram(bytes(beat(next)), from); // unsigned
      driver.onDatagram(bytes(beat(next), guess), from); // a guessed key
      driver.onDatagram(captured[i % (captured.length - 1)] ?? new Uint8Array(), from); // replayed, really signed
      driver.onDatagram(captured[captured.length - 1] ?? new Uint8Array(), from); // the last one again: a duplicate, dropped silently
      i++;
    }
    await clock.advance(10);
    if (deadAfterMs < 0 && driver.view().peers['node-b'] !== 'alive') deadAfterMs = clock.now() - diedAt;
  }
  driver.stop();
  return { deadAfterMs, errors };
}

test('a forger on the segment cannot keep a dead node alive: it is seen dead as soon as without one, every forgery counted', async () => {
  const honest = await run(false);
  const attacked = await run(true);
  assert.ok(honest.deadAfterMs > 0 && honest.deadAfterMs <= T.peerDeadAfterMs + 2 * T.heartbeatIntervalMs, `without a forger: ${honest.deadAfterMs} ms`);
  assert.equal(attacked.deadAfterMs, honest.deadAfterMs, 'the forger changed nothing');
  assert.deepEqual(honest.errors, new Map());
  const n = Math.floor((3 * T.peerDeadAfterMs) / 10);
  assert.deepEqual(attacked.errors, new Map([['Unsigned', n], ['BadSignature', n], ['Stale', n]]));
});

test('the control: with --insecure-heartbeats the same forger keeps the dead node alive for as long as it sends', async () => {
  const attacked = await run(true, false);
  assert.equal(attacked.deadAfterMs, -1);
});
