// docs/l2.md, "Planned handover" (issue #14: a drain lost every probe between the handover write
// and the successor's watch event): two backends on one segment, the old holder and its
// successor, with receive stamps. The old holder answers every request it reads before the
// successor's announcement and none after; the successor answers only requests received after
// its announcement left it, by the stamp of its tap of outgoing frames (handover-marks.ts). So no
// request is answered twice and none by nobody. Without a tap the successor waits
// ANSWER_AFTER_ANNOUNCEMENT_NS after its send, and at most that goes unanswered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeArpFrame, encodeArpFrame, type ArpPacket } from '../../src/l2/arp.ts';
import { ANSWER_AFTER_ANNOUNCEMENT_NS } from '../../src/l2/handover-marks.ts';
import { L2Backend } from '../../src/l2/backend.ts';
import { BROADCAST_MAC, ETHERTYPE_ARP, ZERO_MAC } from '../../src/l2/ethernet.ts';
import type { NetInterface } from '../../src/net/interfaces.ts';
import { ETH_P } from '../../src/net/types.ts';
import { FakeHost, FakeSegment, type FakeInterface } from '../support/fake-net.ts';
import { MAC_A, v4 } from './helpers.ts';

const VIP = v4('192.0.2.10');

function facts(iface: FakeInterface): NetInterface {
  return { name: iface.name, ifindex: iface.ifindex, mac: iface.mac, flags: 0x1003, up: true, broadcast: true, loopback: false, noArp: false, multicast: true, operState: 'up', mtu: 1500, kind: '' };
}

interface Node {
  backend: L2Backend;
  host: FakeHost;
  iface: FakeInterface;
  dropped: string[];
  conflicts: string[];
  errors: string[];
}

function world(): { segment: FakeSegment; clock: { ns: bigint }; node: (name: string, mac: string, onConflict?: (ip: string) => void) => Node } {
  const segment = new FakeSegment();
  const clock = { ns: 1_700_000_000_000_000_000n };
  segment.stampNs = () => clock.ns;
  let ifindex = 2;
  const node = (name: string, mac: string, onConflict?: (ip: string) => void): Node => {
    const host = new FakeHost(name);
    const iface = host.attach(segment, { ifindex: ifindex++, mac, name: 'eth0', addresses: [] });
    const n: Node = { backend: undefined as unknown as L2Backend, host, iface, dropped: [], conflicts: [], errors: [] };
    n.backend = new L2Backend({
      net: host,
      interfaces: () => ({ ok: true, value: [facts(iface)] }),
      ownAddresses: () => new Set(),
      gratuitous: { count: 1, intervalMs: 200 },
      realtimeNs: () => clock.ns,
      hooks: {
        mayAnswer: () => true,
        onAnswered: () => undefined,
        onDropped: (reason) => n.dropped.push(reason),
        onGratuitous: () => undefined,
        onConflict: (ip) => {
          n.conflicts.push(ip);
          onConflict?.(ip);
        },
        onError: (code, message) => n.errors.push(`${code}: ${message}`),
      },
      timers: { setTimeout: () => 0, clearTimeout: () => undefined },
    });
    return n;
  };
  return { segment, clock, node };
}

function request(): Uint8Array {
  const arp: ArpPacket = { op: 'request', senderMac: MAC_A, senderIp: v4('192.0.2.1'), targetMac: ZERO_MAC, targetIp: VIP };
  return encodeArpFrame({ eth: { dst: BROADCAST_MAC, src: MAC_A, ethertype: ETHERTYPE_ARP }, arp });
}

/** The ARP replies to the client among the frames from `from` on, by sender MAC. */
function replies(segment: FakeSegment, from: number): string[] {
  segment.flush();
  return segment.frames.slice(from).flatMap((f) => {
    const d = decodeArpFrame(f.data);
    return d.ok && d.value.arp.op === 'reply' && d.value.eth.dst === MAC_A ? [d.value.arp.senderMac] : [];
  });
}

/**
 * The old holder of VIP and its successor, 10 ms after both started. The old holder's driver ends
 * its hold at the successor's announcement (successorAnnounced). The successor answers another
 * VIP already: its socket reads the segment (a socket opened later would not have received the
 * requests before it, as in the kernel).
 */
function handoverPair(prepare?: (next: Node) => void): ReturnType<typeof world> & { old: Node; next: Node } {
  const w = world();
  const old = w.node('old', '02:00:00:00:01:0a', (ip) => old.backend.remove(ip));
  const next = w.node('next', '02:00:00:00:01:0b');
  prepare?.(next);
  old.backend.put(VIP, ['eth0']);
  next.backend.put(v4('192.0.2.11'), ['eth0']);
  w.segment.flush();
  w.clock.ns += 10_000_000n;
  return { ...w, old, next };
}

/** Open taps (ETH_P_ALL sockets) on a node: one while handovers come (handover-marks.ts). */
function taps(n: Node): number {
  return [...n.iface.packetSockets].filter((s) => s.protocol === ETH_P.ALL).length;
}

test('regression: issue #14 planned drain lost probes — the answers pass from the old holder to the successor at its announcement, none twice', () => {
  const { segment, clock, old, next } = handoverPair();
  let mark = segment.frames.length;
  segment.inject(request());
  assert.deepEqual(replies(segment, mark), ['02:00:00:00:01:0a'], 'the holder answers');

  // A request on the wire, then the successor takes the VIP in the same instant: the request
  // was received before its announcement, so only the old holder answers it.
  mark = segment.frames.length;
  segment.inject(request());
  next.backend.put(VIP, ['eth0'], { afterAnnouncement: true });
  assert.deepEqual(replies(segment, mark), ['02:00:00:00:01:0a']);
  assert.deepEqual(next.dropped.filter((r) => r === 'before-announcement'), ['before-announcement']);
  assert.deepEqual(old.conflicts, [VIP], 'the old holder read the announcement');
  assert.equal(taps(next), 1, 'one tap, open while handovers come');

  // Past it: the successor alone.
  for (let i = 0; i < 3; i++) {
    clock.ns += 1n;
    mark = segment.frames.length;
    segment.inject(request());
    assert.deepEqual(replies(segment, mark), ['02:00:00:00:01:0b']);
  }
  // The old holder dropped nothing for a reason other than "not ours" (no fence, no before-announcement).
  assert.deepEqual(old.dropped.filter((r) => !['target-not-held', 'not-arp-request', 'gratuitous-from-peer'].includes(r)), []);
  assert.deepEqual([...old.errors, ...next.errors], []);
});

test('regression: issue #14 a drain lost one probe in 4 of 37 runs — a request received 1 ns after the announcement left is the successor’s, not nobody’s', () => {
  const { segment, clock, next } = handoverPair();
  next.backend.put(VIP, ['eth0'], { afterAnnouncement: true });
  // The JavaScript after the send (the round's second frame, hooks, logging) takes its time;
  // the mark is where the kernel says the first frame left, not where the code got to.
  clock.ns += 1n;
  const mark = segment.frames.length;
  segment.inject(request());
  assert.deepEqual(replies(segment, mark), ['02:00:00:00:01:0b']);
  assert.deepEqual(next.dropped.filter((r) => r === 'before-announcement'), []);
});

test('without a tap (ETH_P_ALL refused) the successor waits the margin after its send, and says why once', () => {
  const { segment, clock, next } = handoverPair((n) => n.host.denyProtocols.set(ETH_P.ALL, 'EPERM'));
  next.backend.put(VIP, ['eth0'], { afterAnnouncement: true });
  segment.flush();
  // Within the margin: the old holder has stopped, the successor does not answer yet.
  clock.ns += ANSWER_AFTER_ANNOUNCEMENT_NS / 2n;
  let mark = segment.frames.length;
  segment.inject(request());
  assert.deepEqual(replies(segment, mark), []);
  // Past it: the successor alone.
  clock.ns += ANSWER_AFTER_ANNOUNCEMENT_NS;
  mark = segment.frames.length;
  segment.inject(request());
  assert.deepEqual(replies(segment, mark), ['02:00:00:00:01:0b']);
  next.backend.put(v4('192.0.2.12'), ['eth0'], { afterAnnouncement: true });
  assert.equal(next.errors.length, 1, 'reported once, not per handover');
  assert.match(next.errors[0] ?? '', /^EPERM: /);
});

test('a take or a resume (no old holder answering) answers at once, even a request received just before', () => {
  const { segment, clock, node } = world();
  const n = node('n', '02:00:00:00:01:0a');
  n.backend.put(v4('192.0.2.11'), ['eth0']);
  segment.flush();
  clock.ns += 10_000_000n;
  const mark = segment.frames.length;
  segment.inject(request());
  n.backend.put(VIP, ['eth0']);
  assert.deepEqual(replies(segment, mark), ['02:00:00:00:01:0a']);
  assert.deepEqual(n.dropped.filter((r) => r === 'before-announcement'), []);
});

test('a VIP already answered is not held back by a later announcement of its own (defence, resync)', () => {
  const { segment, clock, node } = world();
  const holder = node('holder', '02:00:00:00:01:0a');
  holder.backend.put(VIP, ['eth0'], { afterAnnouncement: true });
  segment.flush();
  clock.ns += 10_000_000n;
  let mark = segment.frames.length;
  segment.inject(request());
  assert.deepEqual(replies(segment, mark), ['02:00:00:00:01:0a']);
  // The conflict defence announces again, and the same entry is put again: a request received
  // just before is still answered.
  mark = segment.frames.length;
  segment.inject(request());
  holder.backend.announce(VIP);
  holder.backend.put(VIP, ['eth0'], { afterAnnouncement: true });
  assert.deepEqual(replies(segment, mark), ['02:00:00:00:01:0a']);
});

test('without receive stamps (an old kernel or a fake), a new VIP answers at once', () => {
  const { segment, node } = world();
  segment.stampNs = undefined;
  const n = node('n', '02:00:00:00:01:0a');
  n.backend.put(v4('192.0.2.11'), ['eth0']);
  const mark = segment.frames.length;
  segment.inject(request());
  n.backend.put(VIP, ['eth0'], { afterAnnouncement: true });
  assert.deepEqual(replies(segment, mark), ['02:00:00:00:01:0a']);
});

test('regression: issue #10 — the previous holder\'s announcement, read only after this node began answering the VIP, was reported as a conflict (a warning, an Event, a defending burst: with stale views, 1,100–1,400 per speaker in 2.5 min at 5,000 VIPs)', () => {
  const { segment, clock, node } = world();
  const old = node('old', '02:00:00:00:01:0a');
  const next = node('next', '02:00:00:00:01:0b');
  next.backend.put(v4('192.0.2.99'), ['eth0']); // its ARP socket is open: frames queue for it
  old.backend.put(VIP, ['eth0']); // the old holder's burst, received by `next` at this stamp…
  clock.ns += 5_000_000n;
  next.backend.put(VIP, ['eth0']); // …and read only after `next` began answering VIP
  segment.flush();
  assert.deepEqual(next.conflicts, [], 'an announcement from before is no conflict');
  assert.deepEqual(next.dropped.filter((r) => r === 'announced-before-ours'), ['announced-before-ours', 'announced-before-ours'], 'both forms of the round, dropped with their reason');
  clock.ns += 5_000_000n;
  old.backend.announce(VIP); // announced again after `next` began: two hosts answer, a conflict
  segment.flush();
  assert.deepEqual(next.conflicts, [VIP, VIP]);
});
