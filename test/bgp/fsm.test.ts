// The BGP FSM (RFC 4271 §8) as story tables: each step is an event and the actions expected,
// with the state after it. Timers are values, so every story runs in virtual time.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { shutdownNotification } from '../../src/bgp/codec/index.ts';
import { BgpFsm, OPENSENT_HOLD_MS, checkOpen, negotiate } from '../../src/bgp/fsm.ts';
import type { FsmAction, FsmEvent, FsmState, LocalConfig, PeerOpen } from '../../src/bgp/fsm-types.ts';
import { FSM_LOCAL } from './fsm-local.ts';

const LOCAL = FSM_LOCAL;

const OPEN: PeerOpen = { version: 4, asn: 65000, asField: 65000, holdTime: 30, routerId: 0xc0000201, fourOctetAs: true, routeRefresh: true, families: ['ipv4-unicast', 'ipv6-unicast'], gracefulRestart: { restarting: false, timeSeconds: 120, families: [] } };

/** Actions as short strings: "connect", "open", "ka", "notif 4/0", "close", "timer hold=90000", "established", "down hold-timer-expired". */
function brief(a: FsmAction): string {
  switch (a.kind) {
    case 'connect':
      return 'connect';
    case 'sendOpen':
      return 'open';
    case 'sendKeepalive':
      return 'ka';
    case 'sendNotification':
      return `notif ${a.notification.code}/${a.notification.subcode}`;
    case 'close':
      return 'close';
    case 'timer':
      return a.ms === null ? `cancel ${a.timer}` : `timer ${a.timer}`;
    case 'established':
      return 'established';
    case 'down':
      return `down ${a.reason.kind}`;
    case 'update':
      return a.endOfRib ? 'update eor' : 'update';
    case 'routeRefresh':
      return `refresh ${a.family}`;
    case 'updateError':
      return `update-error ${a.error.action}`;
  }
}

type Step = [FsmEvent, FsmState, readonly string[]];

function story(steps: readonly Step[], local: LocalConfig = LOCAL): BgpFsm {
  const fsm = new BgpFsm({ local, random: () => 0.5 });
  steps.forEach(([event, state, expected], i) => {
    const got = fsm.handle(event).map(brief).filter((b) => !b.startsWith('cancel'));
    assert.deepEqual(got, expected, `step ${i + 1} (${event.kind}): actions`);
    assert.equal(fsm.state, state, `step ${i + 1} (${event.kind}): state`);
  });
  return fsm;
}

const start: Step = [{ kind: 'ManualStart' }, 'Connect', ['timer connectRetry', 'connect']];
const connected: Step = [{ kind: 'TcpConnected' }, 'OpenSent', ['open', 'timer hold']];
const open: Step = [{ kind: 'Open', open: OPEN }, 'OpenConfirm', ['ka', 'timer hold', 'timer keepalive']];
const ka: Step = [{ kind: 'Keepalive' }, 'Established', ['established', 'timer hold']];
const up: readonly Step[] = [start, connected, open, ka];

describe('BGP FSM stories', () => {
  it('active open: Idle → Connect → OpenSent → OpenConfirm → Established', () => {
    const fsm = story(up);
    assert.deepEqual(fsm.negotiated?.families, ['ipv4-unicast', 'ipv6-unicast']);
    assert.equal(fsm.negotiated?.holdTimeSeconds, 30, 'the smaller hold time wins');
    assert.equal(fsm.negotiated?.keepaliveSeconds, 10, 'a third of the hold time');
    assert.equal(fsm.negotiated?.gracefulRestart, true);
  });

  it('passive: waits in Active for the peer to connect', () => {
    story([[{ kind: 'ManualStart' }, 'Active', ['timer connectRetry']], [{ kind: 'TimerExpired', timer: 'connectRetry' }, 'Active', ['timer connectRetry']], [{ kind: 'TcpConnected' }, 'OpenSent', ['open', 'timer hold']]], { ...LOCAL, active: false });
  });

  it('a failed connect waits in Active, and retries when the retry timer fires', () => {
    story([start, [{ kind: 'TcpFailed', reason: 'ECONNREFUSED' }, 'Active', ['timer connectRetry']], [{ kind: 'TimerExpired', timer: 'connectRetry' }, 'Connect', ['close', 'timer connectRetry', 'connect']]]);
  });

  it('hold timer expiry in Established sends NOTIFICATION 4/0, closes, and restarts after the idle hold', () => {
    story([...up, [{ kind: 'TimerExpired', timer: 'hold' }, 'Idle', ['notif 4/0', 'close', 'down hold-timer-expired', 'timer idleHold']], [{ kind: 'TimerExpired', timer: 'idleHold' }, 'Connect', ['timer connectRetry', 'connect']]]);
  });

  it('keepalives: the timer sends one and re-arms; a received KEEPALIVE or UPDATE restarts the hold timer', () => {
    story([...up, [{ kind: 'TimerExpired', timer: 'keepalive' }, 'Established', ['ka', 'timer keepalive']], [{ kind: 'Keepalive' }, 'Established', ['timer hold']], [{ kind: 'Update', endOfRib: true }, 'Established', ['update eor', 'timer hold']]]);
  });

  it('a lost collision sends Cease 6/7 on the losing connection and waits in Active for the winner (RFC 4271 §6.8)', () => {
    story([start, connected, [{ kind: 'Collision' }, 'Active', ['notif 6/7', 'close']], [{ kind: 'TcpConnected' }, 'OpenSent', ['open', 'timer hold']], [{ kind: 'Open', open: OPEN }, 'OpenConfirm', ['ka', 'timer hold', 'timer keepalive']]]);
    story([...up, [{ kind: 'Collision' }, 'Established', []]]);
  });

  it('unexpected messages are FSM errors with the RFC 6608 subcode of the state', () => {
    story([start, connected, [{ kind: 'Keepalive' }, 'Idle', ['notif 5/1', 'close', 'down notification-sent', 'timer idleHold']]]);
    story([start, connected, open, [{ kind: 'Update', endOfRib: false }, 'Idle', ['notif 5/2', 'close', 'down notification-sent', 'timer idleHold']]]);
    story([...up, [{ kind: 'Open', open: OPEN }, 'Idle', ['notif 5/3', 'close', 'down notification-sent', 'timer idleHold']]]);
  });

  it('a NOTIFICATION from the peer closes without answering', () => {
    story([...up, [{ kind: 'Notification', notification: { code: 6, subcode: 2, data: new Uint8Array(0) } }, 'Idle', ['close', 'down notification-received', 'timer idleHold']]]);
  });

  it('RFC 7606: treat-as-withdraw keeps the session; a session-reset error sends its NOTIFICATION', () => {
    const withdraw = { notification: { code: 3, subcode: 1, data: new Uint8Array(0) }, action: 'treat-as-withdraw' as const };
    story([...up, [{ kind: 'Error', error: withdraw }, 'Established', ['update-error treat-as-withdraw', 'timer hold']]]);
    story([...up, [{ kind: 'Error', error: { ...withdraw, action: 'session-reset' } }, 'Idle', ['notif 3/1', 'close', 'down notification-sent', 'timer idleHold']]]);
    // Before Established every error resets: there is no route to withdraw yet.
    story([start, connected, [{ kind: 'Error', error: withdraw }, 'Idle', ['notif 3/1', 'close', 'down notification-sent', 'timer idleHold']]]);
  });

  it('ManualStop: Cease 6/2 with the RFC 9003 message, and no automatic restart', () => {
    const fsm = new BgpFsm({ local: LOCAL, random: () => 0.5 });
    for (const [e] of up) fsm.handle(e);
    const actions = fsm.handle({ kind: 'ManualStop', mode: 'shutdown', message: 'node drained' });
    const n = actions.find((a) => a.kind === 'sendNotification');
    assert.ok(n?.kind === 'sendNotification');
    assert.deepEqual([n.notification.code, n.notification.subcode], [6, 2]);
    assert.deepEqual([...n.notification.data], [12, ...new TextEncoder().encode('node drained')]);
    assert.ok(!actions.some((a) => a.kind === 'timer' && a.timer === 'idleHold' && a.ms !== null));
    assert.deepEqual(fsm.handle({ kind: 'TimerExpired', timer: 'idleHold' }), []);
    assert.deepEqual(fsm.handle({ kind: 'AutomaticStart' }), []);
  });

  it('ManualStop for a restart with graceful restart negotiated drops TCP without a NOTIFICATION (RFC 4724 §4)', () => {
    story([...up, [{ kind: 'ManualStop', mode: 'restart', message: 'upgrade' }, 'Idle', ['close', 'down stopped']]]);
    // Without the capability on the peer's side, a restart is an administrative reset.
    const noGr = { ...OPEN, gracefulRestart: null };
    story([start, connected, [{ kind: 'Open', open: noGr }, 'OpenConfirm', ['ka', 'timer hold', 'timer keepalive']], ka, [{ kind: 'ManualStop', mode: 'restart', message: 'upgrade' }, 'Idle', ['notif 6/4', 'close', 'down stopped']]]);
  });

  it('hold time 0 negotiates no keepalives and no hold timer', () => {
    const fsm = new BgpFsm({ local: LOCAL, random: () => 0.5 });
    fsm.handle({ kind: 'ManualStart' });
    fsm.handle({ kind: 'TcpConnected' });
    const a = fsm.handle({ kind: 'Open', open: { ...OPEN, holdTime: 0 } });
    assert.deepEqual(a.filter((x) => x.kind === 'timer').map((x) => (x.kind === 'timer' ? `${x.timer}=${String(x.ms)}` : '')), ['hold=null', 'keepalive=null']);
  });

  it('the OpenSent hold timer is the large RFC value, not the configured one', () => {
    const fsm = new BgpFsm({ local: LOCAL, random: () => 0.5 });
    fsm.handle({ kind: 'ManualStart' });
    const a = fsm.handle({ kind: 'TcpConnected' });
    assert.ok(a.some((x) => x.kind === 'timer' && x.timer === 'hold' && x.ms === OPENSENT_HOLD_MS));
  });

  it('idle hold doubles with each failure in a row (peer oscillation damping) and resets once Established', () => {
    const fsm = new BgpFsm({ local: LOCAL, random: () => 0.5 });
    const waits: number[] = [];
    fsm.handle({ kind: 'ManualStart' });
    for (let i = 0; i < 4; i++) {
      fsm.handle({ kind: 'TcpConnected' });
      const a = fsm.handle({ kind: 'Notification', notification: { code: 6, subcode: 5, data: new Uint8Array(0) } });
      const t = a.find((x) => x.kind === 'timer' && x.timer === 'idleHold');
      waits.push(t?.kind === 'timer' ? (t.ms ?? 0) : 0);
      fsm.handle({ kind: 'TimerExpired', timer: 'idleHold' });
    }
    assert.ok(waits.every((w, i) => i === 0 || w > (waits[i - 1] ?? 0)), waits.join(','));
  });
});

describe('OPEN checks (RFC 4271 §6.2)', () => {
  const cases: [string, Partial<PeerOpen>, [number, number] | null][] = [
    ['acceptable', {}, null],
    ['version 3 → Unsupported Version Number, data = our version 4', { version: 3 }, [2, 1]],
    ['wrong AS → Bad Peer AS', { asn: 65001 }, [2, 2]],
    ['identifier 0 → Bad BGP Identifier', { routerId: 0 }, [2, 3]],
    ['hold time 1 → Unacceptable Hold Time', { holdTime: 1 }, [2, 6]],
    ['hold time 2 → Unacceptable Hold Time', { holdTime: 2 }, [2, 6]],
    ['hold time 0 is fine', { holdTime: 0 }, null],
    ['an eBGP peer may share our identifier (RFC 6286)', { routerId: LOCAL.routerId }, null],
  ];
  for (const [name, over, want] of cases) {
    it(name, () => {
      const n = checkOpen({ ...OPEN, ...over }, LOCAL);
      assert.deepEqual(n === null ? null : [n.code, n.subcode], want);
      if (over.version !== undefined) assert.deepEqual([...(n?.data ?? [])], [0, 4]);
    });
  }
  it('an iBGP peer with our identifier is refused', () => {
    const n = checkOpen({ ...OPEN, asn: LOCAL.asn, routerId: LOCAL.routerId }, { ...LOCAL, peerAsn: LOCAL.asn });
    assert.deepEqual(n === null ? null : [n.code, n.subcode], [2, 3]);
  });
  it('a peer without multiprotocol capability speaks IPv4 unicast only (RFC 4760 §8)', () => {
    assert.deepEqual(negotiate({ ...OPEN, families: [] }, LOCAL).families, ['ipv4-unicast']);
  });
});

describe('RFC 9003 shutdown communication', () => {
  it('is length-prefixed, at most 255 octets, never cutting a UTF-8 character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => {
        const out = shutdownNotification(2, s).data;
        const len = out[0] ?? 0;
        assert.equal(out.length, 1 + len);
        assert.ok(len <= 255);
        const text = new TextDecoder('utf-8', { fatal: true }).decode(out.subarray(1));
        assert.ok(s.startsWith(text));
      }),
    );
  });
});

describe('FSM properties', () => {
  it('never throws, and every close is followed by Idle, Active or a connect, whatever the event sequence', () => {
    const event = fc.oneof(
      fc.constant<FsmEvent>({ kind: 'ManualStart' }),
      fc.constant<FsmEvent>({ kind: 'AutomaticStart' }),
      fc.constant<FsmEvent>({ kind: 'ManualStop', mode: 'shutdown', message: 'x' }),
      fc.constantFrom<TimerNameEvent>('connectRetry', 'hold', 'keepalive', 'idleHold').map((timer): FsmEvent => ({ kind: 'TimerExpired', timer })),
      fc.constant<FsmEvent>({ kind: 'TcpConnected' }),
      fc.constant<FsmEvent>({ kind: 'TcpFailed', reason: 'x' }),
      fc.constant<FsmEvent>({ kind: 'Open', open: OPEN }),
      fc.constant<FsmEvent>({ kind: 'Keepalive' }),
      fc.constant<FsmEvent>({ kind: 'Update', endOfRib: false }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), (events) => {
        const fsm = new BgpFsm({ local: LOCAL, random: () => 0.5 });
        for (const e of events) {
          const actions = fsm.handle(e);
          if (actions.some((a) => a.kind === 'close')) assert.ok(['Idle', 'Active', 'Connect'].includes(fsm.state), fsm.state);
          if (actions.some((a) => a.kind === 'established')) assert.equal(fsm.state, 'Established');
          // Messages go out only on a connection that exists.
          if (actions.some((a) => a.kind === 'sendKeepalive')) assert.ok(['OpenConfirm', 'Established'].includes(fsm.state));
        }
      }),
    );
  });
});

type TimerNameEvent = 'connectRetry' | 'hold' | 'keepalive' | 'idleHold';
