// Herald's FSM fed the packets BIRD and FRR really sent (test/bfd/fixtures/README.md), in the
// place of the daemon at the other end: where the RFC leaves no choice, it answers with the very
// bytes the daemon it stands in for sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeControl, encodeControl } from '../../src/bfd/codec.ts';
import { BfdFsm } from '../../src/bfd/fsm.ts';
import type { BfdAction, BfdControl, BfdEvent, BfdState } from '../../src/bfd/types.ts';
import { fixture, hex, loadFixtures } from './helpers.ts';
import { sent } from './stories.ts';

const FIXTURES = loadFixtures();
const BIRD_TIMERS = { desiredMinTxUs: 300_000, requiredMinRxUs: 300_000, detectMult: 3 }; // capture.sh's configuration
const TX: BfdEvent = { kind: 'TimerExpired', timer: 'tx' };

function received(name: string): BfdEvent {
  const r = decodeControl(fixture(FIXTURES, name));
  assert.ok(r.ok, name);
  return { kind: 'Received', packet: r.value };
}

function only(actions: readonly BfdAction[]): BfdControl {
  const packets = sent(actions);
  assert.equal(packets.length, 1, 'one packet');
  return packets[0]!;
}

/** The packet sent, as bytes, beside the captured one. */
function assertSentBytes(actions: readonly BfdAction[], name: string): void {
  assert.equal(hex(encodeControl(only(actions))), hex(fixture(FIXTURES, name)), name);
}

function state(fsm: BfdFsm): BfdState {
  return fsm.snapshot().state;
}

test('in the place of BIRD a (192.0.2.1): the handshake, Finals and the expiry, byte for byte', () => {
  const a = new BfdFsm({ localDiscriminator: 0x3badbe95, timers: BIRD_TIMERS, random: () => 0.5 });
  assertSentBytes(a.start(), 'down.bird');
  assertSentBytes(a.handle(received('down-b.bird')), 'init.bird');
  assert.equal(state(a), 'Init');
  assertSentBytes(a.handle(received('up-poll.bird')), 'up-final.bird'); // Up, and a Final for b's Poll
  assert.equal(state(a), 'Up');
  // BIRD sent its own Poll as an extra packet at once; RFC 5880 §6.5 puts it on the scheduled one.
  assert.deepEqual([only(a.handle(TX)).poll, a.snapshot().polling], [true, true]);
  assert.deepEqual(sent(a.handle(received('up-final-b.bird'))), []);
  assert.equal(a.snapshot().polling, false);
  assertSentBytes(a.handle(TX), 'up.bird');
  // b's Poll for Required Min RX 500 ms: the same Final, and packets now at most every 500 ms.
  assertSentBytes(a.handle(received('up-poll-min-rx.bird')), 'up-final.bird');
  assert.equal(a.snapshot().txIntervalMs, 500);
  assertSentBytes(a.handle({ kind: 'TimerExpired', timer: 'detect' }), 'down-detection-expired.bird');
  assert.deepEqual([state(a), a.snapshot().localDiag, a.snapshot().remoteDiscriminator], ['Down', 1, 0]);
});

test('in the place of BIRD against FRR bfdd: its Polls answered, its AdminDown taken Down with diag 3, byte for byte', () => {
  const bird = new BfdFsm({ localDiscriminator: 0x7aca6460, timers: BIRD_TIMERS, random: () => 0.5 });
  bird.start();
  const up = only(bird.handle(received('init.frr')));
  assert.deepEqual([up.state, up.poll, up.final, up.desiredMinTxUs], ['Up', true, false, 300_000]);
  assert.deepEqual([only(bird.handle(received('up-poll.frr'))).final, bird.snapshot().polling], [true, true]);
  assert.deepEqual(sent(bird.handle(received('up-final.frr'))), []);
  assert.equal(bird.snapshot().polling, false);
  const final = only(bird.handle(received('up-poll-min-tx.frr')));
  assert.deepEqual([final.state, final.poll, final.final], ['Up', false, true]);
  assert.equal(bird.snapshot().detectionTimeMs, 1800, 'FRR now sends every 600 ms: 3 × 600 (Wireshark reads the same)');
  assertSentBytes(bird.handle(received('admin-down.frr')), 'down-neighbor-signaled.bird');
  assert.deepEqual([state(bird), bird.snapshot().localDiag, bird.snapshot().remoteState], ['Down', 3, 'AdminDown']);
  assert.deepEqual(sent(bird.handle(received('admin-down-final.frr'))), []);
  assert.deepEqual([state(bird), bird.snapshot().polling], ['Down', false]);
});

test('FRR\'s first Down, with Your Discriminator 0, takes a session that heard nothing to Init', () => {
  const bird = new BfdFsm({ localDiscriminator: 0x7aca6460, timers: BIRD_TIMERS, random: () => 0.5 });
  bird.start();
  const init = only(bird.handle(received('down.frr')));
  assert.deepEqual([init.state, init.yourDiscriminator, bird.snapshot().detectionTimeMs], ['Init', 0x0c70849f, 3000]);
});
