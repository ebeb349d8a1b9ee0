// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// Addresses come back: a deleted Service frees its address (pool status and the next Service see
// it), and a Service that became another controller's loses what Herald wrote on it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Service } from '@kubernetes/client-node';
import { conditionOf, createPool, createService, eventsFor, eventually, getPool, getService, ipsOf, lbService, patchService, pool, serviceWithReason, startCluster } from './harness.ts';
import type { Cluster } from './harness.ts';

const SMALL = { labels: { pool: 'small' } };

async function ipsUsed(c: Cluster, name: string, want: string): Promise<string> {
  return eventually(`pool ${name} ipsUsed ${want}`, async () => {
    const p = await getPool(c, name);
    return p.status?.ipsUsed === want ? want : undefined;
  });
}

/** PUT the Service as a ClusterIP, dropping the LoadBalancer-only fields as a user would. */
async function makeClusterIP(c: Cluster, s: V1Service): Promise<void> {
  const name = s.metadata?.name ?? '';
  await c.clients.core.replaceNamespacedService({
    name,
    namespace: 'apps',
    body: { ...s, spec: { ...s.spec, type: 'ClusterIP', loadBalancerClass: undefined, externalTrafficPolicy: undefined, allocateLoadBalancerNodePorts: undefined, ports: s.spec?.ports?.map((p) => ({ ...p, nodePort: undefined })) } },
  });
}

describe('controller: a deleted Service frees its address', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await createPool(c, pool('small', { blocks: [{ start: '203.0.113.10', stop: '203.0.113.11' }], serviceSelector: { matchLabels: { pool: 'small' } } }));
    await c.startController();
  });
  after(async () => c.close());

  it('the pool status ipsUsed goes down when a Service is deleted', async () => {
    await createService(c, lbService('a', {}, SMALL));
    await createService(c, lbService('b', {}, SMALL));
    await serviceWithReason(c, 'a', 'Satisfied');
    await serviceWithReason(c, 'b', 'Satisfied');
    await ipsUsed(c, 'small', '2');
    await c.clients.core.deleteNamespacedService({ name: 'b', namespace: 'apps' });
    await ipsUsed(c, 'small', '1');
  });

  it('with the pool full, a waiting Service gets exactly the address a deleted Service had', async () => {
    await createService(c, lbService('b2', {}, SMALL));
    await serviceWithReason(c, 'b2', 'Satisfied');
    await createService(c, lbService('waiting', {}, SMALL));
    await serviceWithReason(c, 'waiting', 'OutOfIPs');
    const freed = ipsOf(await getService(c, 'a'));
    await c.clients.core.deleteNamespacedService({ name: 'a', namespace: 'apps' });
    const w = await serviceWithReason(c, 'waiting', 'Satisfied');
    assert.deepEqual(ipsOf(w), freed);
    await ipsUsed(c, 'small', '2');
  });
});

describe('controller: a Service that becomes another controller\'s', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await createPool(c, pool('p', { blocks: [{ start: '203.0.113.20', stop: '203.0.113.21' }] }));
  });
  after(async () => c.close());

  it('regression: a Service moved to a foreign loadBalancerClass while no controller ran kept Herald\'s stale condition', async () => {
    const first = await c.startController();
    await createService(c, lbService('mover'));
    const before1 = await serviceWithReason(c, 'mover', 'Satisfied');
    const ip = ipsOf(before1)[0] ?? '';
    await first.stop();
    // loadBalancerClass may not change while the type stays LoadBalancer: leave and come back.
    await makeClusterIP(c, before1);
    await patchService(c, 'mover', { spec: { type: 'LoadBalancer', loadBalancerClass: 'example.com/other' } });
    // The API server cleared the ingress on the way through ClusterIP; Herald's condition stayed.
    const moved = await getService(c, 'mover');
    assert.deepEqual(ipsOf(moved), []);
    assert.equal(conditionOf(moved)?.reason, 'Satisfied');
    // The other controller gives it an address of its own before Herald is back.
    await c.clients.core.replaceNamespacedServiceStatus({ name: 'mover', namespace: 'apps', body: { ...moved, status: { ...moved.status, loadBalancer: { ingress: [{ ip: '192.0.2.99', ipMode: 'VIP' }] } } } });
    await c.startController();
    const s = await eventually('Herald\'s condition removed', async () => {
      const x = await getService(c, 'mover');
      return conditionOf(x) === undefined ? x : undefined;
    });
    assert.equal(s.spec?.loadBalancerClass, 'example.com/other');
    assert.deepEqual(ipsOf(s), ['192.0.2.99'], 'the other controller\'s ingress is left alone');
    // The address is free again: a Service asking for exactly it gets it.
    await createService(c, lbService('taker', { loadBalancerIP: ip }));
    assert.deepEqual(ipsOf(await serviceWithReason(c, 'taker', 'Satisfied')), [ip]);
    assert.deepEqual((await eventsFor(c, 'mover')).filter((e) => e.reason === 'AllocationFailed'), []);
  });
});
