// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// --accept-annotations=metallb,cilium: the legacy MetalLB names (metallb.universe.tf/*), Cilium's
// cross-namespace sharing, and Herald's own annotation winning over a foreign one on every kind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPool, createService, getService, ipsOf, lbService, pool, serviceWithReason, startCluster } from './harness.ts';
import type { Cluster } from './harness.ts';

const port = (n: number): { ports: { port: number; protocol: string }[] } => ({ ports: [{ port: n, protocol: 'TCP' }] });

describe('controller: --accept-annotations, the rest of the foreign names', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await c.clients.core.createNamespace({ body: { metadata: { name: 'other' } } });
    await createPool(c, pool('p', { blocks: [{ cidr: '198.51.100.0/27' }] }));
    await c.startController({ acceptAnnotations: new Set(['metallb', 'cilium']) });
  });
  after(async () => c.close());

  it('reads metallb.universe.tf/loadBalancerIPs', async () => {
    await createService(c, lbService('legacy-ips', {}, { annotations: { 'metallb.universe.tf/loadBalancerIPs': '198.51.100.5' } }));
    assert.deepEqual(ipsOf(await serviceWithReason(c, 'legacy-ips', 'Satisfied')), ['198.51.100.5']);
  });

  it('reads metallb.universe.tf/allow-shared-ip as a sharing key', async () => {
    await createService(c, lbService('legacy-1', port(1), { annotations: { 'metallb.universe.tf/allow-shared-ip': 'legacy' } }));
    await createService(c, lbService('legacy-2', port(2), { annotations: { 'metallb.universe.tf/allow-shared-ip': 'legacy' } }));
    const a = await serviceWithReason(c, 'legacy-1', 'Satisfied');
    const b = await serviceWithReason(c, 'legacy-2', 'Satisfied');
    assert.equal(ipsOf(a).length, 1);
    assert.deepEqual(ipsOf(b), ipsOf(a));
  });

  it('reads lbipam.cilium.io/sharing-cross-namespace: sharing across namespaces needs it on both sides', async () => {
    const key = { 'lbipam.cilium.io/sharing-key': 'xns' };
    await createService(c, lbService('x-apps', port(10), { annotations: { ...key, 'lbipam.cilium.io/sharing-cross-namespace': 'other' } }));
    const ip = ipsOf(await serviceWithReason(c, 'x-apps', 'Satisfied'))[0] ?? '';
    // Without the annotation on its own side, the other namespace may not join.
    await createService(c, lbService('x-one-sided', port(11), { namespace: 'other', annotations: { ...key, 'herald.dev/ips': ip } }));
    assert.deepEqual(ipsOf(await serviceWithReason(c, 'x-one-sided', 'IncompatibleSharing', 'other')), []);
    await createService(c, lbService('x-other', port(12), { namespace: 'other', annotations: { ...key, 'lbipam.cilium.io/sharing-cross-namespace': 'apps', 'herald.dev/ips': ip } }));
    assert.deepEqual(ipsOf(await serviceWithReason(c, 'x-other', 'Satisfied', 'other')), [ip]);
  });

  it('Herald\'s herald.dev/ips wins over metallb.universe.tf/loadBalancerIPs', async () => {
    await createService(c, lbService('both-ips', {}, { annotations: { 'herald.dev/ips': '198.51.100.9', 'metallb.universe.tf/loadBalancerIPs': '198.51.100.10' } }));
    assert.deepEqual(ipsOf(await serviceWithReason(c, 'both-ips', 'Satisfied')), ['198.51.100.9']);
  });

  it('Herald\'s herald.dev/sharing-key wins over a MetalLB sharing key', async () => {
    await createService(c, lbService('k-herald', port(20), { annotations: { 'herald.dev/sharing-key': 'h' } }));
    const ip = ipsOf(await serviceWithReason(c, 'k-herald', 'Satisfied'))[0] ?? '';
    // Both keys: it is in group "h", so it shares k-herald's address...
    await createService(c, lbService('k-both', port(21), { annotations: { 'herald.dev/sharing-key': 'h', 'metallb.io/allow-shared-ip': 'm', 'herald.dev/ips': ip } }));
    assert.deepEqual(ipsOf(await serviceWithReason(c, 'k-both', 'Satisfied')), [ip]);
    // ...and a Service keyed "m" only is a stranger to that address.
    await createService(c, lbService('k-metallb', port(22), { annotations: { 'metallb.io/allow-shared-ip': 'm', 'herald.dev/ips': ip } }));
    assert.deepEqual(ipsOf(await serviceWithReason(c, 'k-metallb', 'IncompatibleSharing')), []);
  });

  it('Herald\'s herald.dev/sharing-cross-namespace wins over Cilium\'s', async () => {
    await createService(c, lbService('n-apps', port(30), { annotations: { 'herald.dev/sharing-key': 'n', 'herald.dev/sharing-cross-namespace': 'elsewhere', 'lbipam.cilium.io/sharing-cross-namespace': 'other' } }));
    const ip = ipsOf(await serviceWithReason(c, 'n-apps', 'Satisfied'))[0] ?? '';
    await createService(c, lbService('n-other', port(31), { namespace: 'other', annotations: { 'herald.dev/sharing-key': 'n', 'herald.dev/sharing-cross-namespace': '*', 'herald.dev/ips': ip } }));
    // n-apps allows only "elsewhere" (Herald's annotation), not "other" (Cilium's).
    assert.deepEqual(ipsOf(await serviceWithReason(c, 'n-other', 'IncompatibleSharing', 'other')), []);
    assert.deepEqual(ipsOf(await getService(c, 'n-apps')), [ip], 'the holder keeps its address');
  });
});
