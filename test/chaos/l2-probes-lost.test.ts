// The L2 chaos judge's "probes lost" (bench/chaos/l2-judge.ts, issue #14's drain target): a probe
// is lost when no reply names it, whenever the reply came.
import assert from 'node:assert/strict';
import test from 'node:test';
import { byRequest, unanswered } from '../../bench/chaos/l2-judge.ts';
import type { Arrival } from '../../bench/l2/probe.ts';

const ms = (n: number): bigint => BigInt(Math.round(n * 1000)) * 1_000n;
// Probes every 10 ms from 0 ms, from 32 sender addresses in turn (as bench/l2/probe-agent.ts).
const sent = Array.from({ length: 300 }, (_, k) => ms(10 * k));
const sentBy = sent.map((_, k) => k % 32);
const reply = (atMs: number, probe: number, mac = 'node-b'): Arrival => ({ t: ms(atMs), mac, kind: 'reply', sender: probe % 32 });

test('regression: issue #14 planned #5 — a probe sent 0.3 ms before the heal and answered 3.6 ms later is not lost', () => {
  const replies = sent.map((_, k) => reply(10 * k + (k === 200 ? 3.6 : 0.2), k));
  const perRequest = byRequest(replies, sent, sentBy);
  const heal = ms(2000.3); // probe 200 went out at 2,000.0 ms
  assert.equal(unanswered(perRequest, sent, ms(0), heal), 0);
  assert.equal(unanswered(perRequest, sent, heal, ms(3000)), 0);
});

test('a probe nobody answered is lost in the window it was sent in; a second MAC’s answer does not make up for another', () => {
  const replies = sent.flatMap((_, k) => (k === 50 ? [] : k === 51 ? [reply(10 * k + 0.2, k), reply(10 * k + 0.3, k, 'node-c')] : [reply(10 * k + 0.2, k)]));
  const perRequest = byRequest(replies, sent, sentBy);
  assert.equal(unanswered(perRequest, sent, ms(0), ms(505)), 1);
  assert.equal(unanswered(perRequest, sent, ms(505), ms(3000)), 0);
  assert.equal(unanswered(perRequest, sent, ms(0), ms(500)), 0, 'probe 50 was sent at 500 ms, outside [0, 500)');
});

test('a reply 30 ms late counts for its own probe, not the one sent meanwhile', () => {
  const replies = sent.flatMap((_, k) => (k === 80 ? [] : k === 81 ? [reply(800 + 30, 80), reply(10 * k + 0.2, k)] : [reply(10 * k + 0.2, k)]));
  const perRequest = byRequest(replies.sort((a, b) => (a.t < b.t ? -1 : 1)), sent, sentBy);
  assert.equal(unanswered(perRequest, sent, ms(0), ms(2900)), 0);
});

test('the last two probes are left out: their replies may be in flight at stop', () => {
  const replies = sent.slice(0, -2).map((_, k) => reply(10 * k + 0.2, k));
  assert.equal(unanswered(byRequest(replies, sent, sentBy), sent, ms(0), ms(5000)), 0);
});
