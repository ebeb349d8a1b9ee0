// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// Pool rules through the real controller: a serviceSelector that selects nobody
// (PoolSelectorMismatch) and spec.allowFirstLastIPs: No.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conditionOf, createPool, createService, eventually, getPool, ipsOf, lbService, patchService, pool, serviceWithReason, startCluster } from './harness.ts';
import type { Cluster } from './harness.ts';

describe('controller: PoolSelectorMismatch', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await createPool(c, pool('team-a', { blocks: [{ cidr: '198.51.100.0/29' }], serviceSelector: { matchLabels: { team: 'a' } } }));
    await c.startController();
  });
  after(async () => c.close());

  it('pools exist but none selects the Service: PoolSelectorMismatch naming the pool and what to do', async () => {
    await createService(c, lbService('unselected', {}, { labels: { team: 'b' } }));
    const s = await serviceWithReason(c, 'unselected', 'PoolSelectorMismatch');
    assert.deepEqual(ipsOf(s), []);
    assert.equal(conditionOf(s)?.status, 'False');
    const msg = conditionOf(s)?.message ?? '';
    assert.match(msg, /"team-a"/);
    assert.match(msg, /serviceSelector/);
  });

  it('labelling the Service so that the pool selects it satisfies it', async () => {
    await patchService(c, 'unselected', { metadata: { labels: { team: 'a' } } });
    const s = await serviceWithReason(c, 'unselected', 'Satisfied');
    assert.deepEqual(ipsOf(s), ['198.51.100.0']);
  });
});

describe('controller: allowFirstLastIPs: No', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    // A /30 (4 addresses: ends reserved), a /31 (point-to-point: both usable) and a start/stop
    // block (taken literally), all in one pool that reserves first and last.
    await createPool(c, pool('ends', { allowFirstLastIPs: 'No', blocks: [{ cidr: '198.51.100.0/30' }, { cidr: '198.51.100.8/31' }, { start: '198.51.100.16', stop: '198.51.100.17' }] }));
    await c.startController();
  });
  after(async () => c.close());

  it('hands out every address but the first and last of CIDR blocks with more than 2 addresses', async () => {
    const names = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6'];
    for (const n of names) await createService(c, lbService(n));
    const got: string[] = [];
    for (const n of names) got.push(...ipsOf(await serviceWithReason(c, n, 'Satisfied')));
    assert.deepEqual(got.sort(), ['198.51.100.1', '198.51.100.16', '198.51.100.17', '198.51.100.2', '198.51.100.8', '198.51.100.9']);
    await createService(c, lbService('e7'));
    assert.deepEqual(ipsOf(await serviceWithReason(c, 'e7', 'OutOfIPs')), []);
  });

  it('the pool status counts only usable addresses', async () => {
    const p = await eventually('pool status full', async () => {
      const x = await getPool(c, 'ends');
      return x.status?.ipsAvailable === '0' ? x : undefined;
    });
    assert.equal(p.status?.ipsTotal, '6');
    assert.equal(p.status?.ipsUsed, '6');
  });

  it('a request for a reserved end is RequestedIPUnavailable, naming the address and the rule', async () => {
    await createService(c, lbService('wants-end', {}, { annotations: { 'herald.dev/ips': '198.51.100.3' } }));
    const s = await serviceWithReason(c, 'wants-end', 'RequestedIPUnavailable');
    assert.deepEqual(ipsOf(s), []);
    assert.match(conditionOf(s)?.message ?? '', /198\.51\.100\.3 is the last address of block 198\.51\.100\.0\/30 .*allowFirstLastIPs/);
  });
});
