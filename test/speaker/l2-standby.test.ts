// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// L2 standby (src/speaker/l2-gate.ts, issue #10): speakers no L2AnnouncementPolicy selects send
// no heartbeats, hold no VIP and keep a node Lease without a heartbeat stamp; a policy wakes the
// nodes its nodeSelector picks and no other; a node labelled into it later joins; deleting the
// policy afterwards puts nobody back on standby. In-process speakers on a fake segment, as in
// l2-speaker.test.ts (fake-speakers.ts).
import { strict as assert } from 'node:assert';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
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
    assert.deepEqual(s.l2.readiness(), { ok: true, reason: 'L2 on standby: no L2AnnouncementPolicy selects this node' });
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

async function labelEdge(node: string): Promise<void> {
  await cluster.clients.core.patchNode({ name: node, body: { metadata: { labels: { 'example.com/edge': 'true' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

async function stampedLease(node: string) {
  return eventually(`${node}'s stamped node Lease`, async () => {
    const l = await nodeLease(node);
    return nodeLeaseOf(l)?.stamp != null ? l : undefined;
  });
}

test('a policy whose nodeSelector picks node-a wakes node-a alone: it answers for the VIP, node-b stays on standby and hears nothing', async () => {
  const ip = ipsOf(await getService(cluster, 'quiet'))[0];
  assert.ok(ip !== undefined);
  await labelEdge('node-a');
  await cluster.clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: L2POLICY_PLURAL, body: { apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, kind: 'L2AnnouncementPolicy', metadata: { name: 'edge' }, spec: { interfaces: ['eth0'], nodeSelector: { matchLabels: { 'example.com/edge': 'true' } } } } });
  const [a, b] = NODES;
  assert.ok(a !== undefined && b !== undefined);
  const macs = await eventually('node-a answers', async () => {
    const m = await resolve(ip);
    return m.length === 1 ? m : undefined;
  });
  assert.deepEqual(macs, [a.mac]);
  const sa = speakers.get(a.name) as RunningSpeaker;
  const sb = speakers.get(b.name) as RunningSpeaker;
  assert.equal(await gauge(sa, 'standby'), 0);
  assert.match((await stampedLease(a.name)).metadata?.annotations?.[ANN_HEARTBEAT_ADDRESSES] ?? '', new RegExp(`${a.loopback.replaceAll('.', '\\.')}:\\d+`));
  await new Promise((r) => setTimeout(r, 1_000));
  assert.equal(await gauge(sb, 'standby'), 1, 'node-b is left out by the nodeSelector');
  assert.equal(nodeLeaseOf(await nodeLease(b.name))?.stamp, null);
  assert.equal(await gauge(sa, 'heartbeatsReceived'), 0, 'node-a has no L2 peer');
  assert.equal(await gauge(sb, 'heartbeatsReceived'), 0);
});

test('node-b labelled into the policy wakes and joins; deleting the policy then puts nobody back on standby and the VIP is released', async () => {
  const ip = ipsOf(await getService(cluster, 'quiet'))[0];
  assert.ok(ip !== undefined);
  await labelEdge('node-b');
  for (const n of NODES) {
    const s = speakers.get(n.name) as RunningSpeaker;
    await eventually(`${n.name} hears its peer`, async () => ((await gauge(s, 'heartbeatsReceived')) > 0 ? true : undefined));
    assert.equal(await gauge(s, 'standby'), 0);
    await stampedLease(n.name);
  }
  assert.equal((await resolve(ip)).length, 1, 'still exactly one answer');
  await cluster.clients.custom.deleteClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: L2POLICY_PLURAL, name: 'edge' });
  await new Promise((r) => setTimeout(r, 1_000));
  for (const n of NODES) assert.equal(await gauge(speakers.get(n.name) as RunningSpeaker, 'standby'), 0, `${n.name} stays out of standby`);
  // Without a policy the VIP is no longer announced: its holder releases it.
  await eventually('no answer once the policy is gone', async () => ((await resolve(ip)).length === 0 ? true : undefined));
});
