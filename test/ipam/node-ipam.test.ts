import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1EndpointSlice, V1Node } from '@kubernetes/client-node';
import { nodeIpamAddresses } from '../../src/ipam/node-ipam.ts';
import { nodesWithReadyEndpoints } from '../../src/api/nodes.ts';
import type { NodeIpamServiceView } from '../../src/api/service.ts';

const view = (over: Partial<NodeIpamServiceView> = {}): NodeIpamServiceView => ({
  key: 'a/s', namespace: 'a', name: 's', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', externalTrafficPolicy: 'Cluster', nodeSelector: null, ...over,
});
const node = (name: string, addrs: [string, string][], extra: Partial<V1Node> = {}): V1Node => ({
  metadata: { name, labels: {}, ...extra.metadata }, spec: extra.spec, status: { addresses: addrs.map(([type, address]) => ({ type, address })) },
});

describe('nodeIpamAddresses', () => {
  it('sorts numerically and dedupes', () => {
    const r = nodeIpamAddresses(view(), [node('b', [['InternalIP', '192.0.2.10']]), node('a', [['InternalIP', '192.0.2.9']]), node('c', [['InternalIP', '192.0.2.10']])], []);
    assert.deepEqual(r.ips, ['192.0.2.9', '192.0.2.10']);
  });

  it('leaves out excluded, autoscaler-doomed and deleting nodes', () => {
    const r = nodeIpamAddresses(view(), [
      node('ok', [['InternalIP', '192.0.2.1']]),
      node('ex', [['InternalIP', '192.0.2.2']], { metadata: { name: 'ex', labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } } }),
      node('ca', [['InternalIP', '192.0.2.3']], { spec: { taints: [{ key: 'ToBeDeletedByClusterAutoscaler', effect: 'NoSchedule' }] } }),
      node('del', [['InternalIP', '192.0.2.4']], { metadata: { name: 'del', deletionTimestamp: new Date() } }),
    ], []);
    assert.deepEqual(r.ips, ['192.0.2.1']);
  });

  it('per family: ExternalIPs win when any node has one', () => {
    const r = nodeIpamAddresses(view({ ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'] }), [
      node('a', [['InternalIP', '192.0.2.1'], ['InternalIP', '2001:db8::1']]),
      node('b', [['InternalIP', '192.0.2.2'], ['ExternalIP', '203.0.113.2']]),
    ], []);
    assert.deepEqual(r.ips, ['203.0.113.2', '2001:db8::1']);
    assert.equal(r.satisfied, true);
  });

  it('RequireDualStack without both families is DualStackUnsatisfied with no addresses', () => {
    const r = nodeIpamAddresses(view({ ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] }), [node('a', [['InternalIP', '192.0.2.1']])], []);
    assert.equal(r.reason, 'DualStackUnsatisfied');
    assert.deepEqual(r.ips, []);
  });

  it('Local: only nodes with a ready endpoint (nil ready counts as ready)', () => {
    const slices: V1EndpointSlice[] = [{ addressType: 'IPv4', endpoints: [{ addresses: ['198.18.0.1'], nodeName: 'a' }, { addresses: ['198.18.0.2'], nodeName: 'b', conditions: { ready: false } }] }];
    assert.deepEqual([...nodesWithReadyEndpoints(slices)], ['a']);
    const r = nodeIpamAddresses(view({ externalTrafficPolicy: 'Local' }), [node('a', [['InternalIP', '192.0.2.1']]), node('b', [['InternalIP', '192.0.2.2']])], slices);
    assert.deepEqual(r.ips, ['192.0.2.1']);
  });

  it('no eligible node → NoEligibleNodes with advice', () => {
    const r = nodeIpamAddresses(view(), [], []);
    assert.equal(r.reason, 'NoEligibleNodes');
    assert.equal(r.satisfied, false);
  });
});
