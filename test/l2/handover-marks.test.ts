// handover-marks.ts on a scripted tap: what the kernel has queued on it is up to each test, so
// the cases the fake segment cannot stage are here: a qdisc holding the announcement past the
// send, an announcement of the same VIP still queued from before, a tap that never shows it,
// frames without stamps, and the tap's lifetime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arpAnnouncement, encodeArpFrame } from '../../src/l2/arp.ts';
import { announcements } from '../../src/l2/announce.ts';
import { HandoverMarks, TAP_IDLE_MS, TAP_PATIENCE_NS, ANSWER_AFTER_ANNOUNCEMENT_NS, OUTGOING_ANNOUNCEMENT_FILTER } from '../../src/l2/handover-marks.ts';
import type { L2Interface } from '../../src/l2/responder.ts';
import { ETH_P, netError } from '../../src/net/types.ts';
import type { Frame, Net, NetError, PacketSocket, PacketSocketOptions } from '../../src/net/types.ts';
import { MAC_A, MAC_B, v4, v6 } from './helpers.ts';

const VIP = v4('192.0.2.10');
const OTHER = v4('192.0.2.11');
const IFACE: L2Interface = { name: 'eth0', ifindex: 3, mac: MAC_A };
const T0 = 1_700_000_000_000_000_000n;

class ScriptedTap implements PacketSocket {
  readonly ifindex: number;
  readonly protocol: number;
  readonly options: PacketSocketOptions;
  queued: Frame[] = [];
  closed = false;
  constructor(options: PacketSocketOptions) {
    this.options = options;
    this.ifindex = options.ifindex;
    this.protocol = options.protocol;
  }
  send(): never {
    throw new Error('the tap never sends');
  }
  readQueued(): Frame[] {
    return this.queued.splice(0);
  }
  close(): void {
    this.closed = true;
  }
}

function rig(open: (o: PacketSocketOptions) => NetError | undefined = () => undefined) {
  const clock = { ns: T0 };
  const taps: ScriptedTap[] = [];
  const errors: NetError[] = [];
  const timers: { cb: () => void; ms: number; cleared: boolean }[] = [];
  const net: Net = {
    openPacketSocket: (options) => {
      const refused = open(options);
      if (refused !== undefined) return { ok: false, error: refused };
      const tap = new ScriptedTap(options);
      taps.push(tap);
      return { ok: true, value: tap };
    },
    openIcmp6Socket: () => netError('EINVAL', 'not used here'),
  };
  const marks = new HandoverMarks({
    net,
    realtimeNs: () => clock.ns,
    onTapError: (e) => errors.push(e),
    timers: {
      setTimeout: (cb, ms) => {
        const t = { cb, ms, cleared: false };
        timers.push(t);
        return t;
      },
      clearTimeout: (h) => {
        for (const t of timers) if (t === h) t.cleared = true;
      },
    },
  });
  const tap = (): ScriptedTap => {
    const t = taps.at(-1);
    assert.ok(t !== undefined, 'a tap was opened');
    return t;
  };
  return { clock, taps, tap, errors, timers, marks };
}

function outgoing(ip: typeof VIP, stampNs: bigint, mac = MAC_A): Frame {
  return { data: Buffer.from(encodeArpFrame(arpAnnouncement(ip, mac, 'request'))), type: 'outgoing', timestampNs: stampNs };
}

test('the tap is an ETH_P_ALL socket with receive stamps and the outgoing-announcement filter, on the VIP’s interface', () => {
  const { marks, tap } = rig();
  marks.expect(VIP, IFACE);
  const { options } = tap();
  assert.equal(options.protocol, ETH_P.ALL);
  assert.equal(options.ifindex, 3);
  assert.equal(options.timestamps, true);
  assert.equal(options.filter, OUTGOING_ANNOUNCEMENT_FILTER);
});

test('the kernel’s stamp of the announcement is the mark: a tie or earlier is the old holder’s, anything later ours', () => {
  const { marks, tap, clock } = rig();
  marks.expect(VIP, IFACE);
  tap().queued.push(outgoing(VIP, T0 + 500n));
  clock.ns = T0 + 900_000n; // the JavaScript after the send took 0.9 ms: it does not matter
  marks.sent(VIP);
  assert.equal(marks.admits(VIP, T0 + 499n), false);
  assert.equal(marks.admits(VIP, T0 + 500n), false);
  assert.equal(marks.admits(VIP, T0 + 501n), true);
  assert.equal(marks.admits(VIP, T0), true, 'once one is past the mark, later reads are (arrival order)');
});

test('a qdisc holds the announcement past the send: requests before it left are dropped, the first after it is ours', () => {
  const { marks, tap, clock } = rig();
  marks.expect(VIP, IFACE);
  clock.ns = T0 + 1_000n;
  marks.sent(VIP); // the tap is empty: the frame has not left
  assert.equal(tap().closed, false);
  assert.equal(marks.admits(VIP, T0 + 2_000n), false, 'not left yet: the old holder still answers');
  tap().queued.push(outgoing(VIP, T0 + 5_000n)); // it leaves; the tap's wake-up has not run yet
  assert.equal(marks.admits(VIP, T0 + 4_999n), false, 'received before it left');
  assert.equal(marks.admits(VIP, T0 + 6_000n), true, 'read from the tap before deciding');
});

test('the tap’s own wake-up delivers the stamp as well', () => {
  const { marks, tap } = rig();
  marks.expect(VIP, IFACE);
  marks.sent(VIP);
  tap().options.onFrame(outgoing(VIP, T0 + 7n));
  assert.equal(marks.admits(VIP, T0 + 7n), false);
  assert.equal(marks.admits(VIP, T0 + 8n), true);
});

test('a tap that never shows the announcement costs TAP_PATIENCE_NS after the send, no more', () => {
  const { marks, clock } = rig();
  marks.expect(VIP, IFACE);
  clock.ns = T0 + 10n;
  marks.sent(VIP);
  assert.equal(marks.admits(VIP, T0 + 10n + TAP_PATIENCE_NS), false);
  assert.equal(marks.admits(VIP, T0 + 11n + TAP_PATIENCE_NS), true);
});

test('an announcement of the same VIP still queued from before is not this one', () => {
  const { marks, tap } = rig();
  marks.expect(OTHER, IFACE); // the tap is open for another handover
  tap().queued.push(outgoing(VIP, T0 - 3_000_000n)); // this VIP was announced here 3 ms ago
  marks.expect(VIP, IFACE);
  tap().queued.push(outgoing(VIP, T0 + 40n));
  marks.sent(VIP);
  assert.equal(marks.admits(VIP, T0 + 39n), false);
  assert.equal(marks.admits(VIP, T0 + 41n), true);
});

test('frames that are not this interface’s outgoing announcements are ignored', () => {
  const { marks, tap, clock } = rig();
  marks.expect(VIP, IFACE);
  const incoming: Frame = { ...outgoing(VIP, T0 + 1n), type: 'broadcast' };
  const otherMac = outgoing(VIP, T0 + 2n, MAC_B);
  const request: Frame = { data: Buffer.from(encodeArpFrame({ eth: { dst: MAC_B, src: MAC_A, ethertype: 0x0806 }, arp: { op: 'request', senderMac: MAC_A, senderIp: OTHER, targetMac: MAC_B, targetIp: VIP } })), type: 'outgoing', timestampNs: T0 + 3n };
  tap().queued.push(incoming, otherMac, request, { data: Buffer.alloc(10), type: 'outgoing', timestampNs: T0 + 4n });
  clock.ns = T0 + 5n;
  marks.sent(VIP);
  assert.equal(marks.admits(VIP, T0 + 6n), false, 'still waiting');
});

test('an IPv6 handover is marked by its unsolicited NA', () => {
  const { marks, tap } = rig();
  const vip = v6('2001:db8::10');
  marks.expect(vip, IFACE);
  const [na] = announcements(vip, IFACE, 1);
  assert.ok(na !== undefined);
  tap().queued.push({ data: Buffer.from(na.frame), type: 'outgoing', timestampNs: T0 + 9n });
  marks.sent(vip);
  assert.equal(marks.admits(vip, T0 + 9n), false);
  assert.equal(marks.admits(vip, T0 + 10n), true);
});

test('without stamps on the tap there are none on the requests either: every request is answered', () => {
  const { marks, tap } = rig();
  marks.expect(VIP, IFACE);
  const { data, type } = outgoing(VIP, T0);
  tap().queued.push({ data, type });
  marks.sent(VIP);
  assert.equal(marks.admits(VIP, T0 - 1n), true);
  assert.equal(marks.admits(VIP, undefined), true);
});

test('a tap that cannot open is reported, and the margin after the send is the mark', () => {
  const { marks, errors, taps, clock } = rig(() => ({ code: 'EPERM', message: 'socket: EPERM', syscall: 'socket' }));
  marks.expect(VIP, IFACE);
  clock.ns = T0 + 100n;
  marks.sent(VIP);
  assert.deepEqual(errors.map((e) => e.code), ['EPERM']);
  assert.equal(taps.length, 0);
  assert.equal(marks.admits(VIP, T0 + 100n + ANSWER_AFTER_ANNOUNCEMENT_NS), false);
  assert.equal(marks.admits(VIP, T0 + 101n + ANSWER_AFTER_ANNOUNCEMENT_NS), true);
});

test('one tap serves a drain’s handovers and closes after TAP_IDLE_MS with none (a socket per VIP stalled the loop: issue #14)', () => {
  const { marks, taps, tap, timers } = rig();
  for (let i = 0; i < 30; i++) {
    const ip = v4(`192.0.2.${100 + i}`);
    marks.expect(ip, IFACE);
    tap().queued.push(outgoing(ip, T0 + BigInt(i)));
    marks.sent(ip);
  }
  assert.equal(taps.length, 1, 'one socket for thirty handovers');
  assert.deepEqual(timers.map((t) => t.ms), [TAP_IDLE_MS]);
  timers[0]?.cb(); // a period with handovers: it stays
  assert.equal(tap().closed, false);
  marks.expect(VIP, IFACE); // another handover in the next period
  timers[1]?.cb();
  assert.equal(tap().closed, false);
  timers[2]?.cb(); // a whole period with none
  assert.equal(tap().closed, true);
  assert.equal(timers.length, 3);
  assert.equal(marks.admits(v4('192.0.2.100'), T0 + 1n), true, 'marks outlive the tap');
});

test('a VIP forgotten has no mark; a handover on another interface moves the tap there', () => {
  const { marks, taps, timers } = rig();
  marks.expect(VIP, IFACE);
  marks.sent(VIP);
  marks.forget(VIP);
  assert.equal(marks.admits(VIP, T0), true, 'forgotten: no mark');
  marks.expect(OTHER, { ...IFACE, ifindex: 4 });
  assert.equal(taps[0]?.closed, true, 'the tap of the other interface');
  assert.equal(timers[0]?.cleared, true);
  assert.equal(taps[1]?.ifindex, 4);
});
