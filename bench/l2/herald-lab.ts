// A Herald L2 lab for the benches, from the lab primitives (src/lab/netns.ts, speakers.ts,
// l2-objects.ts): three node namespaces and a client on one bridge, the API-server stand-in and
// the controller in this process on the host link, one `herald speaker` process per node, and
// up to 100 VIPs (src/lab/l2-lab.ts's pool holds only 21). close() removes everything; the
// network's exit hooks do so on SIGINT/SIGTERM/SIGHUP and on exit too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startController } from '../../src/controller/command.ts';
import type { RunningController } from '../../src/controller/command.ts';
import { startDevApiServer } from '../../src/devapi/server.ts';
import type { DevApiServer } from '../../src/devapi/server.ts';
import { PooledKubeConfig } from '../../src/kube/client.ts';
import { makeClients } from '../../src/kube/api-clients.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { HERALD_GROUP, HERALD_VERSION, IPPOOL_PLURAL } from '../../src/api/names.ts';
import { labNode, labPolicy } from '../../src/lab/l2-objects.ts';
import { buildLabNetwork } from '../../src/lab/netns.ts';
import type { LabHost, LabNetwork } from '../../src/lab/netns.ts';
import { SPEAKER_HEALTH_PORT, Speakers, hostPort, speakerFlags, writeHeartbeatKey } from '../../src/lab/speakers.ts';
import { L2POLICY_PLURAL } from '../../src/api/names.ts';
import { forEachLimit, ipv4Plus, sleep, waitFor } from './report.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
export const SPEAKER_NS = 'herald-system';
const APPS = 'bench';
/** VIPs from 192.0.2.101 up: the client is .100, the nodes .11…, so none collides. */
export const FIRST_VIP = '192.0.2.101';
export const MAX_VIPS = 100;

export interface HeraldLab {
  readonly network: LabNetwork;
  readonly api: DevApiServer;
  readonly clients: KubeClients;
  readonly speakers: Speakers;
  readonly vips: readonly string[];
  readonly dir: string;
  node(name: string): LabHost;
  nodeOfMac(mac: string): string | null;
  /** VIP → holder named in its Lease (held ones only). */
  holders(): Promise<Map<string, string>>;
  /** Waits until every VIP has a holder and the holders have not changed for `quietMs`. */
  settle(quietMs: number, timeoutMs: number): Promise<Map<string, string>>;
  close(): Promise<void>;
}

/** `speakerArgs`: more `herald speaker` flags for every speaker (e.g. a large cluster's `--node-lease-renew 5s`). */
export async function startHeraldLab(opts: { vips: number; onStep?: (s: string) => void; speakerArgs?: readonly string[] }): Promise<HeraldLab> {
  if (!(Number.isInteger(opts.vips) && opts.vips >= 1 && opts.vips <= MAX_VIPS)) throw new Error(`vips must be 1..${MAX_VIPS}`);
  const step = opts.onStep ?? (() => undefined);
  const undo: (() => Promise<void>)[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-l2-'));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  undo.push(async () => removeDir());
  const close = async (): Promise<void> => {
    for (const f of undo.reverse()) await f().catch((err: unknown) => process.stderr.write(`cleanup: ${err instanceof Error ? err.message : String(err)}\n`));
    undo.length = 0;
  };
  try {
    step('network: 3 node namespaces, a client, a host link');
    const network = await buildLabNetwork({ nodes: 3, ipv6: false, hostLink: true, killGraceMs: 3000 });
    undo.push(() => network.close());
    const host = network.host;
    if (host === null) throw new Error('the lab network has no host link');
    const api = await startDevApiServer({ host: host.ipv4, port: 0, crdDirs: [] });
    undo.push(() => api.close());
    const kubeconfig = join(dir, 'kubeconfig');
    await api.writeKubeconfig(kubeconfig);
    const kc = new PooledKubeConfig();
    kc.loadFromString(api.kubeconfigYaml());
    const clients = makeClients(kc);
    for (const name of [SPEAKER_NS, APPS]) await clients.core.createNamespace({ body: { metadata: { name } } });
    for (const n of network.nodes) await clients.core.createNode({ body: labNode({ name: n.name, ipv4: n.ipv4, ipv6: null }) });
    const vips = Array.from({ length: opts.vips }, (_, i) => ipv4Plus(FIRST_VIP, i));
    await clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: IPPOOL_PLURAL, body: { apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, kind: 'IPPool', metadata: { name: 'bench-l2' }, spec: { blocks: [{ start: vips[0] ?? FIRST_VIP, stop: vips[vips.length - 1] ?? FIRST_VIP }] } } });
    await clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: L2POLICY_PLURAL, body: labPolicy('bench-all-nodes', { interfaces: ['eth0'] }) });
    const controller: RunningController = await startController({ namespace: SPEAKER_NS, identity: 'bench-controller', defaultServiceIpam: 'pool', acceptAnnotations: new Set(), logLevel: 'silent' }, pino({ level: 'silent' }), clients);
    undo.push(() => controller.stop());
    step(`${opts.vips} Services`);
    await forEachLimit(vips, 8, async (_ip, i) => {
      await clients.core.createNamespacedService({ namespace: APPS, body: { metadata: { name: `svc-${String(i).padStart(3, '0')}`, namespace: APPS }, spec: { type: 'LoadBalancer', selector: { app: `a${i}` }, ports: [{ port: 80, protocol: 'TCP' }], allocateLoadBalancerNodePorts: false } } });
    });
    await waitFor(
      'every Service to get an address',
      async () => {
        const list = await clients.core.listNamespacedService({ namespace: APPS });
        const n = list.items.filter((s) => (s.status?.loadBalancer?.ingress ?? []).length > 0).length;
        return n >= opts.vips ? { done: true, value: n } : { done: false, seen: `${n} of ${opts.vips}` };
      },
      60_000,
      500,
    );
    const heartbeatKey = writeHeartbeatKey(dir);
    const speakers = new Speakers(
      network,
      network.nodes.map((node) => ({
        node,
        argv: [process.execPath, CLI, 'speaker', ...speakerFlags(node, kubeconfig, SPEAKER_NS, 'info', heartbeatKey), ...(opts.speakerArgs ?? [])],
        logFile: join(dir, `speaker-${node.name}.log`),
        health: hostPort(node.mgmt?.ipv4 ?? '', SPEAKER_HEALTH_PORT),
      })),
    );
    // Before the API server closes: a SIGTERM drain needs it.
    undo.push(() => speakers.stopAll('SIGTERM', 3000));
    step('speakers: one process per node namespace');
    await Promise.all(network.nodes.map((n) => speakers.start(n.name)));
    const macs = new Map(network.nodes.map((n) => [n.mac.toLowerCase(), n.name]));
    const holders = async (): Promise<Map<string, string>> => {
      const list = await clients.coordination.listNamespacedLease({ namespace: SPEAKER_NS, labelSelector: 'herald.dev/lease=l2-vip' });
      const out = new Map<string, string>();
      for (const l of list.items) {
        const ip = l.metadata?.annotations?.['herald.dev/ip'];
        const h = l.spec?.holderIdentity;
        if (ip !== undefined && h !== undefined && h !== '') out.set(ip, h);
      }
      return out;
    };
    const lab: HeraldLab = {
      network,
      api,
      clients,
      speakers,
      vips,
      dir,
      node(name) {
        const n = network.nodes.find((x) => x.name === name);
        if (n === undefined) throw new Error(`no node ${name}`);
        return n;
      },
      nodeOfMac: (mac) => macs.get(mac.toLowerCase()) ?? null,
      holders,
      async settle(quietMs, timeoutMs) {
        let last = new Map<string, string>();
        let since = performance.now();
        return waitFor(
          'every VIP held, holders unchanged',
          async () => {
            const now = await holders();
            const same = now.size === last.size && [...now].every(([k, v]) => last.get(k) === v);
            if (!same) since = performance.now();
            last = now;
            return now.size === vips.length && performance.now() - since >= quietMs ? { done: true, value: now } : { done: false, seen: `${now.size} of ${vips.length} held` };
          },
          timeoutMs,
          200,
        );
      },
      close,
    };
    step('waiting for every VIP to be held');
    await lab.settle(2000, 60_000);
    await sleep(0);
    return lab;
  } catch (err) {
    await close();
    throw err;
  }
}
