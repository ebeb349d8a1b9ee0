import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DevApiServer } from '../../src/devapi/server.ts';
import { call, causeFields, get, SERVICES, startTestServer, svc } from './helpers.ts';

const MERGE = 'application/merge-patch+json';

describe('devapi Service defaulting, allocation and validation', () => {
  let s: DevApiServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('defaults a ClusterIP Service like the real server', async () => {
    const r = await call(s, 'POST', SERVICES, { metadata: { name: 'plain' }, spec: { ports: [{ port: 8080 }] } });
    assert.equal(r.status, 201);
    const spec = r.body['spec'];
    assert.equal(get(spec, 'type'), 'ClusterIP');
    assert.deepEqual(get(spec, 'ports'), [{ port: 8080, protocol: 'TCP', targetPort: 8080 }]);
    assert.equal(get(spec, 'sessionAffinity'), 'None');
    assert.equal(get(spec, 'ipFamilyPolicy'), 'SingleStack');
    assert.deepEqual(get(spec, 'ipFamilies'), ['IPv4']);
    assert.equal(get(spec, 'internalTrafficPolicy'), 'Cluster');
    assert.equal(get(spec, 'externalTrafficPolicy'), undefined);
    assert.match(String(get(spec, 'clusterIP')), /^198\.18\.\d+\.\d+$/);
    assert.deepEqual(get(spec, 'clusterIPs'), [get(spec, 'clusterIP')]);
  });

  it('LoadBalancer Services get node ports, externalTrafficPolicy Cluster, and dual-stack addresses on request', async () => {
    const r = await call(s, 'POST', SERVICES, svc('lb', { type: 'LoadBalancer', ipFamilyPolicy: 'PreferDualStack', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 53, protocol: 'UDP' }] }));
    assert.equal(r.status, 201);
    const spec = r.body['spec'];
    assert.equal(get(spec, 'externalTrafficPolicy'), 'Cluster');
    assert.equal(get(spec, 'allocateLoadBalancerNodePorts'), true);
    assert.deepEqual(get(spec, 'ipFamilies'), ['IPv4', 'IPv6']);
    const ips = get(spec, 'clusterIPs');
    assert.ok(Array.isArray(ips) && ips.length === 2);
    assert.match(String(ips[1]), /^2001:db8:ffff::[0-9a-f]+$/);
    const np0 = Number(get(spec, 'ports', 0, 'nodePort'));
    const np1 = Number(get(spec, 'ports', 1, 'nodePort'));
    assert.ok(np0 >= 30000 && np0 <= 32767 && np1 >= 30000 && np1 <= 32767 && np0 !== np1);
    const v6 = await call(s, 'POST', SERVICES, svc('v6', { ipFamilies: ['IPv6'] }));
    assert.deepEqual(get(v6.body, 'spec', 'ipFamilies'), ['IPv6']);
    const req = await call(s, 'POST', SERVICES, svc('req', { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv6'] }));
    assert.deepEqual(get(req.body, 'spec', 'ipFamilies'), ['IPv6', 'IPv4']);
  });

  it('no node ports when allocateLoadBalancerNodePorts is false; Local gets a healthCheckNodePort', async () => {
    const r = await call(s, 'POST', SERVICES, svc('nonp', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, externalTrafficPolicy: 'Local' }));
    assert.equal(get(r.body, 'spec', 'ports', 0, 'nodePort'), undefined);
    const hc = Number(get(r.body, 'spec', 'healthCheckNodePort'));
    assert.ok(hc >= 30000 && hc <= 32767);
  });

  it('allocations are unique and freed on delete; requested cluster IPs are honoured or refused', async () => {
    const a = await call(s, 'POST', SERVICES, svc('ip-a', { clusterIP: '198.18.200.1' }));
    assert.equal(get(a.body, 'spec', 'clusterIP'), '198.18.200.1');
    const taken = await call(s, 'POST', SERVICES, svc('ip-b', { clusterIP: '198.18.200.1' }));
    assert.equal(taken.status, 422);
    assert.match(String(get(taken.body, 'message')), /provided IP is already allocated/);
    const outside = await call(s, 'POST', SERVICES, svc('ip-c', { clusterIP: '203.0.113.5' }));
    assert.equal(outside.status, 422);
    assert.match(String(get(outside.body, 'message')), /is not in the valid range/);
    await call(s, 'DELETE', `${SERVICES}/ip-a`);
    const again = await call(s, 'POST', SERVICES, svc('ip-d', { clusterIP: '198.18.200.1' }));
    assert.equal(again.status, 201, 'freed by the delete');
  });

  it('validation errors come as 422 with every field path', async () => {
    const r = await call(s, 'POST', SERVICES, svc('bad', { type: 'Fancy', ports: [{ port: 0, protocol: 'FOO' }], ipFamilyPolicy: 'Both', loadBalancerIP: 'nope' }));
    assert.equal(r.status, 422);
    assert.equal(get(r.body, 'reason'), 'Invalid');
    const fields = causeFields(r.body);
    for (const f of ['spec.type', 'spec.ports[0].port', 'spec.ports[0].protocol', 'spec.ipFamilyPolicy', 'spec.loadBalancerIP']) assert.ok(fields.includes(f), f);
    assert.deepEqual(get(r.body, 'details', 'kind'), 'Service');
    const one = await call(s, 'POST', SERVICES, svc('bad1', { ports: [{ port: 0, targetPort: 80 }] }));
    assert.equal(get(one.body, 'message'), 'Service "bad1" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive');
    assert.deepEqual(get(one.body, 'details', 'causes'), [
      { reason: 'FieldValueInvalid', message: 'Invalid value: 0: must be between 1 and 65535, inclusive', field: 'spec.ports[0].port' },
    ]);
    const type = await call(s, 'POST', SERVICES, svc('bad2', { type: 'Fancy' }));
    assert.equal(get(type.body, 'message'), 'Service "bad2" is invalid: spec.type: Unsupported value: "Fancy": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"');
  });

  it('port names are required with several ports and must be unique', async () => {
    const r = await call(s, 'POST', SERVICES, svc('names', { ports: [{ name: 'http', port: 80 }, { port: 81 }, { name: 'http', port: 82 }] }));
    assert.deepEqual(causeFields(r.body), ['spec.ports[1].name', 'spec.ports[2].name']);
    assert.equal(get(r.body, 'details', 'causes', 1, 'reason'), 'FieldValueDuplicate');
  });

  it('ipFamilies: values, count against the policy', async () => {
    const r = await call(s, 'POST', SERVICES, svc('fam', { ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4', 'IPv6'] }));
    assert.equal(r.status, 422);
    assert.equal(get(r.body, 'details', 'causes', 0, 'field'), 'spec.ipFamilyPolicy');
    const bad = await call(s, 'POST', SERVICES, svc('fam2', { ipFamilies: ['IPv5'] }));
    assert.equal(bad.status, 422);
  });

  it('loadBalancerClass only for LoadBalancer and immutable once set', async () => {
    const wrongType = await call(s, 'POST', SERVICES, svc('cls0', { loadBalancerClass: 'herald.dev/lb' }));
    assert.equal(wrongType.status, 422);
    assert.match(String(get(wrongType.body, 'message')), /spec\.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'/);
    await call(s, 'POST', SERVICES, svc('cls', { type: 'LoadBalancer', loadBalancerClass: 'herald.dev/lb' }));
    const change = await call(s, 'PATCH', `${SERVICES}/cls`, { spec: { loadBalancerClass: 'other.dev/lb' } }, MERGE);
    assert.equal(change.status, 422);
    assert.match(String(get(change.body, 'message')), /spec\.loadBalancerClass: Invalid value: "other\.dev\/lb": may not change once set/);
  });

  it('externalTrafficPolicy only for externally reachable Services', async () => {
    const r = await call(s, 'POST', SERVICES, svc('etp', { externalTrafficPolicy: 'Local' }));
    assert.equal(r.status, 422);
    assert.match(String(get(r.body, 'message')), /spec\.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services/);
  });

  it('updates keep allocated values; type change to ClusterIP drops node ports and load-balancer status', async () => {
    const c = await call(s, 'POST', SERVICES, svc('keep', { type: 'LoadBalancer' }));
    await call(s, 'PATCH', `${SERVICES}/keep/status`, { status: { loadBalancer: { ingress: [{ ip: '192.0.2.50' }] } } }, MERGE);
    const put = await call(s, 'PUT', `${SERVICES}/keep`, svc('keep', { type: 'LoadBalancer', sessionAffinity: 'ClientIP' }));
    assert.equal(put.status, 200);
    assert.equal(get(put.body, 'spec', 'clusterIP'), get(c.body, 'spec', 'clusterIP'));
    assert.equal(get(put.body, 'spec', 'ports', 0, 'nodePort'), get(c.body, 'spec', 'ports', 0, 'nodePort'));
    const moveIP = await call(s, 'PATCH', `${SERVICES}/keep`, { spec: { clusterIP: '198.18.250.250', clusterIPs: ['198.18.250.250'] } }, MERGE);
    assert.equal(moveIP.status, 422);
    const toClusterIP = await call(s, 'PATCH', `${SERVICES}/keep`, { spec: { type: 'ClusterIP' } }, MERGE);
    assert.equal(toClusterIP.status, 200);
    assert.equal(get(toClusterIP.body, 'spec', 'ports', 0, 'nodePort'), undefined);
    assert.deepEqual(get(toClusterIP.body, 'status', 'loadBalancer'), {});
  });

  it('status: ingress IPs must be IPs, ingress only for LoadBalancer, conditions validated', async () => {
    await call(s, 'POST', SERVICES, svc('sts', { type: 'LoadBalancer' }));
    const bad = await call(s, 'PATCH', `${SERVICES}/sts/status`, { status: { loadBalancer: { ingress: [{ ip: 'x' }] } } }, MERGE);
    assert.equal(bad.status, 422);
    assert.equal(get(bad.body, 'details', 'causes', 0, 'field'), 'status.loadBalancer.ingress[0].ip');
    const cond = await call(
      s,
      'PATCH',
      `${SERVICES}/sts/status`,
      { status: { conditions: [{ type: 'herald.dev/IPAMRequestSatisfied', status: 'Maybe', reason: 'bad reason', lastTransitionTime: '2024-01-01T00:00:00Z', message: '' }] } },
      MERGE,
    );
    assert.equal(cond.status, 422);
    assert.deepEqual(causeFields(cond.body), ['status.conditions[0].status', 'status.conditions[0].reason']);
    const good = await call(
      s,
      'PATCH',
      `${SERVICES}/sts/status`,
      { status: { conditions: [{ type: 'herald.dev/IPAMRequestSatisfied', status: 'True', reason: 'Satisfied', lastTransitionTime: '2024-01-01T00:00:00.123Z', message: 'ok' }] } },
      MERGE,
    );
    assert.equal(good.status, 200);
    assert.equal(get(good.body, 'status', 'conditions', 0, 'lastTransitionTime'), '2024-01-01T00:00:00Z', 'metav1.Time has second precision');
    await call(s, 'POST', SERVICES, svc('cip'));
    const notLb = await call(s, 'PATCH', `${SERVICES}/cip/status`, { status: { loadBalancer: { ingress: [{ ip: '192.0.2.9' }] } } }, MERGE);
    assert.equal(notLb.status, 422);
  });
});
