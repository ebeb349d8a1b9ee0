// Endpoint ready → route at the router (issue #4: p50/p99 over 1,000 Services). The full BGP lab
// (src/lab/l2-lab.ts `startL2Lab({ bgp: true })`): three node namespaces each running
// `herald speaker`, the API-server stand-in and the controller in this process, BIRD 2 as the
// ToR in the router namespace with its kernel protocol exporting into that namespace's table.
// 1,000 Services of class herald.dev/bgp with externalTrafficPolicy: Local get their addresses
// first (no endpoints yet: no route). Then, one Service at a time, the bench writes an
// EndpointSlice with one ready endpoint on node-a and times until the router's kernel table has
// the /32: `ip -4 monitor route` runs in the router namespace and each line is stamped as it
// arrives here (event-driven, nothing polls BIRD or the kernel). Afterwards, the same for
// endpoint loss: the slice is emptied and the clock stops at the route's "Deleted" line.
// The clock starts just before the EndpointSlice write is sent, so it includes the write, the
// speakers' watch, node-a's reconcile, the UPDATE, BIRD's import and its kernel export.
// Usage: node bench/bgp/endpoint-latency.ts [--services 1000] [--no-withdraw]
import { parseArgs } from 'node:util';
import { HERALD_GROUP, HERALD_VERSION, IPPOOL_PLURAL } from '../../src/api/names.ts';
import { startL2Lab } from '../../src/lab/l2-lab.ts';
import type { L2Lab } from '../../src/lab/l2-lab.ts';
import { L2_LAB_NAMESPACE, labService } from '../../src/lab/l2-objects.ts';
import { loadAverage, machineLines, quantile } from '../machine.ts';
import { fmt, forEachLimit, ipv4Plus, waitFor } from '../l2/report.ts';
import { RouteMonitor } from './route-monitor.ts';
import { nowMs } from './children.ts';
import { NEEDS, requirePrerequisites } from '../prerequisites.ts';

const { values: args } = parseArgs({ options: { services: { type: 'string', default: '1000' }, 'no-withdraw': { type: 'boolean', default: false } } });
const SERVICES = Number(args.services);
if (!(Number.isInteger(SERVICES) && SERVICES >= 1 && SERVICES <= 1000)) {
  process.stderr.write('usage: endpoint-latency.ts [--services 1..1000] [--no-withdraw]\n');
  process.exit(2);
}
requirePrerequisites('endpoint-latency.ts', [NEEDS.root, NEEDS.ip, NEEDS.bird, NEEDS.addon]);
/** The lab's own pool holds 21 IPv4 addresses; this one holds 1,000 more, far above the stand-in's cluster IPs (198.18.0.0/16 from the bottom). */
const POOL_START = '198.18.224.0';
const NODE = 'node-a';
const ROUTE_TIMEOUT_MS = 15_000;

function line(label: string, values: readonly number[], missing: number): string {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number): string => fmt(quantile(s, p), 1);
  return `  ${label}: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms, min ${fmt(s[0] ?? Number.NaN, 1)}, max ${fmt(s[s.length - 1] ?? Number.NaN, 1)} (n=${s.length}${missing > 0 ? `, ${missing} NEVER ARRIVED within ${ROUTE_TIMEOUT_MS / 1000} s` : ''})`;
}

async function main(): Promise<void> {
  for (const l of machineLines()) console.log(l);
  console.log(`BGP endpoint-ready → route at the router: ${SERVICES} Services (class herald.dev/bgp, externalTrafficPolicy Local), endpoint on ${NODE}`);
  const t0 = nowMs();
  const lab: L2Lab = await startL2Lab({ bgp: true, speakerLogLevel: 'warn', onStep: (s) => console.log(`  lab: ${s}`) });
  let monitor: RouteMonitor | null = null;
  try {
    const router = lab.router;
    const routerHost = lab.network.router;
    if (router === null || routerHost === null) throw new Error('the lab has no BGP router');
    await lab.clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: IPPOOL_PLURAL, body: { apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, kind: 'IPPool', metadata: { name: 'bench-bgp' }, spec: { blocks: [{ start: POOL_START, stop: ipv4Plus(POOL_START, 999) }] } } });
    await waitFor('3 BGP sessions Established at BIRD', async () => {
      const up = await router.established();
      return up.length >= lab.nodes.length ? { done: true, value: up } : { done: false, seen: `${up.join(', ') || 'none'} Established` };
    }, 60_000, 200);
    monitor = new RouteMonitor(lab.network.spawnIn(routerHost.ns, ['ip', '-4', 'monitor', 'route'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const names = Array.from({ length: SERVICES }, (_, i) => `bgp-${String(i).padStart(4, '0')}`);
    const created = nowMs();
    await forEachLimit(names, 8, async (name) => {
      const body = labService(name, { loadBalancerClass: 'herald.dev/bgp', externalTrafficPolicy: 'Local' });
      // 1,000 Services would take 2,000 of the 2,768 node ports (one + a health-check port each).
      body.spec = { ...body.spec, allocateLoadBalancerNodePorts: false };
      await lab.clients.core.createNamespacedService({ namespace: L2_LAB_NAMESPACE, body });
    });
    const ips = await waitFor(
      `every Service to get an address`,
      async () => {
        const list = await lab.clients.core.listNamespacedService({ namespace: L2_LAB_NAMESPACE });
        const got = new Map<string, string>();
        for (const s of list.items) {
          const ip = s.status?.loadBalancer?.ingress?.[0]?.ip;
          if (ip !== undefined && s.metadata?.name !== undefined) got.set(s.metadata.name, ip);
        }
        return got.size >= SERVICES ? { done: true, value: got } : { done: false, seen: `${got.size} of ${SERVICES}` };
      },
      180_000,
      500,
      (seen) => console.log(`  waiting for addresses: ${seen}`),
    );
    console.log(`  lab up, ${SERVICES} Services created and addressed in ${fmt((nowMs() - t0) / 1000, 1)} s (Services: ${fmt((nowMs() - created) / 1000, 1)} s); ${monitor.present().size} /32s at the router before any endpoint`);
    // The lab's hold time is 3 s: a burst of Service events may have cost sessions (reported, not hidden).
    const before = await router.established();
    if (before.length < lab.nodes.length) {
      const waited = nowMs();
      console.log(`  BGP SESSIONS DOWN after creating the Services: only ${before.join(', ') || 'none'} Established at BIRD; speaker warnings:\n${lab.logTails(6)}`);
      await waitFor('3 BGP sessions Established again', async () => {
        const up = await router.established();
        return up.length >= lab.nodes.length ? { done: true, value: up } : { done: false, seen: `${up.join(', ') || 'none'} Established` };
      }, 120_000, 100);
      console.log(`  all ${lab.nodes.length} sessions Established again after ${fmt((nowMs() - waited) / 1000, 1)} s; measuring from now`);
    }

    const ready: number[] = [];
    const writes: number[] = [];
    const missing: string[] = [];
    for (const [i, name] of names.entries()) {
      const ip = ips.get(name) ?? '';
      const start = nowMs();
      const arrived = monitor.waitFor(ip, 'added', start, ROUTE_TIMEOUT_MS);
      await lab.setEndpoints(name, [NODE]);
      writes.push(nowMs() - start);
      const at = await arrived;
      if (at === null) missing.push(`${name} ${ip}`);
      else ready.push(at - start);
      if ((i + 1) % 250 === 0) console.log(`  ready: ${i + 1} of ${SERVICES} done (load ${loadAverage()})`);
    }
    const lost: number[] = [];
    const stuck: string[] = [];
    if (args['no-withdraw'] !== true) {
      for (const [i, name] of names.entries()) {
        const ip = ips.get(name) ?? '';
        const start = nowMs();
        const gone = monitor.waitFor(ip, 'deleted', start, ROUTE_TIMEOUT_MS);
        await lab.setEndpoints(name, []);
        const at = await gone;
        if (at === null) stuck.push(`${name} ${ip}`);
        else lost.push(at - start);
        if ((i + 1) % 250 === 0) console.log(`  loss: ${i + 1} of ${SERVICES} done`);
      }
    }
    console.log(`\nresults (load average after: ${loadAverage()}; each Service in turn, one at a time)`);
    console.log(line('endpoint ready → /32 in the router\'s kernel table', ready, missing.length));
    console.log(line('  of which the EndpointSlice write (API round trip)', writes, 0));
    if (args['no-withdraw'] !== true) console.log(line('endpoint gone → /32 deleted from the router\'s kernel table', lost, stuck.length));
    if (missing.length > 0) console.log(`  routes that never arrived: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`);
    if (stuck.length > 0) console.log(`  routes never withdrawn: ${stuck.slice(0, 10).join(', ')}${stuck.length > 10 ? ', …' : ''}`);
    if (missing.length > 0 || stuck.length > 0) console.log(`  speaker logs:\n${lab.logTails(20)}`);
  } finally {
    monitor?.close();
    await lab.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`endpoint-latency bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
