// BGP mode end to end against FRR (issue #4, "The same e2e set runs against FRR's bgpd as the
// ToR"): the set of bgp-bird.test.ts with zebra + bgpd in the router namespace and eBGP with a
// different AS per node (BGPPeers tor-node-a/b/c, AS 64601-64603), so FRR merges the paths only
// with `bgp bestpath as-path multipath-relax`; zebra installs them as one ECMP kernel route.
// Then TCP MD5 and communities. Skipped without root, `ip` or FRR.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { BGP_GROUP, BGP_VERSION, BGPPEER_PLURAL } from '../../src/bgp/crd-types.ts';
import { LAB_PASSWORD_SECRET, LAB_PEER } from '../../src/lab/bgp-router.ts';
import { BGPD, ZEBRA } from '../../src/lab/frr.ts';
import { startL2Lab } from '../../src/lab/l2-lab.ts';
import type { L2Lab } from '../../src/lab/l2-lab.ts';
import { pollUntil } from '../../src/lab/poll.ts';

function missing(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const tool of ['ip', 'vtysh']) {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' });
    } catch {
      return `needs ${tool} (apt-get install ${tool === 'ip' ? 'iproute2' : 'frr'})`;
    }
  }
  for (const daemon of [ZEBRA, BGPD]) if (!existsSync(daemon)) return `needs ${daemon} (apt-get install frr)`;
  return null;
}

const skip = missing();
const BGP = { loadBalancerClass: 'herald.dev/bgp' } as const;
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

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

describe('BGP against FRR as the ToR (eBGP, one AS per node)', { skip: skip ?? false }, () => {
  let lab: L2Lab;

  before(async () => {
    lab = await startL2Lab({ bgp: true, router: 'frr' });
  });

  after(async () => {
    await lab?.close();
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    assert.ok(!left.includes(lab?.network.prefix ?? '\0'), `namespaces left: ${left}`);
  });

  async function hopsOf(prefix: string, want: number): Promise<string[]> {
    const router = lab.router;
    assert.ok(router !== null);
    const r = await pollUntil(
      `${want} next hops for ${prefix} at the router`,
      async () => {
        const hops = await router.nextHops(prefix);
        return hops.length === want ? { done: true, value: hops } : { done: false, seen: hops.join(',') || 'none' };
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    ).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${lab.logTails(15)}`);
    });
    return r.value;
  }

  it('every node peers with the router', async () => {
    const router = lab.router;
    assert.ok(router !== null);
    const up = await pollUntil('three Established sessions', async () => {
      const e = await router.established();
      return e.length === 3 ? { done: true, value: e } : { done: false, seen: e.join(',') };
    }, { timeoutMs: 20_000, intervalMs: 200 });
    assert.deepEqual(up.value.sort(), ['node-a', 'node-b', 'node-c']);
    assert.deepEqual([...lab.bgpPeers].sort(), ['tor-node-a', 'tor-node-b', 'tor-node-c']);
  });

  it('a VIP is one route with three next hops, one per node and AS (ECMP through multipath-relax)', async () => {
    await lab.createService('ecmp', BGP);
    const [ip] = await lab.waitForIngress('ecmp');
    assert.ok(ip !== undefined);
    assert.deepEqual(await hopsOf(`${ip}/32`, 3), lab.nodes.map((n) => n.ipv4).sort());
  });

  it('IPv6: the same, as a /128 through MP_REACH_NLRI', async () => {
    await lab.createService('ecmp6', { ...BGP, ipFamilyPolicy: 'RequireDualStack' });
    const ips = await lab.waitForIngress('ecmp6');
    const v6 = ips.find((a) => a.includes(':'));
    assert.ok(v6 !== undefined);
    const hops = await hopsOf(`${v6}/128`, 3);
    assert.equal(new Set(hops).size, 3);
  });

  it('externalTrafficPolicy: Local leaves only the nodes with a ready endpoint', async () => {
    await lab.createService('local', { ...BGP, externalTrafficPolicy: 'Local' });
    const [ip] = await lab.waitForIngress('local');
    assert.ok(ip !== undefined);
    await lab.setEndpoints('local', ['node-b']);
    assert.deepEqual(await hopsOf(`${ip}/32`, 1), ['192.0.2.12']);
    await lab.setEndpoints('local', ['node-a', 'node-c']);
    assert.deepEqual(await hopsOf(`${ip}/32`, 2), ['192.0.2.11', '192.0.2.13']);
  });

  it('an excluded node withdraws its paths', async () => {
    const [ip] = await lab.waitForIngress('ecmp');
    await lab.labelNode('node-c', { 'node.kubernetes.io/exclude-from-external-load-balancers': 'true' });
    assert.deepEqual(await hopsOf(`${ip}/32`, 2), ['192.0.2.11', '192.0.2.12']);
    await lab.labelNode('node-c', { 'node.kubernetes.io/exclude-from-external-load-balancers': null });
    await hopsOf(`${ip}/32`, 3);
  });

  it('a stopped speaker (SIGTERM on a cordoned node) withdraws at once; a restart brings it back', async () => {
    const [ip] = await lab.waitForIngress('ecmp');
    await lab.clients.core.patchNode({ name: 'node-a', body: { spec: { unschedulable: true } } }, MERGE);
    await new Promise((r) => setTimeout(r, 300)); // the speaker's cache sees the cordon
    await lab.killSpeaker('node-a', 'SIGTERM');
    assert.deepEqual(await hopsOf(`${ip}/32`, 2), ['192.0.2.12', '192.0.2.13']);
    await lab.clients.core.patchNode({ name: 'node-a', body: { spec: { unschedulable: false } } }, MERGE);
    await lab.restartSpeaker('node-a');
    await hopsOf(`${ip}/32`, 3);
  });

  it('a restart with graceful restart loses no route at the router', async () => {
    const [ip] = await lab.waitForIngress('ecmp');
    const router = lab.router;
    assert.ok(router !== null);
    await hopsOf(`${ip}/32`, 3);
    await lab.killSpeaker('node-b', 'SIGTERM');
    // While node-b's speaker is down, the router keeps its path, marked stale (RFC 4724 §4.2).
    await pollUntil('node-b\'s path marked stale', async () => {
      const stale = pathsOf(await router.query(`show bgp ipv4 unicast ${ip}/32 json`)).filter((p) => p.stale === true).map((p) => p.aspath?.string ?? '');
      return stale.length > 0 ? { done: true, value: stale } : { done: false, seen: 'no stale path' };
    }, { timeoutMs: 2000, intervalMs: 50 }).then((r) => assert.deepEqual(r.value, ['64602']));
    for (let i = 0; i < 10; i++) {
      assert.equal((await router.nextHops(`${ip}/32`)).length, 3, 'a path was lost during the restart');
      await new Promise((r) => setTimeout(r, 100));
    }
    await lab.restartSpeaker('node-b');
    assert.equal((await router.nextHops(`${ip}/32`)).length, 3);
  });

  it('a crashed node (link cut) loses its path at hold-timer expiry', async () => {
    const [ip] = await lab.waitForIngress('ecmp');
    await hopsOf(`${ip}/32`, 3);
    await lab.network.partition('node-c');
    try {
      assert.deepEqual(await hopsOf(`${ip}/32`, 2), ['192.0.2.11', '192.0.2.12']);
    } finally {
      await lab.network.heal('node-c');
    }
    await hopsOf(`${ip}/32`, 3);
  });
});

describe('BGP with TCP MD5 and communities against FRR', { skip: skip ?? false }, () => {
  let lab: L2Lab;

  before(async () => {
    lab = await startL2Lab({ bgp: true, router: 'frr', bgpPassword: 'lab-secret-1', bgpPolicy: { communities: ['65000:100', 'no-export'], localPreference: 150 } });
  });

  after(async () => {
    await lab?.close();
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    assert.ok(!left.includes(lab?.network.prefix ?? '\0'), `namespaces left: ${left}`);
  });

  async function established(want: number): Promise<string[]> {
    const router = lab.router;
    assert.ok(router !== null);
    const r = await pollUntil(`${want} Established sessions`, async () => {
      const e = await router.established();
      return e.length === want ? { done: true, value: e } : { done: false, seen: e.join(',') || 'none' };
    }, { timeoutMs: 20_000, intervalMs: 200, context: () => router.logTail(10) });
    return r.value;
  }

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
    for (const name of lab.bgpPeers) await lab.clients.custom.patchClusterCustomObject({ group: BGP_GROUP, version: BGP_VERSION, plural: BGPPEER_PLURAL, name, body: peer('wrong') }, MERGE);
    await established(0);
    // And stays down: give it several connect-retry periods.
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(await lab.router?.established(), []);
    for (const name of lab.bgpPeers) await lab.clients.custom.patchClusterCustomObject({ group: BGP_GROUP, version: BGP_VERSION, plural: BGPPEER_PLURAL, name, body: peer(LAB_PEER) }, MERGE);
    await established(3);
  });
});
