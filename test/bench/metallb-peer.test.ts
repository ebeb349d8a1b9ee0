// The cold start's peer run gives MetalLB the same address space and the same Services as Herald
// (bench/ipam/metallb-peer.ts), and judges both by what each writes (bench/ipam/observer.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import type { V1Service } from '@kubernetes/client-node';
import { makePools, planService, SHARD_LABEL, SHARDS, verifyServices } from '../../bench/ipam/cluster-load.ts';
import type { PlannedService } from '../../bench/ipam/cluster-load.ts';
import { ANN_METALLB_SHARING, metallbBodies, metallbPools, v6SliceOf } from '../../bench/ipam/metallb-peer.ts';
import { ingressState, ipamState } from '../../bench/ipam/observer.ts';
import { ANN_SHARING_KEY, CONDITION_IPAM } from '../../src/api/names.ts';

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];
const cidr = (text: string): Cidr => ipaddr.parseCIDR(text);
const inside = (inner: Cidr, outer: Cidr): boolean => inner[0].kind() === outer[0].kind() && inner[1] >= outer[1] && inner[0].match(outer);
const overlap = (a: Cidr, b: Cidr): boolean => inside(a, b) || inside(b, a);

/** The Herald pools (makePools) whose selector picks shard s, by family. */
function heraldPoolsFor(shard: number, v4Pools: number, v6Pools: number): { v4: string[]; v6: string[] } {
  const out = { v4: [] as string[], v6: [] as string[] };
  for (const p of makePools(v4Pools, v6Pools)) {
    const sel = p.spec.serviceSelector;
    const picks = sel?.matchLabels?.[SHARD_LABEL] === String(shard) || (sel?.matchExpressions ?? []).some((e) => e.key === SHARD_LABEL && e.operator === 'In' && (e.values ?? []).includes(String(shard)));
    if (!picks) continue;
    for (const b of p.spec.blocks ?? []) if (b.cidr !== undefined) (b.cidr.includes(':') ? out.v6 : out.v4).push(b.cidr);
  }
  return out;
}

test('metallbPools: every shard gets exactly the IPv4 block and a slice of the IPv6 block of the Herald pools that select it, at the defaults', () => {
  const pools = metallbPools(80, 20);
  assert.equal(pools.length, SHARDS);
  for (const [s, pool] of pools.entries()) {
    const spec = pool['spec'] as { addresses: string[]; serviceAllocation: { serviceSelectors: { matchLabels: Record<string, string> }[] } };
    assert.deepEqual(spec.serviceAllocation.serviceSelectors, [{ matchLabels: { [SHARD_LABEL]: String(s) } }]);
    const herald = heraldPoolsFor(s, 80, 20);
    const [v4, v6, ...rest] = spec.addresses;
    assert.deepEqual(rest, []);
    assert.deepEqual([v4], herald.v4, `shard ${s}`);
    assert.equal(herald.v6.length, 1);
    assert.ok(v6 !== undefined && inside(cidr(v6), cidr(herald.v6[0] ?? '')), `shard ${s}: ${v6} inside ${herald.v6[0]}`);
    assert.equal(cidr(v6)[1], 66, 'four shards share a /64: a quarter each');
  }
});

test('v6SliceOf: for any number of IPv6 pools, each shard slice lies in its Herald pool and no two overlap', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: SHARDS }), (v6Pools) => {
      const slices: Cidr[] = [];
      for (let s = 0; s < SHARDS; s++) {
        const slice = v6SliceOf(s, v6Pools);
        const herald = heraldPoolsFor(s, 0, v6Pools).v6;
        if (slice === undefined) {
          assert.deepEqual(herald, [], `shard ${s} has no slice, so no Herald pool may select it`);
          continue;
        }
        assert.equal(herald.length, 1);
        const c = cidr(slice);
        assert.ok(inside(c, cidr(herald[0] ?? '')), `${slice} inside ${herald[0]}`);
        for (const other of slices) assert.ok(!overlap(c, other), `${slice} overlaps ${other[0].toString()}/${other[1]}`);
        slices.push(c);
      }
    }),
  );
});

test('metallbBodies: a sharing pair carries MetalLB\'s key beside Herald\'s; the plan is not changed', () => {
  const plan = new Map<string, PlannedService>();
  for (let i = 0; i < 40; i++) {
    const p = planService(i);
    plan.set(p.key, p);
  }
  const before = JSON.stringify([...plan.values()].map((p) => p.body));
  const bodies = metallbBodies(plan);
  for (const [i, p] of [...plan.values()].entries()) {
    const ann = bodies[i]?.metadata?.annotations;
    if (p.sharingKey === undefined) assert.equal(ann?.[ANN_METALLB_SHARING], undefined);
    else assert.deepEqual(ann, { [ANN_SHARING_KEY]: p.sharingKey, [ANN_METALLB_SHARING]: p.sharingKey });
  }
  assert.ok([...plan.values()].some((p) => p.sharingKey !== undefined), 'the sample has a pair');
  assert.equal(JSON.stringify([...plan.values()].map((p) => p.body)), before);
});

test('ingressState: served once an ingress names an address; ipamState reads only the IPAM condition', () => {
  assert.equal(ingressState(undefined), '(no ingress)');
  assert.equal(ingressState({ loadBalancer: {} }), '(no ingress)');
  assert.equal(ingressState({ loadBalancer: { ingress: [{ hostname: 'x' }] } }), '(no ingress)');
  assert.equal(ingressState({ loadBalancer: { ingress: [{ ip: '198.19.0.1' }] } }), 'True/ingress');
  assert.equal(ipamState({ loadBalancer: { ingress: [{ ip: '198.19.0.1' }] } }), '(no condition)');
  assert.equal(ipamState({ conditions: [{ type: 'Other', status: 'True', reason: 'X' }, { type: CONDITION_IPAM, status: 'False', reason: 'OutOfIPs' }] }), 'False/OutOfIPs');
});

test('verifyServices: a dual-stack Service\'s order is held to its ipFamilies only when asked', () => {
  const planned = [...Array.from({ length: 40 }, (_, i) => planService(i))].find((p) => p.mix === 'PreferDualStack');
  assert.ok(planned !== undefined);
  const plan = new Map([[planned.key, planned]]);
  const served = (ips: string[], withCondition: boolean): V1Service => ({
    ...planned.body,
    status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) }, conditions: withCondition ? [{ type: CONDITION_IPAM, status: 'True', reason: 'Satisfied', lastTransitionTime: new Date(0), message: '' }] : [] },
  });
  const reversed = served(['2001:db8:0:1::1', '198.19.0.1'], true);
  assert.deepEqual(verifyServices([served(['198.19.0.1', '2001:db8:0:1::1'], true)], plan).problems, []);
  assert.equal(verifyServices([reversed], plan).problems.length, 1, 'Herald promises the order');
  assert.deepEqual(verifyServices([served(['2001:db8:0:1::1', '198.19.0.1'], false)], plan, { stateOf: ingressState, orderedFamilies: false }).problems, []);
  assert.equal(verifyServices([served(['198.19.0.1'], false)], plan, { stateOf: ingressState, orderedFamilies: false }).problems.length, 1, 'one family short');
  assert.equal(verifyServices([served([], false)], plan, { stateOf: ingressState, orderedFamilies: false }).problems.length, 1, 'not served');
});
