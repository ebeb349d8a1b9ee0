// The cold start's floor contender (bench/ipam/floor-writer.ts): the addresses it writes without
// an allocator must pass the same verification as a controller's, and `--controller` names it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { plannedAddresses } from '../../bench/ipam/floor-addresses.ts';
import { planService, verifyServices } from '../../bench/ipam/cluster-load.ts';
import type { PlannedService } from '../../bench/ipam/cluster-load.ts';
import { contenderNames } from '../../bench/ipam/contenders.ts';
import { CONDITION_IPAM } from '../../src/api/names.ts';
import { parseIP } from '../../src/api/addr.ts';

test('plannedAddresses: a plan of Services written as the floor writes them passes verifyServices (one address per family, in order; only sharing pairs share)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3000 }), (count) => {
      const plan = new Map<string, PlannedService>();
      for (let i = 0; i < count; i++) {
        const p = planService(i);
        plan.set(p.key, p);
      }
      const served = [...plan.values()].map((p) => {
        const ips = plannedAddresses(p.body.metadata?.name ?? '', p.body.spec?.ipFamilies ?? [], p.body.metadata?.annotations);
        for (const ip of ips) assert.ok(parseIP(ip) !== null, ip);
        return { ...p.body, status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) }, conditions: [{ type: CONDITION_IPAM, status: 'True', reason: 'Satisfied', message: '', lastTransitionTime: new Date(0) }] } };
      });
      const v = verifyServices(served, plan);
      assert.deepEqual(v.problems, []);
      assert.equal(v.checked, count);
    }),
    { numRuns: 20 },
  );
});

test('plannedAddresses: not a bench Service is an error, not an address', () => {
  assert.throws(() => plannedAddresses('web', ['IPv4'], undefined), /not a bench Service/);
});

test('contenderNames: a comma list of known names, "both" as before, anything unknown refused', () => {
  assert.deepEqual(contenderNames('herald'), ['herald']);
  assert.deepEqual(contenderNames('both'), ['herald', 'metallb']);
  assert.deepEqual(contenderNames('herald,floor'), ['herald', 'floor']);
  assert.deepEqual(contenderNames('floor, herald,floor'), ['floor', 'herald']);
  assert.equal(contenderNames('herald,cilium'), undefined);
  assert.equal(contenderNames(''), undefined);
});
