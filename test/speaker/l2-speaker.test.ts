// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// `herald speaker` (L2) in-process against an API server, with the controller allocating and
// fake raw sockets on one fake segment: the whole journey from a Service to an ARP reply, the
// Lease, the Event, a failover and a drain, without network namespaces. Each speaker has clients
// of its own (on the real server herald-system/herald-speaker with the RBAC of deploy/).
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { decodeArpFrame, encodeArpFrame } from '../../src/l2/arp.ts';
import type { Mac } from '../../src/l2/ethernet.ts';
import { BROADCAST_MAC, ETHERTYPE_ARP, ZERO_MAC } from '../../src/l2/ethernet.ts';
import type { Ipv4 } from '../../src/l2/ip.ts';
import { FakeSegment } from '../support/fake-net.ts';
import { arpAnswers, startFakeSpeaker } from './fake-speakers.ts';
import type { FakeAddresses } from './fake-speakers.ts';
import type { RunningSpeaker } from '../../src/speaker/command.ts';
import { HERALD_GROUP, L2POLICY_PLURAL, HERALD_VERSION } from '../../src/api/names.ts';
import { NS, createPool, createService, eventsFor, eventually, getService, ipsOf, lbService, pool, startCluster } from '../controller/harness.ts';
import type { Cluster } from '../controller/harness.ts';
import { freeUdpPort } from '../support/free-udp-port.ts';

const CLIENT_MAC = '02:00:00:00:00:64' as Mac;
const NODES = [
  { name: 'node-a', loopback: '127.0.0.11', mac: '02:00:00:00:00:11' },
  { name: 'node-b', loopback: '127.0.0.12', mac: '02:00:00:00:00:12' },
  { name: 'node-c', loopback: '127.0.0.13', mac: '02:00:00:00:00:13' },
];

const KEY_FILE = join(mkdtempSync(join(tmpdir(), 'herald-l2-speaker-')), 'heartbeat-key');
writeFileSync(KEY_FILE, randomBytes(32));

let cluster: Cluster;
const segment = new FakeSegment();
const speakers = new Map<string, RunningSpeaker>();
/** Each node's interface addresses, as its speaker reads them at every pass (tests add to them). */
const localAddresses = new Map<string, FakeAddresses>();

async function startNode(n: (typeof NODES)[number], port: number): Promise<RunningSpeaker> {
  const { speaker, addresses } = await startFakeSpeaker(n, { segment, clients: cluster.suite.speakerClients(), port, keyFile: KEY_FILE });
  localAddresses.set(n.name, addresses);
  speakers.set(n.name, speaker);
  return speaker;
}

/** Who answers an ARP request for `ip` from a client on the segment (MACs). */
function resolve(ip: string): Promise<string[]> {
  return arpAnswers(segment, ip, { mac: CLIENT_MAC, ip: '192.0.2.100' });
}

before(async () => {
  cluster = await startCluster();
  for (const n of NODES) {
    await cluster.clients.core.createNode({
      body: { metadata: { name: n.name }, status: { addresses: [{ type: 'InternalIP', address: n.loopback }], conditions: [{ type: 'Ready', status: 'True' }] } },
    });
  }
  await createPool(cluster, pool('lab', { blocks: [{ start: '192.0.2.200', stop: '192.0.2.210' }] }));
  await cluster.clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: L2POLICY_PLURAL, body: { apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, kind: 'L2AnnouncementPolicy', metadata: { name: 'all' }, spec: { interfaces: ['eth0'] } } });
  await cluster.startController();
  // One port for all: each speaker binds it on its own loopback address, as on separate hosts.
  const port = await freeUdpPort(NODES.map((n) => n.loopback));
  for (const n of NODES) await startNode(n, port);
});

after(async () => {
  for (const s of speakers.values()) await s.stop();
  await cluster.close();
  rmSync(dirname(KEY_FILE), { recursive: true, force: true });
});

test('a LoadBalancer Service gets an address, and exactly one node answers ARP for it: the Lease holder, with an Event', async () => {
  await createService(cluster, lbService('web'));
  const ip = await eventually('an address', async () => ipsOf(await getService(cluster, 'web'))[0]);
  const macs = await eventually('one ARP answer', async () => {
    const m = await resolve(ip);
    return m.length === 1 ? m : undefined;
  });
  const lease = await cluster.clients.coordination.readNamespacedLease({ name: `herald-l2-${ip.replaceAll('.', '-')}`, namespace: 'herald-system' });
  const holder = NODES.find((n) => n.name === lease.spec?.holderIdentity);
  assert.ok(holder !== undefined);
  assert.deepEqual(macs, [holder.mac]);
  const ev = await eventually('the Announcing Event', async () => (await eventsFor(cluster, 'web')).find((e) => e.reason === 'Announcing'));
  assert.match(ev.message ?? '', new RegExp(`announcing ${ip.replaceAll('.', '\\.')} from ${holder.name} on eth0`));
  // Nothing answers for an address that is not allocated.
  assert.deepEqual(await resolve('192.0.2.209'), []);
});

test('another device announcing a held VIP is a duplicate address: the Lease still names the holder, so a Warning Event names the device\'s MAC and the holder defends and keeps answering', async () => {
  await createService(cluster, lbService('dup'));
  const ip = await eventually('an address', async () => ipsOf(await getService(cluster, 'dup'))[0]);
  await eventually('one ARP answer', async () => ((await resolve(ip)).length === 1 ? true : undefined));
  const foreign = '02:00:00:00:00:99' as Mac;
  const mark = segment.frames.length;
  // RFC 5227 §2.4 (a): an announcement whose sender IP is the VIP, from a MAC that is no node's.
  segment.inject(encodeArpFrame({ eth: { dst: BROADCAST_MAC, src: foreign, ethertype: ETHERTYPE_ARP }, arp: { op: 'request', senderMac: foreign, senderIp: ip as Ipv4, targetMac: ZERO_MAC, targetIp: ip as Ipv4 } }));
  const ev = await eventually('the DuplicateAddress Event', async () => (await eventsFor(cluster, 'dup')).find((e) => e.reason === 'DuplicateAddress'));
  assert.equal(ev.type, 'Warning');
  assert.match(ev.message ?? '', new RegExp(`another device \\(${foreign}\\) on eth0 answers for ${ip.replaceAll('.', '\\.')}`));
  const nodeMacs = new Set(NODES.map((n) => n.mac));
  const defended = segment.frames.slice(mark).some((f) => {
    const d = decodeArpFrame(f.data);
    return d.ok && nodeMacs.has(d.value.arp.senderMac) && d.value.arp.senderIp === ip && d.value.arp.targetIp === ip;
  });
  assert.ok(defended, 'the holder announced the VIP again (its defence)');
  const macs = await resolve(ip);
  assert.equal(macs.length, 1, `one answer: ${macs.join(', ')}`);
  assert.ok(nodeMacs.has(macs[0] ?? ''), 'a node still answers');
});

test('SIGTERM drain hands the VIP to another node, which answers at once', async () => {
  const ip = ipsOf(await getService(cluster, 'web'))[0] ?? '';
  const lease = await cluster.clients.coordination.readNamespacedLease({ name: `herald-l2-${ip.replaceAll('.', '-')}`, namespace: 'herald-system' });
  const holder = lease.spec?.holderIdentity ?? '';
  const running = speakers.get(holder);
  assert.ok(running !== undefined);
  await running.stop();
  speakers.delete(holder);
  // The successor starts on the Lease watch (or at once on an authenticated UDP note); poll a
  // bounded while rather than assert a latency (bench/l2 measures it).
  const macs = await eventually('one answer after the drain', async () => {
    const m = await resolve(ip);
    return m.length === 1 ? m : undefined;
  }, 5_000);
  assert.notEqual(macs[0], NODES.find((n) => n.name === holder)?.mac);
  const after = await cluster.clients.coordination.readNamespacedLease({ name: `herald-l2-${ip.replaceAll('.', '-')}`, namespace: 'herald-system' });
  assert.notEqual(after.spec?.holderIdentity, holder);
  assert.ok((after.spec?.leaseTransitions ?? 0) > (lease.spec?.leaseTransitions ?? 0));
});

test('a Service of a foreign loadBalancerClass is never announced', async () => {
  await createService(cluster, lbService('foreign', { loadBalancerClass: 'example.com/other' }));
  // Give it an address by hand, as another implementation would.
  await cluster.clients.core.patchNamespacedServiceStatus(
    { name: 'foreign', namespace: NS, body: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.210' }] } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  await new Promise((r) => setTimeout(r, 2500));
  assert.deepEqual(await resolve('192.0.2.210'), []);
});

test('regression: issue #10 periodic pass — an address put on the holder\'s interface, which no watch event tells of, is seen within a periodic pass: that node lets the VIP go and another answers', async () => {
  // The periodic pass skips when no cache changed; the interfaces are read at every one all the same.
  await createService(cluster, lbService('local-later'));
  const ip = await eventually('an address', async () => ipsOf(await getService(cluster, 'local-later'))[0]);
  const first = await eventually('one ARP answer', async () => {
    const m = await resolve(ip);
    return m.length === 1 ? m : undefined;
  });
  const holder = NODES.find((n) => n.mac === first[0]);
  const addresses = localAddresses.get(holder?.name ?? '');
  assert.ok(holder !== undefined && addresses !== undefined);
  // Let the writes that follow an announcement (status, Events) and their watch events pass first.
  await new Promise((r) => setTimeout(r, 3000));
  addresses.eth0.push({ address: ip });
  try {
    // Within one periodic pass (5 s) and a takeover; bounded, not a latency (bench/ measures those).
    const next = await eventually('another node answers', async () => {
      const m = await resolve(ip);
      return m.length === 1 && m[0] !== holder.mac ? m : undefined;
    }, 20_000);
    assert.notEqual(next[0], holder.mac);
  } finally {
    addresses.eth0.pop();
  }
});
