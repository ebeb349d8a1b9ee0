// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// The watch's echo of the controller's own status writes is not decided again (issue #10): after
// a cold start over 10,000 Services it was a second pass over every one of them, deciding nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { createPool, createService, eventually, getService, ipsOf, lbService, pool, serviceWithReason, startCluster } from './harness.ts';
import type { Cluster } from './harness.ts';
import type { RunningController } from '../../src/controller/command.ts';

async function decided(c: RunningController): Promise<number> {
  return (await c.metrics.servicesDecided.get()).values[0]?.value ?? 0;
}

/** The count once it has not moved for a second. */
async function settled(c: RunningController): Promise<number> {
  let last = -1;
  return eventually('the decided count to settle', async () => {
    const now = await decided(c);
    if (now === last) return now;
    last = now;
    await new Promise((r) => setTimeout(r, 1_000));
    return undefined;
  }, 30_000);
}

describe('controller: its own status writes coming back', () => {
  let c: Cluster;
  let ctl: RunningController;
  before(async () => {
    c = await startCluster();
    await createPool(c, pool('echo', { blocks: [{ cidr: '198.51.100.64/27' }] }));
    ctl = await c.startController();
    await eventually('the controller to sync', async () => (ctl.controller()?.ready === true ? true : undefined));
  });
  after(async () => c.close());

  it('ten new Services are decided ten times, not twenty (each write\'s watch event is known as ours)', async () => {
    const start = await settled(ctl);
    for (let i = 0; i < 10; i++) await createService(c, lbService(`echo-${i}`));
    for (let i = 0; i < 10; i++) await serviceWithReason(c, `echo-${i}`, 'Satisfied');
    assert.equal((await settled(ctl)) - start, 10);
  });

  it('a status write by someone else is decided, and Herald\'s answer written back', async () => {
    const before1 = ipsOf(await getService(c, 'echo-4'));
    assert.equal(before1.length, 1);
    const start = await settled(ctl);
    // Another writer of the status subresource (a user's `kubectl edit --subresource=status`).
    await c.clients.core.patchNamespacedServiceStatus({ name: 'echo-4', namespace: 'apps', body: { status: { loadBalancer: { ingress: [] } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await eventually('echo-4 to get its address back', async () => {
      const ips = ipsOf(await getService(c, 'echo-4'));
      return ips.length === 1 ? ips : undefined;
    }).then((ips) => assert.deepEqual(ips, before1));
    assert.equal((await settled(ctl)) - start, 1, 'decided once: the foreign write; Herald\'s own write back is its echo');
  });
});
