// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// The heartbeat key, generated, never committed (issue #14): the leading controller creates the
// Secret herald-system/herald-heartbeat-key with 32 random bytes when it is missing, never
// overwrites one that exists (a rotation edits it), says so when an existing one is unusable, and
// does it all with the RBAC of deploy/ (on the real server a 403 fails the suite). The pure parts
// and each API answer's outcome are checked first, without a server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Secret } from '@kubernetes/client-node';
import { HEARTBEAT_SECRET, ensureHeartbeatSecret, heartbeatSecret, unusableKey } from '../../src/controller/heartbeat-secret.ts';
import type { SecretApi } from '../../src/controller/heartbeat-secret.ts';
import { apiStatus } from '../../src/kube/client.ts';
import { HERALD_NS } from '../support/api-suite.ts';
import { eventsFor, eventually, startCluster } from './harness.ts';
import type { Cluster } from './harness.ts';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);

/** An API error as client-node throws it: an object with the HTTP status in `code`. */
const httpError = (code: number): Error => Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: JSON.stringify({ kind: 'Status', code, message: `status ${code}` }) });

function fakeApi(read: () => Promise<V1Secret>, create: () => Promise<V1Secret> = () => Promise.resolve({})): SecretApi & { created: V1Secret[] } {
  const created: V1Secret[] = [];
  return {
    created,
    readNamespacedSecret: () => read(),
    createNamespacedSecret: (p) => {
      created.push(p.body);
      return create();
    },
  };
}

describe('the heartbeat key Secret, pure parts and outcomes', () => {
  it('is an Opaque Secret with the key in item "key", labelled as Herald\'s', () => {
    const s = heartbeatSecret('herald-system', HEARTBEAT_SECRET, KEY);
    assert.equal(s.type, 'Opaque');
    assert.deepEqual(s.metadata?.labels, { 'app.kubernetes.io/name': 'herald', 'app.kubernetes.io/component': 'heartbeat-key' });
    assert.deepEqual(Buffer.from(s.data?.['key'] ?? '', 'base64'), Buffer.from(KEY));
    assert.equal(unusableKey(s), null);
  });

  it('judges an existing Secret the way the speakers will', () => {
    const b64 = (n: number): string => Buffer.alloc(n, 7).toString('base64');
    assert.equal(unusableKey({ data: { key: b64(16) } }), null);
    assert.equal(unusableKey({ data: { key: b64(32), 'accept-key': b64(32) } }), null);
    assert.equal(unusableKey({ data: {} }), 'it has no item "key"');
    assert.equal(unusableKey({ data: { key: b64(8) } }), 'its item "key" holds 8 bytes, fewer than 16');
    assert.equal(unusableKey({ data: { key: b64(32), 'accept-key': b64(3) } }), 'its item "accept-key" holds fewer than 16 bytes');
  });

  it('creates only after a 404, treats a lost race (409) as done, and names the fix for 403', async () => {
    const table: [string, () => Promise<V1Secret>, () => Promise<V1Secret>, string, number][] = [
      ['missing: created', () => Promise.reject(httpError(404)), () => Promise.resolve({}), 'created', 1],
      ['exists: left alone', () => Promise.resolve(heartbeatSecret('ns', 'n', KEY)), () => Promise.reject(new Error('must not create')), 'exists', 0],
      ['exists but empty: left alone, said', () => Promise.resolve({ data: {} }), () => Promise.reject(new Error('must not create')), 'unusable', 0],
      ['another leader made it first', () => Promise.reject(httpError(404)), () => Promise.reject(httpError(409)), 'exists', 1],
      ['no permission to read', () => Promise.reject(httpError(403)), () => Promise.resolve({}), 'Forbidden', 0],
      ['no permission to create', () => Promise.reject(httpError(404)), () => Promise.reject(httpError(403)), 'Forbidden', 1],
      ['no namespace', () => Promise.reject(httpError(404)), () => Promise.reject(httpError(404)), 'NamespaceMissing', 1],
      ['server error', () => Promise.reject(httpError(500)), () => Promise.resolve({}), 'ApiError', 0],
    ];
    for (const [what, read, create, want, creates] of table) {
      const api = fakeApi(read, create);
      const r = await ensureHeartbeatSecret(api, 'herald-system', HEARTBEAT_SECRET, () => KEY);
      assert.equal(r.ok ? r.value.kind : r.error.code, want, what);
      assert.equal(api.created.length, creates, what);
      if (!r.ok) assert.ok(!r.error.message.includes(Buffer.from(KEY).toString('base64')), what);
    }
    const forbidden = await ensureHeartbeatSecret(fakeApi(() => Promise.reject(httpError(404)), () => Promise.reject(httpError(403))), 'herald-system', HEARTBEAT_SECRET);
    assert.ok(!forbidden.ok);
    assert.equal(forbidden.error.message, 'cannot create the Secret herald-system/herald-heartbeat-key: forbidden (HTTP 403); apply deploy/controller-rbac.yaml, whose Role herald-controller-heartbeat-key grants it');
  });
});

describe('the leader makes the heartbeat key once, and never overwrites it', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
  });
  after(() => c?.close());

  const read = (): Promise<V1Secret> => c.clients.core.readNamespacedSecret({ name: HEARTBEAT_SECRET, namespace: HERALD_NS });
  const secretRequests = (method: string): number => c.suite.requests().filter((r) => r.identity === 'controller' && r.method === method && r.path.startsWith(`/api/v1/namespaces/${HERALD_NS}/secrets`)).length;
  const stopAll = async (): Promise<void> => {
    for (const ctl of c.controllers.splice(0)) await ctl.stop();
  };

  it('creates it on first start: 32 random bytes in "key", an Event, and nothing in the log of the bytes', async () => {
    await c.startController();
    const s = await eventually('the heartbeat key Secret', async () => {
      try {
        return await read();
      } catch (err) {
        if (apiStatus(err) === 404) return undefined;
        throw err;
      }
    });
    assert.equal(s.type, 'Opaque');
    const key = Buffer.from(s.data?.['key'] ?? '', 'base64');
    assert.equal(key.length, 32);
    assert.notDeepEqual(key, Buffer.alloc(32));
    assert.deepEqual(Object.keys(s.data ?? {}), ['key']);
    const events = await eventually('the HeartbeatKeyCreated Event', async () => {
      const e = (await eventsFor(c, HEARTBEAT_SECRET, HERALD_NS)).filter((x) => x.reason === 'HeartbeatKeyCreated');
      return e.length > 0 ? e : undefined;
    });
    assert.equal(events[0]?.type, 'Normal');
    assert.equal(events[0]?.involvedObject.kind, 'Secret');
    for (const text of [key.toString('hex'), key.toString('base64')]) assert.ok(!JSON.stringify(events).includes(text));
    assert.equal(secretRequests('POST'), 1);
  });

  it('a new leader finds it and leaves it as it is, byte for byte (a rotation\'s edits survive restarts)', async () => {
    await stopAll();
    // An operator's rotation, step 1: a second key added.
    const before = await read();
    const rotated = await c.clients.core.replaceNamespacedSecret({ name: HEARTBEAT_SECRET, namespace: HERALD_NS, body: { ...before, data: { ...before.data, 'accept-key': Buffer.alloc(32, 9).toString('base64') } } });
    const gets = secretRequests('GET');
    await c.startController();
    await eventually('the new leader to read the Secret', () => Promise.resolve(secretRequests('GET') > gets ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    const after = await read();
    assert.equal(after.metadata?.resourceVersion, rotated.metadata?.resourceVersion);
    assert.deepEqual(after.data, rotated.data);
    assert.equal(secretRequests('POST'), 1, 'created once, in the first test only');
  });

  it('an existing Secret the speakers would refuse is not overwritten: a Warning Event says what to put in it', async () => {
    await stopAll();
    await c.clients.core.deleteNamespacedSecret({ name: HEARTBEAT_SECRET, namespace: HERALD_NS });
    await c.clients.core.createNamespacedSecret({ namespace: HERALD_NS, body: { metadata: { name: HEARTBEAT_SECRET }, stringData: { key: 'short' } } });
    await c.startController();
    const events = await eventually('the HeartbeatKeyUnusable Event', async () => {
      const e = (await eventsFor(c, HEARTBEAT_SECRET, HERALD_NS)).filter((x) => x.reason === 'HeartbeatKeyUnusable');
      return e.length > 0 ? e : undefined;
    });
    assert.equal(events[0]?.type, 'Warning');
    assert.match(events[0]?.message ?? '', /^its item "key" holds 5 bytes, fewer than 16: the speakers will refuse it; put 32 random bytes in "key" \(docs\/l2\.md\)$/);
    assert.equal(Buffer.from((await read()).data?.['key'] ?? '', 'base64').toString(), 'short');
  });

  it('with --heartbeat-secret none it makes no Secret', async () => {
    await stopAll();
    await c.clients.core.deleteNamespacedSecret({ name: HEARTBEAT_SECRET, namespace: HERALD_NS });
    const gets = secretRequests('GET');
    const ctl = await c.startController({ heartbeatSecret: null });
    await eventually('leadership', () => Promise.resolve(ctl.elector.leading ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(secretRequests('GET'), gets);
    await assert.rejects(read(), (err: unknown) => apiStatus(err) === 404);
  });
});
