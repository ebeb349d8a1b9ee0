// Issue #10, in the driver: a dual-stack peer gets one heartbeat per round once it is heard, the
// same heartbeat arriving on a second address is dropped before its MAC is checked, and that echo
// (the peer fanning out: it does not hear us) moves our path to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Election } from '../../src/election/election.ts';
import { encodeHeartbeat, peekHeartbeatSender } from '../../src/election/heartbeat.ts';
import type { Heartbeat } from '../../src/election/heartbeat.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';
import { L2Driver } from '../../src/speaker/l2-driver.ts';
import { VirtualClock } from './driver-world.ts';

const T = DEFAULT_L2_TIMINGS;
const KEY = randomBytes(32);
const B4 = { address: '192.0.2.12', port: 9425 };
const B6 = { address: '2001:db8::12', port: 9425 };

function beat(seq: number, heardUs: number | null): Uint8Array {
  const m: Heartbeat = {
    node: 'node-b',
    incarnation: 1_700_000_000_000,
    seq,
    fenced: false,
    leaving: false,
    warming: false,
    apiAgeMs: 10,
    policies: ['default'],
    heard: heardUs === null ? [] : [{ node: 'node-a', incarnation: 1, seq: 1, ageMs: heardUs }],
    notes: [],
  };
  const r = encodeHeartbeat(m, KEY);
  assert.ok(r.ok);
  return r.value;
}

function world(): { clock: VirtualClock; driver: L2Driver; rounds: string[][]; errors: Map<string, number>; heard: () => number } {
  const clock = new VirtualClock();
  const rounds: string[][] = [];
  const errors = new Map<string, number>();
  let heard = 0;
  const never = (): Promise<never> => new Promise(() => undefined);
  const driver = new L2Driver({
    election: new Election({ me: 'node-a', incarnation: 1, timings: T, startedAt: clock.now(), trustNotes: true }),
    clock,
    key: KEY,
    heartbeatIntervalMs: T.heartbeatIntervalMs,
    leases: { write: never, renewNodeLease: () => Promise.resolve(true), listVipLeases: never, readVipLease: never, cachedVipLeases: () => new Map() },
    heartbeats: { send: (_bytes, to) => void rounds.push(to.map((e) => e.address)) },
    announcer: { put: () => undefined, remove: () => undefined },
    hooks: { onHeartbeatError: (code) => void errors.set(code, (errors.get(code) ?? 0) + 1), onHeartbeat: () => void heard++ },
  });
  driver.setNodeAddresses(new Map([['node-b', [B4.address, B6.address]]]));
  driver.onNodeLease('node-b', { incarnation: 1_700_000_000_000, seq: 0, heard: [], probing: false }, [B4, B6]);
  return { clock, driver, rounds, errors, heard: () => heard };
}

test('a dual-stack peer: every address until it is heard, then one; the same heartbeat again is dropped before its MAC is checked', async () => {
  const w = world();
  w.driver.start();
  assert.deepEqual(w.rounds.at(-1), ['192.0.2.12', '2001:db8::12'], 'not heard yet: both');
  let seq = 0;
  let last: Uint8Array = new Uint8Array();
  for (let i = 0; i < 10; i++) {
    last = beat(++seq, 20);
    w.driver.onDatagram(last, B4);
    await w.clock.advance(T.heartbeatIntervalMs);
  }
  assert.deepEqual(w.rounds.at(-1), ['192.0.2.12'], 'heard, and it hears us: the first address only');
  assert.equal(w.heard(), 10);
  const altered = Uint8Array.from(last);
  altered[altered.length - 1] = (altered.at(-1) ?? 0) ^ 0xff;
  // The last header with an altered tag could move the path, so it is checked: a forgery, counted.
  w.driver.onDatagram(altered, B6);
  assert.deepEqual(w.errors, new Map([['BadSignature', 1]]));
  await w.clock.advance(T.heartbeatIntervalMs);
  assert.deepEqual(w.rounds.at(-1), ['192.0.2.12'], 'a forged echo moves nothing');
  // The real copy on the other family: not counted again, but it moves the path.
  w.driver.onDatagram(last, B6);
  assert.equal(w.heard(), 10, 'each heartbeat counted once');
  last = beat(++seq, 20);
  w.driver.onDatagram(last, B6);
  await w.clock.advance(T.heartbeatIntervalMs);
  assert.deepEqual(w.rounds.at(-1), ['2001:db8::12']);
  // Within 3h of that move a copy could move nothing: dropped unverified, counted nowhere.
  const altered2 = Uint8Array.from(last);
  altered2[altered2.length - 1] = (altered2.at(-1) ?? 0) ^ 0xff;
  w.driver.onDatagram(last, B4);
  w.driver.onDatagram(altered2, B4);
  assert.deepEqual(w.errors, new Map([['BadSignature', 1]]));
  assert.equal(w.heard(), 11);
  assert.deepEqual(peekHeartbeatSender(beat(7, null)), { node: 'node-b', incarnation: 1_700_000_000_000, seq: 7 });
  assert.equal(peekHeartbeatSender(beat(7, null).subarray(0, 20)), null, 'a header cut short');
  w.driver.stop();
});

test('the peer fans out to us (its heartbeat arrives twice, verified): our path to it moves to its next address', async () => {
  const w = world();
  w.driver.start();
  let seq = 0;
  for (let i = 0; i < 5; i++) {
    w.driver.onDatagram(beat(++seq, 20), B4);
    await w.clock.advance(T.heartbeatIntervalMs);
  }
  assert.deepEqual(w.rounds.at(-1), ['192.0.2.12']);
  // node-b stops hearing us on IPv4 and sends to both of our addresses; it still lists us (an old entry, not yet > 2h).
  for (let i = 0; i < 2; i++) {
    const b = beat(++seq, 20);
    w.driver.onDatagram(b, B4);
    w.driver.onDatagram(b, B6);
    await w.clock.advance(T.heartbeatIntervalMs);
  }
  assert.deepEqual(w.rounds.at(-1), ['2001:db8::12'], 'the echo moved the path');
  // A forged echo (header of the last heartbeat, tag altered) past the hold-off moves nothing.
  for (let i = 0; i < 5; i++) {
    const b = beat(++seq, 20);
    w.driver.onDatagram(b, B6);
    const forged = Uint8Array.from(b);
    forged[forged.length - 1] = (forged.at(-1) ?? 0) ^ 0xff;
    w.driver.onDatagram(forged, B4);
    await w.clock.advance(T.heartbeatIntervalMs);
  }
  assert.deepEqual(w.rounds.at(-1), ['2001:db8::12'], 'a forged echo does not move the path');
  assert.ok((w.errors.get('BadSignature') ?? 0) >= 1, 'and is counted');
  w.driver.stop();
});

test('the peer says it last heard us more than 2h ago: the path moves; a peer never heard gets both addresses', async () => {
  const w = world();
  w.driver.start();
  let seq = 0;
  for (let i = 0; i < 3; i++) {
    w.driver.onDatagram(beat(++seq, 20), B4);
    await w.clock.advance(T.heartbeatIntervalMs);
  }
  assert.deepEqual(w.rounds.at(-1), ['192.0.2.12']);
  w.driver.onDatagram(beat(++seq, 350), B4);
  await w.clock.advance(T.heartbeatIntervalMs);
  assert.deepEqual(w.rounds.at(-1), ['2001:db8::12']);
  // Silence for 3 rounds: blind, both addresses.
  await w.clock.advance(3 * T.heartbeatIntervalMs);
  assert.deepEqual(w.rounds.at(-1), ['192.0.2.12', '2001:db8::12']);
  w.driver.stop();
});
