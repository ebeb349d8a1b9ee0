import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DevApiServer } from '../../src/devapi/server.ts';
import { call, get, SERVICES, startTestServer, svc, WatchStream } from './helpers.ts';

describe('devapi test hooks', () => {
  let s: DevApiServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('counts requests per verb and resource, over HTTP and in-process, and resets', async () => {
    await call(s, 'POST', '/herald-dev/counters/reset');
    await call(s, 'POST', SERVICES, svc('cnt'));
    await call(s, 'GET', `${SERVICES}/cnt`);
    await call(s, 'GET', SERVICES);
    await call(s, 'PATCH', `${SERVICES}/cnt/status`, { status: {} }, 'application/merge-patch+json');
    await call(s, 'GET', '/apis/devapi.test/v1/namespaces/default/widgets');
    await call(s, 'GET', '/apis/coordination.k8s.io/v1/leases');
    const r = await call(s, 'GET', '/herald-dev/counters');
    assert.deepEqual(get(r.body, 'create'), { services: 1 });
    assert.deepEqual(get(r.body, 'get'), { services: 1 });
    assert.deepEqual(get(r.body, 'list'), { services: 1, 'widgets.devapi.test': 1, leases: 1 });
    assert.deepEqual(get(r.body, 'patch'), { 'services/status': 1 });
    assert.deepEqual(s.counters().list, { services: 1, 'widgets.devapi.test': 1, leases: 1 });
    s.faults.resetCounters();
    assert.deepEqual(s.counters().list, {});
  });

  it('fails the next N API requests with 500 or 429 (+Retry-After), then recovers', async () => {
    const f = await call(s, 'POST', '/herald-dev/fail?count=2&code=429');
    assert.equal(f.status, 200);
    const a = await call(s, 'GET', SERVICES);
    assert.equal(a.status, 429);
    assert.equal(get(a.body, 'reason'), 'TooManyRequests');
    assert.equal(a.headers.get('retry-after'), '1');
    assert.equal((await call(s, 'GET', '/herald-dev/counters')).status, 200, 'hooks are never failed');
    assert.equal((await call(s, 'GET', SERVICES)).status, 429);
    assert.equal((await call(s, 'GET', SERVICES)).status, 200);
    s.faults.failNext(1, 500);
    const e = await call(s, 'GET', SERVICES);
    assert.equal(e.status, 500);
    assert.equal(get(e.body, 'reason'), 'InternalError');
    assert.equal((await call(s, 'GET', SERVICES)).status, 200);
    assert.equal((await call(s, 'POST', '/herald-dev/fail?count=1&code=404')).status, 400);
  });

  it('close-watches ends every open watch cleanly', async () => {
    const w1 = await WatchStream.open(s, `${SERVICES}?watch=true`);
    const w2 = await WatchStream.open(s, '/apis/devapi.test/v1/widgets?watch=true');
    const r = await call(s, 'POST', '/herald-dev/close-watches');
    assert.equal(get(r.body, 'closed'), 2);
    for (const w of [w1, w2]) {
      let e = await w.next();
      while (e !== 'end') e = await w.next();
    }
  });

  it('unreachable drops connections (open watches too) for a while, then serves again', async () => {
    const w = await WatchStream.open(s, `${SERVICES}?watch=true&resourceVersion=1000000`);
    const r = await call(s, 'POST', '/herald-dev/unreachable?seconds=0.5');
    assert.equal(r.status, 200);
    assert.equal(await w.next(), 'end');
    await assert.rejects(fetch(`${s.url}/api/v1/namespaces`), 'connection dropped without a response');
    let ok = false;
    for (let i = 0; i < 100 && !ok; i++) {
      await new Promise((res) => setTimeout(res, 50));
      ok = await fetch(`${s.url}/api/v1/namespaces`).then((x) => x.status === 200, () => false);
    }
    assert.ok(ok, 'reachable again after the window');
  });
});
