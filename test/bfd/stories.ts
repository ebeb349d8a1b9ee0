// Story tables for the BFD FSM: each step is an event (or `start`), the state after it, and the
// actions it returned as short strings (helpers.ts `brief`). Timers are values: virtual time.
import assert from 'node:assert/strict';
import { BfdFsm } from '../../src/bfd/fsm.ts';
import type { BfdAction, BfdControl, BfdEvent, BfdState, BfdTimers } from '../../src/bfd/types.ts';
import { brief, control } from './helpers.ts';

export const LOCAL = 0x1111;
export const REMOTE = 0x2222;
export const TIMERS: BfdTimers = { desiredMinTxUs: 300_000, requiredMinRxUs: 300_000, detectMult: 3 };

export type Step = readonly [BfdEvent | 'start', BfdState, readonly string[]];

export interface StoryOptions {
  readonly timers?: BfdTimers;
  /** Jitter source; 0 by default, so every `tx` arm is 75 % of the interval. */
  readonly random?: () => number;
}

export function fsmOf(o: StoryOptions = {}): BfdFsm {
  return new BfdFsm({ localDiscriminator: LOCAL, timers: o.timers ?? TIMERS, random: o.random ?? (() => 0) });
}

export function act(fsm: BfdFsm, e: BfdEvent | 'start'): BfdAction[] {
  return e === 'start' ? fsm.start() : fsm.handle(e);
}

export function run(fsm: BfdFsm, steps: readonly Step[]): BfdFsm {
  steps.forEach(([event, state, expected], i) => {
    const name = event === 'start' ? 'start' : event.kind === 'Received' ? `Received ${event.packet.state}` : event.kind === 'TimerExpired' ? `TimerExpired ${event.timer}` : event.kind;
    assert.deepEqual(act(fsm, event).map(brief), expected, `step ${i + 1} (${name}): actions`);
    assert.equal(fsm.snapshot().state, state, `step ${i + 1} (${name}): state`);
  });
  return fsm;
}

export function story(steps: readonly Step[], o: StoryOptions = {}): BfdFsm {
  return run(fsmOf(o), steps);
}

/** A packet from the peer (REMOTE) to us; its Desired Min TX is 1 s unless it is Up (RFC 5880 §6.8.3). */
export function peer(state: BfdState, over: Partial<BfdControl> = {}): BfdControl {
  return control({ state, myDiscriminator: REMOTE, yourDiscriminator: LOCAL, desiredMinTxUs: state === 'Up' ? 300_000 : 1_000_000, requiredMinRxUs: 300_000, ...over });
}

export function rx(state: BfdState, over: Partial<BfdControl> = {}): BfdEvent {
  return { kind: 'Received', packet: peer(state, over) };
}

export const TX: BfdEvent = { kind: 'TimerExpired', timer: 'tx' };
export const DETECT: BfdEvent = { kind: 'TimerExpired', timer: 'detect' };

/** The three-way handshake (RFC 5880 §6.2) from our side, ending Up with our Poll answered. */
export const UP: readonly Step[] = [
  ['start', 'Down', ['send Down your=0', 'tx 750']],
  [rx('Down', { yourDiscriminator: 0 }), 'Init', ['state Down>Init diag=0', 'send Init', 'detect 3000']],
  [rx('Up', { poll: true }), 'Up', ['state Init>Up diag=0', 'send Up F', 'tx 225', 'detect 900']],
  [rx('Up', { final: true }), 'Up', ['detect 900']],
];

/** The packets among some actions. */
export function sent(actions: readonly BfdAction[]): BfdControl[] {
  return actions.flatMap((a) => (a.kind === 'send' ? [a.packet] : []));
}
