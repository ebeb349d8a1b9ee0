// PUT (replace) of an object that does not exist, as kube-apiserver's generic Store.Update does it
// (apiserver registry/generic/registry/store.go): the storage precondition (uid) is checked first,
// then resources whose strategy does not AllowCreateOnUpdate answer 404, and the others create the
// object — a resourceVersion in the body is cleared by the storage layer, not compared.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DevApiServer } from '../../src/devapi/server.ts';
import { call, get, SERVICES, startTestServer, svc, widget, WIDGETS } from './helpers.ts';

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';

function lease(name: string, meta: Record<string, string> = {}): { apiVersion: string; kind: string; metadata: Record<string, string>; spec: { holderIdentity: string; leaseDurationSeconds: number } } {
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, ...meta }, spec: { holderIdentity: 'a', leaseDurationSeconds: 3 } };
}

describe('devapi: PUT of a missing object', () => {
  let s: DevApiServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('regression: a PUT of a deleted Lease carrying its old uid re-created it instead of 409 Conflict (kubernetes#89985)', async () => {
    const made = await call(s, 'POST', LEASES, lease('renewed'));
    assert.equal(made.status, 201);
    const uid = String(get(made.body, 'metadata', 'uid'));
    assert.equal((await call(s, 'DELETE', `${LEASES}/renewed`)).status, 200);
    // What a holder renewing a lease someone deleted sends: the object it read, uid and all.
    const r = await call(s, 'PUT', `${LEASES}/renewed`, made.body);
    assert.equal(r.status, 409);
    assert.equal(get(r.body, 'reason'), 'Conflict');
    assert.equal(get(r.body, 'details', 'name'), 'renewed');
    assert.equal(
      get(r.body, 'message'),
      `Operation cannot be fulfilled on leases.coordination.k8s.io "renewed": StorageError: invalid object, Code: 4, Key: /registry/leases/default/renewed, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: ${uid}, UID in object meta: `,
    );
    assert.equal((await call(s, 'GET', `${LEASES}/renewed`)).status, 404, 'nothing was created');
  });

  it('the uid precondition comes before NotFound, for resources that never create on update too', async () => {
    const r = await call(s, 'PUT', '/api/v1/nodes/gone', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'gone', uid: 'u-1' } });
    assert.equal(r.status, 409);
    assert.match(String(get(r.body, 'message')), /Key: \/registry\/minions\/gone, .*UID in precondition: u-1/);
  });

  it('a Lease (AllowCreateOnUpdate) is created even when the body has a resourceVersion; the server assigns a new one', async () => {
    const r = await call(s, 'PUT', `${LEASES}/fresh`, lease('fresh', { resourceVersion: '999999' }));
    assert.equal(r.status, 201);
    const rv = String(get(r.body, 'metadata', 'resourceVersion'));
    assert.notEqual(rv, '999999');
    assert.equal(get((await call(s, 'GET', `${LEASES}/fresh`)).body, 'metadata', 'resourceVersion'), rv);
  });

  it('a Service (svcStrategy allows create-on-update) is created, with or without a resourceVersion', async () => {
    assert.equal((await call(s, 'PUT', `${SERVICES}/put-a`, svc('put-a', {}, { resourceVersion: '12345' }))).status, 201);
    assert.equal((await call(s, 'PUT', `${SERVICES}/put-b`, svc('put-b'))).status, 201);
  });

  it('Nodes, custom resources and /status subresources answer 404 NotFound', async () => {
    const n = await call(s, 'PUT', '/api/v1/nodes/nope', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'nope', resourceVersion: '5' } });
    assert.equal(n.status, 404);
    assert.equal(get(n.body, 'reason'), 'NotFound');
    assert.equal(get(n.body, 'message'), 'nodes "nope" not found');
    const w = await call(s, 'PUT', `${WIDGETS}/nope`, widget('nope', { size: 3 }, { resourceVersion: '5' }));
    assert.equal(w.status, 404);
    assert.equal(get(w.body, 'message'), 'widgets.devapi.test "nope" not found');
    const st = await call(s, 'PUT', `${SERVICES}/nope/status`, svc('nope', {}, { resourceVersion: '5' }));
    assert.equal(st.status, 404);
  });

  it('POST with a resourceVersion is refused with 500, as etcd3 store.Create does (ErrResourceVersionSetOnCreate)', async () => {
    const r = await call(s, 'POST', LEASES, lease('posted', { resourceVersion: '3' }));
    assert.equal(r.status, 500);
    assert.equal(get(r.body, 'message'), 'resourceVersion should not be set on objects to be created');
  });
});
