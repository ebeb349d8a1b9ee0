// MetalLB's controller as the cold start's peer (issue #10: figures and ratios against a peer
// run side by side, on the same API server, machine and Services). Built from its release module
// by scripts/peer-binaries.sh; only against the real kube-apiserver: the stand-in serves only the
// kinds Herald uses, and the controller-runtime manager MetalLB is built on exits at start when
// discovery has no ConfigMap (tried: "no matches for kind ConfigMap in version v1").
//
// The same address space and the same answers: MetalLB takes all of a Service's addresses from
// one pool, so where Herald has a v4 pool per shard and a v6 pool per four shards, MetalLB gets a
// pool per shard holding that shard's IPv4 /22 and a quarter of its IPv6 /64 (a /66), selected
// by the same shard label. Sharing pairs carry MetalLB's key beside Herald's.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1Service } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import type { KubeClients } from '../../src/kube/client.ts';
import { isCrd } from './api-servers.ts';
import { SHARD_LABEL, SHARDS, v4Cidr } from './cluster-load.ts';
import type { PlannedService } from './cluster-load.ts';

export const METALLB_NAMESPACE = 'metallb-system';
/** MetalLB's sharing annotation (its docs, "IP address sharing"). */
export const ANN_METALLB_SHARING = 'metallb.io/allow-shared-ip';
const GROUP = 'metallb.io';
const POOL_VERSION = 'v1beta1';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The folder scripts/peer-binaries.sh built (controller, crds/), or the one line that says how to build it. */
export function metallbFolder(root: string): { ok: true; dir: string } | { ok: false; why: string } {
  try {
    const dir = execFileSync(join(root, 'scripts/peer-binaries.sh'), ['--check'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    return { ok: true, dir };
  } catch (err) {
    const stderr = typeof err === 'object' && err !== null && 'stderr' in err ? String(err.stderr).trim() : '';
    return { ok: false, why: stderr !== '' ? stderr : String(err) };
  }
}

/**
 * Shard s's IPv6 slice: the /64 of the Herald pool that serves it (`v6Cidr`, `perV6` shards per
 * pool) cut into as many equal parts as that pool serves shards, part s mod perV6.
 */
export function v6SliceOf(shard: number, v6Pools: number): string | undefined {
  if (v6Pools <= 0) return undefined;
  const perV6 = Math.ceil(SHARDS / v6Pools);
  const pool = Math.floor(shard / perV6);
  if (pool >= v6Pools) return undefined;
  const bits = Math.ceil(Math.log2(perV6));
  const group5 = ((shard % perV6) << (16 - bits)) & 0xffff;
  return `2001:db8:0:${(pool + 1).toString(16)}:${group5.toString(16)}::/${64 + bits}`;
}

/** One IPAddressPool per shard that has addresses, selected by the shard label as Herald's pools are. */
export function metallbPools(v4Pools: number, v6Pools: number): Record<string, unknown>[] {
  const pools: Record<string, unknown>[] = [];
  for (let s = 0; s < SHARDS; s++) {
    const addresses = [s < v4Pools ? v4Cidr(s) : undefined, v6SliceOf(s, v6Pools)].filter((a): a is string => a !== undefined);
    if (addresses.length === 0) continue;
    pools.push({
      apiVersion: `${GROUP}/${POOL_VERSION}`,
      kind: 'IPAddressPool',
      metadata: { name: `shard-${String(s).padStart(2, '0')}`, namespace: METALLB_NAMESPACE },
      spec: { addresses, autoAssign: true, serviceAllocation: { serviceSelectors: [{ matchLabels: { [SHARD_LABEL]: String(s) } }] } },
    });
  }
  return pools;
}

/** The plan's Service bodies with MetalLB's sharing key beside Herald's. */
export function metallbBodies(plan: ReadonlyMap<string, PlannedService>): V1Service[] {
  return [...plan.values()].map((p) => {
    if (p.sharingKey === undefined) return p.body;
    const metadata = { ...p.body.metadata, annotations: { ...p.body.metadata?.annotations, [ANN_METALLB_SHARING]: p.sharingKey } };
    return { ...p.body, metadata };
  });
}

/** Installs the release's CRDs and the pools, and waits until the pools are served. */
export async function installMetallb(kc: KubeConfig, clients: KubeClients, dir: string, pools: readonly Record<string, unknown>[]): Promise<string> {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const files = readdirSync(join(dir, 'crds')).filter((f) => f.endsWith('.yaml'));
  for (const f of files) {
    const crd: unknown = parseYaml(readFileSync(join(dir, 'crds', f), 'utf8'));
    if (!isCrd(crd)) throw new Error(`${join(dir, 'crds', f)} is not a CustomResourceDefinition`);
    await ext.createCustomResourceDefinition({ body: crd });
  }
  await clients.core.createNamespace({ body: { metadata: { name: METALLB_NAMESPACE } } });
  for (let i = 0; ; i++) {
    try {
      await clients.custom.listNamespacedCustomObject({ group: GROUP, version: POOL_VERSION, namespace: METALLB_NAMESPACE, plural: 'ipaddresspools' });
      break;
    } catch (err) {
      if (i >= 200) throw new Error(`MetalLB's CRDs were created but ipaddresspools.${GROUP} is not served after 10 s: ${err instanceof Error ? err.message : String(err)}`);
      await sleep(50);
    }
  }
  for (const body of pools) {
    await clients.custom.createNamespacedCustomObject({ group: GROUP, version: POOL_VERSION, namespace: METALLB_NAMESPACE, plural: 'ipaddresspools', body });
  }
  return `${files.length} CRDs from ${join(dir, 'crds')}, ${pools.length} IPAddressPools in ${METALLB_NAMESPACE}`;
}

/**
 * MetalLB's controller as its chart runs it, less the webhook (a cluster of one process has no
 * Service to reach it by); its metrics on `metricsPort`; at warn, as Herald's controller is run.
 */
export function metallbArgs(kubeconfig: string, metricsPort: number): string[] {
  return ['--kubeconfig', kubeconfig, '--namespace', METALLB_NAMESPACE, '--webhook-mode', 'disabled', '--disable-cert-rotation', '--port', String(metricsPort), '--log-level', 'warn'];
}
