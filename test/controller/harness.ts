// A cluster for controller integration tests: one API server per suite (the stand-in or a real
// kube-apiserver, HERALD_APISERVER; test/support/api-suite.ts), real @kubernetes/client-node
// clients, and the controller started in-process exactly as `herald controller` starts it — on
// the real server as herald-system/herald-controller with the RBAC of deploy/. The test's own
// set-up and reads (`clients`) act as an admin. Every helper polls with a generous deadline
// instead of asserting on time.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { CoreV1Event, V1Node, V1Service } from '@kubernetes/client-node';
import { pino } from 'pino';
import type { ApiServerKind } from '../../src/controlplane/control-plane.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { startController } from '../../src/controller/command.ts';
import type { ControllerConfig, RunningController } from '../../src/controller/command.ts';
import { CONDITION_IPAM } from '../../src/api/names.ts';
import { isIPPool } from '../../src/api/ippool.ts';
import { HERALD_GROUP, HERALD_VERSION, IPPOOL_PLURAL } from '../../src/api/names.ts';
import type { IPPool } from '../../src/api/generated/ippools.ts';
import { HERALD_NS, startApiSuite } from '../support/api-suite.ts';
import type { ApiSuite } from '../support/api-suite.ts';

export const NS = 'apps';

export interface Cluster {
  suite: ApiSuite;
  kind: ApiServerKind;
  /** An admin: creating pools, Services, Nodes, and reading what the controller wrote. */
  clients: KubeClients;
  controllers: RunningController[];
  startController(over?: Partial<ControllerConfig>): Promise<RunningController>;
  close(): Promise<void>;
}

const FAST_ELECTION = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 200 };

export async function startCluster(opts: { advertiseAddress?: string } = {}): Promise<Cluster> {
  const suite = await startApiSuite({ advertiseAddress: opts.advertiseAddress ?? '203.0.113.250', namespaces: [NS] });
  const controllers: RunningController[] = [];
  let n = 0;
  return {
    suite,
    kind: suite.kind,
    clients: suite.admin,
    controllers,
    async startController(over = {}) {
      const config: ControllerConfig = {
        namespace: HERALD_NS,
        identity: `controller-${n++}`,
        defaultServiceIpam: 'pool',
        acceptAnnotations: new Set(),
        logLevel: 'silent',
        electionTimings: FAST_ELECTION,
        ...over,
      };
      const c = await startController(config, pino({ level: process.env['HERALD_TEST_LOG'] ?? 'silent' }), suite.controller);
      controllers.push(c);
      return c;
    },
    async close() {
      try {
        await Promise.all(controllers.map((c) => c.stop()));
      } finally {
        await suite.close();
      }
    },
  };
}

/** Polls `probe` until it returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
}

export function lbService(name: string, over: Partial<NonNullable<V1Service['spec']>> = {}, meta: { annotations?: Record<string, string>; labels?: Record<string, string>; namespace?: string } = {}): V1Service {
  return {
    metadata: { name, namespace: meta.namespace ?? NS, annotations: meta.annotations, labels: meta.labels },
    spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80, protocol: 'TCP' }], ...over },
  };
}

export function pool(name: string, spec: IPPool['spec']): IPPool {
  return { apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, kind: 'IPPool', metadata: { name }, spec };
}

export function node(name: string, addresses: [string, string][], labels: Record<string, string> = {}): V1Node {
  return { metadata: { name, labels }, status: { addresses: addresses.map(([type, address]) => ({ type, address })) } };
}

export async function createPool(c: Cluster, p: IPPool): Promise<void> {
  await c.clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: IPPOOL_PLURAL, body: p });
}

export async function getPool(c: Cluster, name: string): Promise<IPPool> {
  const o: unknown = await c.clients.custom.getClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: IPPOOL_PLURAL, name });
  if (!isIPPool(o)) throw new Error(`not an IPPool: ${JSON.stringify(o)}`);
  return o;
}

export async function patchPool(c: Cluster, name: string, body: object): Promise<void> {
  await c.clients.custom.patchClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: IPPOOL_PLURAL, name, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

export async function createService(c: Cluster, s: V1Service): Promise<void> {
  await c.clients.core.createNamespacedService({ namespace: s.metadata?.namespace ?? NS, body: s });
}

export async function patchService(c: Cluster, name: string, body: object, namespace = NS): Promise<void> {
  await c.clients.core.patchNamespacedService({ name, namespace, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

export async function getService(c: Cluster, name: string, namespace = NS): Promise<V1Service> {
  return c.clients.core.readNamespacedService({ name, namespace });
}

export function ipsOf(s: V1Service): string[] {
  return (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
}

export function conditionOf(s: V1Service): { status: string; reason: string; message: string; observedGeneration: number | undefined } | undefined {
  const c = s.status?.conditions?.find((x) => x.type === CONDITION_IPAM);
  return c === undefined ? undefined : { status: c.status, reason: c.reason, message: c.message, observedGeneration: c.observedGeneration };
}

/** Waits until the Service's condition has the given reason; returns the Service. */
export async function serviceWithReason(c: Cluster, name: string, reason: string, namespace = NS): Promise<V1Service> {
  let seen = '';
  try {
    return await eventually(`${namespace}/${name} to have reason ${reason}`, async () => {
      const s = await getService(c, name, namespace);
      const cond = conditionOf(s);
      seen = JSON.stringify({ condition: cond, ips: ipsOf(s), generation: s.metadata?.generation });
      return cond?.reason === reason && cond.observedGeneration === s.metadata?.generation ? s : undefined;
    });
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}; last seen ${seen}`);
  }
}

export async function eventsFor(c: Cluster, name: string, namespace = NS): Promise<CoreV1Event[]> {
  const list = await c.clients.core.listNamespacedEvent({ namespace });
  return list.items.filter((e) => e.involvedObject.name === name);
}
