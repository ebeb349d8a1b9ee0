// The BFD FSM's intervals (RFC 5880 §6.8.2–§6.8.4, §6.8.7) and Poll Sequences (§6.5, §6.8.3) as
// story tables in virtual time: the one-second floor while not Up, the Poll on reaching Up and on
// a new configuration, which of an increase or a decrease waits for the Final, the jitter, and a
// peer that asks for no periodic packets.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { BfdEvent, BfdTimers } from '../../src/bfd/types.ts';
import { act, DETECT, fsmOf, run, rx, sent, story, TIMERS, TX, UP } from './stories.ts';

const configure = (over: Partial<BfdTimers>): BfdEvent => ({ kind: 'Configure', timers: { ...TIMERS, ...over } });

describe('BFD FSM: the one-second floor while not Up (RFC 5880 §6.8.3)', () => {
  it('Desired Min TX is sent and used as 1 s until Up, then the configured 50 ms', () => {
    const fast = { desiredMinTxUs: 50_000, requiredMinRxUs: 50_000, detectMult: 3 };
    const fsm = fsmOf({ timers: fast });
    const down = fsm.start();
    assert.deepEqual(sent(down).map((p) => p.desiredMinTxUs), [1_000_000]);
    const init = fsm.handle(rx('Down', { yourDiscriminator: 0, requiredMinRxUs: 50_000 }));
    assert.deepEqual(sent(init).map((p) => p.desiredMinTxUs), [1_000_000]);
    assert.equal(fsm.snapshot().txIntervalMs, 1000, 'the peer allows 50 ms, the floor keeps 1 s');
    const up = fsm.handle(rx('Up', { requiredMinRxUs: 50_000, desiredMinTxUs: 50_000 }));
    assert.deepEqual(sent(up).map((p) => [p.desiredMinTxUs, p.poll]), [[50_000, true]]);
    assert.equal(fsm.snapshot().txIntervalMs, 50);
    assert.deepEqual(sent(fsm.handle(DETECT)).map((p) => p.desiredMinTxUs), [1_000_000], 'back to 1 s when Down');
    assert.equal(fsm.snapshot().txIntervalMs, 1000);
  });

  it('a configured interval above 1 s is used as it is, and reaching Up then changes nothing: no Poll', () => {
    const slow = { desiredMinTxUs: 2_000_000, requiredMinRxUs: 300_000, detectMult: 3 };
    const fsm = story([['start', 'Down', ['send Down your=0', 'tx 1500']],
      [rx('Down', { yourDiscriminator: 0 }), 'Init', ['state Down>Init diag=0', 'send Init', 'detect 3000']],
      [rx('Up'), 'Up', ['state Init>Up diag=0', 'send Up', 'detect 900']]], { timers: slow });
    assert.equal(fsm.snapshot().polling, false);
  });

  it('a configured Desired Min TX above 1 s takes effect at once while not Up (the Up-only hold does not apply)', () => {
    const fsm = story([UP[0]!, UP[1]!, [configure({ desiredMinTxUs: 2_000_000 }), 'Init', []]]);
    assert.equal(fsm.snapshot().txIntervalMs, 2000);
  });

  it('the AdminDown packets say 1 s too', () => {
    const fsm = story(UP);
    assert.deepEqual(sent(fsm.handle({ kind: 'AdminDown', diag: 7 })).map((p) => [p.state, p.desiredMinTxUs, p.poll]), [['AdminDown', 1_000_000, false]]);
  });
});

describe('BFD FSM: Poll Sequences (RFC 5880 §6.5, §6.8.3)', () => {
  it('a larger Desired Min TX while Up: announced with P on the scheduled packets (none added), used only after the Final', () => {
    const fsm = story([...UP,
      [configure({ desiredMinTxUs: 600_000 }), 'Up', []],
      [TX, 'Up', ['send Up P', 'tx 225']],
      [rx('Up'), 'Up', ['detect 900']],
      [TX, 'Up', ['send Up P', 'tx 225']],
      [rx('Up', { final: true }), 'Up', ['detect 900']],
      [TX, 'Up', ['send Up', 'tx 450']],
      [TX, 'Up', ['send Up', 'tx 450']]]);
    assert.equal(fsm.snapshot().txIntervalMs, 600);
  });

  it('the Poll packets carry the new values; our own Final answers never carry P', () => {
    const fsm = story([...UP, [configure({ desiredMinTxUs: 600_000, requiredMinRxUs: 400_000 }), 'Up', []]]);
    assert.deepEqual(sent(fsm.handle(TX)).map((p) => [p.poll, p.desiredMinTxUs, p.requiredMinRxUs]), [[true, 600_000, 400_000]]);
    assert.deepEqual(sent(fsm.handle(rx('Up', { poll: true }))).map((p) => [p.poll, p.final]), [[false, true]]);
    assert.equal(fsm.snapshot().polling, true, 'answering a Poll is not ending ours');
  });

  it('a smaller Desired Min TX takes effect at once (still with a Poll)', () => {
    const fsm = story([...UP, [rx('Up', { requiredMinRxUs: 50_000 }), 'Up', ['detect 900']],
      [configure({ desiredMinTxUs: 100_000 }), 'Up', ['tx 75']],
      [TX, 'Up', ['send Up P', 'tx 75']]]);
    assert.equal(fsm.snapshot().txIntervalMs, 100);
  });

  it('a smaller Required Min RX while Up: the Detection Time keeps the old one until the Final', () => {
    story([...UP, [rx('Up', { desiredMinTxUs: 50_000 }), 'Up', ['detect 900']],
      [configure({ requiredMinRxUs: 100_000 }), 'Up', []],
      [rx('Up', { desiredMinTxUs: 50_000 }), 'Up', ['detect 900']],
      [rx('Up', { desiredMinTxUs: 50_000, final: true }), 'Up', ['detect 300']],
      [rx('Up', { desiredMinTxUs: 50_000 }), 'Up', ['detect 300']]]);
  });

  it('a larger Required Min RX enters the Detection Time with the next packet, Final or not', () => {
    story([...UP, [configure({ requiredMinRxUs: 600_000 }), 'Up', []], [rx('Up'), 'Up', ['detect 1800']]]);
  });

  it('two changes in one Poll: the interval in use is held from before the first, and one Final ends it', () => {
    const fsm = story([...UP, [configure({ desiredMinTxUs: 600_000 }), 'Up', []],
      [configure({ desiredMinTxUs: 900_000 }), 'Up', []]]);
    assert.equal(fsm.snapshot().txIntervalMs, 300);
    run(fsm, [[rx('Up', { final: true }), 'Up', ['detect 900']], [TX, 'Up', ['send Up', 'tx 675']]]);
    story([...UP, [rx('Up', { desiredMinTxUs: 50_000 }), 'Up', ['detect 900']],
      [configure({ requiredMinRxUs: 200_000 }), 'Up', []],
      [configure({ requiredMinRxUs: 100_000 }), 'Up', []],
      [rx('Up', { desiredMinTxUs: 50_000 }), 'Up', ['detect 900']],
      [rx('Up', { desiredMinTxUs: 50_000, final: true }), 'Up', ['detect 300']]]);
    // …and a decrease below the interval in use applies at once.
    story([...UP, [configure({ desiredMinTxUs: 600_000 }), 'Up', []],
      [rx('Up', { requiredMinRxUs: 50_000 }), 'Up', ['detect 900']],
      [configure({ desiredMinTxUs: 200_000 }), 'Up', ['tx 150']]]);
  });

  it('leaving Up drops what was held: the hold rules are for an Up session only', () => {
    story([...UP, [configure({ desiredMinTxUs: 600_000 }), 'Up', []],
      [rx('Down'), 'Down', ['state Up>Down diag=3', 'send Down P', 'detect 3000']],
      [TX, 'Down', ['send Down P', 'tx 750']]]);
    const slowRx = { ...TIMERS, requiredMinRxUs: 2_000_000 };
    story([UP[0]!, [rx('Down', { yourDiscriminator: 0 }), 'Init', ['state Down>Init diag=0', 'send Init', 'detect 6000']],
      [rx('Up'), 'Up', ['state Init>Up diag=0', 'send Up P', 'tx 225', 'detect 6000']],
      [{ kind: 'Configure', timers: { ...slowRx, requiredMinRxUs: 100_000 } }, 'Up', []],
      [rx('Up'), 'Up', ['detect 6000']],
      [rx('Down'), 'Down', ['state Up>Down diag=3', 'send Down P', 'detect 3000']]], { timers: slowRx });
  });

  it('no Poll for an unchanged configuration, nor for Detect Mult alone (it is in every packet)', () => {
    const fsm = story([...UP, [configure({}), 'Up', []], [configure({ detectMult: 5 }), 'Up', []]]);
    assert.equal(fsm.snapshot().polling, false);
    assert.deepEqual(sent(fsm.handle(TX)).map((p) => [p.poll, p.detectMult]), [[false, 5]]);
  });

  it('before the peer is heard nobody can answer a Poll: the new values are simply sent', () => {
    const fsm = story([['start', 'Down', ['send Down your=0', 'tx 750']], [configure({ requiredMinRxUs: 500_000 }), 'Down', []]]);
    assert.equal(fsm.snapshot().polling, false);
    assert.deepEqual(sent(fsm.handle(TX)).map((p) => [p.poll, p.requiredMinRxUs]), [[false, 500_000]]);
  });

  it('in Init the peer is known: a new Required Min RX is polled for', () => {
    story([UP[0]!, UP[1]!, [configure({ requiredMinRxUs: 1_500_000 }), 'Init', []], [TX, 'Init', ['send Init P', 'tx 750']],
      [rx('Init', { final: true }), 'Up', ['state Init>Up diag=0', 'send Up P', 'tx 225', 'detect 4500']]]);
  });

  it('a Final we did not ask for changes nothing', () => {
    const fsm = story([...UP, [rx('Up', { final: true }), 'Up', ['detect 900']]]);
    assert.equal(fsm.snapshot().polling, false);
  });

  it('AdminDown ends a Poll (it would discard the Final)', () => {
    const fsm = story([...UP, [configure({ requiredMinRxUs: 500_000 }), 'Up', []], [{ kind: 'AdminDown', diag: 7 }, 'AdminDown', ['state Up>AdminDown diag=7', 'send AdminDown', 'detect off']]]);
    assert.equal(fsm.snapshot().polling, false);
  });
});

describe('BFD FSM: transmission (RFC 5880 §6.8.7)', () => {
  it('the interval is the larger of our Desired Min TX and the peer\'s Required Min RX', () => {
    const fsm = story([...UP, [rx('Up', { requiredMinRxUs: 2_000_000 }), 'Up', ['detect 900']], [TX, 'Up', ['send Up', 'tx 1500']]]);
    assert.equal(fsm.snapshot().txIntervalMs, 2000);
    run(fsm, [[rx('Up', { requiredMinRxUs: 100_000 }), 'Up', ['tx 225', 'detect 900']]]);
  });

  it('a longer interval waits for the running timer, which fires sooner; a shorter one re-arms at once', () => {
    story([...UP, [rx('Up', { requiredMinRxUs: 2_000_000 }), 'Up', ['detect 900']], [TX, 'Up', ['send Up', 'tx 1500']],
      [rx('Up', { requiredMinRxUs: 1_000_000 }), 'Up', ['tx 750', 'detect 900']],
      [rx('Up', { requiredMinRxUs: 1_000_000 }), 'Up', ['detect 900']]]);
    // Down (1 s) from Up (300 ms): the packet goes at once, the timer armed for 300 ms runs out, then 1 s.
    story([...UP, [rx('Down'), 'Down', ['state Up>Down diag=3', 'send Down P', 'detect 3000']], [TX, 'Down', ['send Down P', 'tx 750']]]);
  });

  it('each arm is jittered to 75–100 % of the interval with the injected random', () => {
    const draws = [0, 0.5, 0.99];
    const fsm = fsmOf({ random: () => draws.shift() ?? 0 });
    assert.deepEqual([...fsm.start(), ...fsm.handle(TX), ...fsm.handle(TX)].flatMap((a) => (a.kind === 'timer' ? [a.ms] : [])), [750, 875, 997.5]);
  });

  it('with Detect Mult 1, to 75–90 %', () => {
    const draws = [0, 0.5, 0.99];
    const fsm = fsmOf({ timers: { ...TIMERS, detectMult: 1 }, random: () => draws.shift() ?? 0 });
    const ms = [...fsm.start(), ...fsm.handle(TX), ...fsm.handle(TX)].flatMap((a) => (a.kind === 'timer' ? [a.ms] : []));
    assert.deepEqual(ms.map((x) => Math.round((x ?? 0) * 1000) / 1000), [750, 825, 898.5]);
  });

  it('property: every tx arm lies in [75 %, 100 %] of the interval, [75 %, 90 %] with Detect Mult 1', () => {
    const rand = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
    fc.assert(fc.property(fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: 10_000_000 }), fc.array(rand, { minLength: 4, maxLength: 4 }), (mult, peerRxUs, draws) => {
      const left = [...draws];
      const fsm = fsmOf({ timers: { ...TIMERS, detectMult: mult }, random: () => left.shift() ?? 0 });
      const arms = [...fsm.start(), ...fsm.handle(rx('Down', { yourDiscriminator: 0, requiredMinRxUs: peerRxUs })), ...fsm.handle(TX), ...fsm.handle(TX)]
        .flatMap((a) => (a.kind === 'timer' && a.timer === 'tx' && a.ms !== null ? [a.ms] : []));
      const intervalMs = Math.max(1_000_000, peerRxUs) / 1000;
      assert.equal(fsm.snapshot().txIntervalMs, intervalMs);
      assert.ok(arms.length >= 3);
      const eps = 1e-9 * intervalMs; // floating point
      for (const ms of arms.slice(-2)) {
        assert.ok(ms >= 0.75 * intervalMs - eps, `${ms} < 75 % of ${intervalMs}`);
        assert.ok(mult === 1 ? ms <= 0.9 * intervalMs + eps : ms <= intervalMs + eps, `${ms} too late for ${intervalMs} (mult ${mult})`);
      }
    }), { numRuns: 300 });
  });

  it('a peer asking for Required Min RX 0 gets no periodic packets; Finals and state changes still go out', () => {
    const fsm = story([...UP, [rx('Up', { requiredMinRxUs: 0 }), 'Up', ['tx off', 'detect 900']],
      [TX, 'Up', []],
      [rx('Up', { requiredMinRxUs: 0, poll: true }), 'Up', ['send Up F', 'detect 900']],
      [rx('Down', { requiredMinRxUs: 0 }), 'Down', ['state Up>Down diag=3', 'send Down P', 'detect 3000']]]);
    assert.equal(fsm.snapshot().txIntervalMs, null);
    run(fsm, [[rx('Down', { requiredMinRxUs: 300_000 }), 'Init', ['state Down>Init diag=3', 'send Init P', 'tx 750', 'detect 3000']]]);
  });

  it('before anything is heard bfd.RemoteMinRxInterval is 1 µs: packets go at the 1 s floor', () => {
    const fsm = fsmOf({ timers: { desiredMinTxUs: 10, requiredMinRxUs: 10, detectMult: 3 } });
    assert.deepEqual(act(fsm, 'start').filter((a) => a.kind === 'timer'), [{ kind: 'timer', timer: 'tx', ms: 750 }]);
    assert.equal(fsm.snapshot().txIntervalMs, 1000);
  });
});
