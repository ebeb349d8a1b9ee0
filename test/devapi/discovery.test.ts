import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DevApiServer } from '../../src/devapi/server.ts';
import { call, get, itemNames, startTestServer } from './helpers.ts';

describe('devapi discovery and bootstrap', () => {
  let s: DevApiServer;
  before(async () => {
    s = await startTestServer({ advertiseAddress: '203.0.113.7' });
  });
  after(() => s.close());

  it('/api and /api/v1 as the real server serves them', async () => {
    const api = await call(s, 'GET', '/api');
    assert.equal(get(api.body, 'kind'), 'APIVersions');
    assert.deepEqual(get(api.body, 'versions'), ['v1']);
    const v1 = await call(s, 'GET', '/api/v1');
    assert.equal(get(v1.body, 'kind'), 'APIResourceList');
    assert.equal(get(v1.body, 'groupVersion'), 'v1');
    const resources = get(v1.body, 'resources');
    assert.ok(Array.isArray(resources));
    const byName = new Map(resources.map((r) => [String(get(r, 'name')), r]));
    assert.deepEqual([...byName.keys()].sort(), ['endpoints', 'events', 'namespaces', 'namespaces/status', 'nodes', 'nodes/status', 'secrets', 'services', 'services/status']);
    const services = byName.get('services');
    assert.equal(get(services, 'singularName'), 'service');
    assert.equal(get(services, 'namespaced'), true);
    assert.equal(get(services, 'kind'), 'Service');
    assert.deepEqual(get(services, 'shortNames'), ['svc']);
    assert.deepEqual(get(byName.get('services/status'), 'verbs'), ['get', 'patch', 'update']);
    assert.equal(get(byName.get('nodes'), 'namespaced'), false);
  });

  it('/apis, /apis/G and /apis/G/V list built-in and CRD groups', async () => {
    const apis = await call(s, 'GET', '/apis');
    assert.equal(get(apis.body, 'kind'), 'APIGroupList');
    const groups = get(apis.body, 'groups');
    assert.ok(Array.isArray(groups));
    const names = groups.map((g) => get(g, 'name'));
    for (const g of ['discovery.k8s.io', 'coordination.k8s.io', 'events.k8s.io', 'apiextensions.k8s.io', 'devapi.test']) assert.ok(names.includes(g), g);
    const g = await call(s, 'GET', '/apis/devapi.test');
    assert.equal(get(g.body, 'kind'), 'APIGroup');
    assert.deepEqual(get(g.body, 'preferredVersion'), { groupVersion: 'devapi.test/v1', version: 'v1' });
    assert.deepEqual(get(g.body, 'versions'), [
      { groupVersion: 'devapi.test/v1', version: 'v1' },
      { groupVersion: 'devapi.test/v1beta1', version: 'v1beta1' },
    ]);
    const gv = await call(s, 'GET', '/apis/devapi.test/v1');
    assert.deepEqual(get(gv.body, 'resources', 0), { name: 'widgets', singularName: 'widget', namespaced: true, kind: 'Widget', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['wd'] });
    assert.equal(get(gv.body, 'resources', 1, 'name'), 'widgets/status');
    assert.equal(get(gv.body, 'resources', 2, 'name'), 'gadgets');
    const beta = await call(s, 'GET', '/apis/devapi.test/v1beta1');
    assert.equal(get(beta.body, 'resources', 0, 'name'), 'widgets');
    assert.equal(get(beta.body, 'resources', 1), undefined, 'v1beta1 has no status subresource');
    assert.equal((await call(s, 'GET', '/apis/nope.test')).status, 404);
    assert.equal((await call(s, 'GET', '/apis/devapi.test/v9')).status, 404);
  });

  it('/version and health endpoints', async () => {
    const v = await call(s, 'GET', '/version');
    assert.equal(get(v.body, 'major'), '1');
    assert.match(String(get(v.body, 'gitVersion')), /^v1\.\d+\.\d+/);
    for (const p of ['/healthz', '/readyz', '/livez']) {
      const r = await fetch(s.url + p);
      assert.equal(r.status, 200);
      assert.equal(await r.text(), 'ok');
    }
  });

  it('bootstraps the system namespaces and the kubernetes Service, Endpoints and EndpointSlice', async () => {
    const ns = await call(s, 'GET', '/api/v1/namespaces');
    assert.deepEqual(itemNames(ns.body), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    const k = await call(s, 'GET', '/api/v1/namespaces/default/services/kubernetes');
    assert.equal(get(k.body, 'spec', 'type'), 'ClusterIP');
    assert.equal(get(k.body, 'spec', 'clusterIP'), '198.18.0.1');
    const ep = await call(s, 'GET', '/api/v1/namespaces/default/endpoints/kubernetes');
    assert.equal(get(ep.body, 'subsets', 0, 'addresses', 0, 'ip'), '203.0.113.7');
    assert.equal(get(ep.body, 'subsets', 0, 'ports', 0, 'port'), s.port);
    const slice = await call(s, 'GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes');
    assert.deepEqual(get(slice.body, 'endpoints', 0, 'addresses'), ['203.0.113.7']);
    assert.equal(get(slice.body, 'addressType'), 'IPv4');
    assert.equal(get(slice.body, 'metadata', 'labels', 'kubernetes.io/service-name'), 'kubernetes');
  });

  it('the kubeconfig points at the server without credentials', () => {
    const y = s.kubeconfigYaml();
    assert.ok(y.includes(`server: ${s.url}`));
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
