// `herald lab`: the demo. First LB IPAM end to end in one process: the API-server stand-in (or,
// with --apiserver real, kube-apiserver and etcd: issue #8), the controller, example
// nodes/pools/Services, what each Service got and why, a sharing edit story, and a controller
// restart that moves nothing. Then, as root, L2 announcements in a network of namespaces with one
// speaker per node, and a failover (l2-demo.ts), and BGP (bgp-demo.ts) on the same kind of server.
import { parseArgs } from 'node:util';
import { PooledKubeConfig } from '../kube/client.ts';
import { makeClients } from '../kube/api-clients.ts';
import type { KubeClients } from '../kube/client.ts';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { V1Service } from '@kubernetes/client-node';
import { findBinaries } from '../controlplane/binaries.ts';
import { ControlPlaneError } from '../controlplane/real-apiserver.ts';
import { startControlPlane } from '../controlplane/control-plane.ts';
import type { ApiServerKind } from '../controlplane/control-plane.ts';
import { createLogger } from '../observability/logger.ts';
import { startController } from '../controller/command.ts';
import type { RunningController } from '../controller/command.ts';
import { CONDITION_IPAM } from '../api/names.ts';
import { isIPPool } from '../api/ippool.ts';
import { HERALD_GROUP, HERALD_VERSION, IPPOOL_PLURAL } from '../api/names.ts';
import { LAB_NAMESPACE, labNodes, labPools, labServices } from './ipam-scenario.ts';
import { runBgpDemo } from './bgp-demo.ts';
import { runL2Demo } from './l2-demo.ts';

const HELP = `herald lab — run the demo

Usage: herald lab [--apiserver dev|real] [--log-level LEVEL] [--skip-l2] [--skip-bgp] [--keep-logs]

Part 1, LB IPAM: starts the in-memory API server stand-in and the controller in this process,
creates example nodes, IPPools and Services (documentation addresses only), prints what each
Service got and why, edits a shared pair and restarts the controller.

Part 2, L2 announcements (root only; skipped otherwise): builds network namespaces — three
nodes and a client on one bridge — runs one \`herald speaker\` per node, shows which node answers
ARP/NDP for each VIP, kills the holder's speaker and shows another node answering, then removes
everything. The root namespace gains one veth on a management network (198.19.k.254) while it runs.

Part 3, BGP (root only): the same nodes with BIRD 2 as the top-of-rack router in a namespace of
its own; shows the router's ECMP route for each VIP (one next hop per node) and a drain that
withdraws one node's paths at once.

  --apiserver KIND    dev: the in-memory stand-in, up in well under a second (default);
                      real: kube-apiserver and etcd on this machine (built once by
                      scripts/cluster-binaries.sh), with the speakers as the herald-speaker
                      ServiceAccount under deploy/speaker-rbac.yaml
  --log-level LEVEL   the controller's log level (default warn)
  --skip-l2           skip part 2
  --skip-bgp          skip part 3
  --keep-logs         keep the speakers' logs and the kubeconfig (the directory is printed)
`;

type Print = (line: string) => void;

async function serviceTable(clients: KubeClients): Promise<string[]> {
  const list = await clients.core.listNamespacedService({ namespace: LAB_NAMESPACE });
  return list.items.map((s: V1Service) => {
    const ips = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).join(',') || '-';
    const c = s.status?.conditions?.find((x) => x.type === CONDITION_IPAM);
    const verdict = c === undefined ? '(not Herald\'s: untouched)' : `${c.reason}: ${c.message}`;
    return `  ${(s.metadata?.name ?? '').padEnd(14)} ${ips.padEnd(34)} ${verdict}`;
  });
}

async function poolTable(clients: KubeClients): Promise<string[]> {
  const list: unknown = await clients.custom.listClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: IPPOOL_PLURAL });
  const items: unknown[] = typeof list === 'object' && list !== null && 'items' in list && Array.isArray(list.items) ? list.items : [];
  return items.filter(isIPPool).map((p) => {
    const conflict = p.status?.conditions?.find((c) => c.type === 'Conflict');
    const st = p.status;
    return `  ${(p.metadata.name ?? '').padEnd(14)} total=${st?.ipsTotal ?? '?'} used=${st?.ipsUsed ?? '?'} reserved=${st?.ipsReserved ?? '?'} available=${st?.ipsAvailable ?? '?'}${conflict?.status === 'True' ? `  CONFLICT: ${conflict.message}` : ''}`;
  });
}

/** Waits until the printed state stops changing (the controller has caught up). */
async function settle(clients: KubeClients): Promise<string[]> {
  let last = '';
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const now = [...(await serviceTable(clients)), ...(await poolTable(clients))];
    const text = now.join('\n');
    if (text === last && !text.includes('?')) return now;
    last = text;
  }
  throw new Error('the controller did not settle within 10 s');
}

async function patchService(clients: KubeClients, name: string, body: object): Promise<void> {
  await clients.core.patchNamespacedService({ name, namespace: LAB_NAMESPACE, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

export async function runLab(print: Print, logLevel = 'warn', apiserver: ApiServerKind = 'dev'): Promise<void> {
  const server = await startControlPlane({ kind: apiserver });
  const kc = new PooledKubeConfig();
  kc.loadFromString(server.kubeconfigYaml());
  const clients = makeClients(kc);
  const log = createLogger({ name: 'herald-lab', level: logLevel });
  const config = { namespace: 'herald-system', identity: 'lab-controller', defaultServiceIpam: 'pool' as const, acceptAnnotations: new Set<never>(), logLevel };
  let running: RunningController | undefined;
  try {
    print(server.real === undefined ? `API server stand-in at ${server.url}` : `kube-apiserver ${server.real.binaries.kubeVersion} with etcd ${server.real.binaries.etcdVersion} at ${server.url}`);
    for (const ns of [LAB_NAMESPACE, 'herald-system']) await clients.core.createNamespace({ body: { metadata: { name: ns } } });
    for (const node of labNodes()) await clients.core.createNode({ body: node });
    for (const pool of labPools()) await clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: IPPOOL_PLURAL, body: pool });
    print('\nServices and what they show:');
    for (const [svc, why] of labServices()) {
      await clients.core.createNamespacedService({ namespace: LAB_NAMESPACE, body: svc });
      print(`  ${(svc.metadata?.name ?? '').padEnd(14)} ${why}`);
    }
    running = await startController(config, log, clients);
    print('\nAllocated (service, addresses, condition):');
    const first = await settle(clients);
    for (const line of first) print(line);

    print('\nBoth Services sharing the "dns" address switch externalTrafficPolicy Cluster → Local, one after the other:');
    await patchService(clients, 'dns-tcp', { spec: { externalTrafficPolicy: 'Local' } });
    for (const line of (await settle(clients)).filter((l) => l.includes('dns-'))) print(line);
    await patchService(clients, 'dns-udp', { spec: { externalTrafficPolicy: 'Local' } });
    for (const line of (await settle(clients)).filter((l) => l.includes('dns-'))) print(line);

    print('\nRestarting the controller: no address moves.');
    const before = (await serviceTable(clients)).join('\n');
    await running.stop();
    running = await startController({ ...config, identity: 'lab-controller-2' }, log, clients);
    const after = (await settle(clients)).slice(0, before.split('\n').length).join('\n');
    print(before === after ? '  every Service kept its addresses' : `  CHANGED:\n${after}`);
  } finally {
    await running?.stop();
    await server.close();
  }
}

export async function runLabCommand(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: { apiserver: { type: 'string', default: 'dev' }, 'log-level': { type: 'string', default: 'warn' }, 'skip-l2': { type: 'boolean' }, 'skip-bgp': { type: 'boolean' }, 'keep-logs': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    process.stderr.write(`herald lab: ${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  const apiserver = values.apiserver;
  if (apiserver !== 'dev' && apiserver !== 'real') {
    process.stderr.write(`herald lab: --apiserver must be dev or real, not "${apiserver}"\n\n${HELP}`);
    return 2;
  }
  if (apiserver === 'real') {
    // Before anything starts: a missing build is one line saying what to run (issue #8).
    const found = findBinaries();
    if (!found.ok) {
      process.stderr.write(`herald lab: ${found.message}\n`);
      return 1;
    }
  }
  const print = (l: string) => process.stdout.write(`${l}\n`);
  try {
    await runLab(print, values['log-level'], apiserver);
    if (values['skip-l2'] !== true) await runL2Demo(print, { keepDir: values['keep-logs'] === true, apiserver });
    if (values['skip-bgp'] !== true) await runBgpDemo(print, { keepDir: values['keep-logs'] === true, apiserver });
  } catch (err) {
    // A real control plane that does not come up says why (and where its log is) in one line.
    if (err instanceof ControlPlaneError) {
      process.stderr.write(`herald lab: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  return 0;
}
