// api-suite: iBGP end to end against BIRD 2 and FRR on the control plane HERALD_APISERVER names
// Issue #11 (left open): the nodes peer with the ToR inside its AS (iBGP), so the LOCAL_PREF a
// BGPAnnouncementPolicy sets is sent (RFC 4271 §5.1.5: only to internal peers) and the router
// holds it on every path, the three nodes still one ECMP route; an edit of the policy reaches it.
// Skipped without root, `ip`, BIRD or FRR.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { startL2Lab } from '../../src/lab/l2-lab.ts';
import type { L2Lab } from '../../src/lab/l2-lab.ts';
import { pollUntil } from '../../src/lab/poll.ts';
import { LAB_BGP_POLICY, localPrefsOf } from '../../src/lab/bgp-router.ts';
import type { RouterKind } from '../../src/lab/bgp-router.ts';
import { BGPPOLICY_PLURAL, HERALD_GROUP, HERALD_VERSION } from '../../src/api/names.ts';
import { BGP_SERVICE, MERGE, closeLab, established, hopsOf, missingTools } from './bgp-suite.ts';

const ROUTERS: readonly { kind: RouterKind; tools: string[] }[] = [
  { kind: 'bird', tools: ['ip', 'bird', 'birdc'] },
  { kind: 'frr', tools: ['ip', 'vtysh', '/usr/lib/frr/zebra', '/usr/lib/frr/bgpd'] },
];

for (const r of ROUTERS) {
  describe(`iBGP against ${r.kind === 'bird' ? 'BIRD 2' : 'FRR'}: LOCAL_PREF from the policy at the router`, { skip: missingTools(r.tools) ?? false }, () => {
    let lab: L2Lab | undefined;
    before(async () => {
      lab = await startL2Lab({ bgp: true, router: r.kind, ibgp: true, bgpPolicy: { localPreference: 150 } });
    });
    after(() => closeLab(lab));

    it('three iBGP sessions; a VIP is one route over the three nodes, each path with LOCAL_PREF 150; an edit to 200 reaches the router', async () => {
      const l = lab;
      assert.ok(l !== undefined && l.router !== null);
      const router = l.router;
      assert.equal((await established(l, 3)).length, 3);
      await l.createService('ibgp', BGP_SERVICE);
      const [ip] = await l.waitForIngress('ibgp');
      assert.ok(ip !== undefined);
      const prefix = `${ip}/32`;
      assert.deepEqual(await hopsOf(l, prefix, 3), l.nodes.map((n) => n.ipv4).sort());
      const prefs = async (want: number): Promise<number[]> =>
        (
          await pollUntil(`LOCAL_PREF ${want} on every path`, async () => {
            const p = await localPrefsOf(router, prefix);
            return p.length === 3 && p.every((v) => v === want) ? { done: true, value: p } : { done: false, seen: p.join(',') || 'none' };
          }, { timeoutMs: 20_000, intervalMs: 200, context: () => router.logTail(10) })
        ).value;
      assert.deepEqual(await prefs(150), [150, 150, 150]);
      await l.clients.custom.patchClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: BGPPOLICY_PLURAL, name: LAB_BGP_POLICY, body: { spec: { localPreference: 200 } } }, MERGE);
      assert.deepEqual(await prefs(200), [200, 200, 200]);
      assert.equal((await router.nextHops(prefix)).length, 3, 'the edit kept the route');
    });
  });
}
