// Two BFD sessions talking in virtual time: a small event queue, every packet through the codec,
// delivered after a delay (with a little variation) or lost. Properties (fast-check): both sides
// come Up, at once when nothing is lost; and when one side goes silent, the other reports Down
// with diag 1 no later than its Detection Time (plus the delay) and no earlier than (Detect Mult −
// 1) of the silent side's intervals (RFC 5880 §6.8.4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeControl, encodeControl } from '../../src/bfd/codec.ts';
import { BfdFsm } from '../../src/bfd/fsm.ts';
import type { BfdAction, BfdState, BfdTimerName, BfdTimers } from '../../src/bfd/types.ts';

/** mulberry32: a small seeded generator, so a failing case replays exactly. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Link {
  readonly delayMs: number;
  readonly variationMs: number;
  readonly loss: number;
}

interface Change {
  readonly at: number;
  readonly from: BfdState;
  readonly to: BfdState;
  readonly diag: number;
}

class Side {
  readonly fsm: BfdFsm;
  readonly changes: Change[] = [];
  readonly generation: Record<BfdTimerName, number> = { tx: 0, detect: 0 };
  peer: Side | null = null;
  /** Sends nothing from this time on (a crash, or a cut cable on its way out). */
  silentFrom = Infinity;
  /** When its latest packet reaches the peer. */
  lastArrival = 0;

  readonly timers: BfdTimers;

  constructor(timers: BfdTimers, discriminator: number, seed: number) {
    this.timers = timers;
    this.fsm = new BfdFsm({ localDiscriminator: discriminator, timers, random: prng(seed) });
  }

  upAt(): number | undefined {
    return this.changes.find((c) => c.to === 'Up')?.at;
  }
}

class Sim {
  now = 0;
  readonly #queue: { at: number; seq: number; run: () => void }[] = [];
  #seq = 0;
  readonly #random: () => number;
  readonly link: Link;

  constructor(link: Link, seed: number) {
    this.link = link;
    this.#random = prng(seed ^ 0x5bd1e995);
  }

  at(at: number, run: () => void): void {
    const ev = { at, seq: this.#seq++, run };
    let i = this.#queue.length;
    while (i > 0 && this.#queue[i - 1]!.at > at) i--;
    this.#queue.splice(i, 0, ev);
  }

  runUntil(t: number): void {
    while (this.#queue.length > 0 && this.#queue[0]!.at <= t) {
      const ev = this.#queue.shift()!;
      this.now = ev.at;
      ev.run();
    }
    this.now = t;
  }

  /** Carries out what a side's FSM asked for, as the socket shell would. */
  apply(side: Side, actions: readonly BfdAction[]): void {
    for (const a of actions) {
      if (a.kind === 'state') side.changes.push({ at: this.now, from: a.from, to: a.to, diag: a.diag });
      else if (a.kind === 'timer') {
        const generation = ++side.generation[a.timer]; // arming again or cancelling supersedes the running one
        if (a.ms !== null) this.at(this.now + a.ms, () => { if (side.generation[a.timer] === generation) this.apply(side, side.fsm.handle({ kind: 'TimerExpired', timer: a.timer })); });
      } else {
        if (this.now >= side.silentFrom || this.#random() < this.link.loss) continue;
        const bytes = encodeControl(a.packet);
        const to = side.peer!;
        // One link, first in first out (RFC 5881 single hop): the delay varies, the order does not.
        side.lastArrival = Math.max(side.lastArrival, this.now + this.link.delayMs + this.#random() * this.link.variationMs);
        this.at(side.lastArrival, () => {
          const r = decodeControl(bytes);
          assert.ok(r.ok, r.ok ? '' : r.error.message);
          this.apply(to, to.fsm.handle({ kind: 'Received', packet: r.value }));
        });
      }
    }
  }

  start(side: Side, at: number): void {
    this.at(at, () => this.apply(side, side.fsm.start()));
  }
}

function pair(ta: BfdTimers, tb: BfdTimers, link: Link, seed: number, bStartsAt: number): { sim: Sim; a: Side; b: Side } {
  const sim = new Sim(link, seed);
  const a = new Side(ta, 0xa1, seed + 1);
  const b = new Side(tb, 0xb2, seed + 2);
  a.peer = b;
  b.peer = a;
  sim.start(a, 0);
  sim.start(b, bStartsAt);
  return { sim, a, b };
}

const ms = (n: number) => n * 1000;
const EPS = 1e-6; // ms: sums of floating-point delays
const timersArb: fc.Arbitrary<BfdTimers> = fc.record({
  desiredMinTxUs: fc.integer({ min: ms(20), max: ms(1000) }),
  requiredMinRxUs: fc.integer({ min: ms(20), max: ms(1000) }),
  detectMult: fc.integer({ min: 1, max: 5 }),
});
// Delay variation stays under 1 ms: with Detect Mult 1 a packet is due within 90 % of an interval
// of at least 20 ms (§6.8.7), so a session on a loss-free link never times out.
const linkArb = (loss: fc.Arbitrary<number>): fc.Arbitrary<Link> => fc.record({ delayMs: fc.double({ min: 0, max: 5, noNaN: true }), variationMs: fc.double({ min: 0, max: 1, noNaN: true }), loss });

test('property: on a loss-free link both sides come Up within three packet delays of the later start, and stay Up', () => {
  fc.assert(fc.property(timersArb, timersArb, linkArb(fc.constant(0)), fc.integer(), fc.integer({ min: 0, max: 3000 }), (ta, tb, link, seed, bStartsAt) => {
    const { sim, a, b } = pair(ta, tb, link, seed, bStartsAt);
    sim.runUntil(bStartsAt + 8000);
    const bound = bStartsAt + 3 * (link.delayMs + link.variationMs);
    for (const side of [a, b]) {
      const up = side.upAt();
      assert.ok(up !== undefined && up <= bound + EPS, `Up at ${up}, later than ${bound}`);
      assert.equal(side.fsm.snapshot().state, 'Up');
      assert.equal(side.changes.filter((c) => c.from === 'Up').length, 0, 'never left Up');
      assert.equal(side.fsm.snapshot().polling, false, 'the Poll of reaching Up was answered');
    }
  }), { numRuns: 60 });
});

test('property: with up to 30 % of the packets lost, both sides still come Up', () => {
  fc.assert(fc.property(timersArb, timersArb, linkArb(fc.double({ min: 0, max: 0.3, noNaN: true })), fc.integer(), fc.integer({ min: 0, max: 3000 }), (ta, tb, link, seed, bStartsAt) => {
    const { sim, a, b } = pair(ta, tb, link, seed, bStartsAt);
    sim.runUntil(bStartsAt + 30_000);
    assert.ok(a.upAt() !== undefined && b.upAt() !== undefined, `Up: a ${a.upAt()}, b ${b.upAt()}`);
  }), { numRuns: 40 });
});

test('property: when one side goes silent, the other is Down with diag 1 within its Detection Time, and not before (Detect Mult − 1) intervals', () => {
  fc.assert(fc.property(timersArb, timersArb, linkArb(fc.constant(0)), fc.integer(), fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 2000, max: 4000 }), fc.boolean(),
    (ta, tb, link, seed, bStartsAt, settle, bSilent) => {
      const { sim, a, b } = pair(ta, tb, link, seed, bStartsAt);
      const [listener, silent] = bSilent ? [a, b] : [b, a];
      const quietAt = bStartsAt + settle;
      sim.runUntil(quietAt);
      assert.equal(listener.fsm.snapshot().state, 'Up');
      silent.silentFrom = quietAt;
      // The silent side sends every max(its Desired Min TX, the listener's Required Min RX); the
      // listener's Detection Time is the silent side's Detect Mult times that (§6.8.4, §6.8.7).
      const intervalMs = Math.max(silent.timers.desiredMinTxUs, listener.timers.requiredMinRxUs) / 1000;
      const detectionMs = silent.timers.detectMult * intervalMs;
      assert.ok(Math.abs((listener.fsm.snapshot().detectionTimeMs ?? 0) - detectionMs) < EPS, `Detection Time ${listener.fsm.snapshot().detectionTimeMs}, not ${detectionMs}`);
      sim.runUntil(quietAt + detectionMs + 1000);
      const down = listener.changes.find((c) => c.at >= quietAt && c.from === 'Up');
      assert.ok(down !== undefined, 'never went Down');
      assert.deepEqual([down.to, down.diag], ['Down', 1]);
      const after = down.at - quietAt;
      assert.ok(after <= detectionMs + link.delayMs + link.variationMs + EPS, `Down ${after} ms after the silence, Detection Time ${detectionMs}`);
      assert.ok(after >= (silent.timers.detectMult - 1) * intervalMs - EPS, `Down ${after} ms after the silence, before ${silent.timers.detectMult - 1} × ${intervalMs}`);
    }), { numRuns: 80 });
});
