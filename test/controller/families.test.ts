// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// ipFamilyPolicy through the real controller.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPool, createService, eventually, getService, ipsOf, lbService, pool, serviceWithReason, startCluster } from './harness.ts';
import type { Cluster } from './harness.ts';

describe('controller: families', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await createPool(c, pool('v4', { blocks: [{ start: '203.0.113.10', stop: '203.0.113.20' }] }));
    await createPool(c, pool('v6', { blocks: [{ cidr: '2001:db8:6::/120' }], serviceSelector: { matchLabels: { v6: 'yes' } } }));
    await c.startController();
  });
  after(async () => c.close());

  it('SingleStack IPv6 takes an IPv6 address', async () => {
    await createService(c, lbService('six', { ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'] }, { labels: { v6: 'yes' } }));
    const s = await serviceWithReason(c, 'six', 'Satisfied');
    assert.deepEqual(ipsOf(s), ['2001:db8:6::']);
  });

  it('RequireDualStack gets one address per family, in ipFamilies order', async () => {
    await createService(c, lbService('both', { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv6', 'IPv4'] }, { labels: { v6: 'yes' } }));
    const s = await serviceWithReason(c, 'both', 'Satisfied');
    const ips = ipsOf(s);
    assert.equal(ips.length, 2);
    assert.ok(ips[0]?.includes(':'));
    assert.ok(!(ips[1] ?? ':').includes(':'));
  });

  it('RequireDualStack without an IPv6 pool is DualStackUnsatisfied and holds nothing', async () => {
    await createService(c, lbService('need-both', { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] }));
    const s = await serviceWithReason(c, 'need-both', 'DualStackUnsatisfied');
    assert.deepEqual(ipsOf(s), []);
  });

  it('PreferDualStack is satisfied with one family, and gets the other once a pool selects it', async () => {
    await createService(c, lbService('prefer', { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'] }));
    const s = await serviceWithReason(c, 'prefer', 'Satisfied');
    assert.equal(ipsOf(s).length, 1);
    await createPool(c, pool('v6-all', { blocks: [{ cidr: '2001:db8:7::/124' }] }));
    const later = await eventually('the second family', async () => {
      const x = await getService(c, 'prefer');
      return ipsOf(x).length === 2 ? x : undefined;
    });
    assert.deepEqual(ipsOf(later)[0], ipsOf(s)[0], 'the IPv4 address did not move');
    assert.ok(ipsOf(later)[1]?.startsWith('2001:db8:7::'));
  });
});
