// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// Node IPAM (class herald.dev/node-ipam) through the real controller.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createService, eventually, getService, ipsOf, lbService, node, serviceWithReason, startCluster } from './harness.ts';
import type { Cluster } from './harness.ts';

const NODE_IPAM = { loadBalancerClass: 'herald.dev/node-ipam' };

describe('controller: node IPAM', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await c.clients.core.createNode({ body: node('n1', [['InternalIP', '192.0.2.21'], ['InternalIP', '2001:db8::21']], { zone: 'a' }) });
    await c.clients.core.createNode({ body: node('n2', [['InternalIP', '192.0.2.22']], { zone: 'b' }) });
    await c.clients.core.createNode({ body: node('n3', [['InternalIP', '192.0.2.23']], { 'node.kubernetes.io/exclude-from-external-load-balancers': 'true' }) });
    await c.startController();
  });
  after(async () => c.close());

  it('uses the InternalIPs of eligible nodes, sorted, leaving out excluded nodes', async () => {
    await createService(c, lbService('nodes', NODE_IPAM));
    const s = await serviceWithReason(c, 'nodes', 'Satisfied');
    assert.deepEqual(ipsOf(s), ['192.0.2.21', '192.0.2.22']);
  });

  it('prefers ExternalIPs when a node has one', async () => {
    const n2 = await c.clients.core.readNodeStatus({ name: 'n2' });
    await c.clients.core.replaceNodeStatus({ name: 'n2', body: { ...n2, status: { ...n2.status, addresses: [...(n2.status?.addresses ?? []), { type: 'ExternalIP', address: '203.0.113.22' }] } } });
    const s = await eventually('ExternalIP used', async () => {
      const x = await getService(c, 'nodes');
      return ipsOf(x)[0] === '203.0.113.22' ? x : undefined;
    });
    assert.deepEqual(ipsOf(s), ['203.0.113.22']);
  });

  it('narrows nodes with herald.dev/node-ipam-match-labels', async () => {
    await createService(c, lbService('zone-a', NODE_IPAM, { annotations: { 'herald.dev/node-ipam-match-labels': 'zone=a' } }));
    const s = await serviceWithReason(c, 'zone-a', 'Satisfied');
    assert.deepEqual(ipsOf(s), ['192.0.2.21']);
  });

  it('RequireDualStack gets both families from node addresses', async () => {
    await createService(c, lbService('dual', { ...NODE_IPAM, ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] }, { annotations: { 'herald.dev/node-ipam-match-labels': 'zone=a' } }));
    const s = await serviceWithReason(c, 'dual', 'Satisfied');
    assert.deepEqual(ipsOf(s), ['192.0.2.21', '2001:db8::21']);
  });

  it('externalTrafficPolicy: Local uses only nodes with a ready endpoint', async () => {
    await createService(c, lbService('local', { ...NODE_IPAM, externalTrafficPolicy: 'Local' }));
    await serviceWithReason(c, 'local', 'NoEligibleNodes');
    await c.clients.discovery.createNamespacedEndpointSlice({
      namespace: 'apps',
      body: {
        metadata: { name: 'local-1', namespace: 'apps', labels: { 'kubernetes.io/service-name': 'local' } },
        addressType: 'IPv4',
        endpoints: [
          { addresses: ['198.18.0.5'], nodeName: 'n1', conditions: { ready: true } },
          { addresses: ['198.18.0.6'], nodeName: 'n2', conditions: { ready: false } },
        ],
        ports: [{ port: 80, protocol: 'TCP' }],
      },
    });
    const s = await serviceWithReason(c, 'local', 'Satisfied');
    assert.deepEqual(ipsOf(s), ['192.0.2.21']);
  });

  it('a node labelled exclude-from-external-load-balancers later drops out', async () => {
    const n1 = await c.clients.core.readNode({ name: 'n1' });
    await c.clients.core.replaceNode({ name: 'n1', body: { ...n1, metadata: { ...n1.metadata, labels: { ...n1.metadata?.labels, 'node.kubernetes.io/exclude-from-external-load-balancers': '' } } } });
    const s = await eventually('n1 dropped', async () => {
      const x = await getService(c, 'nodes');
      return ipsOf(x).includes('192.0.2.21') ? undefined : x;
    });
    assert.deepEqual(ipsOf(s), ['203.0.113.22']);
  });
});
