// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// Restarts, leader election and API-server faults: a restart never moves an address.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { standInOnly } from '../support/api-suite.ts';
import { createPool, createService, eventually, getService, ipsOf, lbService, pool, serviceWithReason, startCluster } from './harness.ts';
import type { Cluster } from './harness.ts';

async function allIPs(c: Cluster): Promise<Map<string, string[]>> {
  const list = await c.clients.core.listNamespacedService({ namespace: 'apps' });
  return new Map(list.items.map((s) => [s.metadata?.name ?? '', ipsOf(s)]));
}

describe('controller: restarts and faults', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await createPool(c, pool('p', { blocks: [{ cidr: '198.51.100.0/27' }] }));
  });
  after(async () => c.close());

  it('a new controller imports existing addresses instead of reshuffling (older Services keep theirs)', async () => {
    const first = await c.startController();
    for (let i = 0; i < 10; i++) await createService(c, lbService(`s${i}`));
    for (let i = 0; i < 10; i++) await serviceWithReason(c, `s${i}`, 'Satisfied');
    const before1 = await allIPs(c);
    await first.stop();
    // While no controller runs: one Service goes away and a new one comes; the new one must not
    // get an address that another Service still holds.
    await c.clients.core.deleteNamespacedService({ name: 's0', namespace: 'apps' });
    await createService(c, lbService('newcomer'));
    await c.startController();
    const n = await serviceWithReason(c, 'newcomer', 'Satisfied');
    const after1 = await allIPs(c);
    for (let i = 1; i < 10; i++) assert.deepEqual(after1.get(`s${i}`), before1.get(`s${i}`), `s${i} kept its address`);
    const others = [...after1].filter(([k]) => k !== 'newcomer').flatMap(([, v]) => v);
    assert.ok(!others.includes(ipsOf(n)[0] ?? ''), 'the newcomer got a free address');
  });

  it('a standby replica takes over when the leader stops, and moves nothing', async () => {
    const standby = await c.startController();
    const leader = c.controllers.find((x) => x.elector.leading);
    assert.ok(leader !== undefined && leader !== standby);
    const before1 = await allIPs(c);
    await leader.stop();
    await eventually('standby to lead', async () => (standby.elector.leading ? true : undefined));
    await createService(c, lbService('after-failover'));
    await serviceWithReason(c, 'after-failover', 'Satisfied');
    const after1 = await allIPs(c);
    for (const [k, v] of before1) assert.deepEqual(after1.get(k), v);
  });

  it('recovers from failed requests and dropped watches', standInOnly('fault hooks failNext and closeWatches'), async () => {
    const faults = c.suite.cp.dev?.faults;
    assert.ok(faults !== undefined);
    await createService(c, lbService('through-500s'));
    // The controller's writes (and the test's own polls) now meet 500s and must retry.
    faults.failNext(5, 500);
    await serviceWithReason(c, 'through-500s', 'Satisfied');
    faults.closeWatches();
    await createService(c, lbService('after-watch-drop'));
    await serviceWithReason(c, 'after-watch-drop', 'Satisfied');
    const ips = [...(await allIPs(c)).values()].flat();
    assert.equal(new Set(ips).size, ips.length, 'no address given twice');
  });

  it('recovers after the API server was unreachable (its watches dropped)', async () => {
    // The stand-in drops every connection for 1.5 s; a real kube-apiserver is stopped and started.
    await c.suite.outage(1_500);
    await createService(c, lbService('after-partition'));
    const s = await serviceWithReason(c, 'after-partition', 'Satisfied');
    assert.equal(ipsOf(s).length, 1);
    assert.ok(await getService(c, 's1'));
  });
});
