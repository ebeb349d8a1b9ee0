import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { applyJsonPatch, JsonPatchError } from '../../src/devapi/json-patch.ts';
import { applyMergePatch } from '../../src/devapi/merge-patch.ts';
import { applyStrategicMerge, serviceSmp } from '../../src/devapi/strategic-merge.ts';
import { isJson, type Json, type JsonObject } from '../../src/devapi/json.ts';
import type { DevApiServer } from '../../src/devapi/server.ts';
import { call, get, SERVICES, startTestServer, svc } from './helpers.ts';

const MERGE = 'application/merge-patch+json';
const JSONP = 'application/json-patch+json';
const SMP = 'application/strategic-merge-patch+json';

describe('merge patch (RFC 7386)', () => {
  it('follows the RFC appendix A examples', () => {
    assert.deepEqual(applyMergePatch({ a: 'b' }, { a: 'c' }), { a: 'c' });
    assert.deepEqual(applyMergePatch({ a: 'b' }, { b: 'c' }), { a: 'b', b: 'c' });
    assert.deepEqual(applyMergePatch({ a: 'b' }, { a: null }), {});
    assert.deepEqual(applyMergePatch({ a: [{ b: 'c' }] }, { a: [1] }), { a: [1] });
    assert.deepEqual(applyMergePatch({ e: null }, { a: 1 }), { e: null, a: 1 });
    assert.deepEqual(applyMergePatch([1, 2], { a: 'b', c: null }), { a: 'b' });
    assert.deepEqual(applyMergePatch({}, { a: { bb: { ccc: null } } }), { a: { bb: {} } });
  });

  it('patching with a null-free object twice equals patching once (idempotent)', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.string(), fc.boolean(), tie('o')),
      o: fc.dictionary(fc.string({ maxLength: 3 }), tie('v'), { maxKeys: 3 }),
    }));
    fc.assert(
      fc.property(value.o, value.o, (target, patch) => {
        assert.ok(isJson(target) && isJson(patch));
        const once = applyMergePatch(target, patch);
        assert.deepEqual(applyMergePatch(once, patch), once);
      }),
    );
  });
});

describe('JSON patch (RFC 6902)', () => {
  const doc: Json = { a: { b: [1, 2] }, c: 'x' };
  it('add, remove, replace, move, copy, test', () => {
    assert.deepEqual(
      applyJsonPatch(doc, [
        { op: 'test', path: '/c', value: 'x' },
        { op: 'add', path: '/a/b/-', value: 3 },
        { op: 'add', path: '/a/b/0', value: 0 },
        { op: 'remove', path: '/a/b/1' },
        { op: 'replace', path: '/c', value: 'y' },
        { op: 'copy', from: '/c', path: '/d' },
        { op: 'move', from: '/d', path: '/e~1f' },
      ]),
      { a: { b: [0, 2, 3] }, c: 'y', 'e/f': 'y' },
    );
  });
  it('a failing test or a missing path aborts the patch', () => {
    assert.throws(() => applyJsonPatch(doc, [{ op: 'test', path: '/c', value: 'nope' }]), (e: unknown) => e instanceof JsonPatchError && e.kind === 'apply');
    assert.throws(() => applyJsonPatch(doc, [{ op: 'remove', path: '/zz' }]), (e: unknown) => e instanceof JsonPatchError && e.kind === 'apply');
    assert.throws(() => applyJsonPatch(doc, { op: 'add' }), (e: unknown) => e instanceof JsonPatchError && e.kind === 'decode');
  });
});

describe('strategic merge patch', () => {
  const base: JsonObject = {
    metadata: { finalizers: ['a'], labels: { x: '1' } },
    spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443 }], externalIPs: ['192.0.2.1'] },
    status: {
      loadBalancer: { ingress: [{ ip: '192.0.2.10' }, { ip: '192.0.2.11' }] },
      conditions: [{ type: 'A', status: 'True' }, { type: 'B', status: 'False' }],
    },
  };
  it('merges lists by their patchMergeKey and replaces lists without one', () => {
    const out = applyStrategicMerge(
      base,
      {
        metadata: { finalizers: ['b'] },
        spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 8443, name: 'alt' }], externalIPs: ['192.0.2.2'] },
        status: { loadBalancer: { ingress: [{ ip: '192.0.2.12' }] }, conditions: [{ type: 'B', status: 'True' }] },
      },
      serviceSmp,
    );
    assert.deepEqual(get(out, 'metadata', 'finalizers'), ['a', 'b']);
    assert.deepEqual(get(out, 'spec', 'ports'), [
      { name: 'http', port: 80, targetPort: 9090 },
      { name: 'https', port: 443 },
      { port: 8443, name: 'alt' },
    ]);
    assert.deepEqual(get(out, 'spec', 'externalIPs'), ['192.0.2.2']);
    assert.deepEqual(get(out, 'status', 'loadBalancer', 'ingress'), [{ ip: '192.0.2.12' }], 'ingress has no patch strategy: replaced');
    assert.deepEqual(get(out, 'status', 'conditions'), [{ type: 'A', status: 'True' }, { type: 'B', status: 'True' }]);
  });
  it('$patch delete/replace and $deleteFromPrimitiveList', () => {
    const out = applyStrategicMerge(
      base,
      {
        metadata: { labels: { $patch: 'replace', y: '2' }, '$deleteFromPrimitiveList/finalizers': ['a'] },
        spec: { ports: [{ port: 443, $patch: 'delete' }] },
        status: { conditions: [{ $patch: 'replace' }, { type: 'C', status: 'True' }] },
      },
      serviceSmp,
    );
    assert.deepEqual(get(out, 'metadata', 'labels'), { y: '2' });
    assert.deepEqual(get(out, 'metadata', 'finalizers'), []);
    assert.deepEqual(get(out, 'spec', 'ports'), [{ name: 'http', port: 80, targetPort: 8080 }]);
    assert.deepEqual(get(out, 'status', 'conditions'), [{ type: 'C', status: 'True' }]);
  });
});

describe('devapi PATCH over HTTP', () => {
  let s: DevApiServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('merge, JSON and strategic merge patches apply to Services', async () => {
    await call(s, 'POST', SERVICES, svc('p', { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81 }] }));
    const m = await call(s, 'PATCH', `${SERVICES}/p`, { metadata: { labels: { m: '1' } } }, MERGE);
    assert.equal(get(m.body, 'metadata', 'labels', 'm'), '1');
    const j = await call(s, 'PATCH', `${SERVICES}/p`, [{ op: 'add', path: '/metadata/annotations', value: { j: '1' } }], JSONP);
    assert.equal(j.status, 200);
    assert.equal(get(j.body, 'metadata', 'annotations', 'j'), '1');
    const sm = await call(s, 'PATCH', `${SERVICES}/p`, { spec: { ports: [{ port: 81, name: 'bee' }] } }, SMP);
    assert.equal(sm.status, 200);
    assert.deepEqual([get(sm.body, 'spec', 'ports', 0, 'name'), get(sm.body, 'spec', 'ports', 1, 'name'), get(sm.body, 'spec', 'ports', 2)], ['a', 'bee', undefined]);
  });

  it('a failing JSON patch test is 422 and changes nothing', async () => {
    const c = await call(s, 'POST', SERVICES, svc('jt'));
    const r = await call(s, 'PATCH', `${SERVICES}/jt`, [{ op: 'test', path: '/metadata/resourceVersion', value: '1' }, { op: 'add', path: '/metadata/labels', value: { x: 'y' } }], JSONP);
    assert.equal(r.status, 422);
    assert.equal(get(r.body, 'reason'), 'Invalid');
    const now = await call(s, 'GET', `${SERVICES}/jt`);
    assert.equal(get(now.body, 'metadata', 'resourceVersion'), get(c.body, 'metadata', 'resourceVersion'));
    const ok = await call(s, 'PATCH', `${SERVICES}/jt`, [{ op: 'test', path: '/metadata/resourceVersion', value: get(c.body, 'metadata', 'resourceVersion') ?? null }, { op: 'add', path: '/metadata/labels', value: { x: 'y' } }], JSONP);
    assert.equal(ok.status, 200);
  });

  it('unsupported content types are 415; server-side apply is 415 too', async () => {
    await call(s, 'POST', SERVICES, svc('ct'));
    const r = await call(s, 'PATCH', `${SERVICES}/ct`, { a: 1 }, 'application/json');
    assert.equal(r.status, 415);
    assert.equal(get(r.body, 'reason'), 'UnsupportedMediaType');
    assert.equal((await call(s, 'PATCH', `${SERVICES}/ct`, 'apiVersion: v1', 'application/apply-patch+yaml')).status, 415);
    assert.equal((await call(s, 'POST', SERVICES, 'x', 'application/vnd.kubernetes.protobuf')).status, 415);
  });

  it('patching a missing object is 404', async () => {
    assert.equal((await call(s, 'PATCH', `${SERVICES}/none`, {}, MERGE)).status, 404);
  });
});
