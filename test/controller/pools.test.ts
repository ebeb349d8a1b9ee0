// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// Pool lifecycle through the real controller: disabled, conflicts, invalid blocks, shrink, widen, selector edits.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conditionOf, createPool, createService, eventsFor, eventually, getPool, getService, ipsOf, lbService, patchPool, pool, serviceWithReason, startCluster } from './harness.ts';
import type { Cluster } from './harness.ts';

describe('controller: pools', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await c.startController();
  });
  after(async () => c.close());

  it('with no pool at all the Service is NoPool, and gets an address once a pool appears', async () => {
    await createService(c, lbService('early'));
    await serviceWithReason(c, 'early', 'NoPool');
    await createPool(c, pool('a', { blocks: [{ cidr: '198.51.100.0/29' }] }));
    const s = await serviceWithReason(c, 'early', 'Satisfied');
    assert.deepEqual(ipsOf(s), ['198.51.100.0']);
  });

  it('the special selector keys cannot be faked by labels; a disabled pool gives nothing and says so', async () => {
    await createPool(c, pool('only-x', { blocks: [{ cidr: '198.51.100.64/29' }], serviceSelector: { matchLabels: { 'io.kubernetes.service.name': 'x' } } }));
    await patchPool(c, 'a', { spec: { disabled: true } });
    await createService(c, lbService('faker', {}, { labels: { 'io.kubernetes.service.name': 'x' } }));
    // Only "a" selects it, and "a" is disabled.
    const s = await serviceWithReason(c, 'faker', 'NoPool');
    assert.match(conditionOf(s)?.message ?? '', /"a" is disabled/);
    assert.deepEqual(ipsOf(s), []);
    await createService(c, lbService('x'));
    const x = await serviceWithReason(c, 'x', 'Satisfied');
    assert.deepEqual(ipsOf(x), ['198.51.100.64']);
  });

  it('a disabled pool keeps what it gave and gives nothing new', async () => {
    assert.deepEqual(ipsOf(await getService(c, 'early')), ['198.51.100.0']);
    await patchPool(c, 'a', { spec: { disabled: false } });
    await serviceWithReason(c, 'faker', 'Satisfied');
  });

  it('a newer overlapping pool is Conflict and allocates nothing; deleting the older one clears it', async () => {
    await createPool(c, pool('z-overlap', { blocks: [{ cidr: '198.51.100.4/30' }] }));
    const p = await eventually('Conflict=True', async () => {
      const x = await getPool(c, 'z-overlap');
      return x.status?.conditions?.some((k) => k.type === 'Conflict' && k.status === 'True') ? x : undefined;
    });
    const msg = p.status?.conditions?.find((k) => k.type === 'Conflict')?.message ?? '';
    assert.match(msg, /"a"/);
    assert.match(msg, /198\.51\.100\.4/);
    assert.equal((await getPool(c, 'a')).status?.conditions?.find((k) => k.type === 'Conflict')?.status, 'False');
  });

  it('an invalid block makes the pool Valid=False with the reason, and other pools keep working', async () => {
    await createPool(c, pool('bad', { blocks: [{ cidr: '203.0.113.1/24' }] }));
    const p = await eventually('Valid=False', async () => {
      const x = await getPool(c, 'bad');
      return x.status?.conditions?.some((k) => k.type === 'Valid' && k.status === 'False') ? x : undefined;
    });
    assert.match(p.status?.conditions?.find((k) => k.type === 'Valid')?.message ?? '', /203\.0\.113\.1\/24/);
    await createService(c, lbService('unharmed'));
    await serviceWithReason(c, 'unharmed', 'Satisfied');
  });

  it('the schema rejects a malformed pool with 422 and field paths', async () => {
    await assert.rejects(createPool(c, pool('typo', { blocks: [{ cidr: 'banana' }] })), (err: unknown) => typeof err === 'object' && err !== null && 'code' in err && err.code === 422);
    await assert.rejects(createPool(c, pool('empty', { blocks: [] })), (err: unknown) => typeof err === 'object' && err !== null && 'code' in err && err.code === 422);
  });
});

describe('controller: pool edits', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await c.startController();
  });
  after(async () => c.close());

  it('widening a pool moves nothing; shrinking moves only the Services whose addresses left, with an Event', async () => {
    await createPool(c, pool('shrinky', { blocks: [{ start: '203.0.113.100', stop: '203.0.113.101' }], serviceSelector: { matchLabels: { pool: 'shrinky' } } }));
    await createService(c, lbService('s1', {}, { labels: { pool: 'shrinky' } }));
    await createService(c, lbService('s2', {}, { labels: { pool: 'shrinky' } }));
    const before1 = ipsOf(await serviceWithReason(c, 's1', 'Satisfied'));
    const before2 = ipsOf(await serviceWithReason(c, 's2', 'Satisfied'));
    await patchPool(c, 'shrinky', { spec: { blocks: [{ start: '203.0.113.99', stop: '203.0.113.110' }] } });
    await eventually('pool widened', async () => ((await getPool(c, 'shrinky')).status?.ipsTotal === '12' ? true : undefined));
    assert.deepEqual(ipsOf(await getService(c, 's1')), before1);
    assert.deepEqual(ipsOf(await getService(c, 's2')), before2);
    // Shrink to everything but s2's address.
    const keep = before1[0] ?? '';
    await patchPool(c, 'shrinky', { spec: { blocks: [{ start: keep }, { start: '203.0.113.105', stop: '203.0.113.106' }] } });
    const moved = await eventually('s2 moved', async () => {
      const s = await getService(c, 's2');
      return ipsOf(s)[0] === '203.0.113.105' ? s : undefined;
    });
    assert.deepEqual(ipsOf(moved), ['203.0.113.105']);
    assert.deepEqual(ipsOf(await getService(c, 's1')), before1);
    const ev = await eventually('IPReleased event', async () => {
      const e = await eventsFor(c, 's2');
      return e.find((x) => x.reason === 'IPReleased');
    });
    assert.match(ev.message ?? '', new RegExp(before2[0]?.replaceAll('.', '\\.') ?? 'x'));
  });

  it('changing a pool selector moves nothing', async () => {
    const before1 = ipsOf(await getService(c, 's1'));
    await patchPool(c, 'shrinky', { spec: { serviceSelector: { matchLabels: { pool: 'elsewhere' } } } });
    // The pool status carries the generation the controller acted on.
    await eventually('the selector edit to be observed', async () => {
      const p = await getPool(c, 'shrinky');
      return p.status?.observedGeneration === p.metadata.generation ? true : undefined;
    });
    assert.deepEqual(ipsOf(await getService(c, 's1')), before1);
  });
});
