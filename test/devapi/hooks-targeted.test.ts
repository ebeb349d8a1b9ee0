// Targeted fault injection: fail only one verb/resource so that one informer is held back while
// the others sync (the controller's start-up test needs exactly that).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DevApiServer } from '../../src/devapi/server.ts';
import { call, get, SERVICES, startTestServer } from './helpers.ts';

describe('devapi test hooks: targeted failures', () => {
  let s: DevApiServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('fails only the requests of the given verb and resource; others pass and keep the rule', async () => {
    s.faults.failNext(2, 500, { verb: 'list', resource: 'nodes' });
    assert.equal((await call(s, 'GET', SERVICES)).status, 200, 'another resource passes');
    assert.equal((await call(s, 'GET', '/api/v1/nodes/n1')).status, 404, 'another verb on nodes passes');
    assert.equal((await call(s, 'GET', '/api')).status, 200, 'discovery passes');
    const e = await call(s, 'GET', '/api/v1/nodes');
    assert.equal(e.status, 500);
    assert.equal(get(e.body, 'reason'), 'InternalError');
    assert.equal((await call(s, 'GET', '/api/v1/nodes')).status, 500);
    assert.equal((await call(s, 'GET', '/api/v1/nodes')).status, 200, 'used up');
  });

  it('count=0 cancels a rule; rules for different matches are independent', async () => {
    s.faults.failNext(100, 429, { verb: 'list', resource: 'nodes' });
    s.faults.failNext(1, 500, { resource: 'services' });
    assert.equal((await call(s, 'GET', SERVICES)).status, 500);
    assert.equal((await call(s, 'GET', '/api/v1/nodes')).status, 429);
    s.faults.failNext(0, 429, { verb: 'list', resource: 'nodes' });
    assert.equal((await call(s, 'GET', '/api/v1/nodes')).status, 200);
    assert.equal((await call(s, 'GET', SERVICES)).status, 200);
  });

  it('the HTTP hook takes verb and resource and refuses an unknown verb', async () => {
    const r = await call(s, 'POST', '/herald-dev/fail?count=1&code=500&verb=list&resource=nodes');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { failNext: 1, code: 500, verb: 'list', resource: 'nodes' });
    assert.equal((await call(s, 'GET', SERVICES)).status, 200);
    assert.equal((await call(s, 'GET', '/api/v1/nodes')).status, 500);
    assert.equal((await call(s, 'POST', '/herald-dev/fail?count=1&code=500&verb=frobnicate')).status, 400);
  });
});
