// Cluster IPs and node ports come from an index kept from the store's events (service-usage.ts):
// regression for the stand-in's Service create being O(n) in the stored Services (every write
// scanned and re-parsed all of them), which made bench set-ups of thousands of Services quadratic.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DevApiServer } from '../../src/devapi/server.ts';
import { call, get, SERVICES, startTestServer, svc } from './helpers.ts';

describe('devapi Service allocation index', () => {
  let s: DevApiServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  const create = async (name: string, spec: Record<string, string | boolean> = {}) => {
    const r = await call(s, 'POST', SERVICES, svc(name, { type: 'LoadBalancer', ipFamilyPolicy: 'PreferDualStack', ...spec }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return { ips: get(r.body, 'spec', 'clusterIPs') as string[], port: Number(get(r.body, 'spec', 'ports', 0, 'nodePort')) };
  };

  it('regression: quadratic Service create — 300 Services get distinct addresses and ports; a freed one is given again, lowest first', async () => {
    const got = [];
    for (let i = 0; i < 300; i++) got.push(await create(`u-${i}`));
    const v4 = new Set(got.map((g) => g.ips[0]));
    const v6 = new Set(got.map((g) => g.ips[1]));
    const ports = new Set(got.map((g) => g.port));
    assert.deepEqual([v4.size, v6.size, ports.size], [300, 300, 300]);
    // Free two in the middle: the next creates get the lower of them first, then the other.
    const [a, b] = [got[120], got[40]];
    assert.ok(a !== undefined && b !== undefined);
    assert.equal((await call(s, 'DELETE', `${SERVICES}/u-120`)).status, 200);
    assert.equal((await call(s, 'DELETE', `${SERVICES}/u-40`)).status, 200);
    const first = await create('again-1');
    const second = await create('again-2');
    assert.deepEqual([first.ips, first.port], [b.ips, b.port]);
    assert.deepEqual([second.ips, second.port], [a.ips, a.port]);
    // And nothing held is given twice: the next one is new.
    const third = await create('again-3');
    assert.ok(!v4.has(third.ips[0]) && !ports.has(third.port));
  });

  it('an update keeps its own addresses and ports; a type change to ClusterIP frees its node port for the next', async () => {
    const one = await create('keep');
    const r = await call(s, 'PATCH', `${SERVICES}/keep`, { metadata: { labels: { x: 'y' } } }, 'application/merge-patch+json');
    assert.equal(r.status, 200);
    assert.deepEqual(get(r.body, 'spec', 'clusterIPs'), one.ips);
    assert.equal(Number(get(r.body, 'spec', 'ports', 0, 'nodePort')), one.port);
    const toCluster = await call(s, 'PATCH', `${SERVICES}/keep`, { spec: { type: 'ClusterIP', externalTrafficPolicy: null, allocateLoadBalancerNodePorts: null } }, 'application/merge-patch+json');
    assert.equal(toCluster.status, 200, JSON.stringify(toCluster.body));
    const next = await create('after-keep');
    assert.equal(next.port, one.port, 'the freed node port is the lowest free one');
  });
});
