import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DevApiServer } from '../../src/devapi/server.ts';
import { call, causeFields, get, startTestServer } from './helpers.ts';

const NS = '/api/v1/namespaces/default';
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
const SLICES = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';
const EVENTS_V1 = '/apis/events.k8s.io/v1/namespaces/default/events';

describe('devapi validation of Lease, EndpointSlice, Endpoints, Event, Node, Secret', () => {
  let s: DevApiServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('Lease: spec field types and ranges; MicroTime needs six fraction digits (issue #8, difference 6)', async () => {
    const typed = await call(s, 'POST', LEASES, { metadata: { name: 'l' }, spec: { leaseDurationSeconds: '15' } });
    assert.equal(typed.status, 400);
    const range = await call(s, 'POST', LEASES, { metadata: { name: 'l' }, spec: { leaseDurationSeconds: 0, leaseTransitions: -1 } });
    assert.equal(range.status, 422);
    assert.deepEqual(causeFields(range.body), ['spec.leaseDurationSeconds', 'spec.leaseTransitions']);
    const badTime = await call(s, 'POST', LEASES, { metadata: { name: 'l' }, spec: { renewTime: 'soon' } });
    assert.equal(badTime.status, 400);
    // Go's time.Parse with the fixed layout RFC3339Micro: no fraction, or three digits, is a decode error.
    const seconds = await call(s, 'POST', LEASES, { metadata: { name: 'l' }, spec: { acquireTime: '2024-01-01T00:00:00Z' } });
    assert.equal(seconds.status, 400);
    assert.equal(get(seconds.body, 'message'), 'Lease in version "v1" cannot be handled as a Lease: parsing time "2024-01-01T00:00:00Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"');
    const ok = await call(s, 'POST', LEASES, { metadata: { name: 'l' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: '2024-01-01T01:00:00.000000+01:00' } });
    assert.equal(get(ok.body, 'spec', 'acquireTime'), '2024-01-01T00:00:00.000000Z');
  });

  it('EndpointSlice: addressType required and an enum; addresses checked per type', async () => {
    const none = await call(s, 'POST', SLICES, { metadata: { name: 'e1' }, endpoints: [] });
    assert.equal(none.status, 422);
    assert.equal(get(none.body, 'message'), 'EndpointSlice.discovery.k8s.io "e1" is invalid: addressType: Required value');
    const bad = await call(s, 'POST', SLICES, { metadata: { name: 'e1' }, addressType: 'IPv5' });
    assert.equal(get(bad.body, 'details', 'causes', 0, 'reason'), 'FieldValueNotSupported');
    const addrs = await call(s, 'POST', SLICES, {
      metadata: { name: 'e1' },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['2001:db8::1'] }, { addresses: [] }, { addresses: ['127.0.0.1'] }],
      ports: [{ port: 70000 }],
    });
    assert.deepEqual(causeFields(addrs.body), ['endpoints[0].addresses[0]', 'endpoints[1].addresses', 'endpoints[2].addresses[0]', 'ports[0].port']);
    const ok = await call(s, 'POST', SLICES, { metadata: { name: 'e1', labels: { 'kubernetes.io/service-name': 'x' } }, addressType: 'IPv4', endpoints: [{ addresses: ['192.0.2.1'], conditions: { ready: true } }], ports: [{ port: 80 }] });
    assert.equal(ok.status, 201);
    assert.equal(get(ok.body, 'ports', 0, 'protocol'), 'TCP');
    const change = await call(s, 'PATCH', `${SLICES}/e1`, { addressType: 'IPv6', endpoints: [{ addresses: ['2001:db8::1'] }] }, 'application/merge-patch+json');
    assert.equal(change.status, 422, 'addressType is immutable');
  });

  it('Endpoints: addresses must be real, non-special IPs', async () => {
    const r = await call(s, 'POST', `${NS}/endpoints`, { metadata: { name: 'ep' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }, { ip: 'x' }], ports: [{ port: 80 }] }] });
    assert.equal(r.status, 422);
    assert.deepEqual(causeFields(r.body), ['subsets[0].addresses[0].ip', 'subsets[0].addresses[1].ip']);
  });

  it('events.k8s.io/v1 Events need the new-style fields and are visible as core/v1 Events', async () => {
    const bad = await call(s, 'POST', EVENTS_V1, { metadata: { name: 'ev1' }, regarding: { kind: 'Service', namespace: 'default', name: 'x' } });
    assert.equal(bad.status, 422);
    assert.deepEqual(causeFields(bad.body), ['eventTime', 'type']);
    const ok = await call(s, 'POST', EVENTS_V1, {
      metadata: { name: 'ev1' },
      eventTime: '2024-01-01T00:00:00.500000Z',
      reportingController: 'herald.dev/controller',
      reportingInstance: 'c-0',
      action: 'Allocate',
      reason: 'IPAllocated',
      type: 'Warning',
      note: 'n',
      regarding: { kind: 'Service', namespace: 'default', name: 'x' },
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const core = await call(s, 'GET', `${NS}/events?fieldSelector=involvedObject.name%3Dx,reason%3DIPAllocated`);
    assert.equal(get(core.body, 'items', 0, 'message'), 'n');
    assert.equal(get(core.body, 'items', 0, 'reportingComponent'), 'herald.dev/controller');
    const mismatch = await call(s, 'POST', `${NS}/events`, { metadata: { name: 'ev2' }, involvedObject: { namespace: 'kube-system', name: 'x' } });
    assert.equal(mismatch.status, 422);
    assert.equal(get(mismatch.body, 'details', 'causes', 0, 'field'), 'involvedObject.namespace');
  });

  it('Node: status given on create is kept; taints and podCIDRs are validated', async () => {
    const n = await call(s, 'POST', '/api/v1/nodes', { metadata: { name: 'node-a' }, status: { addresses: [{ type: 'InternalIP', address: '192.0.2.30' }] } });
    assert.equal(n.status, 201);
    assert.equal(get(n.body, 'status', 'addresses', 0, 'address'), '192.0.2.30');
    const bad = await call(s, 'POST', '/api/v1/nodes', { metadata: { name: 'node-b' }, spec: { podCIDRs: ['10.0.0.0/99'], taints: [{ key: 'k', effect: 'Sometimes' }] } });
    assert.deepEqual(causeFields(bad.body), ['spec.podCIDRs[0]', 'spec.taints[0].effect']);
    const smp = await call(s, 'PATCH', '/api/v1/nodes/node-a/status', { status: { addresses: [{ type: 'Hostname', address: 'node-a' }] } }, 'application/strategic-merge-patch+json');
    assert.deepEqual(get(smp.body, 'status', 'addresses'), [{ type: 'InternalIP', address: '192.0.2.30' }, { type: 'Hostname', address: 'node-a' }], 'addresses merge by type');
  });

  it('Secret: stringData becomes base64 data; type defaults to Opaque and is immutable', async () => {
    const r = await call(s, 'POST', `${NS}/secrets`, { metadata: { name: 'sec' }, stringData: { password: 'hunter2' } });
    assert.equal(r.status, 201);
    assert.deepEqual(get(r.body, 'data'), { password: Buffer.from('hunter2').toString('base64') });
    assert.equal(get(r.body, 'stringData'), undefined);
    assert.equal(get(r.body, 'type'), 'Opaque');
    const t = await call(s, 'PATCH', `${NS}/secrets/sec`, { type: 'kubernetes.io/tls' }, 'application/merge-patch+json');
    assert.equal(t.status, 422);
    const notB64 = await call(s, 'POST', `${NS}/secrets`, { metadata: { name: 'sec2' }, data: { k: 'not base64!' } });
    assert.equal(notB64.status, 400);
  });
});
