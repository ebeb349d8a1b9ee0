import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { isObject, type JsonObject } from '../../src/devapi/json.ts';
import type { DevApiServer } from '../../src/devapi/server.ts';
import { call, causeFields, eventSummary, FIXTURES, get, itemNames, startTestServer, WatchStream, widget, WIDGETS } from './helpers.ts';

const MERGE = 'application/merge-patch+json';

async function fixtureCrd(name: string): Promise<JsonObject> {
  const docs = parseAllDocuments(await readFile(join(FIXTURES, 'widgets.yaml'), 'utf8')).map((d): unknown => d.toJS());
  const crd = docs.find((d) => isObject(d) && get(d, 'metadata', 'name') === name);
  assert.ok(isObject(crd), `fixture ${name}`);
  return crd;
}

describe('devapi custom resources', () => {
  let s: DevApiServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('the fixture directory held CRDs (guards against a glob that matches nothing)', async () => {
    const r = await call(s, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
    assert.deepEqual(itemNames(r.body), ['gadgets.devapi.test', 'widgets.devapi.test']);
    const crd = await call(s, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.devapi.test');
    assert.deepEqual(get(crd.body, 'status', 'storedVersions'), ['v1']);
    assert.equal(get(crd.body, 'status', 'conditions', 1, 'type'), 'Established');
  });

  it('applies defaults and prunes unknown fields (preserve-unknown-fields keeps them)', async () => {
    const r = await call(s, 'POST', WIDGETS, widget('d1', { size: 2, unknown: 1, extra: { anything: { goes: [1] } }, note: null }));
    assert.equal(r.status, 201);
    assert.deepEqual(r.body['spec'], { size: 2, mode: 'Fast', enabled: true, extra: { anything: { goes: [1] } }, note: null });
    assert.equal(get(r.body, 'apiVersion'), 'devapi.test/v1');
    const u = await call(s, 'PATCH', `${WIDGETS}/d1`, { spec: { mode: null, stray: true } }, MERGE);
    assert.equal(get(u.body, 'spec', 'mode'), 'Fast', 'defaults apply on update too');
    assert.equal(get(u.body, 'spec', 'stray'), undefined);
  });

  it('reports every failing field with the real reasons', async () => {
    const r = await call(
      s,
      'POST',
      WIDGETS,
      widget('bad', {
        size: 500,
        ratio: 2,
        mode: 'Medium',
        name: 'ABC',
        address: '192.0.2.300',
        address6: 'zz::1',
        network: '192.0.2.0/33',
        when: 'yesterday',
        enabled: 'yes',
        port: 1.5,
        tags: [],
        labels: { k: 'toolong' },
        target: { cidr: 'a', start: 'b' },
        either: {},
      }),
    );
    assert.equal(r.status, 422);
    assert.equal(get(r.body, 'details', 'kind'), 'Widget');
    assert.equal(get(r.body, 'details', 'group'), 'devapi.test');
    assert.match(String(get(r.body, 'message')), /^Widget\.devapi\.test "bad" is invalid: \[/);
    const causes = get(r.body, 'details', 'causes');
    assert.ok(Array.isArray(causes));
    const byField = new Map(causes.map((c) => [String(get(c, 'field')), String(get(c, 'reason'))]));
    assert.equal(byField.get('spec.size'), 'FieldValueInvalid');
    assert.equal(byField.get('spec.ratio'), 'FieldValueInvalid');
    assert.equal(byField.get('spec.mode'), 'FieldValueNotSupported');
    assert.equal(byField.get('spec.name'), 'FieldValueInvalid');
    assert.equal(byField.get('spec.address'), 'FieldValueInvalid');
    assert.equal(byField.get('spec.address6'), 'FieldValueInvalid');
    assert.equal(byField.get('spec.network'), 'FieldValueInvalid');
    assert.equal(byField.get('spec.when'), 'FieldValueInvalid');
    assert.equal(byField.get('spec.enabled'), 'FieldValueTypeInvalid');
    assert.equal(byField.get('spec.port'), 'FieldValueTypeInvalid');
    assert.equal(byField.get('spec.tags'), 'FieldValueInvalid');
    assert.equal(byField.get('spec.labels.k'), 'FieldValueTooLong');
    assert.equal(byField.get('spec.target'), 'FieldValueInvalid', 'oneOf: both branches valid');
    assert.equal(byField.get('spec.either'), 'FieldValueInvalid', 'anyOf: no branch valid');
    const msg = String(get(r.body, 'message'));
    assert.ok(msg.includes('spec.size: Invalid value: 500: spec.size in body should be less than or equal to 100'));
    assert.ok(msg.includes('spec.mode: Unsupported value: "Medium": supported values: "Fast", "Slow"'));
    assert.ok(msg.includes('spec.enabled: Invalid value: "yes": spec.enabled in body must be of type boolean: "string"'));
    assert.ok(msg.includes(`spec.name: Invalid value: "ABC": spec.name in body should match '^[a-z]+$'`));
    assert.ok(msg.includes('spec.address: Invalid value: "192.0.2.300": spec.address in body must be of type ipv4: "192.0.2.300"'));
  });

  it('required fields, minimum, maxItems, int32 and int-or-string', async () => {
    const missing = await call(s, 'POST', WIDGETS, widget('req', {}));
    assert.deepEqual(causeFields(missing.body), ['spec.size']);
    assert.equal(get(missing.body, 'details', 'causes', 0, 'reason'), 'FieldValueRequired');
    const noSpec = await call(s, 'POST', WIDGETS, { apiVersion: 'devapi.test/v1', kind: 'Widget', metadata: { name: 'nospec' } });
    assert.deepEqual(causeFields(noSpec.body), ['spec']);
    const many = await call(s, 'POST', WIDGETS, widget('many', { size: 0, tags: ['a', 'b', 'c', 'd'] }));
    assert.deepEqual(causeFields(many.body), ['spec.size', 'spec.tags']);
    assert.equal(get(many.body, 'details', 'causes', 1, 'reason'), 'FieldValueTooMany');
    const ok = await call(s, 'POST', WIDGETS, widget('ios', { size: 1, port: 'http', target: { cidr: '192.0.2.0/24' }, either: { b: 'x' }, address6: '2001:db8::1', network: '2001:db8::/64', when: '2024-05-01T10:00:00Z' }));
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const num = await call(s, 'POST', WIDGETS, widget('ios2', { size: 1, port: 8080 }));
    assert.equal(num.status, 201);
  });

  it('every served version is reachable; objects are stored once and converted by apiVersion', async () => {
    await call(s, 'POST', WIDGETS, widget('multi', { size: 7 }));
    const beta = await call(s, 'GET', '/apis/devapi.test/v1beta1/namespaces/default/widgets/multi');
    assert.equal(beta.status, 200);
    assert.equal(get(beta.body, 'apiVersion'), 'devapi.test/v1beta1');
    assert.equal(get(beta.body, 'spec', 'size'), 7);
    const list = await call(s, 'GET', '/apis/devapi.test/v1/widgets');
    assert.equal(get(list.body, 'kind'), 'WidgetList');
    assert.equal(get(list.body, 'items', 0, 'kind'), 'Widget', 'custom resource list items carry kind');
  });

  it('strategic merge patch on a custom resource is 415 UnsupportedMediaType', async () => {
    await call(s, 'POST', WIDGETS, widget('smp'));
    const r = await call(s, 'PATCH', `${WIDGETS}/smp`, { spec: { size: 4 } }, 'application/strategic-merge-patch+json');
    assert.equal(r.status, 415);
    assert.equal(get(r.body, 'reason'), 'UnsupportedMediaType');
  });

  it('cluster-scoped custom resources live outside namespaces', async () => {
    const r = await call(s, 'POST', '/apis/devapi.test/v1/gadgets', { apiVersion: 'devapi.test/v1', kind: 'Gadget', metadata: { name: 'g1' }, spec: { color: 'red' } });
    assert.equal(r.status, 201);
    assert.equal(get(r.body, 'metadata', 'namespace'), undefined);
    assert.equal((await call(s, 'GET', '/apis/devapi.test/v1/namespaces/default/gadgets/g1')).status, 404);
  });

  it('CRDs created, updated and deleted at runtime register and unregister their resource', async () => {
    const crd = await fixtureCrd('gadgets.devapi.test');
    const renamed = structuredClone(crd);
    const spec = renamed['spec'];
    assert.ok(isObject(spec));
    spec['group'] = 'runtime.test';
    renamed['metadata'] = { name: 'gadgets.runtime.test' };
    const path = '/apis/runtime.test/v1/gadgets';
    assert.equal((await call(s, 'GET', path)).status, 404);
    const created = await call(s, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', renamed);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const disc = await call(s, 'GET', '/apis/runtime.test/v1');
    assert.equal(get(disc.body, 'resources', 0, 'name'), 'gadgets');
    assert.equal((await call(s, 'POST', path, { apiVersion: 'runtime.test/v1', kind: 'Gadget', metadata: { name: 'x' }, spec: { color: 'blue' } })).status, 201);
    const w = await WatchStream.open(s, `${path}?watch=true&resourceVersion=0`);
    assert.equal(eventSummary(await w.next()), 'ADDED x');
    // Adding a field to the schema takes effect at once.
    const props = get(created.body, 'spec', 'versions', 0, 'schema', 'openAPIV3Schema', 'properties', 'spec', 'properties');
    assert.ok(isObject(props));
    props['shape'] = { type: 'string', enum: ['round'] };
    const upd = await call(s, 'PUT', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.runtime.test`, created.body);
    assert.equal(upd.status, 200, JSON.stringify(upd.body));
    const shaped = await call(s, 'POST', path, { apiVersion: 'runtime.test/v1', kind: 'Gadget', metadata: { name: 'y' }, spec: { shape: 'square' } });
    assert.equal(shaped.status, 422);
    const del = await call(s, 'DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.runtime.test');
    assert.equal(del.status, 200);
    assert.equal(eventSummary(await w.next()), 'DELETED x');
    assert.equal(await w.next(), 'end', 'watches of a deleted CRD end');
    assert.equal((await call(s, 'GET', path)).status, 404);
    assert.equal((await call(s, 'GET', '/apis/runtime.test/v1')).status, 404);
  });

  it('rejects invalid CRDs: name, non-structural schema, storage versions', async () => {
    const crd = await fixtureCrd('gadgets.devapi.test');
    const bad = structuredClone(crd);
    bad['metadata'] = { name: 'wrong.devapi.test' };
    const nameErr = await call(s, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', bad);
    assert.equal(nameErr.status, 422);
    assert.ok(causeFields(nameErr.body).includes('metadata.name'));
    const ns = structuredClone(crd);
    ns['metadata'] = { name: 'things.devapi.test' };
    const spec = ns['spec'];
    assert.ok(isObject(spec));
    spec['names'] = { kind: 'Thing', plural: 'things' };
    spec['versions'] = [{ name: 'v1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { properties: {} } } } } }];
    const r = await call(s, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', ns);
    assert.equal(r.status, 422);
    // One version: its schema is reported under spec.validation, as kube-apiserver hoists it (docs/devapi.md, differences, 2 and 9).
    assert.deepEqual(causeFields(r.body), ['spec.versions', 'spec.validation.openAPIV3Schema.properties[spec].type', 'status.storedVersions']);
  });
});
