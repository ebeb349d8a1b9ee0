// Issue #10: the speaker tells the backend one VIP at a time (`put`, `remove`) instead of handing
// it the whole table on every change. Property: after any sequence of puts and removes, the
// backend answers, announces and joins exactly as one given the same table with `set`: the same
// VIPs held per interface, the same gratuitous bursts per step, the same solicited-node groups,
// the same replies to a request for every address.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeArpFrame, encodeArpFrame } from '../../src/l2/arp.ts';
import { L2Backend, type L2BackendEntry } from '../../src/l2/backend.ts';
import { BROADCAST_MAC, ETHERTYPE_ARP, ZERO_MAC } from '../../src/l2/ethernet.ts';
import type { NetInterface } from '../../src/net/interfaces.ts';
import { FakeHost, FakeSegment, type FakeInterface } from '../support/fake-net.ts';
import { mac, MAC_A, v4 } from './helpers.ts';

// 2001:db8::10 and 2001:db9::10 share a solicited-node group (the low 24 bits, RFC 4291 §2.7.1).
const POOL = ['192.0.2.10', '192.0.2.11', '192.0.2.12', '2001:db8::10', '2001:db9::10', '2001:db8::11'];
const NAMES = ['eth0', 'eth1'];

function facts(iface: FakeInterface): NetInterface {
  return { name: iface.name, ifindex: iface.ifindex, mac: iface.mac, flags: 0x1003, up: true, broadcast: true, loopback: false, noArp: false, multicast: true, operState: 'up', mtu: 1500, kind: '' };
}

interface Rig {
  backend: L2Backend;
  events: string[];
  segments: FakeSegment[];
  ifaces: FakeInterface[];
}

function rig(): Rig {
  const host = new FakeHost('node');
  const segments = [new FakeSegment(), new FakeSegment()];
  const ifaces = NAMES.map((name, i) => host.attach(segments[i] ?? new FakeSegment(), { ifindex: 2 + i, mac: `02:00:00:00:0${i}:0b`, name, addresses: [`fe80::${i}:b`] }));
  const events: string[] = [];
  const backend = new L2Backend({
    net: host,
    interfaces: () => ({ ok: true, value: ifaces.map(facts) }),
    ownAddresses: () => new Set(),
    gratuitous: { count: 1, intervalMs: 200 },
    hooks: {
      mayAnswer: () => true,
      onAnswered: (family, ip, iface) => events.push(`answered ${family} ${ip} ${iface}`),
      onDropped: () => undefined,
      onGratuitous: (family, ip, iface) => events.push(`gratuitous ${family} ${ip} ${iface}`),
      onConflict: () => undefined,
      onError: (code, _m, iface) => events.push(`error ${code} ${iface}`),
    },
    timers: { setTimeout: () => 0, clearTimeout: () => undefined },
  });
  return { backend, events, segments, ifaces };
}

/** What an outsider sees now: held VIPs, joined groups, and who answers an ARP request for each IPv4 address. */
function observe(r: Rig): string[] {
  const out = [...r.backend.held()].map(([ip, names]) => `held ${ip} ${[...names].sort().join('+')}`).sort();
  for (const iface of r.ifaces) out.push(`groups ${iface.name} ${[...iface.groups.keys()].sort().join(',')}`);
  for (const [i, seg] of r.segments.entries()) {
    for (const ip of POOL.filter((p) => !p.includes(':'))) {
      seg.frames.length = 0;
      seg.inject(encodeArpFrame({ eth: { dst: BROADCAST_MAC, src: MAC_A, ethertype: ETHERTYPE_ARP }, arp: { op: 'request', senderMac: MAC_A, senderIp: v4('192.0.2.1'), targetMac: ZERO_MAC, targetIp: v4(ip) } }));
      seg.flush();
      const replies = seg.frames.filter((f) => f.from.startsWith('node/')).flatMap((f) => {
        const d = decodeArpFrame(f.data);
        return d.ok && d.value.arp.op === 'reply' ? [d.value.arp.senderIp] : [];
      });
      if (replies.length > 0) out.push(`reply ${NAMES[i] ?? ''} ${replies.join(',')}`);
    }
  }
  return out;
}

type Op = { put: string; names: string[] } | { remove: string };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ put: fc.constantFrom(...POOL), names: fc.subarray(NAMES) }),
  fc.record({ remove: fc.constantFrom(...POOL) }),
);

it('issue #10 — put and remove leave the backend as set() with the same table: held, bursts, groups, replies', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
      const inc = rig();
      const full = rig();
      const table = new Map<string, string[]>();
      for (const o of ops) {
        inc.events.length = 0;
        full.events.length = 0;
        if ('put' in o) {
          table.set(o.put, o.names);
          inc.backend.put(o.put, o.names);
        } else {
          table.delete(o.remove);
          inc.backend.remove(o.remove);
        }
        full.backend.set([...table].map(([ip, interfaces]): L2BackendEntry => ({ ip, interfaces })));
        assert.deepEqual([...inc.events].sort(), [...full.events].sort(), `bursts after ${JSON.stringify(o)}`);
        assert.deepEqual(observe(inc), observe(full), `state after ${JSON.stringify(o)}`);
      }
    }),
    { numRuns: 300 },
  );
});

it('issue #10 — remove of an address never put, and put of a malformed one, change nothing', () => {
  const r = rig();
  r.backend.put('192.0.2.10', ['eth0']);
  r.backend.remove('192.0.2.99');
  r.backend.put('not-an-ip', ['eth0']);
  assert.deepEqual(r.backend.held(), new Map([['192.0.2.10', ['eth0']]]));
  assert.ok(r.events.some((e) => e.startsWith('error bad-ip')), 'the malformed address is reported');
  assert.equal(mac('02:00:00:00:00:0b'), r.ifaces[0]?.mac);
});

it('regression (issue #10, the resync replaced its VIP sets every 5 s): a resync after any puts and removes changes nothing an outsider sees and sends no burst', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
      const r = rig();
      for (const o of ops) {
        if ('put' in o) r.backend.put(o.put, o.names);
        else r.backend.remove(o.remove);
      }
      const before = observe(r);
      r.events.length = 0;
      r.backend.resync();
      r.backend.resync();
      assert.deepEqual(r.events.filter((e) => e.startsWith('gratuitous')), [], 'no burst for VIPs already announced');
      assert.deepEqual(observe(r), before);
      // And a change after the resyncs still takes: the sets kept are not stale.
      r.backend.remove('192.0.2.10');
      r.backend.put('192.0.2.11', ['eth0']);
      r.backend.resync();
      const held = r.backend.held();
      assert.equal(held.has('192.0.2.10'), false);
      assert.deepEqual(held.get('192.0.2.11'), ['eth0']);
    }),
    { numRuns: 200 },
  );
});
