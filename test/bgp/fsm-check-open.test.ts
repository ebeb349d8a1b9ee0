// A refused OPEN (RFC 4271 §6.2) as the session sees it: the NOTIFICATION sent is the whole of
// what the FSM reports, and the `down` reason carries that same NOTIFICATION. checkOpen used to
// build a message per refusal and drop it (issue #15 Finding 3, docs/mutation-testing.md): a
// refusal is now nothing but the NOTIFICATION, so there is nothing a test cannot see.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { BgpFsm, checkOpen } from '../../src/bgp/fsm.ts';
import type { FsmAction, LocalConfig, PeerOpen } from '../../src/bgp/fsm-types.ts';
import { FSM_LOCAL } from './fsm-local.ts';

// The behaviour tests' local side with IPv4 only and no graceful restart: the OPEN refusals do
// not depend on either.
const LOCAL: LocalConfig = { ...FSM_LOCAL, families: ['ipv4-unicast'], gracefulRestart: { enabled: false, restartTimeSeconds: 120 } };
const OPEN: PeerOpen = { version: 4, asn: 65000, asField: 65000, holdTime: 30, routerId: 0xc0000201, fourOctetAs: true, routeRefresh: true, families: ['ipv4-unicast'], gracefulRestart: null };

function openSent(): BgpFsm {
  const fsm = new BgpFsm({ local: LOCAL, random: () => 0.5 });
  fsm.handle({ kind: 'ManualStart' });
  fsm.handle({ kind: 'TcpConnected' });
  assert.equal(fsm.state, 'OpenSent');
  return fsm;
}

// RFC 4271 §4.5 / §6.2: OPEN Message Error (2) and its subcodes; Unsupported Version Number's
// data is the largest version we support, as two octets.
const REFUSALS: [string, Partial<PeerOpen>, { code: number; subcode: number; data: number[] }][] = [
  ['version 3', { version: 3 }, { code: 2, subcode: 1, data: [0, 4] }],
  ['an AS other than the configured peer AS', { asn: 65001 }, { code: 2, subcode: 2, data: [] }],
  ['BGP Identifier 0', { routerId: 0 }, { code: 2, subcode: 3, data: [] }],
  ['hold time 1', { holdTime: 1 }, { code: 2, subcode: 6, data: [] }],
  ['hold time 2', { holdTime: 2 }, { code: 2, subcode: 6, data: [] }],
];

describe('a refused OPEN: the NOTIFICATION is the whole refusal, sent and given as the down reason', () => {
  for (const [name, over, want] of REFUSALS) {
    it(name, () => {
      const n = checkOpen({ ...OPEN, ...over }, LOCAL);
      assert.ok(n !== null);
      // Nothing beyond the NOTIFICATION: no message that would be dropped on the way.
      assert.deepEqual({ ...n, data: [...n.data] }, want);

      const fsm = openSent();
      const actions: FsmAction[] = fsm.handle({ kind: 'Open', open: { ...OPEN, ...over } });
      assert.equal(fsm.state, 'Idle');
      const sent = actions.find((a) => a.kind === 'sendNotification');
      const down = actions.find((a) => a.kind === 'down');
      assert.deepEqual(sent, { kind: 'sendNotification', notification: n });
      assert.deepEqual(down, { kind: 'down', reason: { kind: 'notification-sent', notification: n } });
      assert.ok(actions.indexOf(sent) < actions.findIndex((a) => a.kind === 'close'), 'the NOTIFICATION goes out before the connection closes');
    });
  }

  it('an acceptable OPEN is no refusal: the session moves on to OpenConfirm', () => {
    assert.equal(checkOpen(OPEN, LOCAL), null);
    const fsm = openSent();
    assert.deepEqual(fsm.handle({ kind: 'Open', open: OPEN }).filter((a) => a.kind === 'sendNotification' || a.kind === 'down'), []);
    assert.equal(fsm.state, 'OpenConfirm');
  });
});
