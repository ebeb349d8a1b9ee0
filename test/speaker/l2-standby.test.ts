// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// L2 standby (src/speaker/l2-gate.ts, issue #10): speakers of a cluster with no
// L2AnnouncementPolicy send no heartbeats, hold no VIP and keep a node Lease without a heartbeat
// stamp; the first policy starts L2 on every node and a VIP gets exactly one answer; deleting the
// policy afterwards puts nobody back on standby. In-process speakers on a fake segment, as in
// l2-speaker.test.ts (fake-speakers.ts).
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Mac } from '../../src/l2/ethernet.ts';
import { FakeSegment } from '../support/fake-net.ts';
import { arpAnswers, startFakeSpeaker } from './fake-speakers.ts';
import type { RunningSpeaker } from '../../src/speaker/command.ts';
import { HERALD_GROUP, L2POLICY_PLURAL, HERALD_VERSION } from '../../src/api/names.ts';
import { nodeLeaseOf } from '../../src/election/lease-objects.ts';
import { ANN_HEARTBEAT_ADDRESSES, nodeLeaseName } from '../../src/election/lease-names.ts';
import { createPool, createService, eventually, getService, ipsOf, lbService, pool, startCluster } from '../controller/harness.ts';
import type { Cluster } from '../controller/harness.ts';
import { freeUdpPort } from '../support/free-udp-port.ts';

const CLIENT_MAC = '02:00:00:00:00:65' as Mac;
const NODES = [
  { name: 'node-a', loopback: '127.0.0.21', mac: '02:00:00:00:00:21' },
  { name: 'node-b', loopback: '127.0.0.22', mac: '02:00:00:00:00:22' },
];
const KEY_FILE = join(mkdtempSync(join(tmpdir(), 'herald-l2-standby-')), 'heartbeat-key');
writeFileSync(KEY_FILE, randomBytes(32));

let cluster: Cluster;
const segment = new FakeSegment();
const speakers = new Map<string, RunningSpeaker>();

function resolve(ip: string): Promise<string[]> {
  return arpAnswers(segment, ip, { mac: CLIENT_MAC, ip: '192.0.2.101' });
}

async function gauge(s: RunningSpeaker, name: 'standby' | 'heartbeatsReceived'): Promise<number> {
  return (await s.metrics[name].get()).values[0]?.value ?? 0;
}

async function nodeLease(node: string) {
  return cluster.clients.coordination.readNamespacedLease({ name: nodeLeaseName(node), namespace: 'herald-system' });
}

async function vipLeaseExists(ip: string): Promise<boolean> {
  const list = await cluster.clients.coordination.listNamespacedLease({ namespace: 'herald-system' });
  return list.items.some((l) => l.metadata?.name === `herald-l2-${ip.replaceAll('.', '-')}`);
}

before(async () => {
  cluster = await startCluster();
  for (const n of NODES) {
    await cluster.clients.core.createNode({ body: { metadata: { name: n.name }, status: { addresses: [{ type: 'InternalIP', address: n.loopback }], conditions: [{ type: 'Ready', status: 'True' }] } } });
  }
  await createPool(cluster, pool('standby-lab', { blocks: [{ start: '192.0.2.220', stop: '192.0.2.229' }] }));
  await cluster.startController();
  const port = await freeUdpPort(NODES.map((n) => n.loopback));
  for (const n of NODES) speakers.set(n.name, (await startFakeSpeaker(n, { segment, clients: cluster.suite.speakerClients(), port, keyFile: KEY_FILE })).speaker);
});

after(async () => {
  for (const s of speakers.values()) await s.stop();
  await cluster.close();
  rmSync(dirname(KEY_FILE), { recursive: true, force: true });
});

test('with no L2AnnouncementPolicy every speaker is on standby: no heartbeats, no VIP answered, a node Lease without a stamp, ready', async () => {
  await createService(cluster, lbService('quiet'));
  const ip = await eventually('an address', async () => ipsOf(await getService(cluster, 'quiet'))[0]);
  for (const n of NODES) {
    const s = speakers.get(n.name);
    assert.ok(s !== undefined);
    assert.equal(await gauge(s, 'standby'), 1, `${n.name} herald_l2_standby`);
    assert.deepEqual(s.l2.readiness(), { ok: true, reason: 'L2 on standby: no L2AnnouncementPolicy in the cluster' });
    const lease = await eventually(`${n.name}'s node Lease`, async () => (await nodeLease(n.name).catch(() => undefined)) ?? undefined);
    assert.equal(lease.spec?.holderIdentity, n.name);
    assert.equal(nodeLeaseOf(lease)?.stamp, null, 'no heartbeat stamp: peers read it as no L2 peer');
    assert.equal(lease.metadata?.annotations?.[ANN_HEARTBEAT_ADDRESSES], undefined);
  }
  // Ten heartbeat rounds' worth of time: an L2 speaker would have heard its peer ~10 times.
  await new Promise((r) => setTimeout(r, 1_000));
  for (const n of NODES) assert.equal(await gauge(speakers.get(n.name) as RunningSpeaker, 'heartbeatsReceived'), 0, `${n.name} heard no heartbeat`);
  assert.deepEqual(await resolve(ip), [], 'nobody answers ARP without a policy');
  assert.equal(await vipLeaseExists(ip), false, 'no VIP Lease');
});

test('the first L2AnnouncementPolicy starts L2 on every node: heartbeats, a stamped node Lease, one answer for the VIP; deleting it puts nobody back on standby', async () => {
  const ip = ipsOf(await getService(cluster, 'quiet'))[0];
  assert.ok(ip !== undefined);
  await cluster.clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: L2POLICY_PLURAL, body: { apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, kind: 'L2AnnouncementPolicy', metadata: { name: 'wake' }, spec: { interfaces: ['eth0'] } } });
  const macs = await eventually('one ARP answer', async () => {
    const m = await resolve(ip);
    return m.length === 1 ? m : undefined;
  });
  const lease = await cluster.clients.coordination.readNamespacedLease({ name: `herald-l2-${ip.replaceAll('.', '-')}`, namespace: 'herald-system' });
  assert.deepEqual(macs, [NODES.find((n) => n.name === lease.spec?.holderIdentity)?.mac]);
  for (const n of NODES) {
    const s = speakers.get(n.name) as RunningSpeaker;
    assert.equal(await gauge(s, 'standby'), 0);
    assert.ok((await gauge(s, 'heartbeatsReceived')) > 0, `${n.name} hears its peer`);
    const stamped = await eventually(`${n.name}'s stamped node Lease`, async () => {
      const l = await nodeLease(n.name);
      return nodeLeaseOf(l)?.stamp != null ? l : undefined;
    });
    assert.match(stamped.metadata?.annotations?.[ANN_HEARTBEAT_ADDRESSES] ?? '', new RegExp(`${n.loopback.replaceAll('.', '\\.')}:\\d+`));
  }
  await cluster.clients.custom.deleteClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: L2POLICY_PLURAL, name: 'wake' });
  await new Promise((r) => setTimeout(r, 1_000));
  for (const n of NODES) assert.equal(await gauge(speakers.get(n.name) as RunningSpeaker, 'standby'), 0, `${n.name} stays out of standby`);
  // Without a policy the VIP is no longer announced, and its holder says so by releasing it.
  await eventually('no answer once the policy is gone', async () => ((await resolve(ip)).length === 0 ? true : undefined));
});
