// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// The election's Lease adapter against an API server, through the real @kubernetes/client-node:
// creates, optimistic-concurrency writes and races, node Lease stamps seen by a peer's watch,
// list syncs, and failures reported as values. Each adapter is a speaker of its own (on the real
// server herald-system/herald-speaker with the RBAC of deploy/); the test reads as an admin.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startDevApiServer } from '../../src/devapi/server.ts';
import { PooledKubeConfig } from '../../src/kube/client.ts';
import { makeClients } from '../../src/kube/api-clients.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { LeaseAdapter } from '../../src/election/lease-adapter.ts';
import type { HeartbeatEndpoint, WriteAction } from '../../src/election/lease-objects.ts';
import { formatEndpoints, parseEndpoints, vipLeaseOf } from '../../src/election/lease-objects.ts';
import { ANN_LEASE_IP, NODE_LEASE_LABELS, VIP_LEASE_LABELS, nodeLeaseName, vipLeaseName } from '../../src/election/lease-names.ts';
import type { NodeStamp } from '../../src/election/peers.ts';
import type { LeaseRecord, LeaseView, WriterStamp } from '../../src/election/vip-machine.ts';
import { compareVersions } from '../../src/election/vip-machine.ts';
import { HERALD_NS, standInOnly, startApiSuite } from '../support/api-suite.ts';
import { silentApiServer } from '../support/silent-server.ts';
import type { ApiSuite } from '../support/api-suite.ts';

const NS = HERALD_NS;
const log = pino({ level: process.env['HERALD_TEST_LOG'] ?? 'silent' });
let suite: ApiSuite;
/** An admin, for reading what the adapters wrote. */
let clients: KubeClients;

before(async () => {
  suite = await startApiSuite();
  clients = suite.admin;
});

interface Seen {
  adapter: LeaseAdapter;
  vip: { ip: string; view: LeaseView; lagMs: number | null }[];
  node: { node: string; stamp: NodeStamp | null; addresses: HeartbeatEndpoint[] }[];
  syncs: { leases: Map<string, LeaseRecord>; startedAt: number }[];
}

const running: LeaseAdapter[] = [];

function adapter(node: string, over: { kc?: PooledKubeConfig; requestTimeoutMs?: number } = {}): Seen {
  const c = over.kc === undefined ? suite.speakerClients() : makeClients(over.kc);
  const seen: Omit<Seen, 'adapter'> = { vip: [], node: [], syncs: [] };
  const a = new LeaseAdapter({
    kc: c.kc,
    http: c.http,
    node,
    log,
    requestTimeoutMs: over.requestTimeoutMs,
    minBackoffMs: 50,
    maxBackoffMs: 200,
    onVipLease: (ip, view, lagMs) => seen.vip.push({ ip, view, lagMs }),
    onNodeLease: (n, stamp, addresses) => seen.node.push({ node: n, stamp, addresses }),
    onVipLeaseSync: (leases, startedAt) => seen.syncs.push({ leases, startedAt }),
  });
  running.push(a);
  return { adapter: a, ...seen };
}

after(async () => {
  try {
    await Promise.all(running.map((a) => a.stop()));
  } finally {
    await suite.close();
  }
});

async function eventually<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function lastView(s: Seen, ip: string): LeaseView | undefined {
  return s.vip.filter((e) => e.ip === ip).at(-1)?.view;
}

const stamp = (node: string, seq: number): WriterStamp => ({ node, incarnation: 1_700_000_000_000, seq });

function take(ip: string, holder: string, epoch: number, expect: string | null, seq = 1): WriteAction {
  return { kind: 'write', ip, op: 'take', holder, epoch, expect: expect === null ? null : { version: expect }, writer: stamp(holder, seq) };
}

async function readLease(ip: string) {
  const name = vipLeaseName(ip);
  assert.ok(name.ok);
  return clients.coordination.readNamespacedLease({ name: name.name, namespace: NS });
}

test('start-up: the first list is reported as a sync, with the Leases already there', async () => {
  const w = adapter('n0');
  await w.adapter.synced;
  const r = await w.adapter.write(take('192.0.2.1', 'n0', 1, null));
  assert.equal(r.ok, true);
  const before = performance.now();
  const b = adapter('n9');
  await b.adapter.synced;
  const sync = await eventually('a sync', () => b.syncs[0]);
  assert.ok(sync.startedAt >= before);
  assert.deepEqual(sync.leases.get('192.0.2.1'), { holder: 'n0', epoch: 1, version: r.ok ? r.version : '', writer: stamp('n0', 1) });
  // The first sync of the first adapter came before the write: an empty list.
  assert.equal(w.syncs[0]?.leases.size, 0);
  assert.equal(b.adapter.isSynced(), true);
});

test('take creates the Lease as docs/l2.md describes it; peers see it by the watch', async () => {
  const a = adapter('n1');
  const b = adapter('n2');
  await Promise.all([a.adapter.synced, b.adapter.synced]);
  const ip = '2001:db8::10';
  const r = await a.adapter.write(take(ip, 'n1', 1, null, 42));
  assert.ok(r.ok);
  const lease = await readLease(ip);
  assert.equal(lease.metadata?.name, 'herald-l2-2001-db8--10');
  assert.deepEqual(lease.metadata?.labels, VIP_LEASE_LABELS);
  assert.deepEqual(lease.metadata?.annotations, { [ANN_LEASE_IP]: ip, 'herald.dev/writer': 'n1', 'herald.dev/incarnation': '1700000000000', 'herald.dev/seq': '42' });
  assert.equal(lease.spec?.holderIdentity, 'n1');
  assert.equal(lease.spec?.leaseTransitions, 1);
  assert.equal(lease.spec?.leaseDurationSeconds, undefined);
  assert.ok(lease.spec?.acquireTime !== undefined);
  assert.equal(String(lease.spec.acquireTime), String(lease.spec.renewTime));
  assert.equal(lease.metadata?.resourceVersion, r.version);
  const seen = await eventually('the watch event', () => lastView(b, ip));
  assert.deepEqual(seen, { kind: 'present', record: { holder: 'n1', epoch: 1, version: r.version, writer: stamp('n1', 42) } });
  // How late it landed (landing-lag.ts): the writer's acquireTime, read back as the server sends
  // it (MicroTime text), against this process's clock, the writer's own here.
  const sentAt = Date.parse(String(lease.spec.acquireTime));
  const lag = b.vip.filter((e) => e.ip === ip).at(-1)?.lagMs;
  assert.ok(typeof lag === 'number' && lag >= 0 && lag < 10_000, `lag ${String(lag)} ms`);
  assert.ok(Number.isFinite(sentAt) && Date.now() - sentAt >= lag, 'measured from the acquireTime, at the event');
});

test(`two adapters racing: exactly one create and exactly one handover win`, async () => {
  const a = adapter(`r1`);
  const b = adapter(`r2`);
  await Promise.all([a.adapter.synced, b.adapter.synced]);
  const ip = '192.0.2.20';
  const [ra, rb] = await Promise.all([a.adapter.write(take(ip, 'r1', 1, null)), b.adapter.write(take(ip, 'r2', 1, null))]);
  assert.deepEqual([ra.ok, rb.ok].sort(), [false, true]);
  const [winner, loserResult] = ra.ok ? [ra, rb] : [rb, ra];
  assert.deepEqual(loserResult, { ok: false, conflict: true });
  assert.ok(winner.ok);
  // Both write the next epoch against the same version: one wins, the other conflicts.
  const [ha, hb] = await Promise.all([a.adapter.write({ ...take(ip, 'r1', 2, winner.version), op: 'handover' }), b.adapter.write({ ...take(ip, 'r2', 2, winner.version), op: 'handover' })]);
  assert.deepEqual([ha.ok, hb.ok].sort(), [false, true]);
  assert.deepEqual(ha.ok ? hb : ha, { ok: false, conflict: true });
  assert.equal((await readLease(ip)).spec?.leaseTransitions, 2);
  const read = await a.adapter.readVipLease(ip);
  assert.equal(read.kind === 'present' ? read.record.epoch : -1, 2);
  assert.deepEqual(await a.adapter.readVipLease('192.0.2.22'), { kind: 'absent' });
});

test('handover with the right version, stale version conflicts, release unsets the holder, delete with preconditions', async () => {
  const a = adapter('h1');
  const b = adapter('h2');
  await Promise.all([a.adapter.synced, b.adapter.synced]);
  const ip = '192.0.2.30';
  const t = await a.adapter.write(take(ip, 'h1', 1, null));
  assert.ok(t.ok);
  const h = await a.adapter.write({ kind: 'write', ip, op: 'handover', holder: 'h2', epoch: 2, expect: { version: t.version }, writer: stamp('h1', 2) });
  assert.ok(h.ok);
  assert.notEqual(h.version, t.version);
  assert.equal((await readLease(ip)).spec?.holderIdentity, 'h2');
  await eventually('the handover at h2', () => {
    const v = lastView(b, ip);
    return v?.kind === 'present' && v.record.holder === 'h2' && v.record.version === h.version ? v : undefined;
  });

  // A write against the version before the handover loses.
  assert.deepEqual(await a.adapter.write(take(ip, 'h1', 2, t.version)), { ok: false, conflict: true });

  const rel = await b.adapter.write({ kind: 'write', ip, op: 'release', holder: '', epoch: 3, expect: { version: h.version }, writer: stamp('h2', 9) });
  assert.ok(rel.ok);
  const released = await readLease(ip);
  assert.equal(released.spec?.holderIdentity, undefined);
  assert.equal(released.spec?.leaseTransitions, 3);
  assert.equal(released.metadata?.annotations?.['herald.dev/writer'], 'h2');
  const seenRelease = await eventually('the release at h1', () => {
    const v = lastView(a, ip);
    return v?.kind === 'present' && v.record.version === rel.version ? v : undefined;
  });
  assert.deepEqual(seenRelease, { kind: 'present', record: { holder: '', epoch: 3, version: rel.version, writer: stamp('h2', 9) } });

  // A write without a stamp removes the old writer annotations rather than keep a stale one.
  const unstamped = await b.adapter.write({ kind: 'write', ip, op: 'take', holder: 'h2', epoch: 4, expect: { version: rel.version } });
  assert.ok(unstamped.ok);
  assert.deepEqual((await readLease(ip)).metadata?.annotations, { [ANN_LEASE_IP]: ip });

  assert.deepEqual(await a.adapter.write({ kind: 'write', ip, op: 'delete', holder: '', epoch: 4, expect: { version: rel.version } }), { ok: false, conflict: true });
  const del = await a.adapter.write({ kind: 'write', ip, op: 'delete', holder: '', epoch: 4, expect: { version: unstamped.version } });
  assert.equal(del.ok, true);
  await eventually('the deletion at h2', () => (lastView(b, ip)?.kind === 'absent' ? true : undefined));
  // Writing to a Lease that is gone is a conflict (the view is stale), not an error.
  assert.deepEqual(await a.adapter.write({ ...take(ip, 'h1', 5, unstamped.version), op: 'take' }), { ok: false, conflict: true });
  assert.deepEqual(await a.adapter.write({ kind: 'write', ip, op: 'delete', holder: '', epoch: 4, expect: { version: unstamped.version } }), { ok: false, conflict: true });
});

test(`node Lease: create, renew, stamp and addresses round-trip to a peer, a stale version read and written again, delete on exit`, async () => {
  const A = 'node-a';
  const a = adapter(A);
  const b = adapter('node-b');
  await Promise.all([a.adapter.synced, b.adapter.synced]);
  const addrs: HeartbeatEndpoint[] = [
    { address: '10.0.0.1', port: 9425 },
    { address: 'fd00::1', port: 9425 },
  ];
  const s1: NodeStamp = { incarnation: 1_700_000_000_123, seq: 5, heard: [{ node: 'node-b', incarnation: 1_700_000_000_456, seq: 9 }], probing: false };
  assert.equal(await a.adapter.renewNodeLease(s1, addrs), true);
  const lease = await clients.coordination.readNamespacedLease({ name: nodeLeaseName(A), namespace: NS });
  assert.deepEqual(lease.metadata?.labels, NODE_LEASE_LABELS);
  assert.equal(lease.spec?.holderIdentity, A);
  assert.equal(lease.spec?.leaseDurationSeconds, 6);
  assert.equal(lease.metadata?.annotations?.['herald.dev/heartbeat-addresses'], '10.0.0.1:9425,[fd00::1]:9425');
  const first = await eventually('node-a at node-b', () => b.node.find((e) => e.node === A));
  assert.deepEqual(first, { node: A, stamp: s1, addresses: addrs });

  const s2: NodeStamp = { ...s1, seq: 6, probing: true };
  assert.equal(await a.adapter.renewNodeLease(s2, addrs), true);
  await eventually('the renewal at node-b', () => b.node.find((e) => e.node === A && e.stamp?.seq === 6));
  assert.deepEqual(b.node.at(-1), { node: A, stamp: s2, addresses: addrs });

  // A restarted speaker (no version known yet, its Lease still there) renews too.
  const again = adapter(A);
  assert.equal(await again.adapter.renewNodeLease({ ...s2, incarnation: 1_700_000_000_999, seq: 1 }, addrs), true);
  await eventually('the new incarnation at node-b', () => b.node.find((e) => e.stamp?.incarnation === 1_700_000_000_999));
  // The first adapter's version is stale now: its renewal conflicts (409), reads the Lease and writes once more.
  const before = a.adapter.requests();
  assert.equal(await a.adapter.renewNodeLease({ ...s2, seq: 7 }, addrs), true);
  const after = a.adapter.requests();
  assert.deepEqual([after.update - before.update, after.get - before.get], [2, 1], 'a PUT refused, a GET, a PUT');
  await eventually('the rewrite at node-b', () => b.node.find((e) => e.node === A && e.stamp?.seq === 7 && e.stamp.incarnation === s2.incarnation));

  assert.equal(await again.adapter.deleteNodeLease(), true);
  assert.equal(await again.adapter.deleteNodeLease(), true, 'already gone counts as done');
  await eventually('the deletion at node-b', () => (b.node.at(-1)?.stamp === null ? true : undefined));
  assert.deepEqual(b.node.at(-1), { node: A, stamp: null, addresses: [] });
  // Renewing after the delete recreates it.
  assert.equal(await a.adapter.renewNodeLease(s2, addrs), true);
});

test('cachedVipLeases follows the watch through a take, a handover and a delete (parses of unchanged Leases are remembered, changed ones read anew)', async () => {
  const a = adapter('c1');
  await a.adapter.synced;
  const ip = '192.0.2.40';
  const cached = (): LeaseRecord | undefined => a.adapter.cachedVipLeases().get(ip);
  const t = await a.adapter.write(take(ip, 'c1', 1, null));
  assert.ok(t.ok);
  await eventually('the take in the cache', () => (cached()?.version === t.version ? true : undefined));
  assert.deepEqual(cached(), { holder: 'c1', epoch: 1, version: t.version, writer: stamp('c1', 1) });
  assert.deepEqual(cached(), { holder: 'c1', epoch: 1, version: t.version, writer: stamp('c1', 1) }, 'asked again, unchanged');
  const h = await a.adapter.write({ kind: 'write', ip, op: 'handover', holder: 'c2', epoch: 2, expect: { version: t.version }, writer: stamp('c1', 2) });
  assert.ok(h.ok);
  await eventually('the handover in the cache', () => (cached()?.version === h.version ? true : undefined));
  assert.deepEqual(cached(), { holder: 'c2', epoch: 2, version: h.version, writer: stamp('c1', 2) });
  assert.equal((await a.adapter.write({ kind: 'write', ip, op: 'delete', holder: '', epoch: 2, expect: { version: h.version } })).ok, true);
  await eventually('the deletion in the cache', () => (cached() === undefined ? true : undefined));
});

test('relistVipLeases lists every VIP Lease; requests are counted by verb', async () => {
  const a = adapter('l1');
  await a.adapter.synced;
  const before = a.adapter.requests();
  assert.equal(before.list, 2, 'one list per watch');
  const r = await a.adapter.write(take('192.0.2.40', 'l1', 1, null));
  assert.ok(r.ok);
  const all = await a.adapter.relistVipLeases();
  assert.deepEqual(all.get('192.0.2.40'), { holder: 'l1', epoch: 1, version: r.version, writer: stamp('l1', 1) });
  assert.ok(all.has('192.0.2.1'));
  await a.adapter.write({ ...take('192.0.2.40', 'l1', 2, r.version), op: 'handover' });
  assert.deepEqual(a.adapter.requests(), { get: 0, list: 3, create: 1, update: 0, patch: 1, delete: 0 });
});

test(`vipRevision reads the collection's resourceVersion by a list of one item; the watch reaches it once it has delivered a later write (the catch-up after a fence, docs/l2.md "Revalidation")`, async () => {
  const node = 'v1';
  const a = adapter(node);
  await a.adapter.synced;
  const first = await a.adapter.write(take('192.0.2.44', node, 1, null));
  assert.ok(first.ok && first.version !== undefined);
  const lists = a.adapter.requests().list;
  const revision = await a.adapter.vipRevision();
  assert.equal(a.adapter.requests().list, lists + 1, 'one list');
  assert.ok(revision !== null);
  assert.notEqual(compareVersions(revision, first.version), -1, `the revision ${revision} is at or past the write before it (${first.version})`);
  // On the real server the revision is etcd's, which other objects move too: a later VIP Lease
  // write is what brings the watch past it.
  const later = await a.adapter.write(take('192.0.2.45', node, 1, null));
  assert.ok(later.ok);
  await eventually('the watch at the revision', () => {
    const seen = a.adapter.vipWatchVersion();
    return seen !== null && compareVersions(seen, revision) !== -1 ? true : undefined;
  });
});

test('readVipLease reads one Lease by GET: present with its record, absent when there is none', async () => {
  const a = adapter('l4');
  await a.adapter.synced;
  const r = await a.adapter.write(take('192.0.2.41', 'l4', 1, null));
  assert.ok(r.ok);
  assert.deepEqual(await a.adapter.readVipLease('192.0.2.41'), { kind: 'present', record: { holder: 'l4', epoch: 1, version: r.version, writer: stamp('l4', 1) } });
  assert.deepEqual(await a.adapter.readVipLease('192.0.2.42'), { kind: 'absent' });
});

test('a closed watch resumes from its resourceVersion: events, and no new sync', standInOnly('fault hook closeWatches'), async () => {
  const a = adapter('s1');
  await a.adapter.synced;
  await eventually('the first sync', () => a.syncs[0]);
  suite.cp.dev?.faults.closeWatches();
  const r = await a.adapter.write(take('192.0.2.50', 's1', 1, null));
  assert.ok(r.ok);
  await eventually('the event after the re-watch', () => (lastView(a, '192.0.2.50')?.kind === 'present' ? true : undefined));
  assert.equal(a.syncs.length, 1);
});

test('a relist after the watch history expired (410 Gone) is reported as a sync', standInOnly('historyLimit and fault hook closeWatches'), async () => {
  const small = await startDevApiServer({ host: '127.0.0.1', port: 0, crdDirs: [], historyLimit: 3, bookmarkIntervalMs: 60_000 });
  try {
    const kc = new PooledKubeConfig();
    kc.loadFromString(small.kubeconfigYaml());
    const c = makeClients(kc);
    await c.core.createNamespace({ body: { metadata: { name: NS } } });
    const a = adapter('g1', { kc });
    const writer = adapter('g2', { kc });
    await Promise.all([a.adapter.synced, writer.adapter.synced]);
    await eventually('the first sync', () => a.syncs[0]);
    // ListWatch re-watches at once after the first clean end, but waits 1 s after a second one
    // with no event in between: meanwhile more changes than the history keeps.
    const watches = (): number => small.counters().watch['leases'] ?? 0;
    const before = watches();
    assert.equal(small.faults.closeWatches(), 4);
    await eventually('the four re-watches', () => (watches() >= before + 4 ? true : undefined));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(small.faults.closeWatches(), 4);
    for (let i = 0; i < 5; i++) assert.equal((await writer.adapter.write(take(`192.0.2.${100 + i}`, 'g2', 1, null))).ok, true);
    const sync = await eventually('the relist', () => a.syncs[1], 5_000);
    assert.equal(sync.leases.size, 5);
    assert.equal(sync.leases.get('192.0.2.104')?.holder, 'g2');
  } finally {
    await Promise.all(running.splice(running.length - 2).map((x) => x.stop()));
    await small.close();
  }
});

test('server errors are errors, not conflicts', standInOnly('fault hook failNext'), async () => {
  const faults = suite.cp.dev?.faults;
  assert.ok(faults !== undefined);
  const a = adapter('e1');
  await a.adapter.synced;
  faults.failNext(1, 500);
  assert.deepEqual(await a.adapter.write(take('192.0.2.60', 'e1', 1, null)), { ok: false, conflict: false });
  faults.failNext(1, 429);
  assert.equal(await a.adapter.renewNodeLease({ incarnation: 1, seq: 1, heard: [], probing: false }, []), false);
  faults.failNext(1, 500);
  await assert.rejects(a.adapter.relistVipLeases());
});

test('an unreachable server is an error, not a conflict; once it is back the same write goes through', async () => {
  const a = adapter('e2');
  await a.adapter.synced;
  await suite.stopServing();
  try {
    assert.deepEqual(await a.adapter.write(take('192.0.2.61', 'e2', 1, null)), { ok: false, conflict: false });
    assert.deepEqual(await a.adapter.write({ kind: 'write', ip: '192.0.2.61', op: 'delete', holder: '', epoch: 1, expect: { version: '1' } }), { ok: false, conflict: false });
    assert.equal(await a.adapter.renewNodeLease({ incarnation: 1, seq: 1, heard: [], probing: false }, []), false);
    assert.equal(await a.adapter.deleteNodeLease(), false);
  } finally {
    await suite.resumeServing();
  }
  assert.equal((await a.adapter.write(take('192.0.2.61', 'e2', 1, null))).ok, true);
});

test('a request without an answer times out as an error (docs/l2.md: 10 s by default)', async () => {
  // A server that accepts connections and never answers.
  const { kc, close } = await silentApiServer(suite);
  const a = adapter('t1', { kc, requestTimeoutMs: 200 });
  try {
    const started = Date.now();
    assert.deepEqual(await a.adapter.write(take('192.0.2.70', 't1', 1, null)), { ok: false, conflict: false });
    assert.equal(await a.adapter.renewNodeLease({ incarnation: 1, seq: 1, heard: [], probing: false }, []), false);
    const took = Date.now() - started;
    assert.ok(took >= 350 && took < 3_000, `took ${took} ms`);
  } finally {
    await a.adapter.stop();
    await close();
  }
});

test('heartbeat addresses: format and parse, malformed entries skipped', () => {
  const eps = [
    { address: '192.0.2.1', port: 9425 },
    { address: '2001:db8::1', port: 1 },
  ];
  assert.equal(formatEndpoints(eps), '192.0.2.1:9425,[2001:db8::1]:1');
  assert.deepEqual(parseEndpoints(formatEndpoints(eps)), eps);
  assert.deepEqual(parseEndpoints(' 192.0.2.1:9425 , 2001:db8::1:9425,[192.0.2.2]:1,300.0.0.1:1,192.0.2.3:0,192.0.2.4:65536,host:1,,[fd00::2]:65535'), [
    { address: '192.0.2.1', port: 9425 },
    { address: 'fd00::2', port: 65535 },
  ]);
  assert.deepEqual(parseEndpoints(undefined), []);
  assert.deepEqual(parseEndpoints(''), []);
});

test('a Lease whose name is not the name of its herald.dev/ip is ignored', () => {
  const base = { metadata: { name: 'herald-l2-192-0-2-1', resourceVersion: '7', annotations: { [ANN_LEASE_IP]: '192.0.2.1' } }, spec: { holderIdentity: 'n1', leaseTransitions: 2 } };
  assert.deepEqual(vipLeaseOf(base), { ip: '192.0.2.1', record: { holder: 'n1', epoch: 2, version: '7' } });
  assert.equal(vipLeaseOf({ ...base, metadata: { ...base.metadata, name: 'herald-l2-192-0-2-2' } }), null);
  assert.equal(vipLeaseOf({ ...base, metadata: { ...base.metadata, annotations: {} } }), null);
  assert.equal(vipLeaseOf({ ...base, metadata: { ...base.metadata, annotations: { [ANN_LEASE_IP]: 'nonsense' } } }), null);
  assert.deepEqual(vipLeaseOf({ ...base, spec: {} }), { ip: '192.0.2.1', record: { holder: '', epoch: 0, version: '7' } });
});
