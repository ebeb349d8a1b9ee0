// BGP mode end to end against FRR (issue #4, "The same e2e set runs against FRR's bgpd as the
// ToR"): the set of bgp-bird.test.ts with zebra + bgpd in the router namespace and eBGP with a
// different AS per node (BGPPeers tor-node-a/b/c, AS 64601-64603), so FRR merges the paths only
// with `bgp bestpath as-path multipath-relax`; zebra installs them as one ECMP kernel route.
// Then TCP MD5 and communities. Skipped without root, `ip` or FRR.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { HERALD_GROUP, HERALD_VERSION, BGPPEER_PLURAL } from '../../src/api/names.ts';
import { LAB_PASSWORD_SECRET, LAB_PEER } from '../../src/lab/bgp-router.ts';
import { BGPD, ZEBRA } from '../../src/lab/frr.ts';
import { startL2Lab } from '../../src/lab/l2-lab.ts';
import type { L2Lab } from '../../src/lab/l2-lab.ts';
import { pollUntil } from '../../src/lab/poll.ts';
import { MERGE, closeLab, ecmpSuite, established as establishedAt, missingTools } from './bgp-suite.ts';

const skip = missingTools(['ip', 'vtysh']) ?? [ZEBRA, BGPD].map((d) => (existsSync(d) ? null : `needs ${d} (apt-get install frr)`)).find((x) => x !== null) ?? null;

interface FrrPath {
  nexthops?: { ip?: string; scope?: string }[];
  community?: { string?: string };
  locPrf?: number;
  stale?: boolean;
  aspath?: { string?: string };
}

/** The paths of `show bgp <afi> unicast <prefix> json` ([] when FRR has no such route). */
function pathsOf(json: string): FrrPath[] {
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== 'object' || parsed === null || !('paths' in parsed) || !Array.isArray(parsed.paths)) return [];
    return parsed.paths.filter((p: unknown): p is FrrPath => typeof p === 'object' && p !== null);
  } catch {
    return [];
  }
}

ecmpSuite({
  title: 'BGP against FRR as the ToR (eBGP, one AS per node)',
  router: 'frr',
  skip,
  sessions: ['node-a', 'node-b', 'node-c'],
  // One BGPPeer per node, each with its own local AS (multipath-relax merges them).
  afterSessions: (lab) => assert.deepEqual([...lab.bgpPeers].sort(), ['tor-node-a', 'tor-node-b', 'tor-node-c']),
  // FRR marks node-b's path stale while its speaker restarts (RFC 4724 §4.2).
  duringRestart: async (lab, prefix) => {
    const router = lab.router;
    assert.ok(router !== null);
    const r = await pollUntil('node-b\'s path marked stale', async () => {
      const stale = pathsOf(await router.query(`show bgp ipv4 unicast ${prefix} json`)).filter((p) => p.stale === true).map((p) => p.aspath?.string ?? '');
      return stale.length > 0 ? { done: true, value: stale } : { done: false, seen: 'no stale path' };
    }, { timeoutMs: 2000, intervalMs: 50 });
    assert.deepEqual(r.value, ['64602']);
  },
});

describe('BGP with TCP MD5 and communities against FRR', { skip: skip ?? false }, () => {
  let lab: L2Lab;

  before(async () => {
    lab = await startL2Lab({ bgp: true, router: 'frr', bgpPassword: 'lab-secret-1', bgpPolicy: { communities: ['65000:100', 'no-export'], localPreference: 150 } });
  });

  after(() => closeLab(lab));
  const established = (want: number): Promise<string[]> => establishedAt(lab, want);

  it('sessions with the right MD5 key come up', async () => {
    assert.deepEqual((await established(3)).sort(), ['node-a', 'node-b', 'node-c']);
  });

  it('communities arrive as the policy sets them; local preference is not sent to an eBGP peer', async () => {
    await lab.createService('tagged', { loadBalancerClass: 'herald.dev/bgp', ipFamilyPolicy: 'RequireDualStack' });
    const ips = await lab.waitForIngress('tagged');
    const router = lab.router;
    assert.ok(router !== null);
    for (const ip of ips) {
      const v6 = ip.includes(':');
      const r = await pollUntil(`three paths for ${ip}`, async () => {
        const paths = pathsOf(await router.query(`show bgp ${v6 ? 'ipv6' : 'ipv4'} unicast ${ip}/${v6 ? 128 : 32} json`));
        return paths.length === 3 ? { done: true, value: paths } : { done: false, seen: `${paths.length} paths` };
      }, { timeoutMs: 15_000, intervalMs: 200 });
      // One path per node, each from its own AS (AS_PATH of length 1: equal lengths, multipath-relax).
      assert.deepEqual(r.value.map((p) => p.aspath?.string).sort(), ['64601', '64602', '64603']);
      for (const p of r.value) {
        // FRR prints NO_EXPORT by its well-known name.
        assert.equal(p.community?.string, '65000:100 no-export');
        // RFC 4271 §5.1.5: LOCAL_PREF is for internal peers; FRR ignores one from an external peer.
        assert.notEqual(p.locPrf, 150);
      }
      if (v6) {
        // MP_REACH_NLRI with the global next hop and, the peer being on the link, the link-local one (RFC 2545 §3).
        const globals = r.value.map((p) => (p.nexthops ?? []).find((h) => h.scope === 'global')?.ip).sort();
        assert.deepEqual(globals, lab.nodes.map((n) => n.ipv6).sort());
        assert.ok(r.value.every((p) => (p.nexthops ?? []).some((h) => h.scope === 'link-local' && h.ip?.startsWith('fe80:') === true)));
      }
    }
  });

  it('a wrong key keeps the sessions down (the kernel drops the mis-signed segments)', async () => {
    const peer = (key: string) => ({ spec: { passwordSecretRef: { name: LAB_PASSWORD_SECRET, key } } });
    await lab.clients.core.replaceNamespacedSecret({ name: LAB_PASSWORD_SECRET, namespace: 'herald-system', body: { metadata: { name: LAB_PASSWORD_SECRET }, stringData: { [LAB_PEER]: 'lab-secret-1', wrong: 'not-the-key' } } });
    for (const name of lab.bgpPeers) await lab.clients.custom.patchClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: BGPPEER_PLURAL, name, body: peer('wrong') }, MERGE);
    await established(0);
    // And stays down: give it several connect-retry periods.
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(await lab.router?.established(), []);
    for (const name of lab.bgpPeers) await lab.clients.custom.patchClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: BGPPEER_PLURAL, name, body: peer(LAB_PEER) }, MERGE);
    await established(3);
  });
});
