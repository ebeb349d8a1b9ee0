// The BGP FSM (RFC 4271 §8) event by event in every state, with every action spelled out: the
// timers it arms (with their jitter) and cancels, what it sends, and why a session went down.
// fsm.test.ts tells the stories; this file checks the whole state × event table around them.
// Written against the survivors of mutation testing (issue #15, docs/mutation-testing.md).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { BgpFsm, IDLE_HOLD_MAX_MS, IDLE_HOLD_MIN_MS, OPENSENT_HOLD_MS, checkOpen } from '../../src/bgp/fsm.ts';
import type { FsmAction, FsmEvent, FsmState, LocalConfig, PeerOpen } from '../../src/bgp/fsm-types.ts';
import { FSM_LOCAL } from './fsm-local.ts';

const LOCAL = FSM_LOCAL;
const OPEN: PeerOpen = { version: 4, asn: 65000, asField: 65000, holdTime: 30, routerId: 0xc0000201, fourOctetAs: true, routeRefresh: true, families: ['ipv4-unicast', 'ipv6-unicast'], gracefulRestart: { restarting: false, timeSeconds: 120, families: [] } };

// With random() = 0.5 every jittered timer is 0.875 of its nominal value (RFC 4271 §10: 0.75–1.0).
const J = (ms: number): number => Math.round(ms * 0.875);
const RETRY = `timer connectRetry=${J(5_000)}`;
const CANCELS = ['cancel connectRetry', 'cancel hold', 'cancel keepalive'];

/** Every action, timers with their durations: "timer hold=30000", "cancel keepalive", "down tcp-failed: …". */
function full(a: FsmAction): string {
  switch (a.kind) {
    case 'timer':
      return a.ms === null ? `cancel ${a.timer}` : `timer ${a.timer}=${a.ms}`;
    case 'sendNotification':
      return `notif ${a.notification.code}/${a.notification.subcode}`;
    case 'down': {
      const r = a.reason;
      return r.kind === 'tcp-failed' ? `down tcp-failed: ${r.reason}` : r.kind === 'notification-sent' || r.kind === 'notification-received' ? `down ${r.kind} ${r.notification.code}/${r.notification.subcode}` : r.kind === 'stopped' ? `down stopped ${r.mode}` : `down ${r.kind}`;
    }
    case 'routeRefresh':
      return `refresh ${a.family}`;
    default:
      return a.kind;
  }
}

function fsmIn(state: FsmState, local: LocalConfig = LOCAL, random = (): number => 0.5): BgpFsm {
  const fsm = new BgpFsm({ local, random });
  const path: Record<FsmState, FsmEvent[]> = {
    Idle: [],
    Connect: [{ kind: 'ManualStart' }],
    Active: local.active ? [{ kind: 'ManualStart' }, { kind: 'TcpFailed', reason: 'refused' }] : [{ kind: 'ManualStart' }],
    OpenSent: [{ kind: 'ManualStart' }, { kind: 'TcpConnected' }],
    OpenConfirm: [{ kind: 'ManualStart' }, { kind: 'TcpConnected' }, { kind: 'Open', open: OPEN }],
    Established: [{ kind: 'ManualStart' }, { kind: 'TcpConnected' }, { kind: 'Open', open: OPEN }, { kind: 'Keepalive' }],
  };
  for (const e of path[state]) fsm.handle(e);
  assert.equal(fsm.state, state);
  return fsm;
}

/** [state before, event, state after, every action] */
type Row = [FsmState, FsmEvent, FsmState, string[]];
const DOWN_IDLE = (reason: string, first: string[] = []): string[] => [...first, ...CANCELS, reason, `timer idleHold=${J(IDLE_HOLD_MIN_MS)}`];

const TABLE: Row[] = [
  // Starting.
  ['Idle', { kind: 'ManualStart' }, 'Connect', [RETRY, 'connect']],
  ['Connect', { kind: 'ManualStart' }, 'Connect', []],
  ['Established', { kind: 'ManualStart' }, 'Established', []],
  ['Connect', { kind: 'AutomaticStart' }, 'Connect', []],
  ['Established', { kind: 'TcpConnected' }, 'Established', []],
  ['OpenConfirm', { kind: 'TcpConnected' }, 'OpenConfirm', []],
  ['Connect', { kind: 'TcpConnected' }, 'OpenSent', ['cancel connectRetry', 'sendOpen', `timer hold=${OPENSENT_HOLD_MS}`]],
  // TCP failing in every state.
  ['Idle', { kind: 'TcpFailed', reason: 'x' }, 'Idle', []],
  ['Connect', { kind: 'TcpFailed', reason: 'x' }, 'Active', [RETRY]],
  ['OpenSent', { kind: 'TcpFailed', reason: 'reset' }, 'Active', ['close', 'cancel hold', RETRY]],
  ['OpenConfirm', { kind: 'TcpFailed', reason: 'reset' }, 'Idle', DOWN_IDLE('down tcp-failed: reset')],
  ['Established', { kind: 'TcpFailed', reason: 'reset' }, 'Idle', DOWN_IDLE('down tcp-failed: reset')],
  // Collisions (RFC 4271 §6.8).
  ['OpenSent', { kind: 'Collision' }, 'Active', ['notif 6/7', 'close', 'cancel hold', 'cancel keepalive', 'cancel connectRetry']],
  ['OpenConfirm', { kind: 'Collision' }, 'Active', ['notif 6/7', 'close', 'cancel hold', 'cancel keepalive', 'cancel connectRetry']],
  ['Connect', { kind: 'Collision' }, 'Connect', []],
  // BFD Down (RFC 5882 §4.3): torn down at once with Cease / BFD Down (RFC 9384), wherever an OPEN went.
  ['Established', { kind: 'BfdDown' }, 'Idle', DOWN_IDLE('down bfd-down', ['notif 6/10', 'close'])],
  ['OpenConfirm', { kind: 'BfdDown' }, 'Idle', DOWN_IDLE('down bfd-down', ['notif 6/10', 'close'])],
  ['OpenSent', { kind: 'BfdDown' }, 'Idle', DOWN_IDLE('down bfd-down', ['notif 6/10', 'close'])],
  ['Connect', { kind: 'BfdDown' }, 'Connect', []],
  ['Active', { kind: 'BfdDown' }, 'Active', []],
  ['Idle', { kind: 'BfdDown' }, 'Idle', []],
  // Timers that fire in states where they mean something, and where they are stale.
  ['Idle', { kind: 'TimerExpired', timer: 'idleHold' }, 'Idle', []],
  ['Established', { kind: 'TimerExpired', timer: 'idleHold' }, 'Established', []],
  ['Connect', { kind: 'TimerExpired', timer: 'connectRetry' }, 'Connect', ['close', RETRY, 'connect']],
  ['OpenSent', { kind: 'TimerExpired', timer: 'connectRetry' }, 'OpenSent', []],
  ['Established', { kind: 'TimerExpired', timer: 'connectRetry' }, 'Established', []],
  ['OpenSent', { kind: 'TimerExpired', timer: 'hold' }, 'Idle', DOWN_IDLE('down hold-timer-expired', ['notif 4/0', 'close'])],
  ['OpenConfirm', { kind: 'TimerExpired', timer: 'hold' }, 'Idle', DOWN_IDLE('down hold-timer-expired', ['notif 4/0', 'close'])],
  ['Connect', { kind: 'TimerExpired', timer: 'hold' }, 'Connect', []],
  ['OpenConfirm', { kind: 'TimerExpired', timer: 'keepalive' }, 'OpenConfirm', ['sendKeepalive', `timer keepalive=${J(10_000)}`]],
  ['Established', { kind: 'TimerExpired', timer: 'keepalive' }, 'Established', ['sendKeepalive', `timer keepalive=${J(10_000)}`]],
  ['OpenSent', { kind: 'TimerExpired', timer: 'keepalive' }, 'OpenSent', []],
  // Messages.
  ['Idle', { kind: 'Keepalive' }, 'Idle', []],
  ['Active', { kind: 'Open', open: OPEN }, 'Idle', DOWN_IDLE('down tcp-failed: Open before the connection was set up', ['close'])],
  ['Connect', { kind: 'Keepalive' }, 'Idle', DOWN_IDLE('down tcp-failed: Keepalive before the connection was set up', ['close'])],
  ['OpenSent', { kind: 'Open', open: OPEN }, 'OpenConfirm', ['sendKeepalive', 'timer hold=30000', `timer keepalive=${J(10_000)}`]],
  ['OpenSent', { kind: 'Open', open: { ...OPEN, asn: 65001 } }, 'Idle', DOWN_IDLE('down notification-sent 2/2', ['notif 2/2', 'close'])],
  ['OpenConfirm', { kind: 'Keepalive' }, 'Established', ['established', 'timer hold=30000']],
  ['Established', { kind: 'Keepalive' }, 'Established', ['timer hold=30000']],
  ['Established', { kind: 'RouteRefresh', family: 'ipv6-unicast' }, 'Established', ['refresh ipv6-unicast', 'timer hold=30000']],
  ['OpenSent', { kind: 'Notification', notification: { code: 6, subcode: 2, data: new Uint8Array(0) } }, 'Idle', DOWN_IDLE('down notification-received 6/2', ['close'])],
  // Stopping.
  ['Idle', { kind: 'ManualStop', mode: 'shutdown', message: '' }, 'Idle', ['cancel idleHold']],
  ['Connect', { kind: 'ManualStop', mode: 'shutdown', message: '' }, 'Idle', ['close', ...CANCELS, 'down stopped shutdown']],
  ['OpenSent', { kind: 'ManualStop', mode: 'shutdown', message: '' }, 'Idle', ['notif 6/2', 'close', ...CANCELS, 'down stopped shutdown']],
  ['OpenConfirm', { kind: 'ManualStop', mode: 'shutdown', message: '' }, 'Idle', ['notif 6/2', 'close', ...CANCELS, 'down stopped shutdown']],
  // A restart keeps the peer's routes only once Established (RFC 4724 §4); before that it resets.
  ['OpenConfirm', { kind: 'ManualStop', mode: 'restart', message: '' }, 'Idle', ['notif 6/4', 'close', ...CANCELS, 'down stopped restart']],
  ['Established', { kind: 'ManualStop', mode: 'restart', message: '' }, 'Idle', ['close', ...CANCELS, 'down stopped restart']],
];

describe('BGP FSM: every event in every state that matters, every action', () => {
  for (const [before, event, after, actions] of TABLE) {
    it(`${before} + ${event.kind}${event.kind === 'TimerExpired' ? ` ${event.timer}` : ''} → ${after}`, () => {
      const fsm = fsmIn(before);
      assert.deepEqual(fsm.handle(event).map(full), actions);
      assert.equal(fsm.state, after);
    });
  }

  it('passive: a stale connectRetry outside Connect and Active re-arms nothing', () => {
    const passive = { ...LOCAL, active: false };
    const fsm = fsmIn('Active', passive);
    assert.deepEqual(fsm.handle({ kind: 'TimerExpired', timer: 'connectRetry' }).map(full), [RETRY]);
    fsm.handle({ kind: 'TcpConnected' });
    assert.deepEqual(fsm.handle({ kind: 'TimerExpired', timer: 'connectRetry' }), []);
    assert.equal(fsm.state, 'OpenSent');
  });

  it('before any ManualStart, an AutomaticStart or an idle-hold expiry starts nothing; after a failure, they do', () => {
    const fresh = new BgpFsm({ local: LOCAL, random: () => 0.5 });
    assert.deepEqual(fresh.handle({ kind: 'AutomaticStart' }), []);
    assert.deepEqual(fresh.handle({ kind: 'TimerExpired', timer: 'idleHold' }), []);
    assert.equal(fresh.state, 'Idle');
    const failed = fsmIn('Established');
    failed.handle({ kind: 'TcpFailed', reason: 'reset' });
    assert.deepEqual(failed.handle({ kind: 'AutomaticStart' }).map(full), [RETRY, 'connect']);
    assert.equal(failed.state, 'Connect');
  });

  it('timers are jittered into [0.75, 1.0] of their value (RFC 4271 §10), never below 1 ms; the hold timer is exact', () => {
    for (const [r, retry] of [[0, 3_750], [0.5, 4_375], [0.999_999, 5_000]] as const) {
      const fsm = new BgpFsm({ local: LOCAL, random: () => r });
      assert.deepEqual(fsm.handle({ kind: 'ManualStart' }).map(full), [`timer connectRetry=${retry}`, 'connect']);
    }
    const tiny = new BgpFsm({ local: { ...LOCAL, connectRetrySeconds: 0 }, random: () => 0 });
    assert.deepEqual(tiny.handle({ kind: 'ManualStart' }).map(full), ['timer connectRetry=1', 'connect']);
    const open = fsmIn('OpenSent', LOCAL, () => 0);
    assert.deepEqual(open.handle({ kind: 'Open', open: OPEN }).map(full), ['sendKeepalive', 'timer hold=30000', 'timer keepalive=7500']);
  });

  it('idle hold: 1 s after the first failure, doubling per failure in a row, at most 60 s', () => {
    const fsm = new BgpFsm({ local: LOCAL, random: () => 0.999_999 });
    fsm.handle({ kind: 'ManualStart' });
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      fsm.handle({ kind: 'TcpConnected' });
      const a = fsm.handle({ kind: 'TimerExpired', timer: 'hold' }).find((x) => x.kind === 'timer' && x.timer === 'idleHold');
      waits.push(a?.kind === 'timer' ? (a.ms ?? 0) : 0);
      fsm.handle({ kind: 'TimerExpired', timer: 'idleHold' });
    }
    assert.deepEqual(waits, [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, IDLE_HOLD_MAX_MS, IDLE_HOLD_MAX_MS, IDLE_HOLD_MAX_MS]);
  });
});

describe('OPEN checks against an internal peer (RFC 6286 §2.2)', () => {
  it('an iBGP peer with another identifier is fine', () => {
    const ibgp = { ...LOCAL, peerAsn: LOCAL.asn };
    assert.equal(checkOpen({ ...OPEN, asn: LOCAL.asn, routerId: LOCAL.routerId + 1 }, ibgp), null);
  });
});
