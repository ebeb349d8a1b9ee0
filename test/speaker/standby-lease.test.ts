// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// The node Lease of a speaker on L2 standby (src/speaker/standby-lease.ts): written on a change of
// the published annotations and at least every renewMs, never in between; without a heartbeat
// stamp, so an L2 peer reads it as an absent node; taking over an L2 incarnation's Lease drops
// that stamp; `remove` deletes it. With the speaker's own identity (RBAC of deploy/).
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { makeClients } from '../../src/kube/api-clients.ts';
import { StandbyLease } from '../../src/speaker/standby-lease.ts';
import { nodeLeaseOf } from '../../src/election/lease-objects.ts';
import { LeaseAdapter } from '../../src/election/lease-adapter.ts';
import { ANN_HEARTBEAT_ADDRESSES, NODE_LEASE_LABELS, nodeLeaseName } from '../../src/election/lease-names.ts';
import { ANN_BGP_SESSIONS } from '../../src/api/names.ts';
import { apiStatus } from '../../src/kube/client.ts';
import { HERALD_NS, startApiSuite } from '../support/api-suite.ts';
import { silentApiServer } from '../support/silent-server.ts';
import type { ApiSuite } from '../support/api-suite.ts';

const log = pino({ level: process.env['HERALD_TEST_LOG'] ?? 'silent' });
let suite: ApiSuite;

before(async () => {
  suite = await startApiSuite();
});

after(async () => {
  await suite.close();
});

async function read(node: string) {
  return suite.admin.coordination.readNamespacedLease({ name: nodeLeaseName(node), namespace: HERALD_NS });
}

async function until(what: string, probe: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a standby Lease is written at once, again when its annotations change, and not in between', async () => {
  let annotations: Record<string, string> = {};
  let wall = 1_000_000;
  const writes: boolean[] = [];
  const lease = new StandbyLease({ http: suite.speakerClients().http, node: 'sb-a', namespace: HERALD_NS, log, renewMs: 10_000, checkMs: 20, annotations: () => annotations, wall: () => wall, onWrite: (ok) => writes.push(ok) });
  lease.start();
  try {
    await until('the first write', () => writes.length === 1);
    const first = await read('sb-a');
    assert.equal(first.spec?.holderIdentity, 'sb-a');
    assert.equal(first.spec?.leaseDurationSeconds, 30);
    assert.deepEqual(first.metadata?.labels, { ...NODE_LEASE_LABELS });
    assert.equal(nodeLeaseOf(first)?.stamp, null, 'no heartbeat stamp');
    assert.equal(first.metadata?.annotations?.[ANN_HEARTBEAT_ADDRESSES], undefined);
    // Ten checks with nothing changed and the wall clock still: no request.
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(writes, [true]);
    annotations = { [ANN_BGP_SESSIONS]: '[]' };
    await until('the write of the change', () => writes.length === 2);
    assert.equal((await read('sb-a')).metadata?.annotations?.[ANN_BGP_SESSIONS], '[]');
    // Unchanged, but renewMs later: renewed.
    wall += 10_000;
    await until('the renewal', () => writes.length === 3);
    assert.deepEqual(writes, [true, true, true]);
    assert.equal(new Date(String((await read('sb-a')).spec?.renewTime)).getTime(), 1_010_000);
  } finally {
    await lease.stop({ remove: true });
  }
  await assert.rejects(read('sb-a'), (err: unknown) => apiStatus(err) === 404, 'remove deletes the Lease');
});

test('a standby speaker takes over the Lease its L2 incarnation left, and the heartbeat stamp goes', async () => {
  const clients = suite.speakerClients();
  const l2 = new LeaseAdapter({ kc: clients.kc, http: clients.http, node: 'sb-b', log, onVipLease: () => undefined, onNodeLease: () => undefined, onVipLeaseSync: () => undefined });
  try {
    await l2.synced;
    assert.equal(await l2.renewNodeLease({ incarnation: 7, seq: 3, heard: [], probing: false }, [{ address: '192.0.2.12', port: 9425 }]), true);
  } finally {
    await l2.stop();
  }
  assert.notEqual(nodeLeaseOf(await read('sb-b'))?.stamp, null, 'the L2 incarnation stamped it');
  const writes: boolean[] = [];
  const lease = new StandbyLease({ http: suite.speakerClients().http, node: 'sb-b', namespace: HERALD_NS, log, renewMs: 10_000, checkMs: 20, annotations: () => ({}), onWrite: (ok) => writes.push(ok) });
  lease.start();
  try {
    await until('the write', () => writes.length === 1);
    assert.deepEqual(writes, [true]);
    const taken = await read('sb-b');
    assert.equal(nodeLeaseOf(taken)?.stamp, null);
    assert.equal(taken.metadata?.annotations?.[ANN_HEARTBEAT_ADDRESSES], undefined);
  } finally {
    await lease.stop({ remove: false });
  }
  assert.equal((await read('sb-b')).spec?.holderIdentity, 'sb-b', 'stop without remove keeps the Lease for the L2 speaker');
});

test('the renewal advice counts L2 speakers only: a standby speaker\'s Lease is not one', async () => {
  const clients = suite.speakerClients();
  const seen = new Set<string>();
  const l2 = new LeaseAdapter({ kc: clients.kc, http: clients.http, node: 'sb-c', log, onVipLease: () => undefined, onNodeLease: (node) => seen.add(node), onVipLeaseSync: () => undefined });
  const writes: boolean[] = [];
  const standby = new StandbyLease({ http: suite.speakerClients().http, node: 'sb-d', namespace: HERALD_NS, log, renewMs: 10_000, checkMs: 20, annotations: () => ({}), onWrite: (ok) => writes.push(ok) });
  try {
    await l2.synced;
    assert.equal(await l2.renewNodeLease({ incarnation: 9, seq: 1, heard: [], probing: false }, [{ address: '192.0.2.13', port: 9425 }]), true);
    standby.start();
    await until('the standby write', () => writes.length === 1);
    // sb-b (the test above) and sb-d are on standby; sb-c is the one L2 speaker.
    await until('the watch to bring every node Lease', () => ['sb-b', 'sb-c', 'sb-d'].every((n) => seen.has(n)));
    assert.equal(l2.nodeLeaseCount(), 1);
  } finally {
    await standby.stop({ remove: true });
    await l2.deleteNodeLease();
    await l2.stop();
  }
});

test('regression: a standby Lease write to an API server that never answers times out, and stop() does not hang on it', async () => {
  const { kc, close } = await silentApiServer(suite);
  const writes: boolean[] = [];
  const lease = new StandbyLease({ http: makeClients(kc).http, node: 'sb-e', namespace: HERALD_NS, log, renewMs: 10_000, checkMs: 20, requestTimeoutMs: 200, annotations: () => ({}), onWrite: (ok) => writes.push(ok) });
  try {
    lease.start();
    await until('the first write to fail', () => writes.length >= 1, 10_000);
    assert.equal(writes[0], false);
    await until('a second attempt, also failed', () => writes.length >= 2, 10_000);
    assert.equal(writes[1], false);
    // The DELETE of a clean exit times out too: stop() resolves.
    await lease.stop({ remove: true });
  } finally {
    await close();
  }
});
