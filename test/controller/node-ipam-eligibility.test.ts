// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// Node IPAM leaves out nodes the cluster autoscaler is removing (taint
// ToBeDeletedByClusterAutoscaler) and nodes being deleted (deletionTimestamp set; a finalizer keeps
// such a Node in the API server meanwhile, as on a real cluster).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { V1Node } from '@kubernetes/client-node';
import { conditionOf, createService, eventually, getService, ipsOf, lbService, node, serviceWithReason, startCluster } from './harness.ts';
import type { Cluster } from './harness.ts';

const NODE_IPAM = { loadBalancerClass: 'herald.dev/node-ipam' };
const TAINT = { key: 'ToBeDeletedByClusterAutoscaler', value: '1764590000', effect: 'NoSchedule' };
const FINALIZER = 'example.com/drain';

async function patchNode(c: Cluster, name: string, body: object): Promise<void> {
  await c.clients.core.patchNode({ name, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

/** Waits until the Service's ingress is exactly `want` (throws with the last value seen). */
async function waitForIPs(c: Cluster, name: string, want: string[]): Promise<void> {
  let seen: string[] = [];
  try {
    await eventually(`${name} to have ${want.join(',')}`, async () => {
      seen = ipsOf(await getService(c, name));
      return JSON.stringify(seen) === JSON.stringify(want) ? true : undefined;
    });
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}; last seen ${seen.join(',')}`);
  }
}

describe('controller: node IPAM eligibility (autoscaler taint, deletion)', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await c.clients.core.createNode({ body: node('a', [['InternalIP', '192.0.2.21']]) });
    await c.clients.core.createNode({ body: node('b', [['InternalIP', '192.0.2.22']]) });
    const tainted: V1Node = { ...node('c', [['InternalIP', '192.0.2.23']]), spec: { taints: [TAINT] } };
    await c.clients.core.createNode({ body: tainted });
    const held = node('d', [['InternalIP', '192.0.2.24']]);
    await c.clients.core.createNode({ body: { ...held, metadata: { ...held.metadata, finalizers: [FINALIZER] } } });
    await c.startController();
  });
  after(async () => {
    // Let the held Node go so nothing lingers (the server is closed right after anyway).
    await patchNode(c, 'd', { metadata: { finalizers: null } }).catch(() => undefined);
    await c.close();
  });

  it('a node tainted ToBeDeletedByClusterAutoscaler is left out from the start', async () => {
    await createService(c, lbService('nodes', NODE_IPAM));
    const s = await serviceWithReason(c, 'nodes', 'Satisfied');
    assert.deepEqual(ipsOf(s), ['192.0.2.21', '192.0.2.22', '192.0.2.24']);
  });

  it('a node that gets the taint later drops out', async () => {
    await patchNode(c, 'b', { spec: { taints: [TAINT] } });
    await waitForIPs(c, 'nodes', ['192.0.2.21', '192.0.2.24']);
  });

  it('a node being deleted (deletionTimestamp, held by a finalizer) drops out', async () => {
    await c.clients.core.deleteNode({ name: 'd' });
    const d = await c.clients.core.readNode({ name: 'd' });
    assert.ok(d.metadata?.deletionTimestamp !== undefined, 'the Node is still there, being deleted');
    await waitForIPs(c, 'nodes', ['192.0.2.21']);
  });

  it('a node whose taint is removed comes back', async () => {
    await patchNode(c, 'c', { spec: { taints: null } });
    await waitForIPs(c, 'nodes', ['192.0.2.21', '192.0.2.23']);
    const s = await serviceWithReason(c, 'nodes', 'Satisfied');
    assert.match(conditionOf(s)?.message ?? '', /using addresses of 2 eligible nodes/);
  });
});
