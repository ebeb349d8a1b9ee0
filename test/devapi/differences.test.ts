// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// The differences between the stand-in and kube-apiserver v1.34 that the differential suites
// found (issue #8; docs/devapi.md, "Differences from kube-apiserver v1.34, found by the
// differential suites"), pinned against both servers: the same request, the same answer. Each
// test is named after its numbered difference; those the stand-in keeps say what is shared.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startControlPlane } from '../../src/controlplane/control-plane.ts';
import type { ControlPlane } from '../../src/controlplane/control-plane.ts';
import { adminRequest } from '../support/api-suite.ts';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions?dryRun=All';
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
const FORBIDDEN_METADATA = 'Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified';

type Schema = Record<string, unknown>;

function crd(...schemas: (Schema | undefined)[]): object {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Cluster',
      names: { plural: 'widgets', kind: 'Widget' },
      versions: schemas.map((s, i) => ({ name: `v${i + 1}`, served: true, storage: i === 0, ...(s === undefined ? {} : { schema: { openAPIV3Schema: s } }) })),
    },
  };
}

const withMetadata = (metadata: Schema): Schema => ({ type: 'object', properties: { metadata, spec: { type: 'object' } } });

interface Status {
  message: string;
  causes: { reason: string; message: string; field: string }[];
}

function statusOf(body: unknown): Status {
  const b = body as { message?: unknown; details?: { causes?: Status['causes'] } };
  return { message: String(b.message), causes: (b.details?.causes ?? []).map((c) => ({ reason: c.reason, message: c.message, field: c.field })) };
}

describe('differences from kube-apiserver v1.34 (issue #8)', () => {
  let cp: ControlPlane;
  before(async () => {
    cp = await startControlPlane({ heraldCrds: false });
  });
  after(async () => cp.close());

  const post = (path: string, body: unknown): Promise<{ status: number; body: unknown }> => adminRequest(cp, 'POST', path, body);

  it('regression (difference 1): a CRD whose root metadata schema says more than type: object (a description) is refused', async () => {
    const r = await post(CRDS, crd(withMetadata({ type: 'object', description: 'Standard object metadata.' })));
    assert.equal(r.status, 422);
    assert.deepEqual(statusOf(r.body), {
      message: `CustomResourceDefinition.apiextensions.k8s.io "widgets.example.com" is invalid: spec.validation.openAPIV3Schema.properties[metadata]: ${FORBIDDEN_METADATA}`,
      causes: [{ reason: 'FieldValueForbidden', message: FORBIDDEN_METADATA, field: 'spec.validation.openAPIV3Schema.properties[metadata]' }],
    });
    for (const extra of [{ nullable: true }, { title: 'x' }, { maxProperties: 3 }, { 'x-kubernetes-preserve-unknown-fields': true }, { properties: { labels: { type: 'object' } } }]) {
      const x = await post(CRDS, crd(withMetadata({ type: 'object', ...extra })));
      assert.equal(x.status, 422, JSON.stringify(extra));
      assert.deepEqual(statusOf(x.body).causes.map((c) => c.message), [FORBIDDEN_METADATA]);
    }
  });

  it('regression (difference 1): the root metadata may restrict name and generateName, must be an object, and takes no default', async () => {
    assert.equal((await post(CRDS, crd(withMetadata({ type: 'object', properties: { name: { type: 'string', maxLength: 20 }, generateName: { type: 'string' } } })))).status, 201);
    assert.equal((await post(CRDS, crd(withMetadata({ type: 'object', example: {} })))).status, 201, 'example is not part of a structural schema');
    const typed = await post(CRDS, crd(withMetadata({ type: 'string' })));
    assert.deepEqual(statusOf(typed.body).causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: "string": must be object', field: 'spec.validation.openAPIV3Schema.properties[metadata].type' }]);
    const defaulted = await post(CRDS, crd(withMetadata({ type: 'object', default: { name: 'x' } })));
    assert.deepEqual(statusOf(defaulted.body).causes, [{ reason: 'FieldValueForbidden', message: 'Forbidden: must not be set in top-level metadata', field: 'spec.validation.openAPIV3Schema.properties[metadata].default' }]);
    // A metadata property below the root is an ordinary object.
    assert.equal((await post(CRDS, crd({ type: 'object', properties: { spec: { type: 'object', properties: { metadata: { type: 'object', description: 'x' } } } } }))).status, 201);
  });

  it('regression (difference 2): a schema every version shares is reported under spec.validation, differing ones per version', async () => {
    const bad = withMetadata({ type: 'object', description: 'x' });
    const shared = await post(CRDS, crd(bad, bad));
    assert.deepEqual(statusOf(shared.body).causes.map((c) => c.field), ['spec.validation.openAPIV3Schema.properties[metadata]']);
    const differing = await post(CRDS, crd({ type: 'object' }, bad));
    assert.deepEqual(statusOf(differing.body).causes.map((c) => c.field), ['spec.versions[1].schema.openAPIV3Schema.properties[metadata]']);
  });

  it('regression (difference 3): a version without a schema is "Required value", without a detail', async () => {
    const one = await post(CRDS, crd(undefined));
    assert.equal(one.status, 422);
    assert.deepEqual(statusOf(one.body), {
      message: 'CustomResourceDefinition.apiextensions.k8s.io "widgets.example.com" is invalid: spec.versions[0].schema.openAPIV3Schema: Required value',
      causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.versions[0].schema.openAPIV3Schema' }],
    });
    const second = await post(CRDS, crd({ type: 'object' }, undefined));
    assert.deepEqual(statusOf(second.body).causes.map((c) => c.field), ['spec.versions[1].schema.openAPIV3Schema']);
  });

  it('regression (difference 4): the structural errors of a schema come sorted by their text', async () => {
    const r = await post(CRDS, crd({ type: 'object', properties: { status: { properties: {} }, metadata: { description: 'x' } } }));
    assert.deepEqual(statusOf(r.body).causes.map((c) => `${c.field}: ${c.message}`), [
      'spec.validation.openAPIV3Schema.properties[metadata].type: Invalid value: "": must be object',
      'spec.validation.openAPIV3Schema.properties[metadata].type: Required value: must not be empty for specified object fields',
      `spec.validation.openAPIV3Schema.properties[metadata]: ${FORBIDDEN_METADATA}`,
      'spec.validation.openAPIV3Schema.properties[status].type: Required value: must not be empty for specified object fields',
    ]);
  });

  it('difference 5 (kept): a pattern that is no regular expression is refused; only the parser\'s own words differ', async () => {
    const r = await post(CRDS, crd({ type: 'object', properties: { spec: { type: 'string', pattern: '(' } } }));
    assert.equal(r.status, 422);
    const [cause, ...more] = statusOf(r.body).causes;
    assert.deepEqual(more, []);
    assert.equal(cause?.field, 'spec.validation.openAPIV3Schema.properties[spec].pattern');
    assert.ok(cause.message.startsWith('Invalid value: "(": must be a valid regular expression, but isn\'t: '), cause.message);
  });

  it('regression (difference 6): a Lease time (MicroTime) needs exactly six fraction digits; a JavaScript Date\'s three are a 400', async () => {
    const lease = (renewTime: string): object => ({ metadata: { generateName: 'l-' }, spec: { holderIdentity: 'a', renewTime } });
    for (const [value, rest] of [['2026-12-05T08:43:24.182Z', '.182Z'], ['2026-12-05T08:43:24Z', 'Z'], ['2026-12-05T08:43:24.1820000Z', '0Z']] as const) {
      const r = await post(LEASES, lease(value));
      assert.equal(r.status, 400, value);
      const elem = rest === '0Z' ? 'Z07:00' : '.000000';
      assert.equal(statusOf(r.body).message, `Lease in version "v1" cannot be handled as a Lease: parsing time "${value}" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "${rest}" as "${elem}"`);
    }
    const ok = await post(LEASES, lease('2026-12-05T09:43:24.182000+01:00'));
    assert.equal(ok.status, 201);
    assert.equal((ok.body as { spec: { renewTime: string } }).spec.renewTime, '2026-12-05T08:43:24.182000Z');
  });

  it('regression (difference 8): a JSON body ends with a newline, as Go\'s encoder writes it', async () => {
    const found = await adminRequest(cp, 'GET', '/api/v1/namespaces/default');
    assert.equal(found.status, 200);
    assert.ok(found.text.endsWith('}\n'), JSON.stringify(found.text.slice(-5)));
    const missing = await adminRequest(cp, 'GET', '/api/v1/namespaces/nowhere');
    assert.equal(missing.status, 404);
    assert.ok(missing.text.endsWith('}\n'), JSON.stringify(missing.text.slice(-5)));
  });

  it('regression (difference 9): a CRD without a storage version is also told that it would have no stored version', async () => {
    const r = await post(CRDS, { ...crd({ type: 'object' }), spec: { ...(crd({ type: 'object' }) as { spec: object }).spec, versions: [{ name: 'v1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object' } } }] } });
    assert.equal(r.status, 422);
    const causes = statusOf(r.body).causes;
    assert.deepEqual(causes.map((c) => c.field), ['spec.versions', 'status.storedVersions']);
    assert.equal(causes[1]?.message, 'Invalid value: null: must have at least one stored version');
    // Difference 10 (kept): the real server prints the versions as a Go struct dump here, the stand-in their count.
    assert.match(causes[0]?.message ?? '', /^Invalid value: .+: must have exactly one version marked as storage version$/);
  });

  const generationOf = (r: { body: unknown }): unknown => (r.body as { metadata?: { generation?: unknown } }).metadata?.generation;

  it('regression (difference 11): Services, Nodes and Leases have no generation; EndpointSlices do; a generation sent on create stays put', async () => {
    assert.equal(generationOf(await post('/api/v1/namespaces/default/services', { metadata: { name: 'g' }, spec: { ports: [{ port: 80 }] } })), undefined);
    assert.equal(generationOf(await post('/api/v1/nodes', { metadata: { name: 'g' } })), undefined);
    assert.equal(generationOf(await post(LEASES, { metadata: { name: 'g' }, spec: {} })), undefined);
    assert.equal(generationOf(await post('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', { metadata: { name: 'g' }, addressType: 'IPv4', endpoints: [] })), 1);
    const kept = await post('/api/v1/namespaces/default/services', { metadata: { name: 'kept', generation: 5 }, spec: { ports: [{ port: 80 }] } });
    assert.equal(generationOf(kept), 5);
    const body = kept.body as { metadata: { generation: number }; spec: { ports: { port: number }[] } };
    const edited = await adminRequest(cp, 'PUT', '/api/v1/namespaces/default/services/kept', { ...body, metadata: { ...body.metadata, generation: 9 }, spec: { ...body.spec, ports: [{ port: 81 }] } });
    assert.equal(edited.status, 200);
    assert.equal(generationOf(edited), 5);
  });

  it('regression (difference 12): marking an object with finalizers for deletion bumps a generation it has', async () => {
    await post('/api/v1/nodes', { metadata: { name: 'held', generation: 5, finalizers: ['example.com/hold'] } });
    const deleted = await adminRequest(cp, 'DELETE', '/api/v1/nodes/held');
    assert.equal(deleted.status, 200);
    assert.equal(generationOf(deleted), 6);
    await post('/api/v1/nodes', { metadata: { name: 'held-without', finalizers: ['example.com/hold'] } });
    assert.equal(generationOf(await adminRequest(cp, 'DELETE', '/api/v1/nodes/held-without')), undefined);
  });
});
