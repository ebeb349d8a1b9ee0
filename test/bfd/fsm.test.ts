// The BFD session FSM (RFC 5880 §6.8) as story tables: the handshake, detection, the neighbor's
// Down and AdminDown, administrative control, the packets it sends, and the discards of §6.8.6.
// Intervals, Poll Sequences and jitter are in fsm-timers.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sessionCheck } from '../../src/bfd/fsm.ts';
import { DIAG, type BfdState } from '../../src/bfd/types.ts';
import { control } from './helpers.ts';
import { DETECT, fsmOf, LOCAL, REMOTE, run, rx, sent, story, TX, UP, type Step } from './stories.ts';

describe('BFD FSM: the three-way handshake (RFC 5880 §6.2, §6.8.6)', () => {
  it('Down → Init → Up when the peer starts Down; its Poll is answered at once with F, ours follows on the next tick', () => {
    const fsm = story([...UP.slice(0, 3),
      [TX, 'Up', ['send Up P', 'tx 225']],
      [rx('Up', { final: true }), 'Up', ['detect 900']],
      [TX, 'Up', ['send Up', 'tx 225']]]);
    assert.deepEqual(fsm.snapshot(), {
      state: 'Up', remoteState: 'Up', localDiag: 0, remoteDiag: 0, localDiscriminator: LOCAL, remoteDiscriminator: REMOTE,
      txIntervalMs: 300, detectionTimeMs: 900, polling: false,
    });
  });

  it('Down → Up at once when the peer is already Init; reaching Up starts our Poll (1 s → 300 ms)', () => {
    const fsm = story([['start', 'Down', ['send Down your=0', 'tx 750']],
      [rx('Init'), 'Up', ['state Down>Up diag=0', 'send Up P', 'tx 225', 'detect 3000']]]);
    assert.equal(fsm.snapshot().polling, true);
    run(fsm, [[rx('Up', { final: true }), 'Up', ['detect 900']], [TX, 'Up', ['send Up', 'tx 225']]]);
    assert.equal(fsm.snapshot().polling, false);
  });

  it('Init → Up on the peer\'s Init as well as its Up', () => {
    story([UP[0]!, UP[1]!, [rx('Init'), 'Up', ['state Init>Up diag=0', 'send Up P', 'tx 225', 'detect 3000']]]);
  });

  it('what does not move a state: Up while we are Down, Down while we are Init, Init or Up while we are Up', () => {
    story([UP[0]!, [rx('Up'), 'Down', ['detect 900']]]);
    story([UP[0]!, UP[1]!, [rx('Down'), 'Init', ['detect 3000']]]);
    story([...UP, [rx('Init'), 'Up', ['detect 3000']], [rx('Up'), 'Up', ['detect 900']]]);
  });

  it('the packets carry version 1, our diag and state, Detect Mult, both discriminators, the intervals, echo 0 and no C/A/D/M', () => {
    const fsm = story(UP);
    assert.deepEqual(sent(fsm.handle(TX)), [control({ state: 'Up', myDiscriminator: LOCAL, yourDiscriminator: REMOTE, desiredMinTxUs: 300_000, requiredMinRxUs: 300_000 })]);
    const first = sent(fsmOf({ timers: { desiredMinTxUs: 50_000, requiredMinRxUs: 70_000, detectMult: 9 } }).start());
    assert.deepEqual(first, [control({ state: 'Down', detectMult: 9, myDiscriminator: LOCAL, yourDiscriminator: 0, desiredMinTxUs: 1_000_000, requiredMinRxUs: 70_000 })]);
  });

  it('start() once; events before it are ignored', () => {
    const fsm = fsmOf();
    assert.deepEqual(fsm.handle(rx('Down', { yourDiscriminator: 0 })), []);
    assert.deepEqual(fsm.snapshot(), { state: 'Down', remoteState: 'Down', localDiag: 0, remoteDiag: 0, localDiscriminator: LOCAL, remoteDiscriminator: 0, txIntervalMs: null, detectionTimeMs: null, polling: false });
    assert.equal(fsm.start().length, 2);
    assert.deepEqual(fsm.start(), []);
  });
});

describe('BFD FSM: detection (RFC 5880 §6.8.4, §6.8.1)', () => {
  it('Up: a Detection Time without a packet → Down, diag 1; Your Discriminator back to 0, no Poll (nobody to answer it)', () => {
    const fsm = story([...UP, [DETECT, 'Down', ['state Up>Down diag=1', 'send Down your=0']]]);
    assert.deepEqual(fsm.snapshot(), { state: 'Down', remoteState: 'Down', localDiag: DIAG.CONTROL_DETECTION_TIME_EXPIRED, remoteDiag: 0, localDiscriminator: LOCAL, remoteDiscriminator: 0,
      txIntervalMs: 1000, detectionTimeMs: null, polling: false });
    // The diag stays until the session comes Up again.
    run(fsm, [[TX, 'Down', ['send Down your=0', 'tx 750']],
      [rx('Down', { yourDiscriminator: 0 }), 'Init', ['state Down>Init diag=1', 'send Init', 'detect 3000']],
      [rx('Up'), 'Up', ['state Init>Up diag=0', 'send Up P', 'tx 225', 'detect 900']]]);
  });

  it('Init: → Down, diag 1', () => {
    story([UP[0]!, UP[1]!, [DETECT, 'Down', ['state Init>Down diag=1', 'send Down your=0']]]);
  });

  it('Down: no state change, but bfd.RemoteDiscr → 0 and the peer is taken to be Down', () => {
    const fsm = story([UP[0]!, [rx('Up'), 'Down', ['detect 900']], [DETECT, 'Down', []]]);
    assert.equal(fsm.snapshot().remoteState, 'Down');
    // §6.8.4 sets bfd.LocalDiag to 1 only for a session that goes down from Init or Up: the
    // packets of a session that was Down already keep the diag they had (issue #15, the
    // mutant left open in the first run).
    assert.deepEqual(sent(fsm.handle(TX)).map((p) => [p.state, p.diag, p.yourDiscriminator]), [['Down', 0, 0]]);
  });

  it('Down after Up (diag 3): a Detection Time passing then keeps diag 3 in the packets', () => {
    const fsm = story([...UP, [rx('Down'), 'Down', ['state Up>Down diag=3', 'send Down P', 'detect 3000']], [DETECT, 'Down', []]]);
    assert.deepEqual(sent(fsm.handle(TX)).map((p) => [p.state, p.diag]), [['Down', 3]]);
  });

  it('the Detection Time is the peer\'s Detect Mult × the larger of our Required Min RX and its Desired Min TX', () => {
    story([UP[0]!, [rx('Down', { yourDiscriminator: 0, detectMult: 5, desiredMinTxUs: 1_200_000 }), 'Init', ['state Down>Init diag=0', 'send Init', 'detect 6000']]]);
    story([UP[0]!, [rx('Down', { yourDiscriminator: 0, detectMult: 2, desiredMinTxUs: 100_000 }), 'Init', ['state Down>Init diag=0', 'send Init', 'detect 600']]]);
  });

  it('a late expiry of a timer already cancelled or fired does nothing', () => {
    story([UP[0]!, [DETECT, 'Down', []]]);
    const admin = story([...UP, [{ kind: 'AdminDown', diag: 7 }, 'AdminDown', ['state Up>AdminDown diag=7', 'send AdminDown', 'detect off']], [DETECT, 'AdminDown', []]]);
    assert.deepEqual([admin.snapshot().remoteDiscriminator, admin.snapshot().remoteState], [REMOTE, 'Up'], 'the peer is not forgotten by a cancelled timer');
    story([...UP, [DETECT, 'Down', ['state Up>Down diag=1', 'send Down your=0']], [DETECT, 'Down', []]]);
  });
});

describe('BFD FSM: the neighbor signals Down (RFC 5880 §6.8.6)', () => {
  it('Up, the peer says Down: Down with diag 3, and a Poll for the return to 1 s (as BIRD does)', () => {
    story([...UP, [rx('Down'), 'Down', ['state Up>Down diag=3', 'send Down P', 'detect 3000']],
      [rx('Down'), 'Init', ['state Down>Init diag=3', 'send Init P', 'detect 3000']],
      [rx('Init', { final: true }), 'Up', ['state Init>Up diag=0', 'send Up P', 'tx 225', 'detect 3000']]]);
  });

  it('the peer says AdminDown: Down with diag 3 from Up or Init, nothing from Down', () => {
    story([...UP, [rx('AdminDown'), 'Down', ['state Up>Down diag=3', 'send Down P', 'detect 3000']]]);
    story([UP[0]!, UP[1]!, [rx('AdminDown'), 'Down', ['state Init>Down diag=3', 'send Down', 'detect 3000']]]);
    const fsm = story([UP[0]!, [rx('AdminDown', { diag: DIAG.ADMINISTRATIVELY_DOWN }), 'Down', ['detect 3000']], [rx('Down'), 'Init', ['state Down>Init diag=0', 'send Init', 'detect 3000']]]);
    assert.equal(fsm.snapshot().remoteDiag, DIAG.NONE);
  });

  it('the peer\'s state and diag are shown as last heard', () => {
    const fsm = story([UP[0]!, [rx('AdminDown', { diag: DIAG.PATH_DOWN }), 'Down', ['detect 3000']]]);
    assert.deepEqual([fsm.snapshot().remoteState, fsm.snapshot().remoteDiag], ['AdminDown', DIAG.PATH_DOWN]);
  });
});

describe('BFD FSM: administrative control (RFC 5880 §6.8.16)', () => {
  it('AdminDown: the diag given, detection stops, packets go on saying AdminDown, everything received is discarded; AdminUp: Down, diag 0', () => {
    const fsm = story([...UP,
      [{ kind: 'AdminDown', diag: DIAG.ADMINISTRATIVELY_DOWN }, 'AdminDown', ['state Up>AdminDown diag=7', 'send AdminDown', 'detect off']],
      [TX, 'AdminDown', ['send AdminDown', 'tx 750']],
      [rx('Up', { poll: true }), 'AdminDown', []],
      [rx('Down'), 'AdminDown', []],
      [{ kind: 'AdminDown', diag: DIAG.PATH_DOWN }, 'AdminDown', []]]);
    assert.deepEqual([fsm.snapshot().localDiag, fsm.snapshot().polling, fsm.snapshot().detectionTimeMs], [DIAG.ADMINISTRATIVELY_DOWN, false, null]);
    run(fsm, [[{ kind: 'AdminUp' }, 'Down', ['state AdminDown>Down diag=0', 'send Down']],
      [rx('Down'), 'Init', ['state Down>Init diag=0', 'send Init', 'detect 3000']]]);
  });

  it('AdminDown from Down or Init; AdminUp when not AdminDown does nothing', () => {
    story([UP[0]!, [{ kind: 'AdminDown', diag: 5 }, 'AdminDown', ['state Down>AdminDown diag=5', 'send AdminDown your=0', 'detect off']]]);
    story([UP[0]!, UP[1]!, [{ kind: 'AdminDown', diag: 7 }, 'AdminDown', ['state Init>AdminDown diag=7', 'send AdminDown', 'detect off']]]);
    story([...UP, [{ kind: 'AdminUp' }, 'Up', []]]);
  });
});

describe('BFD FSM: session-level discards (RFC 5880 §6.8.6)', () => {
  const CHECKS: [string, number, BfdState, BfdState, ReturnType<typeof sessionCheck>][] = [
    // [what, Your Discriminator, received State, our state, result]
    ['ours', LOCAL, 'Up', 'Up', null],
    ['another session\'s', 0x9999, 'Up', 'Up', 'your-discriminator-mismatch'],
    ['another session\'s, sender Down', 0x9999, 'Down', 'Down', 'your-discriminator-mismatch'],
    ['zero from a sender that is Down', 0, 'Down', 'Down', null],
    ['zero from a sender that is AdminDown', 0, 'AdminDown', 'Up', null],
    ['zero from a sender that is Init', 0, 'Init', 'Down', 'zero-your-discriminator'],
    ['zero from a sender that is Up', 0, 'Up', 'Init', 'zero-your-discriminator'],
    ['ours, while we are AdminDown', LOCAL, 'Down', 'AdminDown', 'admin-down'],
    ['zero from Down, while we are AdminDown', 0, 'Down', 'AdminDown', 'admin-down'],
    ['another session\'s, while we are AdminDown', 0x9999, 'Down', 'AdminDown', 'your-discriminator-mismatch'],
    ['zero from Up, while we are AdminDown', 0, 'Up', 'AdminDown', 'zero-your-discriminator'],
  ];
  it('sessionCheck, as a table', () => {
    for (const [what, your, theirs, ours, result] of CHECKS) {
      assert.equal(sessionCheck(control({ state: theirs, yourDiscriminator: your }), LOCAL, ours), result, what);
    }
  });

  it('a discarded packet changes nothing and does not count as heard: detection still expires', () => {
    const fsm = story(UP);
    const before = fsm.snapshot();
    const steps: Step[] = [
      [rx('Down', { yourDiscriminator: 0x9999 }), 'Up', []],
      [rx('Init', { yourDiscriminator: 0, poll: true }), 'Up', []],
      [DETECT, 'Down', ['state Up>Down diag=1', 'send Down your=0']],
    ];
    run(fsm, steps.slice(0, 2));
    assert.deepEqual(fsm.snapshot(), before);
    run(fsm, steps.slice(2));
  });
});
