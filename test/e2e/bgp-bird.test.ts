// BGP mode end to end (issue #4): three node namespaces, each running `herald speaker`, peer
// with BIRD 2 in a router namespace; the router's kernel table must hold every VIP with one next
// hop per eligible node (ECMP). Skipped without root, `ip` or `bird`.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { startL2Lab } from '../../src/lab/l2-lab.ts';
import type { L2Lab } from '../../src/lab/l2-lab.ts';
import { pollUntil } from '../../src/lab/poll.ts';

function missing(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const tool of ['ip', 'bird', 'birdc']) {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' });
    } catch {
      return `needs ${tool} (apt-get install ${tool === 'ip' ? 'iproute2' : 'bird2'})`;
    }
  }
  return null;
}

const skip = missing();
const BGP = { loadBalancerClass: 'herald.dev/bgp' } as const;
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('BGP against BIRD 2 as the ToR', { skip: skip ?? false }, () => {
  let lab: L2Lab;

  before(async () => {
    lab = await startL2Lab({ bgp: true });
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
    assert.deepEqual(up.value.sort(), ['node_a', 'node_b', 'node_c']);
  });

  it('a VIP is one route with three next hops, one per node (ECMP)', async () => {
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
    // While node-b's speaker is down, the router keeps its path (stale, RFC 4724 §4.2).
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
