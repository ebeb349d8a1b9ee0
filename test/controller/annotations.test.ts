// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// --accept-annotations and --default-service-ipam.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conditionOf, createPool, createService, getService, ipsOf, lbService, node, pool, serviceWithReason, startCluster } from './harness.ts';
import type { Cluster } from './harness.ts';

describe('controller: foreign annotations accepted', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await createPool(c, pool('p', { blocks: [{ cidr: '198.51.100.0/28' }] }));
    await c.startController({ acceptAnnotations: new Set(['metallb', 'cilium']) });
  });
  after(async () => c.close());

  it('reads metallb.io/loadBalancerIPs', async () => {
    await createService(c, lbService('mlb', {}, { annotations: { 'metallb.io/loadBalancerIPs': '198.51.100.7' } }));
    assert.deepEqual(ipsOf(await serviceWithReason(c, 'mlb', 'Satisfied')), ['198.51.100.7']);
  });

  it('reads lbipam.cilium.io/ips and sharing keys, and Herald\'s own annotation wins when both are set', async () => {
    await createService(c, lbService('cil', {}, { annotations: { 'lbipam.cilium.io/ips': '198.51.100.8', 'herald.dev/ips': '198.51.100.9' } }));
    assert.deepEqual(ipsOf(await serviceWithReason(c, 'cil', 'Satisfied')), ['198.51.100.9']);
    await createService(c, lbService('c1', { ports: [{ port: 1, protocol: 'TCP' }] }, { annotations: { 'lbipam.cilium.io/sharing-key': 'x' } }));
    await createService(c, lbService('c2', { ports: [{ port: 2, protocol: 'TCP' }] }, { annotations: { 'metallb.io/allow-shared-ip': 'x' } }));
    const a = await serviceWithReason(c, 'c1', 'Satisfied');
    const b = await serviceWithReason(c, 'c2', 'Satisfied');
    assert.deepEqual(ipsOf(a), ipsOf(b));
  });
});

describe('controller: foreign annotations ignored by default, default IPAM modes', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await c.clients.core.createNode({ body: node('n1', [['InternalIP', '192.0.2.31']]) });
    await createPool(c, pool('p', { blocks: [{ cidr: '198.51.100.0/28' }] }));
  });
  after(async () => c.close());

  it('without --accept-annotations a MetalLB annotation is not read', async () => {
    const ctl = await c.startController();
    await createService(c, lbService('mlb', {}, { annotations: { 'metallb.io/loadBalancerIPs': '198.51.100.7' } }));
    assert.deepEqual(ipsOf(await serviceWithReason(c, 'mlb', 'Satisfied')), ['198.51.100.0']);
    await ctl.stop();
  });

  it('--default-service-ipam=node-ipam gives class-less Services node addresses', async () => {
    const ctl = await c.startController({ defaultServiceIpam: 'node-ipam' });
    await createService(c, lbService('classless'));
    assert.deepEqual(ipsOf(await serviceWithReason(c, 'classless', 'Satisfied')), ['192.0.2.31']);
    await ctl.stop();
  });

  it('--default-service-ipam=none leaves class-less Services alone', async () => {
    const ctl = await c.startController({ defaultServiceIpam: 'none' });
    await createService(c, lbService('ignored'));
    await createService(c, lbService('classed', { loadBalancerClass: 'herald.dev/l2' }));
    await serviceWithReason(c, 'classed', 'Satisfied');
    assert.equal(conditionOf(await getService(c, 'ignored')), undefined);
    await ctl.stop();
  });
});
