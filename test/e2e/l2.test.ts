// api-suite: the L2 e2e set on the control plane HERALD_APISERVER names (issue #8, point 4)
// L2 announcements end to end (issue #3, "The lab"): three node namespaces, each with its own
// `herald speaker`, asked by a client on the same segment with arping and ndisc6, as a host on
// the LAN would. One lab for the whole file. Polls are bounded and assert outcomes, not timings
// (the targets are measured in bench/l2). Needs root, iproute2, arping and ndisc6. On the real
// kube-apiserver the speakers run as herald-speaker with deploy/speaker-rbac.yaml, and a 403 in
// their logs fails the file (closeL2Lab).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import ipaddr from 'ipaddr.js';
import { desiredOwner, rankNodes } from '../../src/election/hash.ts';
import { startL2Lab } from '../../src/lab/l2-lab.ts';
import type { L2Lab } from '../../src/lab/l2-lab.ts';
import { LABEL_EXCLUDE, LABEL_OWN_POLICY, LAB_POOL } from '../../src/lab/l2-objects.ts';
import { pollUntil } from '../../src/lab/poll.ts';
import { closeL2Lab, l2SkipReason } from './l2-support.ts';

const SKIP = l2SkipReason();
/** Long enough for a speaker to notice, decide and write; the polls below stop as soon as they can. */
const SETTLE_MS = 2500;

describe('L2 lab: who answers for a VIP', { skip: SKIP, timeout: 300_000 }, () => {
  let lab: L2Lab;
  const vips = new Set<string>();

  before(async () => {
    lab = await startL2Lab({ speakerLogLevel: 'debug' });
  }, { timeout: 90_000 });

  after(() => closeL2Lab(lab));

  const who = async (ip: string) => lab.nodeOfMac(await lab.resolve(ip));
  const context = () => lab.logTails();

  async function serviceVips(name: string, opts?: Parameters<L2Lab['createService']>[1]): Promise<string[]> {
    await lab.createService(name, opts);
    const ips = await lab.waitForIngress(name);
    for (const ip of ips) vips.add(ip);
    return ips;
  }

  /** Waits until the Lease names a holder and the client's request is answered with its MAC. */
  async function heldAndAnswered(ip: string, timeoutMs = 15_000): Promise<string> {
    const r = await pollUntil(
      `${ip} answered by its Lease holder`,
      async () => {
        const [holder, answer] = [await lab.holderOf(ip), await who(ip)];
        return holder !== null && answer === holder ? { done: true, value: holder } : { done: false, seen: `holder ${holder}, answered by ${answer}` };
      },
      { timeoutMs, context },
    );
    return r.value;
  }

  /** Waits until a node other than `old` answers, and that node is the Lease holder. */
  async function movedFrom(ip: string, old: string, timeoutMs = 15_000): Promise<string> {
    const r = await pollUntil(
      `${ip} answered by a node other than ${old}`,
      async () => {
        const answer = await who(ip);
        const holder = await lab.holderOf(ip);
        return answer !== null && answer !== old && holder === answer ? { done: true, value: answer } : { done: false, seen: `answered by ${answer}, holder ${holder}` };
      },
      { timeoutMs, intervalMs: 50, context },
    );
    return r.value;
  }

  /**
   * The one node that answers, asserting that never two do. A request that lands in the short gap
   * of a handover (the old holder stops as it writes the Lease away) gets no answer, so an empty
   * round is asked again, twice at most; two answers fail at once.
   */
  async function onlyAnswerer(ip: string): Promise<string | null> {
    for (let round = 0; ; round++) {
      const macs = await lab.answerers(ip);
      assert.ok(macs.length <= 1, `${ip}: more than one MAC answered (split brain): ${macs.join(', ')}`);
      if (macs.length === 1 || round === 2) return lab.nodeOfMac(macs[0] ?? null);
    }
  }

  const NODES = ['node-a', 'node-b', 'node-c'];

  /** Waits until `node` holds the VIP and answers for it. */
  async function answeredBy(ip: string, node: string, timeoutMs = 15_000): Promise<void> {
    await pollUntil(
      `${ip} answered by ${node}`,
      async () => {
        const [holder, answer] = [await lab.holderOf(ip), await who(ip)];
        return holder === node && answer === node ? { done: true, value: node } : { done: false, seen: `holder ${holder}, answered by ${answer}` };
      },
      { timeoutMs, context },
    );
  }

  it('a VIP resolves to the MAC of the node its Lease names, and to no other; that node ranks first for it', async () => {
    const [ip] = await serviceVips('t-holder');
    assert.ok(ip !== undefined);
    await heldAndAnswered(ip);
    // Rendezvous hashing (docs/l2.md, Ranking): the first-ranked node ends up with it. Wait for
    // that first: a rebalancing handover leaves a short gap (never an overlap), and a single ARP
    // request sent into it would go unanswered.
    const owner = desiredOwner(ip, NODES) ?? '';
    await answeredBy(ip, owner);
    assert.equal(await onlyAnswerer(ip), owner);
    assert.equal(await lab.holderOf(ip), owner);
  });

  it('kill -9 of the holder: another node answers within a few seconds, and the Lease names it', async () => {
    const [ip] = await serviceVips('t-crash');
    assert.ok(ip !== undefined);
    const holder = await heldAndAnswered(ip);
    try {
      assert.deepEqual(await lab.killSpeaker(holder, 'SIGKILL'), { code: null, signal: 'SIGKILL' });
      const next = await movedFrom(ip, holder);
      // The next owner is known in advance: the next-ranked node (issue #3, "Per-VIP Lease").
      assert.equal(next, rankNodes(ip, NODES).find((n) => n !== holder));
    } finally {
      await lab.restartSpeaker(holder);
    }
    // The restarted speaker learns the Lease and does not answer beside the new holder.
    await sleep(SETTLE_MS);
    assert.equal(await onlyAnswerer(ip), await lab.holderOf(ip));
  });

  it('SIGTERM to the holder: it hands the VIP over before it exits, and the successor answers', async () => {
    const [ip] = await serviceVips('t-term');
    assert.ok(ip !== undefined);
    const holder = await heldAndAnswered(ip);
    try {
      assert.deepEqual(await lab.killSpeaker(holder, 'SIGTERM'), { code: 0, signal: null }, 'a clean exit after draining');
      // Handed over while draining: the Lease names another node as soon as the holder is gone.
      const after = await lab.holderOf(ip);
      assert.ok(after !== null && after !== holder, `Lease holder after the exit: ${after}\n${context()}`);
      assert.equal(await movedFrom(ip, holder, 5000), after);
    } finally {
      await lab.restartSpeaker(holder);
    }
  });

  it('externalTrafficPolicy Local: nobody answers without endpoints, then a node with an endpoint does, and the VIP follows the endpoint', async () => {
    const [ip] = await serviceVips('t-local', { externalTrafficPolicy: 'Local' });
    assert.ok(ip !== undefined);
    await sleep(SETTLE_MS);
    assert.deepEqual(await lab.answerers(ip), [], 'no ready endpoint anywhere: no node may announce');
    await lab.setEndpoints('t-local', ['node-b']);
    assert.equal(await heldAndAnswered(ip), 'node-b');
    await lab.setEndpoints('t-local', ['node-c']);
    assert.equal(await movedFrom(ip, 'node-b'), 'node-c');
    assert.equal(await onlyAnswerer(ip), 'node-c');
  });

  it('a node labelled exclude-from-external-load-balancers never answers and never holds; unlabelled, it takes its share', async () => {
    await lab.labelNode('node-c', { [LABEL_EXCLUDE]: '' });
    const ips: string[] = [];
    try {
      // VIPs until node-c ranks first for two of them: only the label can keep it silent for those.
      for (let i = 1; i <= 12 && ips.filter((ip) => desiredOwner(ip, NODES) === 'node-c').length < 2; i++) ips.push(...(await serviceVips(`t-excl-${i}`)));
      assert.ok(ips.some((ip) => desiredOwner(ip, NODES) === 'node-c'), `node-c ranks first for none of ${ips.join(', ')}`);
      for (const ip of ips) assert.notEqual(await heldAndAnswered(ip), 'node-c', ip);
      await sleep(SETTLE_MS);
      for (const ip of ips) {
        const answer = await onlyAnswerer(ip);
        assert.ok(answer === 'node-a' || answer === 'node-b', `${ip} answered by ${answer}`);
        assert.notEqual(await lab.holderOf(ip), 'node-c');
      }
    } finally {
      await lab.labelNode('node-c', { [LABEL_EXCLUDE]: null });
    }
    // Eligible again: the VIPs it ranks first for are handed to it (docs/l2.md, Hand over).
    for (const ip of ips.filter((x) => desiredOwner(x, NODES) === 'node-c')) await answeredBy(ip, 'node-c');
  });

  it('interface patterns are honoured: a policy for ["nomatch.*"] gets no answers, one for ["eth[0-9]+"] does', async () => {
    await lab.createPolicy('t-nomatch', { serviceSelector: { matchLabels: { [LABEL_OWN_POLICY]: 'nomatch' } }, interfaces: ['nomatch.*'] });
    await lab.createPolicy('t-regex', { serviceSelector: { matchLabels: { [LABEL_OWN_POLICY]: 'regex' } }, interfaces: ['eth[0-9]+'] });
    const [none] = await serviceVips('t-nomatch', { labels: { [LABEL_OWN_POLICY]: 'nomatch' } });
    const [some] = await serviceVips('t-regex', { labels: { [LABEL_OWN_POLICY]: 'regex' } });
    assert.ok(none !== undefined && some !== undefined);
    await heldAndAnswered(some); // the speakers have seen both policies and both Services by now
    await sleep(SETTLE_MS);
    assert.deepEqual(await lab.answerers(none), [], `${none}: no node has an interface matching nomatch.*`);
    assert.equal(await lab.holderOf(none), null, 'a node that cannot serve a VIP never takes its Lease');
  });

  it('IPv6: a dual-stack Service\'s IPv6 VIP answers Neighbor Solicitations with its holder\'s MAC (ndisc6)', async () => {
    const ips = await serviceVips('t-dual', { ipFamilyPolicy: 'RequireDualStack' });
    const v6 = ips.find((ip) => ipaddr.parse(ip).kind() === 'ipv6');
    const v4 = ips.find((ip) => ipaddr.parse(ip).kind() === 'ipv4');
    assert.ok(v6 !== undefined && v4 !== undefined, `one address per family: ${ips.join(', ')}`);
    const holder6 = await heldAndAnswered(v6);
    assert.equal(await onlyAnswerer(v6), holder6);
    await heldAndAnswered(v4); // each VIP has its own Lease; the holders may differ
  });

  it('nothing answers for a pool address that no Service has', async () => {
    const unallocated = ['192.0.2.219', '2001:db8::219'];
    for (const ip of unallocated) assert.ok(!vips.has(ip), `${ip} must be free for this test; allocated: ${[...vips].join(', ')}`);
    for (const ip of unallocated) {
      assert.deepEqual(await lab.answerers(ip), [], ip);
      assert.equal(await lab.holderOf(ip), null, ip);
    }
  });

  it('no VIP ever appears in any node namespace\'s addresses or routes', async () => {
    assert.ok(vips.size > 0, 'the earlier tests made VIPs');
    const pool = [LAB_POOL.v4, LAB_POOL.v6].map((b) => [ipaddr.parse(b.start).toByteArray(), ipaddr.parse(b.stop).toByteArray()] as const);
    const inPool = (ip: string) => pool.some(([lo, hi]) => {
      const a = ipaddr.parse(ip).toByteArray();
      return a.length === lo.length && compare(a, lo) >= 0 && compare(a, hi) <= 0;
    });
    for (const node of lab.nodes) {
      const r = await lab.network.exec(node.ns, ['ip', '-j', 'addr', 'show']);
      assert.equal(r.code, 0, r.stderr);
      const addrs = parseAddrs(r.stdout);
      assert.ok(addrs.includes(node.ipv4), `${node.name} lists its own address: ${addrs.join(', ')}`);
      assert.deepEqual(addrs.filter((a) => vips.has(a) || inPool(a)), [], `${node.name} carries a VIP`);
      for (const family of ['-4', '-6']) {
        const routes = await lab.network.exec(node.ns, ['ip', family, 'route', 'show', 'table', 'all']);
        assert.deepEqual([...vips].filter((v) => new RegExp(`(^|\\s)${v.replaceAll('.', '\\.')}(/|\\s|$)`, 'm').test(routes.stdout)), [], `${node.name} ${family} routes:\n${routes.stdout}`);
      }
    }
  });
});

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/** The addresses in `ip -j addr show`. */
function parseAddrs(json: string): string[] {
  const links: unknown = JSON.parse(json);
  if (!Array.isArray(links)) return [];
  return links.flatMap((l: unknown) => {
    const info: unknown[] = typeof l === 'object' && l !== null && 'addr_info' in l && Array.isArray(l.addr_info) ? l.addr_info : [];
    return info.flatMap((a) => (typeof a === 'object' && a !== null && 'local' in a && typeof a.local === 'string' ? [a.local] : []));
  });
}
