import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DevApiServer } from '../../src/devapi/server.ts';
import { call, eventSummary, get, itemNames, SERVICES, startTestServer, svc, WatchStream } from './helpers.ts';

const MERGE = 'application/merge-patch+json';
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';

describe('devapi list', () => {
  let s: DevApiServer;
  before(async () => {
    s = await startTestServer();
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'other' } });
    for (const [name, labels] of [
      ['a', { app: 'web', tier: 'front' }],
      ['b', { app: 'web', tier: 'back' }],
      ['c', { app: 'db' }],
      ['d', {}],
    ] as const) {
      await call(s, 'POST', SERVICES, svc(name, {}, { labels }));
    }
    await call(s, 'POST', '/api/v1/namespaces/other/services', svc('e', {}, { labels: { app: 'web' } }));
  });
  after(() => s.close());

  const names = async (q: string, base = SERVICES): Promise<string[]> => {
    const r = await call(s, 'GET', `${base}?${q}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return itemNames(r.body).filter((n) => n !== 'kubernetes');
  };

  it('labelSelector with the full Kubernetes syntax', async () => {
    assert.deepEqual(await names('labelSelector=app%3Dweb'), ['a', 'b']);
    assert.deepEqual(await names('labelSelector=app%3D%3Dweb,tier!%3Dback'), ['a']);
    assert.deepEqual(await names(`labelSelector=${encodeURIComponent('app in (web, db)')}`), ['a', 'b', 'c']);
    assert.deepEqual(await names(`labelSelector=${encodeURIComponent('app notin (web)')}`), ['c', 'd']);
    assert.deepEqual(await names('labelSelector=tier'), ['a', 'b']);
    assert.deepEqual(await names('labelSelector=!tier,app'), ['c']);
    const bad = await call(s, 'GET', `${SERVICES}?labelSelector=${encodeURIComponent('app in web')}`);
    assert.equal(bad.status, 400);
  });

  it('fieldSelector on metadata.name/namespace; other fields are 400', async () => {
    assert.deepEqual(await names('fieldSelector=metadata.name%3Db'), ['b']);
    assert.deepEqual(await names('fieldSelector=metadata.name!%3Db,metadata.name!%3Dc'), ['a', 'd']);
    assert.deepEqual(await names('fieldSelector=metadata.namespace%3Dother', '/api/v1/services'), ['e']);
    const bad = await call(s, 'GET', `${SERVICES}?fieldSelector=spec.type%3DClusterIP`);
    assert.equal(bad.status, 400);
    assert.equal(get(bad.body, 'message'), 'field label not supported: spec.type');
  });

  it('lists across namespaces and reports the current resourceVersion', async () => {
    const all = await call(s, 'GET', '/api/v1/services');
    assert.deepEqual(itemNames(all.body), ['a', 'b', 'c', 'd', 'kubernetes', 'e']);
    const lease = await call(s, 'POST', LEASES, { metadata: { name: 'rv' }, spec: {} });
    const after = await call(s, 'GET', '/api/v1/services');
    assert.equal(get(after.body, 'metadata', 'resourceVersion'), get(lease.body, 'metadata', 'resourceVersion'));
    assert.equal(get(after.body, 'items', 0, 'kind'), undefined, 'built-in list items carry no kind');
  });

  it('limit/continue pages through everything exactly once', async () => {
    const seen: string[] = [];
    let cont = '';
    let pages = 0;
    do {
      const r = await call(s, 'GET', `/api/v1/services?limit=2${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
      seen.push(...itemNames(r.body));
      cont = String(get(r.body, 'metadata', 'continue') ?? '');
      pages++;
    } while (cont !== '' && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual(seen, ['a', 'b', 'c', 'd', 'kubernetes', 'e']);
    assert.equal((await call(s, 'GET', `${SERVICES}?continue=%%%`)).status, 400);
  });
});

describe('devapi watch', () => {
  let s: DevApiServer;
  before(async () => {
    s = await startTestServer({ historyLimit: 5, bookmarkIntervalMs: 20 });
  });
  after(() => s.close());

  it('resourceVersion unset sends ADDED for what exists, then changes as they happen', async () => {
    await call(s, 'POST', LEASES, { metadata: { name: 'w1' }, spec: {} });
    const w = await WatchStream.open(s, `${LEASES}?watch=true`);
    assert.equal(w.status, 200);
    assert.equal(eventSummary(await w.next()), 'ADDED w1');
    await call(s, 'PATCH', `${LEASES}/w1`, { spec: { holderIdentity: 'me' } }, MERGE);
    const mod = await w.next();
    assert.equal(eventSummary(mod), 'MODIFIED w1');
    await call(s, 'DELETE', `${LEASES}/w1`);
    const del = await w.next();
    assert.equal(eventSummary(del), 'DELETED w1');
    assert.ok(Number(get(del === 'end' ? {} : del, 'object', 'metadata', 'resourceVersion')) > Number(get(mod === 'end' ? {} : mod, 'object', 'metadata', 'resourceVersion')));
    w.close();
  });

  it('resumes from a resourceVersion within history and replays only later events', async () => {
    const a = await call(s, 'POST', LEASES, { metadata: { name: 'r1' }, spec: {} });
    await call(s, 'POST', LEASES, { metadata: { name: 'r2' }, spec: {} });
    const w = await WatchStream.open(s, `${LEASES}?watch=1&resourceVersion=${String(get(a.body, 'metadata', 'resourceVersion'))}`);
    assert.equal(eventSummary(await w.next()), 'ADDED r2');
    w.close();
  });

  it('a resourceVersion older than history gets 200 then an ERROR event 410 Expired, and the stream ends', async () => {
    const first = await call(s, 'POST', LEASES, { metadata: { name: 'old' }, spec: {} });
    for (let i = 0; i < 6; i++) await call(s, 'PATCH', `${LEASES}/old`, { spec: { leaseTransitions: i } }, MERGE);
    const w = await WatchStream.open(s, `${LEASES}?watch=true&resourceVersion=${String(get(first.body, 'metadata', 'resourceVersion'))}`);
    assert.equal(w.status, 200);
    const e = await w.next();
    assert.notEqual(e, 'end');
    if (e === 'end') return;
    assert.equal(e['type'], 'ERROR');
    assert.equal(get(e, 'object', 'kind'), 'Status');
    assert.equal(get(e, 'object', 'code'), 410);
    assert.equal(get(e, 'object', 'reason'), 'Expired');
    assert.match(String(get(e, 'object', 'message')), /^too old resource version: \d+ \(\d+\)$/);
    assert.equal(await w.next(), 'end');
  });

  it('label selector transitions: starts matching → ADDED, stops matching → DELETED', async () => {
    const w = await WatchStream.open(s, `${SERVICES}?watch=true&labelSelector=pick%3Dyes`);
    await call(s, 'POST', SERVICES, svc('sel'));
    await call(s, 'PATCH', `${SERVICES}/sel`, { metadata: { labels: { pick: 'yes' } } }, MERGE);
    assert.equal(eventSummary(await w.next()), 'ADDED sel');
    await call(s, 'PATCH', `${SERVICES}/sel`, { metadata: { annotations: { n: '1' } } }, MERGE);
    assert.equal(eventSummary(await w.next()), 'MODIFIED sel');
    const changed = await call(s, 'PATCH', `${SERVICES}/sel`, { metadata: { labels: { pick: 'no' } } }, MERGE);
    const gone = await w.next();
    assert.equal(eventSummary(gone), 'DELETED sel');
    if (gone === 'end') return;
    assert.equal(get(gone, 'object', 'metadata', 'labels', 'pick'), 'yes', 'previous state');
    assert.equal(get(gone, 'object', 'metadata', 'resourceVersion'), get(changed.body, 'metadata', 'resourceVersion'));
    w.close();
  });

  it('filters by namespace and fieldSelector', async () => {
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'wns' } });
    const w = await WatchStream.open(s, `/api/v1/services?watch=true&resourceVersion=${await currentRV(s)}&fieldSelector=metadata.namespace%3Dwns`);
    await call(s, 'POST', SERVICES, svc('elsewhere'));
    await call(s, 'POST', '/api/v1/namespaces/wns/services', svc('here'));
    assert.equal(eventSummary(await w.next()), 'ADDED here');
    w.close();
  });

  it('BOOKMARKs carry only the resourceVersion and arrive periodically and at timeoutSeconds', async () => {
    const w = await WatchStream.open(s, `${LEASES}?watch=true&resourceVersion=${await currentRV(s)}&allowWatchBookmarks=true&timeoutSeconds=1`);
    const b = await w.next();
    assert.notEqual(b, 'end');
    if (b === 'end') return;
    assert.equal(b['type'], 'BOOKMARK');
    assert.deepEqual(Object.keys(get(b, 'object', 'metadata') ?? {}), ['resourceVersion']);
    let last: string = 'BOOKMARK';
    for (;;) {
      const e = await w.next();
      if (e === 'end') break;
      last = String(e['type']);
    }
    assert.equal(last, 'BOOKMARK', 'the stream ends (timeoutSeconds) after a final bookmark');
  });

  it('watches without allowWatchBookmarks get no bookmarks', async () => {
    const w = await WatchStream.open(s, `${LEASES}?watch=true&resourceVersion=${await currentRV(s)}&timeoutSeconds=1`);
    assert.equal(await w.next(), 'end');
  });

  it('sendInitialEvents ends the initial list with an annotated bookmark', async () => {
    const w = await WatchStream.open(s, `${SERVICES}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`);
    let e = await w.next();
    while (e !== 'end' && e['type'] === 'ADDED') e = await w.next();
    assert.notEqual(e, 'end');
    if (e === 'end') return;
    assert.equal(get(e, 'object', 'metadata', 'annotations', 'k8s.io/initial-events-end'), 'true');
    w.close();
  });
});

async function currentRV(s: DevApiServer): Promise<string> {
  const r = await call(s, 'GET', '/api/v1/namespaces');
  return String(get(r.body, 'metadata', 'resourceVersion'));
}
