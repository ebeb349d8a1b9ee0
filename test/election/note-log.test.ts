// The heartbeat notes a node sends (src/election/notes.ts): its own writes first, then what it
// passes on, each newest first, within the TTL and the per-heartbeat bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NoteLog } from '../../src/election/notes.ts';

const note = (ip: string, holder = 'n1', epoch = 1) => ({ ip, holder, epoch });

test("regression: bench/README.md election Finding 3 (own notes crowded out) — a take of ours answered amid others' transitions is still in the next heartbeat", () => {
  const log = new NoteLog(4_000, 16);
  log.add(note('198.19.1.105', 'node-07', 2), 0, true);
  // The burst: 30 transitions of other nodes' takes observed right after (watch and notes).
  for (let i = 0; i < 30; i++) log.add(note(`198.19.2.${i}`, 'node-09', 2), 1 + i);
  const sent = log.current(40);
  assert.equal(sent.length, 16);
  assert.deepEqual(sent[0], note('198.19.1.105', 'node-07', 2), 'our own take first');
  assert.deepEqual(sent[1], note('198.19.2.29', 'node-09', 2), 'then the newest passed on');
});

test('a later transition of the same VIP replaces the note, own or not; notes past the TTL go', () => {
  const log = new NoteLog(1_000, 16);
  log.add(note('a', 'me', 1), 0, true);
  log.add(note('b', 'x', 1), 10);
  log.add(note('a', 'y', 2), 20);
  assert.deepEqual(log.current(30), [note('a', 'y', 2), note('b', 'x', 1)], 'a is passed on now, newest first');
  assert.deepEqual(log.current(1_011), [note('a', 'y', 2)], 'b (at 10) is past the TTL at 1,011');
  assert.deepEqual(log.current(1_021), []);
});

test('property: current() is the own notes newest first, then the others newest first, within the TTL, at most max', () => {
  const op = fc.record({ ip: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), epoch: fc.integer({ min: 1, max: 9 }), own: fc.boolean(), gap: fc.integer({ min: 0, max: 400 }) });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), fc.integer({ min: 1, max: 5 }), (ops, max) => {
      const ttl = 1_000;
      const log = new NoteLog(ttl, max);
      const model = new Map<string, { epoch: number; at: number; own: boolean }>();
      let now = 0;
      for (const o of ops) {
        now += o.gap;
        log.add(note(o.ip, 'h', o.epoch), now, o.own);
        model.delete(o.ip);
        model.set(o.ip, { epoch: o.epoch, at: now, own: o.own });
        const live = [...model].filter(([, v]) => now - v.at <= ttl).reverse();
        const expect = [...live.filter(([, v]) => v.own), ...live.filter(([, v]) => !v.own)].slice(0, max).map(([ip, v]) => note(ip, 'h', v.epoch));
        assert.deepEqual(log.current(now), expect);
      }
    }),
  );
});
