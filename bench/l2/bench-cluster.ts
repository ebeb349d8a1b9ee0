// The cluster the L2 API benches run their speakers against (api-load.ts, dark-vips.ts): the
// API-server stand-in as its own process, Nodes on loopback addresses, an IPPool of documentation
// addresses, one L2AnnouncementPolicy, and LoadBalancer Services addressed by the controller,
// which is stopped before anything is measured (its leader Lease would count).
import { join, resolve } from 'node:path';
import { existsSync, rmSync } from 'node:fs';
import type { Logger } from 'pino';
import { startController } from '../../src/controller/command.ts';
import { ANN_LEASE_IP } from '../../src/election/lease-names.ts';
import { PooledKubeConfig } from '../../src/kube/client.ts';
import { makeClients } from '../../src/kube/api-clients.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { HERALD_GROUP, HERALD_VERSION, IPPOOL_PLURAL } from '../../src/api/names.ts';
import { HERALD_GROUP as L2POLICY_GROUP, HERALD_VERSION as L2POLICY_VERSION, L2POLICY_PLURAL } from '../../src/api/names.ts';
import { makeTempDir, spawnChild, waitForLine } from '../ipam/children.ts';
import type { Child } from '../ipam/children.ts';
import { forEachLimit, waitFor } from './report.ts';
import { envWords } from '../machine.ts';
import { startControlPlane } from '../../src/controlplane/control-plane.ts';
import { realCounters, standInCounters } from '../ipam/api-servers.ts';
import { closeAtExit } from '../../src/lab/exit-hooks.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const NODE_BIN = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;
export const APPS = 'apps';
export const SPEAKER_NS = 'herald-system';
export const VIP_SELECTOR = 'herald.dev/lease=l2-vip';

export interface BenchNode {
  name: string;
  loopback: string;
  mac: string;
  eth0Address: string;
}

/** node-01… on 127.0.0.11…, each with its own MAC and an eth0 address. */
export function benchNodes(count: number): BenchNode[] {
  return Array.from({ length: count }, (_, i) => {
    const h = 11 + i;
    return { name: `node-${String(i + 1).padStart(2, '0')}`, loopback: `127.0.0.${h}`, mac: `02:00:00:00:00:${h.toString(16).padStart(2, '0')}`, eth0Address: `192.0.2.${h}` };
  });
}

export interface StandIn {
  child: Child;
  url: string;
  kubeconfig: string;
  clients: KubeClients;
}

/**
 * `herald dev apiserver` as its own process, as kube-apiserver would be: sharing the bench's event
 * loop with 10 speakers starved it (10 s request timeouts at the cold start). children.ts kills
 * it and removes the temp dir on SIGINT/SIGTERM/SIGHUP and on exit.
 * HERALD_BENCH_STANDIN_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": Node flags for the
 * stand-in only (a profile is written when it exits on the bench's SIGTERM).
 */
export async function startStandIn(prefix: string): Promise<StandIn> {
  const dir = makeTempDir(prefix);
  const kubeconfig = join(dir, 'kubeconfig');
  const nodeArgs = envWords('HERALD_BENCH_STANDIN_NODE_ARGS');
  const child = spawnChild('herald dev apiserver', NODE_BIN, [...nodeArgs, 'src/cli.ts', 'dev', 'apiserver', '--listen', '127.0.0.1:0', '--kubeconfig-out', kubeconfig], ROOT);
  const ready = await waitForLine(child, /\bready\b/i, 30_000);
  const url = /url=(\S+)/.exec(ready)?.[1];
  if (url === undefined) throw new Error(`no url in the stand-in's ready line: ${ready}`);
  const kc = new PooledKubeConfig();
  kc.loadFromFile(kubeconfig);
  return { child, url, kubeconfig, clients: makeClients(kc) };
}

/** The API server of a bench run: the stand-in, or kube-apiserver with etcd (the speakers then talk TLS to it). */
export interface BenchApi {
  kind: 'dev' | 'real';
  kubeconfig: string;
  clients: KubeClients;
  /** The processes that serve the API, for their CPU: the stand-in; kube-apiserver and etcd. */
  pids(): number[];
  /**
   * API requests so far by "verb resource" (create, update, patch, list, watch, get, delete):
   * the stand-in's counters, or kube-apiserver's `apiserver_request_total`, which also counts
   * its own requests (its identity Leases in kube-system).
   */
  counters(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** kube-apiserver's verbs in the stand-in's words. */
const REAL_VERBS: Readonly<Record<string, string>> = { POST: 'create', PUT: 'update', PATCH: 'patch', GET: 'get', LIST: 'list', WATCH: 'watch', DELETE: 'delete', DELETECOLLECTION: 'deletecollection' };

/** api-servers.ts's counters of either server, keyed "verb resource" in the stand-in's words. */
async function countersAs(read: Promise<{ ok: true; counters: Map<string, number> } | { ok: false; why: string }>, key: (k: string) => string): Promise<Map<string, number>> {
  const r = await read;
  if (!r.ok) throw new Error(`the API server's request counters: ${r.why}`);
  const out = new Map<string, number>();
  for (const [k, n] of r.counters) out.set(key(k), (out.get(key(k)) ?? 0) + n);
  return out;
}

export async function startBenchApi(kind: 'dev' | 'real', prefix: string): Promise<BenchApi> {
  if (kind === 'dev') {
    const s = await startStandIn(prefix);
    return {
      kind,
      kubeconfig: s.kubeconfig,
      clients: s.clients,
      pids: () => [s.child.pid],
      // /herald-dev/counters is {verb: {resource: n}}: "patch.leases" → "patch leases".
      counters: () => countersAs(standInCounters(s.clients.kc), (k) => k.replace('.', ' ')),
      // children.ts stops the stand-in with the speakers.
      close: async () => undefined,
    };
  }
  const dir = makeTempDir(prefix);
  const kubeconfig = join(dir, 'kubeconfig');
  const plane = await startControlPlane({ kind: 'real' });
  const real = plane.real;
  if (real === undefined) throw new Error('startControlPlane gave no real server');
  // Its processes die with this one (src/controlplane/process.ts); its directory goes here on a signal.
  const unregister = closeAtExit({ closeSync: () => rmSync(real.dir, { recursive: true, force: true }) });
  await plane.writeKubeconfig(kubeconfig);
  const kc = new PooledKubeConfig();
  kc.loadFromFile(kubeconfig);
  return {
    kind,
    kubeconfig,
    clients: makeClients(kc),
    pids: () => Object.values(real.pids()).filter((p): p is number => p !== undefined),
    counters: () =>
      countersAs(realCounters(kc), (k) => {
        const [verb = '', resource = ''] = k.split(' ');
        return `${REAL_VERBS[verb] ?? verb.toLowerCase()} ${resource}`;
      }),
    close: async () => {
      unregister();
      await plane.close();
    },
  };
}

/** Namespaces, Nodes, the IPPool 198.19.0.0/20 (4,096 RFC 2544 addresses) and the policy `all` (eth0). */
export async function seedCluster(clients: KubeClients, nodes: readonly BenchNode[]): Promise<void> {
  for (const name of [APPS, SPEAKER_NS]) await clients.core.createNamespace({ body: { metadata: { name } } });
  for (const n of nodes) {
    await clients.core.createNode({ body: { metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name } }, status: { addresses: [{ type: 'InternalIP', address: n.loopback }], conditions: [{ type: 'Ready', status: 'True' }] } } });
  }
  await clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: IPPOOL_PLURAL, body: { apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, kind: 'IPPool', metadata: { name: 'bench-l2' }, spec: { blocks: [{ cidr: '198.19.0.0/20' }] } } });
  await clients.custom.createClusterCustomObject({ group: L2POLICY_GROUP, version: L2POLICY_VERSION, plural: L2POLICY_PLURAL, body: { apiVersion: `${L2POLICY_GROUP}/${L2POLICY_VERSION}`, kind: 'L2AnnouncementPolicy', metadata: { name: 'all' }, spec: { interfaces: ['eth0'] } } });
}

/** The ingress IPs of the Services in `apps`. */
export async function serviceIPs(clients: KubeClients): Promise<string[]> {
  const list = await clients.core.listNamespacedService({ namespace: APPS });
  return list.items.flatMap((s) => (s.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip === undefined ? [] : [i.ip])));
}

/** `count` LoadBalancer Services, addressed by an in-process controller that is then stopped; returns their IPs. */
export async function addressedServices(clients: KubeClients, count: number, log: Logger): Promise<string[]> {
  const controller = await startController(
    { namespace: SPEAKER_NS, identity: 'bench-controller', defaultServiceIpam: 'pool', acceptAnnotations: new Set(), logLevel: 'silent', electionTimings: { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 200 } },
    log,
    clients,
  );
  try {
    await forEachLimit(
      Array.from({ length: count }, (_, i) => i),
      16,
      async (i) => {
        await clients.core.createNamespacedService({ namespace: APPS, body: { metadata: { name: `svc-${String(i).padStart(4, '0')}`, namespace: APPS }, spec: { type: 'LoadBalancer', selector: { app: `a${i}` }, ports: [{ port: 80, protocol: 'TCP' }], allocateLoadBalancerNodePorts: false } } });
      },
    );
    return await waitFor(`${count} Services with an ingress IP`, async () => {
      const ips = await serviceIPs(clients);
      return ips.length >= count ? { done: true, value: ips } : { done: false, seen: `${ips.length} with an address` };
    }, 120_000, 1000);
  } finally {
    // The controller is done; stopping it keeps its leader-election Lease renewals out of every count.
    await controller.stop();
  }
}

/** The VIP Leases now: IP (annotation) → holder ('' when released), resourceVersion. */
export async function vipLeases(clients: KubeClients): Promise<Map<string, { name: string; holder: string; version: string }>> {
  const list = await clients.coordination.listNamespacedLease({ namespace: SPEAKER_NS, labelSelector: VIP_SELECTOR });
  const out = new Map<string, { name: string; holder: string; version: string }>();
  for (const l of list.items) {
    const ip = l.metadata?.annotations?.[ANN_LEASE_IP];
    if (ip !== undefined) out.set(ip, { name: l.metadata?.name ?? '', holder: l.spec?.holderIdentity ?? '', version: l.metadata?.resourceVersion ?? '' });
  }
  return out;
}
