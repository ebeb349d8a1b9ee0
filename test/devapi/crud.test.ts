import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DevApiServer } from '../../src/devapi/server.ts';
import { call, get, SERVICES, startTestServer, svc, widget, WIDGETS, withLabels } from './helpers.ts';

describe('devapi create/update/delete semantics', () => {
  let s: DevApiServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('create answers 201 with uid, creationTimestamp, a new global resourceVersion, and generation 1 where the type keeps one', async () => {
    const before = await call(s, 'GET', '/api/v1/namespaces');
    const r = await call(s, 'POST', SERVICES, svc('c1'));
    assert.equal(r.status, 201);
    const meta = r.body['metadata'];
    assert.match(String(get(meta, 'uid')), /^[0-9a-f-]{36}$/);
    assert.match(String(get(meta, 'creationTimestamp')), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    // Services have no generation on kube-apiserver; custom resources do (docs/devapi.md, differences, 11).
    assert.equal(get(meta, 'generation'), undefined);
    assert.equal(get((await call(s, 'POST', WIDGETS, widget('c1'))).body, 'metadata', 'generation'), 1);
    assert.ok(Number(get(meta, 'resourceVersion')) > Number(get(before.body, 'metadata', 'resourceVersion')));
    const lease = await call(s, 'POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', { metadata: { name: 'l1' }, spec: {} });
    assert.ok(Number(get(lease.body, 'metadata', 'resourceVersion')) > Number(get(meta, 'resourceVersion')), 'one counter across resources');
  });

  it('requires a name, honours generateName and validates names like the real server', async () => {
    const noName = await call(s, 'POST', SERVICES, { metadata: {}, spec: { ports: [{ port: 80 }] } });
    assert.equal(noName.status, 422);
    assert.equal(get(noName.body, 'message'), 'Service "" is invalid: metadata.name: Required value: name or generateName is required');
    const gen = await call(s, 'POST', SERVICES, { metadata: { generateName: 'gen-' }, spec: { ports: [{ port: 80 }] } });
    assert.equal(gen.status, 201);
    assert.match(String(get(gen.body, 'metadata', 'name')), /^gen-[a-z0-9]{5}$/);
    const dotted = await call(s, 'POST', SERVICES, svc('a.b'));
    assert.equal(dotted.status, 422, 'Service names are DNS-1035 labels');
    assert.equal(get(dotted.body, 'details', 'causes', 0, 'field'), 'metadata.name');
    assert.match(String(get(dotted.body, 'details', 'causes', 0, 'message')), /a DNS-1035 label must consist of lower case/);
    const lease = await call(s, 'POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', { metadata: { name: 'a.b' }, spec: {} });
    assert.equal(lease.status, 201, 'Lease names are DNS subdomains');
    const upper = await call(s, 'POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', { metadata: { name: 'Upper' }, spec: {} });
    assert.equal(upper.status, 422);
    const badLabel = await call(s, 'POST', SERVICES, svc('lbl', {}, { labels: { 'bad key!': 'x' } }));
    assert.equal(badLabel.status, 422);
    assert.equal(get(badLabel.body, 'details', 'causes', 0, 'field'), 'metadata.labels');
  });

  it('duplicate → 409 AlreadyExists, missing namespace → 404, namespace mismatch → 400', async () => {
    await call(s, 'POST', SERVICES, svc('dup'));
    const dup = await call(s, 'POST', SERVICES, svc('dup'));
    assert.equal(dup.status, 409);
    assert.equal(get(dup.body, 'reason'), 'AlreadyExists');
    assert.equal(get(dup.body, 'message'), 'services "dup" already exists');
    assert.deepEqual(get(dup.body, 'details'), { name: 'dup', kind: 'services' });
    const missing = await call(s, 'POST', '/api/v1/namespaces/nope/services', svc('x'));
    assert.equal(missing.status, 404);
    assert.equal(get(missing.body, 'message'), 'namespaces "nope" not found');
    const mismatch = await call(s, 'POST', SERVICES, svc('x', {}, { namespace: 'kube-system' }));
    assert.equal(mismatch.status, 400);
    assert.equal(get(mismatch.body, 'reason'), 'BadRequest');
    assert.equal(get(mismatch.body, 'message'), 'the namespace of the provided object does not match the namespace sent on the request');
  });

  it('get of a missing object is 404 NotFound in the real Status form', async () => {
    const r = await call(s, 'GET', `${SERVICES}/ghost`);
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'services "ghost" not found',
      reason: 'NotFound',
      details: { name: 'ghost', kind: 'services' },
      code: 404,
    });
    const cr = await call(s, 'GET', `${WIDGETS}/ghost`);
    assert.deepEqual(get(cr.body, 'details'), { name: 'ghost', group: 'devapi.test', kind: 'widgets' });
  });

  it('stale resourceVersion on PUT and PATCH → 409 Conflict with the real message', async () => {
    const created = await call(s, 'POST', SERVICES, svc('stale'));
    const first = structuredClone(created.body);
    const up = await call(s, 'PUT', `${SERVICES}/stale`, withLabels(created.body, { a: '1' }));
    assert.equal(up.status, 200);
    const conflict = await call(s, 'PUT', `${SERVICES}/stale`, withLabels(first, { a: '2' }));
    assert.equal(conflict.status, 409);
    assert.equal(get(conflict.body, 'reason'), 'Conflict');
    assert.equal(
      get(conflict.body, 'message'),
      'Operation cannot be fulfilled on services "stale": the object has been modified; please apply your changes to the latest version and try again',
    );
    const patch = await call(s, 'PATCH', `${SERVICES}/stale`, { metadata: { resourceVersion: get(first, 'metadata', 'resourceVersion') ?? null, labels: { b: '1' } } }, 'application/merge-patch+json');
    assert.equal(patch.status, 409);
  });

  it('PUT without resourceVersion is unconditional for Services but not for custom resources', async () => {
    await call(s, 'POST', SERVICES, svc('uncond'));
    const put = await call(s, 'PUT', `${SERVICES}/uncond`, svc('uncond', {}, { labels: { x: 'y' } }));
    assert.equal(put.status, 200);
    assert.equal(get(put.body, 'metadata', 'labels', 'x'), 'y');
    await call(s, 'POST', WIDGETS, widget('w-uncond'));
    const cr = await call(s, 'PUT', `${WIDGETS}/w-uncond`, widget('w-uncond', { size: 4 }));
    assert.equal(cr.status, 422);
    assert.match(String(get(cr.body, 'message')), /metadata\.resourceVersion: Invalid value: 0x0: must be specified for an update/);
  });

  it('PUT creates a Service (AllowCreateOnUpdate) but not a Node', async () => {
    const created = await call(s, 'PUT', `${SERVICES}/made-by-put`, svc('made-by-put'));
    assert.equal(created.status, 201);
    const node = await call(s, 'PUT', '/api/v1/nodes/n-put', { metadata: { name: 'n-put' } });
    assert.equal(node.status, 404);
  });

  it('generation moves only when spec changes, and only where the type keeps one; no-op writes keep the resourceVersion and emit nothing', async () => {
    await call(s, 'POST', WIDGETS, widget('gen'));
    const labelled = await call(s, 'PATCH', `${WIDGETS}/gen`, { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json');
    assert.equal(get(labelled.body, 'metadata', 'generation'), 1);
    const changed = await call(s, 'PATCH', `${WIDGETS}/gen`, { spec: { size: 5 } }, 'application/merge-patch+json');
    assert.equal(get(changed.body, 'metadata', 'generation'), 2);
    const widgetStatus = await call(s, 'PATCH', `${WIDGETS}/gen/status`, { status: { count: 1 } }, 'application/merge-patch+json');
    assert.equal(get(widgetStatus.body, 'metadata', 'generation'), 2, 'status writes never bump generation');
    // A Service has none, and a generation sent on create is kept and never moves (differences, 11).
    const c = await call(s, 'POST', SERVICES, svc('gen', {}, { generation: 7 }));
    const rv0 = get(c.body, 'metadata', 'resourceVersion');
    assert.equal(get(c.body, 'metadata', 'generation'), 7);
    const labelledSvc = await call(s, 'PATCH', `${SERVICES}/gen`, { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json');
    assert.notEqual(get(labelledSvc.body, 'metadata', 'resourceVersion'), rv0);
    const spec = await call(s, 'PATCH', `${SERVICES}/gen`, { metadata: { generation: 9 }, spec: { sessionAffinity: 'ClientIP' } }, 'application/merge-patch+json');
    assert.equal(get(spec.body, 'metadata', 'generation'), 7);
    const status = await call(s, 'PATCH', `${SERVICES}/gen/status`, { status: { conditions: [] } }, 'application/merge-patch+json');
    const rvBefore = get(status.body, 'metadata', 'resourceVersion');
    const noop = await call(s, 'PATCH', `${SERVICES}/gen`, { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json');
    assert.equal(noop.status, 200);
    assert.equal(get(noop.body, 'metadata', 'resourceVersion'), rvBefore);
    const put = await call(s, 'PUT', `${SERVICES}/gen`, noop.body);
    assert.equal(get(put.body, 'metadata', 'resourceVersion'), rvBefore, 'PUT of the object as read is a no-op');
  });

  it('rejects a body whose kind or apiVersion does not match the URL (400)', async () => {
    const r = await call(s, 'POST', SERVICES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'k' } });
    assert.equal(r.status, 400);
    const v = await call(s, 'POST', SERVICES, { apiVersion: 'v2', kind: 'Service', metadata: { name: 'k' } });
    assert.equal(v.status, 400);
    assert.match(String(get(v.body, 'message')), /does not match the expected API version/);
  });

  it('wrong JSON types in built-in objects are decode errors (400), unknown fields are dropped', async () => {
    const r = await call(s, 'POST', SERVICES, { metadata: { name: 'typed' }, spec: { ports: [{ port: '80' }] } });
    assert.equal(r.status, 400);
    assert.match(String(get(r.body, 'message')), /^Service in version "v1" cannot be handled as a Service: spec\.ports\[0\]\.port/);
    const pruned = await call(s, 'POST', SERVICES, { metadata: { name: 'pruned' }, spec: { ports: [{ port: 80 }], bogus: true }, bogus: 1 });
    assert.equal(pruned.status, 201);
    assert.equal(get(pruned.body, 'spec', 'bogus'), undefined);
    assert.equal(get(pruned.body, 'bogus'), undefined);
  });

  it('unknown paths, resources and methods answer 404/405 Status objects', async () => {
    assert.equal((await call(s, 'GET', '/api/v1/pods')).status, 404);
    assert.equal((await call(s, 'GET', '/nothing')).status, 404);
    const m = await call(s, 'POST', `${SERVICES}/x`, svc('x'));
    assert.equal(m.status, 405);
    assert.equal(get(m.body, 'reason'), 'MethodNotAllowed');
    assert.equal((await call(s, 'GET', `${SERVICES}/x/scale`)).status, 404);
  });

  it('dryRun=All validates and answers without storing', async () => {
    const r = await call(s, 'POST', `${SERVICES}?dryRun=All`, svc('dry'));
    assert.equal(r.status, 201);
    assert.equal((await call(s, 'GET', `${SERVICES}/dry`)).status, 404);
  });
});
