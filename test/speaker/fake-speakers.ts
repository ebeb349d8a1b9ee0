// In-process `herald speaker`s on one fake segment (test/support/fake-net.ts), each with an eth0
// and a loopback, for the suites that follow a Service to an ARP answer without network
// namespaces (l2-speaker.test.ts, l2-standby.test.ts).
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { decodeArpFrame, encodeArpFrame } from '../../src/l2/arp.ts';
import type { Mac } from '../../src/l2/ethernet.ts';
import { BROADCAST_MAC, ETHERTYPE_ARP, ZERO_MAC } from '../../src/l2/ethernet.ts';
import type { Ipv4 } from '../../src/l2/ip.ts';
import type { NetInterface } from '../../src/net/interfaces.ts';
import { parseSpeakerArgs, startSpeaker } from '../../src/speaker/command.ts';
import type { RunningSpeaker } from '../../src/speaker/command.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { FakeHost } from '../support/fake-net.ts';
import type { FakeSegment } from '../support/fake-net.ts';

export interface FakeNode {
  name: string;
  /** Its InternalIP, a loopback address: each speaker binds the heartbeat port on its own. */
  loopback: string;
  mac: string;
}

/** The interface addresses a speaker reads at every pass (tests add to them). */
export type FakeAddresses = { eth0: { address: string }[]; lo: { address: string }[] };

function eth0(mac: string): NetInterface {
  return { name: 'eth0', ifindex: 2, mac, flags: 0x1043, up: true, broadcast: true, loopback: false, noArp: false, multicast: true, operState: 'up', mtu: 1500, kind: '' };
}

const LO: NetInterface = { name: 'lo', ifindex: 1, mac: '', flags: 0x9, up: true, broadcast: false, loopback: true, noArp: true, multicast: false, operState: 'unknown', mtu: 65536, kind: '' };

/** Starts the node's speaker on `segment`, signing heartbeats with `keyFile` as deploy/ does (issue #14). */
export async function startFakeSpeaker(n: FakeNode, o: { segment: FakeSegment; clients: KubeClients; port: number; keyFile: string }): Promise<{ speaker: RunningSpeaker; addresses: FakeAddresses }> {
  const host = new FakeHost(n.name);
  host.attach(o.segment, { ifindex: 2, mac: n.mac, name: 'eth0' });
  const parsed = parseSpeakerArgs(['--node-name', n.name, '--heartbeat-port', String(o.port), '--drain-timeout', '3s', '--bgp-listen-port', '0', '--heartbeat-key-file', o.keyFile], {});
  assert.ok(parsed.ok === true);
  const addresses: FakeAddresses = { eth0: [{ address: `192.0.2.${n.loopback.split('.')[3] ?? ''}` }], lo: [{ address: n.loopback }] };
  const speaker = await startSpeaker(parsed.flags, pino({ level: process.env['HERALD_TEST_LOG'] ?? 'silent' }), {
    clients: o.clients,
    net: host,
    interfaces: () => ({ ok: true, value: [eth0(n.mac), LO] }),
    interfaceAddresses: () => addresses,
  });
  return { speaker, addresses };
}

/** The MACs that answer an ARP request for `ip` from a client on the segment, within 20 ms. */
export async function arpAnswers(segment: FakeSegment, ip: string, client: { mac: Mac; ip: string }): Promise<string[]> {
  const mark = segment.frames.length;
  segment.inject(encodeArpFrame({ eth: { dst: BROADCAST_MAC, src: client.mac, ethertype: ETHERTYPE_ARP }, arp: { op: 'request', senderMac: client.mac, senderIp: client.ip as Ipv4, targetMac: ZERO_MAC, targetIp: ip as Ipv4 } }));
  await new Promise((r) => setTimeout(r, 20));
  const macs: string[] = [];
  for (const f of segment.frames.slice(mark)) {
    const d = decodeArpFrame(f.data);
    if (d.ok && d.value.arp.op === 'reply' && d.value.arp.senderIp === ip && d.value.eth.dst === client.mac) macs.push(d.value.arp.senderMac);
  }
  return macs;
}
