// `herald lab`, the BGP part: the same three node namespaces, now with BIRD 2 as the top-of-rack
// router in a namespace of its own. Each node's speaker advertises every VIP with itself as the
// next hop, so the router's kernel table holds one route per VIP with a next hop per node (ECMP).
// Then a drain (cordon + SIGTERM) withdraws one node's paths at once, and a frozen node loses its
// path within BFD's detection time (100 ms × 3, issue #11) instead of the 3 s hold time.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { ApiServerKind } from '../controlplane/control-plane.ts';
import { isLabError, messageOf } from './errors.ts';
import { l2Unavailable } from './l2-demo.ts';
import { startL2Lab } from './l2-lab.ts';
import type { L2Lab } from './l2-lab.ts';
import { pollUntil } from './poll.ts';

type Print = (line: string) => void;

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

async function routeLine(lab: L2Lab, prefix: string, hops: number): Promise<string> {
  const router = lab.router;
  if (router === null) return 'no router';
  await pollUntil(`${hops} next hops for ${prefix}`, async () => {
    const h = await router.nextHops(prefix);
    return h.length === hops ? { done: true, value: h } : { done: false, seen: h.join(',') || 'none' };
  }, { timeoutMs: 20_000, intervalMs: 100, context: () => lab.logTails(10) });
  const v6 = prefix.includes(':');
  const r = await lab.network.exec(router.host.ns, ['ip', v6 ? '-6' : '-4', 'route', 'show', prefix]);
  return r.stdout.trimEnd().split('\n').map((l) => `    ${l.trim()}`).join('\n');
}

export async function runBgpDemo(print: Print, opts: { keepDir?: boolean; apiserver?: ApiServerKind } = {}): Promise<void> {
  const why = l2Unavailable();
  if (why !== null) {
    print(`\nBGP: skipped, ${why}.`);
    return;
  }
  print('\nBGP in a network of namespaces: three nodes, and BIRD 2 as the ToR router (AS 65000) at 192.0.2.1.');
  let lab: L2Lab;
  try {
    lab = await startL2Lab({ bgp: true, bfd: { intervalMs: 100, multiplier: 3 }, apiserver: opts.apiserver ?? 'dev', keepDir: opts.keepDir, onStep: (s) => print(`  ${s}`) });
  } catch (err) {
    if (isLabError(err, 'CommandNotFound')) {
      print(`BGP: skipped, ${messageOf(err)}.`);
      return;
    }
    throw err;
  }
  try {
    const router = lab.router;
    if (router === null) throw new Error('the BGP lab has no router');
    await pollUntil('three Established sessions', async () => {
      const e = await router.established();
      return e.length === 3 ? { done: true, value: e } : { done: false, seen: e.join(',') };
    }, { timeoutMs: 20_000, intervalMs: 200 });
    await pollUntil('three BFD sessions Up', async () => {
      const b = await router.bfdSessions();
      return b.filter((x) => x.state === 'up').length === 3 ? { done: true, value: b } : { done: false, seen: JSON.stringify(b) };
    }, { timeoutMs: 20_000, intervalMs: 200 });
    print('  every node (AS 64512) has an Established session with the router, and a BFD session Up beside it (100 ms × 3)');
    await lab.createService('bgp-web', { loadBalancerClass: 'herald.dev/bgp', ipFamilyPolicy: 'RequireDualStack' });
    const ips = await lab.waitForIngress('bgp-web');
    print('\nService demo/bgp-web (class herald.dev/bgp, dual stack); the router\'s kernel table (ip route in its namespace):');
    for (const ip of ips) print(await routeLine(lab, ip.includes(':') ? `${ip}/128` : `${ip}/32`, 3));
    print('  one route per VIP, one next hop per node: the router spreads flows over all three (ECMP).');

    const v4 = ips.find((ip) => !ip.includes(':')) ?? '';
    print('\nDrain: cordon node-a, then SIGTERM its speaker: it sends Cease (RFC 9003 "node node-a is leaving") and its paths go at once.');
    await lab.clients.core.patchNode({ name: 'node-a', body: { spec: { unschedulable: true } } }, MERGE);
    await new Promise((r) => setTimeout(r, 300));
    const t = performance.now();
    await lab.killSpeaker('node-a', 'SIGTERM');
    print(await routeLine(lab, `${v4}/32`, 2));
    print(`  (two next hops left ${Math.round(performance.now() - t)} ms after the SIGTERM; an upgrade without a cordon keeps the routes through graceful restart instead)`);

    print('\nA node that hangs: SIGSTOP node-b\'s speaker. It sends nothing more, not even a TCP close; the router\'s BFD misses three packets and takes its session and paths down.');
    const pid = lab.speakerPid('node-b');
    if (pid === undefined) throw new Error('node-b has no speaker');
    const frozen = performance.now();
    process.kill(pid, 'SIGSTOP');
    try {
      print(await routeLine(lab, `${v4}/32`, 1));
      const cause = /Last error:\s*(.*)/.exec(await router.query('show protocols all node_b'))?.[1] ?? '?';
      print(`  (node-b's path went ${Math.round(performance.now() - frozen)} ms after the freeze; BIRD says "${cause.trim()}". Without BFD it stays until the hold time, 3 s here, 90 s by default)`);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  } finally {
    await lab.close();
    print('\nBGP lab removed: namespaces, BIRD, speakers, API server.');
  }
}
