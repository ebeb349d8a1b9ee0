// The controllers a cold start can time: Herald's, MetalLB's as its peer (metallb-peer.ts), and the
// API server's floor (floor-writer.ts: the same status writes with no controller behind them).
// Each says how to set its configuration up, which Service bodies it is given, when a Service
// counts as served, and how it is started; cold-start.ts does the rest the same way for both.
import type { KubeConfig, V1Service } from '@kubernetes/client-node';
import { HERALD_GROUP, HERALD_VERSION, IPPOOL_PLURAL } from '../../src/api/names.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { forEachLimit } from '../l2/report.ts';
import { ensureIPPoolCrd } from './api-servers.ts';
import type { makePools, PlannedService } from './cluster-load.ts';
import { installMetallb, metallbArgs, metallbBodies, metallbPools } from './metallb-peer.ts';
import { ingressState, ipamState } from './observer.ts';
import type { StateOf } from './observer.ts';

export type ContenderName = 'herald' | 'metallb' | 'floor';

/** `--controller`'s names in order, or undefined if one is unknown (`both` is herald,metallb). */
export function contenderNames(text: string): ContenderName[] | undefined {
  const words = text === 'both' ? ['herald', 'metallb'] : text.split(',').map((w) => w.trim());
  const names = words.filter((w): w is ContenderName => w === 'herald' || w === 'metallb' || w === 'floor');
  return names.length === 0 || names.length !== words.length ? undefined : [...new Set(names)];
}

export interface Contender {
  name: ContenderName;
  /** What it is, for the report. */
  label: string;
  /** CRDs, namespaces and pools, before any Service; answers a line for the report. */
  prepare(kc: KubeConfig, clients: KubeClients): Promise<string>;
  /** The Services to create, one per planned Service. */
  bodies: V1Service[];
  /** When a Service counts as served. */
  stateOf: StateOf;
  /** Whether a dual-stack Service's addresses must come in its ipFamilies' order (Herald promises it). */
  orderedFamilies: boolean;
  /** Whether it serves Herald's /healthz, /readyz and /metrics on the port it is given. */
  heraldProbes: boolean;
  /** The command that starts it against `kubeconfig`, serving health or metrics on `port`. */
  command(kubeconfig: string, port: number): { command: string; args: string[] };
}

export function heraldContender(o: { node: string; entry: string; nodeOptions: readonly string[]; env: readonly string[]; crdFile: string; pools: ReturnType<typeof makePools>; plan: ReadonlyMap<string, PlannedService> }): Contender {
  return {
    name: 'herald',
    label: `herald controller (${[...o.env, ...o.nodeOptions, o.entry].join(' ')})`,
    prepare: async (kc, clients) => {
      const crd = await ensureIPPoolCrd(kc, clients, o.crdFile);
      await clients.core.createNamespace({ body: { metadata: { name: 'herald-system' } } });
      await forEachLimit(o.pools, 8, async (body) => {
        await clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: IPPOOL_PLURAL, body });
      });
      return `IPPool CRD ${crd}; ${o.pools.length} IPPools`;
    },
    bodies: [...o.plan.values()].map((p) => p.body),
    stateOf: ipamState,
    orderedFamilies: true,
    heraldProbes: true,
    command: (kubeconfig, port) => {
      const argv = [o.node, ...o.nodeOptions, o.entry, 'controller', '--kubeconfig', kubeconfig, '--log-level', 'warn', '--health-addr', `127.0.0.1:${port}`];
      // Through env(1), as the speaker bench does: the cgroup's entering shell execs it unchanged.
      return o.env.length === 0 ? { command: o.node, args: argv.slice(1) } : { command: '/usr/bin/env', args: [...o.env, ...argv] };
    },
  };
}

export function metallbContender(o: { dir: string; v4Pools: number; v6Pools: number; plan: ReadonlyMap<string, PlannedService> }): Contender {
  const pools = metallbPools(o.v4Pools, o.v6Pools);
  return {
    name: 'metallb',
    label: `MetalLB controller (${o.dir}/controller)`,
    prepare: (kc, clients) => installMetallb(kc, clients, o.dir, pools),
    bodies: metallbBodies(o.plan),
    stateOf: ingressState,
    // MetalLB writes a dual-stack Service's addresses in its own order; Kubernetes asks for none.
    orderedFamilies: false,
    heraldProbes: false,
    command: (kubeconfig, port) => ({ command: `${o.dir}/controller`, args: metallbArgs(kubeconfig, port) }),
  };
}

/**
 * The floor: floor-writer.ts lists the Services and sends each the status Herald would, with
 * planned addresses and nothing else (issue #10: how much of a first allocation is the API
 * server's). Herald's condition, so the same verification applies.
 */
export function floorContender(o: { node: string; script: string; plan: ReadonlyMap<string, PlannedService> }): Contender {
  return {
    name: 'floor',
    label: `the API server's floor: ${o.script}, the same status writes without a controller`,
    prepare: async (_kc, clients) => {
      await clients.core.createNamespace({ body: { metadata: { name: 'herald-system' } } });
      return 'no pools: the writer takes addresses the bench planned';
    },
    bodies: [...o.plan.values()].map((p) => p.body),
    stateOf: ipamState,
    orderedFamilies: true,
    heraldProbes: false,
    command: (kubeconfig) => ({ command: o.node, args: [o.script, '--kubeconfig', kubeconfig] }),
  };
}
