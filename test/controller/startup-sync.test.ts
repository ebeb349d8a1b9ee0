// Start-up: allocate nothing until pools, Services and Nodes have all synced (STYLE.md lesson 9),
// then import the addresses Services already hold instead of moving them. The Node list is held
// back with the stand-in's targeted fault injection while the other caches sync.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conditionOf, createPool, createService, eventually, getService, ipsOf, lbService, node, pool, serviceWithReason, startCluster } from './harness.ts';
import type { Cluster } from './harness.ts';

const HOLD_NODES = { verb: 'list', resource: 'nodes' } as const;

function statusWrites(c: Cluster): number {
  const k = c.server.counters();
  return (k.update['services/status'] ?? 0) + (k.patch['services/status'] ?? 0);
}

describe('controller: start-up waits for every cache', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    // The node's address is inside the pool: a pass before the Node list arrived would hand it out.
    await c.clients.core.createNode({ body: node('n1', [['InternalIP', '198.51.100.0']]) });
    await createPool(c, pool('p', { blocks: [{ cidr: '198.51.100.0/28' }] }));
    await createService(c, lbService('fresh'));
    // A Service that already holds a valid address from an earlier run (not the lowest free one).
    await createService(c, lbService('kept'));
    const kept = await getService(c, 'kept');
    await c.clients.core.replaceNamespacedServiceStatus({ name: 'kept', namespace: 'apps', body: { ...kept, status: { loadBalancer: { ingress: [{ ip: '198.51.100.7', ipMode: 'VIP' }] } } } });
    c.server.faults.resetCounters();
    c.server.faults.failNext(1_000_000, 500, HOLD_NODES);
  });
  after(async () => {
    c.server.faults.failNext(0, 500, HOLD_NODES);
    await c.close();
  });

  it('writes no Service status while the Node list keeps failing, though Services and pools have synced', async () => {
    const ctl = await c.startController();
    // Evidence that the controller is running and retrying: Services and pools listed, Nodes listed twice (failed).
    await eventually('caches listed and the Node list retried', async () => {
      const k = c.server.counters();
      return (k.list['services'] ?? 0) >= 1 && (k.list['ippools.herald.dev'] ?? 0) >= 1 && (k.list['nodes'] ?? 0) >= 2 ? true : undefined;
    });
    assert.equal(ctl.elector.leading, true);
    assert.equal(ctl.controller()?.ready, false);
    assert.equal(statusWrites(c), 0, 'no status write before the Node cache synced');
    assert.equal(conditionOf(await getService(c, 'fresh')), undefined);
    assert.deepEqual(ipsOf(await getService(c, 'fresh')), []);
  });

  it('once Nodes sync, a new Service gets a free non-node address and the existing one keeps its address', async () => {
    c.server.faults.failNext(0, 500, HOLD_NODES);
    const fresh = await serviceWithReason(c, 'fresh', 'Satisfied');
    // 198.51.100.0 is n1's address, 198.51.100.7 is kept's.
    assert.deepEqual(ipsOf(fresh), ['198.51.100.1']);
    const kept = await serviceWithReason(c, 'kept', 'Satisfied');
    assert.deepEqual(ipsOf(kept), ['198.51.100.7'], 'imported, not moved');
    assert.equal(c.controllers[0]?.controller()?.ready, true);
  });
});
