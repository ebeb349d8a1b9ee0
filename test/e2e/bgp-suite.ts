// The BGP e2e set of issue #4, once for every ToR implementation (bgp-bird.test.ts,
// bgp-frr.test.ts): sessions, ECMP over three nodes, IPv6, ETP Local, exclusion, a drain, a
// graceful restart and a crashed node, each checked in the router namespace's kernel table.
import { strict as assert } from 'node:assert';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { startL2Lab } from '../../src/lab/l2-lab.ts';
import type { L2Lab } from '../../src/lab/l2-lab.ts';
import { pollUntil } from '../../src/lab/poll.ts';
import { LAB_BGP_POLICY, askRouteRefresh, communitiesOf, restartBitSeen, updatesReceived } from '../../src/lab/bgp-router.ts';
import { BGPPOLICY_PLURAL, HERALD_GROUP, HERALD_VERSION } from '../../src/api/names.ts';

const execFileAsync = promisify(execFile);
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export const BGP_SERVICE = { loadBalancerClass: 'herald.dev/bgp' } as const;
export const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Why the suite cannot run here (not root, a program missing), or null. */
export function missingTools(tools: readonly string[]): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const tool of tools) {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' });
    } catch {
      return `needs ${tool}`;
    }
  }
  return null;
}

/**
 * Closes the lab, then checks that none of its namespaces is left and that Herald was refused
 * nothing (403) on the way: on the real kube-apiserver the speakers run with exactly
 * deploy/speaker-rbac.yaml (issue #8).
 */
export async function closeLab(lab: L2Lab | undefined): Promise<void> {
  const forbidden = lab?.forbidden() ?? [];
  await lab?.close();
  const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  assert.ok(lab === undefined || !left.includes(lab.network.prefix), `namespaces left: ${left}`);
  assert.deepEqual(forbidden, [], 'Herald was refused a request (403): deploy/speaker-rbac.yaml lacks a permission');
}

/**
 * Polls until the router's kernel route for `prefix` has `want` next hops (a count, or exactly
 * these gateways: a move from one node to others passes through states of the same size);
 * returns them sorted.
 */
export async function hopsOf(lab: L2Lab, prefix: string, want: number | readonly string[]): Promise<string[]> {
  const router = lab.router;
  assert.ok(router !== null);
  const fits = (hops: string[]): boolean => (typeof want === 'number' ? hops.length === want : hops.join() === [...want].sort().join());
  const r = await pollUntil(
    `next hops ${typeof want === 'number' ? `(${want})` : want.join(',')} for ${prefix} at the router`,
    async () => {
      const hops = await router.nextHops(prefix);
      return fits(hops) ? { done: true, value: hops } : { done: false, seen: hops.join(',') || 'none' };
    },
    { timeoutMs: 20_000, intervalMs: 100 },
  ).catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${lab.logTails(15)}`);
  });
  return r.value;
}

/** Polls until the router shows `want` Established sessions; returns their names. */
export async function established(lab: L2Lab, want: number): Promise<string[]> {
  const router = lab.router;
  assert.ok(router !== null);
  const r = await pollUntil(`${want} Established sessions`, async () => {
    const e = await router.established();
    return e.length === want ? { done: true, value: e } : { done: false, seen: e.join(',') || 'none' };
  }, { timeoutMs: 20_000, intervalMs: 200, context: () => router.logTail(10) });
  return r.value;
}

export interface EcmpSuiteOptions {
  title: string;
  router: 'bird' | 'frr';
  skip: string | null;
  /** The router's names for the three sessions. */
  sessions: readonly string[];
  /** Extra checks once the sessions are up (e.g. the BGPPeers the lab made). */
  afterSessions?: (lab: L2Lab) => void;
  /** Extra checks while node-b's speaker is down for a restart (e.g. its path marked stale). */
  duringRestart?: (lab: L2Lab, prefix: string) => Promise<void>;
}

export function ecmpSuite(o: EcmpSuiteOptions): void {
  describe(o.title, { skip: o.skip ?? false }, () => {
    let lab: L2Lab | undefined;
    const theLab = (): L2Lab => {
      assert.ok(lab !== undefined);
      return lab;
    };

    before(async () => {
      lab = await startL2Lab({ bgp: true, router: o.router });
    });

    after(() => closeLab(lab));

    it('every node peers with the router', async () => {
      assert.deepEqual((await established(theLab(), 3)).sort(), [...o.sessions].sort());
      o.afterSessions?.(theLab());
    });

    it('herald status shows every node with its session Established (published on the node Lease)', async () => {
      const l = theLab();
      const r = await pollUntil('herald status with three Established sessions', async () => {
        // Not execFileSync: the API server stand-in runs in this process and must keep answering.
        const { stdout: out } = await execFileAsync(process.execPath, [CLI, 'status', '--kubeconfig', l.kubeconfig], { encoding: 'utf8', timeout: 10_000 });
        const up = out.split('\n').filter((line) => /node-[abc]\s.*\sEstablished\s/.test(line));
        return up.length === 3 ? { done: true, value: out } : { done: false, seen: out };
      }, { timeoutMs: 15_000, intervalMs: 500 });
      assert.match(r.value, /Speakers \(3\):/);
    });

    it('a VIP is one route with three next hops, one per node (ECMP)', async () => {
      const l = theLab();
      await l.createService('ecmp', BGP_SERVICE);
      const [ip] = await l.waitForIngress('ecmp');
      assert.ok(ip !== undefined);
      assert.deepEqual(await hopsOf(l, `${ip}/32`, 3), l.nodes.map((n) => n.ipv4).sort());
    });

    it('the communities of the BGPAnnouncementPolicy reach the router, standard and large (RFC 8092), and an edit takes them away', async () => {
      const l = theLab();
      const router = l.router;
      assert.ok(router !== null);
      const [ip] = await l.waitForIngress('ecmp');
      const prefix = `${ip}/32`;
      await hopsOf(l, prefix, 3);
      const communities = (list: string[] | null): Promise<unknown> =>
        l.clients.custom.patchClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: BGPPOLICY_PLURAL, name: LAB_BGP_POLICY, body: { spec: { communities: list } } }, MERGE);
      await communities(['65000:100', '64512:7', '65000:1:2']);
      try {
        const seen = await pollUntil('the communities at the router', async () => {
          const c = await communitiesOf(router, prefix);
          return c.standard.length === 2 && c.large.length === 1 ? { done: true, value: c } : { done: false, seen: JSON.stringify(c) };
        }, { timeoutMs: 20_000, intervalMs: 200, context: () => router.logTail(10) });
        assert.deepEqual(seen.value, { standard: ['64512:7', '65000:100'], large: ['65000:1:2'] });
      } finally {
        await communities(null);
      }
      await pollUntil('no community left at the router', async () => {
        const c = await communitiesOf(router, prefix);
        return c.standard.length === 0 && c.large.length === 0 ? { done: true, value: c } : { done: false, seen: JSON.stringify(c) };
      }, { timeoutMs: 20_000, intervalMs: 200 });
      // The edit re-announced the route; it never left the router's table.
      assert.equal((await router.nextHops(prefix)).length, 3);
    });

    it('a ROUTE-REFRESH from the router (RFC 2918) is answered with the routes again, and none is lost', async () => {
      const l = theLab();
      const router = l.router;
      assert.ok(router !== null);
      const [ip] = await l.waitForIngress('ecmp');
      await hopsOf(l, `${ip}/32`, 3);
      const nodeA = l.nodes.find((n) => n.name === 'node-a');
      assert.ok(nodeA !== undefined);
      const before = await updatesReceived(router, nodeA);
      assert.ok(before !== null && before > 0, `updates received from node-a before: ${String(before)}`);
      await askRouteRefresh(router, nodeA);
      const r = await pollUntil('node-a sends its routes again', async () => {
        const now = await updatesReceived(router, nodeA);
        return now !== null && now > before ? { done: true, value: now } : { done: false, seen: String(now) };
      }, { timeoutMs: 10_000, intervalMs: 100, context: () => router.logTail(10) });
      assert.ok(r.value > before);
      assert.equal((await router.nextHops(`${ip}/32`)).length, 3);
      assert.deepEqual((await established(l, 3)).sort(), [...o.sessions].sort(), 'the refresh reset no session');
    });

    it('IPv6: the same, as a /128 through MP_REACH_NLRI', async () => {
      const l = theLab();
      await l.createService('ecmp6', { ...BGP_SERVICE, ipFamilyPolicy: 'RequireDualStack' });
      const v6 = (await l.waitForIngress('ecmp6')).find((a) => a.includes(':'));
      assert.ok(v6 !== undefined);
      assert.equal(new Set(await hopsOf(l, `${v6}/128`, 3)).size, 3);
    });

    it('externalTrafficPolicy: Local leaves only the nodes with a ready endpoint', async () => {
      const l = theLab();
      await l.createService('local', { ...BGP_SERVICE, externalTrafficPolicy: 'Local' });
      const [ip] = await l.waitForIngress('local');
      assert.ok(ip !== undefined);
      await l.setEndpoints('local', ['node-b']);
      await hopsOf(l, `${ip}/32`, ['192.0.2.12']);
      await l.setEndpoints('local', ['node-a', 'node-c']);
      await hopsOf(l, `${ip}/32`, ['192.0.2.11', '192.0.2.13']);
    });

    it('an excluded node withdraws its paths', async () => {
      const l = theLab();
      const [ip] = await l.waitForIngress('ecmp');
      await l.labelNode('node-c', { 'node.kubernetes.io/exclude-from-external-load-balancers': 'true' });
      await hopsOf(l, `${ip}/32`, ['192.0.2.11', '192.0.2.12']);
      await l.labelNode('node-c', { 'node.kubernetes.io/exclude-from-external-load-balancers': null });
      await hopsOf(l, `${ip}/32`, 3);
    });

    it('a stopped speaker (SIGTERM on a cordoned node) withdraws at once; a restart brings it back', async () => {
      const l = theLab();
      const [ip] = await l.waitForIngress('ecmp');
      await l.clients.core.patchNode({ name: 'node-a', body: { spec: { unschedulable: true } } }, MERGE);
      await new Promise((r) => setTimeout(r, 300)); // the speaker's cache sees the cordon
      await l.killSpeaker('node-a', 'SIGTERM');
      await hopsOf(l, `${ip}/32`, ['192.0.2.12', '192.0.2.13']);
      await l.clients.core.patchNode({ name: 'node-a', body: { spec: { unschedulable: false } } }, MERGE);
      await l.restartSpeaker('node-a');
      await hopsOf(l, `${ip}/32`, 3);
    });

    it('a restart with graceful restart loses no route at the router', async () => {
      const l = theLab();
      const router = l.router;
      assert.ok(router !== null);
      const [ip] = await l.waitForIngress('ecmp');
      await hopsOf(l, `${ip}/32`, 3);
      await l.killSpeaker('node-b', 'SIGTERM');
      await o.duringRestart?.(l, `${ip}/32`);
      // While node-b's speaker is down, the router keeps its path (stale, RFC 4724 §4.2).
      for (let i = 0; i < 10; i++) {
        assert.equal((await router.nextHops(`${ip}/32`)).length, 3, 'a path was lost during the restart');
        await new Promise((r) => setTimeout(r, 100));
      }
      await l.restartSpeaker('node-b');
      assert.equal((await router.nextHops(`${ip}/32`)).length, 3);
      // Regression (L2/BGP chaos bench, issue #14): the restarted speaker's OPEN carried R = 0,
      // which RFC 4724 §4.1 forbids and some routers answer by flushing the stale paths.
      const r = await pollUntil('node-b Established again with its Restart State bit seen', async () => {
        const nodeB = l.nodes.find((n) => n.name === 'node-b');
        assert.ok(nodeB !== undefined);
        const bit = await restartBitSeen(router, nodeB);
        return bit === true ? { done: true, value: bit } : { done: false, seen: `R bit ${String(bit)}` };
      }, { timeoutMs: 10_000, intervalMs: 200 });
      assert.equal(r.value, true);
    });

    it('a crashed node (link cut) loses its path at hold-timer expiry', async () => {
      const l = theLab();
      const [ip] = await l.waitForIngress('ecmp');
      await hopsOf(l, `${ip}/32`, 3);
      await l.network.partition('node-c');
      try {
        await hopsOf(l, `${ip}/32`, ['192.0.2.11', '192.0.2.12']);
      } finally {
        await l.network.heal('node-c');
      }
      await hopsOf(l, `${ip}/32`, 3);
    });
  });
}
