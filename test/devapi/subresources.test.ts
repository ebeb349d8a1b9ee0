import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DevApiServer } from '../../src/devapi/server.ts';
import { call, get, SERVICES, startTestServer, svc, widget, WIDGETS } from './helpers.ts';

const MERGE = 'application/merge-patch+json';

describe('devapi status subresource and finalizers', () => {
  let s: DevApiServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('status given on create or main-resource update is ignored', async () => {
    const c = await call(s, 'POST', SERVICES, { ...svc('st1', { type: 'LoadBalancer' }), status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } });
    assert.deepEqual(get(c.body, 'status'), { loadBalancer: {} });
    const u = await call(s, 'PATCH', `${SERVICES}/st1`, { status: { loadBalancer: { ingress: [{ ip: '192.0.2.2' }] } } }, MERGE);
    assert.deepEqual(get(u.body, 'status'), { loadBalancer: {} });
    assert.equal(get(u.body, 'metadata', 'resourceVersion'), get(c.body, 'metadata', 'resourceVersion'), 'nothing changed: no-op');
  });

  it('a status write changes only status; spec, labels and annotations in it are ignored', async () => {
    await call(s, 'POST', SERVICES, svc('st2', { type: 'LoadBalancer' }));
    const r = await call(
      s,
      'PATCH',
      `${SERVICES}/st2/status`,
      { metadata: { labels: { sneaky: 'yes' }, annotations: { a: 'b' } }, spec: { sessionAffinity: 'ClientIP' }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.3' }] } } },
      MERGE,
    );
    assert.equal(r.status, 200);
    assert.deepEqual(get(r.body, 'status', 'loadBalancer', 'ingress'), [{ ip: '192.0.2.3', ipMode: 'VIP' }]);
    assert.equal(get(r.body, 'metadata', 'labels'), undefined);
    assert.equal(get(r.body, 'metadata', 'annotations'), undefined);
    assert.equal(get(r.body, 'spec', 'sessionAffinity'), 'None');
  });

  it('custom resources with a status subresource: create drops status, /status keeps spec', async () => {
    const c = await call(s, 'POST', WIDGETS, { ...widget('ws'), status: { count: 5 } });
    assert.equal(c.status, 201);
    assert.equal(get(c.body, 'status'), undefined);
    const st = await call(s, 'PUT', `${WIDGETS}/ws/status`, { ...c.body, spec: { size: 99 }, status: { count: 2 } });
    assert.equal(st.status, 200);
    assert.equal(get(st.body, 'spec', 'size'), 3);
    assert.deepEqual(get(st.body, 'status'), { phase: 'Pending', count: 2 }, 'status defaults apply on status writes');
    assert.equal(get(st.body, 'metadata', 'generation'), 1);
    const bad = await call(s, 'PATCH', `${WIDGETS}/ws/status`, { status: { count: 'many' } }, MERGE);
    assert.equal(bad.status, 422);
    assert.equal(get(bad.body, 'details', 'causes', 0, 'field'), 'status.count');
  });

  it('/status of a resource without that subresource is 404', async () => {
    assert.equal((await call(s, 'GET', '/apis/coordination.k8s.io/v1/namespaces/default/leases/x/status')).status, 404);
  });

  it('delete with finalizers sets deletionTimestamp; removing the last finalizer deletes', async () => {
    await call(s, 'POST', SERVICES, svc('fin', {}, { finalizers: ['herald.dev/test'] }));
    const d = await call(s, 'DELETE', `${SERVICES}/fin`);
    assert.equal(d.status, 200);
    assert.match(String(get(d.body, 'metadata', 'deletionTimestamp')), /Z$/);
    assert.equal(get(d.body, 'metadata', 'deletionGracePeriodSeconds'), 0);
    assert.equal((await call(s, 'GET', `${SERVICES}/fin`)).status, 200, 'still there');
    const again = await call(s, 'DELETE', `${SERVICES}/fin`);
    assert.equal(get(again.body, 'metadata', 'resourceVersion'), get(d.body, 'metadata', 'resourceVersion'), 'second delete changes nothing');
    const add = await call(s, 'PATCH', `${SERVICES}/fin`, { metadata: { finalizers: ['herald.dev/test', 'other.dev/x'] } }, MERGE);
    assert.equal(add.status, 422, 'no new finalizers while deleting');
    const rm = await call(s, 'PATCH', `${SERVICES}/fin`, { metadata: { finalizers: null } }, MERGE);
    assert.equal(rm.status, 200);
    assert.equal((await call(s, 'GET', `${SERVICES}/fin`)).status, 404);
  });

  it('delete preconditions on uid and resourceVersion → 409', async () => {
    const c = await call(s, 'POST', SERVICES, svc('pre'));
    const uid = get(c.body, 'metadata', 'uid');
    const wrongUid = await call(s, 'DELETE', `${SERVICES}/pre`, { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'x' } });
    assert.equal(wrongUid.status, 409);
    assert.equal(get(wrongUid.body, 'message'), `Operation cannot be fulfilled on services "pre": Precondition failed: UID in precondition: x, UID in object meta: ${String(uid)}`);
    const wrongRv = await call(s, 'DELETE', `${SERVICES}/pre`, { preconditions: { resourceVersion: '1' } });
    assert.equal(wrongRv.status, 409);
    const ok = await call(s, 'DELETE', `${SERVICES}/pre`, { preconditions: { uid: uid ?? null, resourceVersion: get(c.body, 'metadata', 'resourceVersion') ?? null } });
    assert.equal(ok.status, 200);
    assert.equal(get(ok.body, 'metadata', 'name'), 'pre');
    assert.equal((await call(s, 'DELETE', `${SERVICES}/pre`)).status, 404);
  });

  it('deleting a namespace removes its contents and does not break the server', async () => {
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await call(s, 'POST', '/api/v1/namespaces/doomed/services', svc('inside'));
    const d = await call(s, 'DELETE', '/api/v1/namespaces/doomed');
    assert.equal(d.status, 200);
    assert.equal((await call(s, 'GET', '/api/v1/namespaces/doomed/services/inside')).status, 404);
    assert.equal((await call(s, 'POST', '/api/v1/namespaces/doomed/services', svc('late'))).status, 404);
  });

  it('new namespaces get phase Active, the kubernetes finalizer and the name label', async () => {
    const ns = await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'fresh' } });
    assert.equal(get(ns.body, 'status', 'phase'), 'Active');
    assert.deepEqual(get(ns.body, 'spec', 'finalizers'), ['kubernetes']);
    assert.equal(get(ns.body, 'metadata', 'labels', 'kubernetes.io/metadata.name'), 'fresh');
  });
});
