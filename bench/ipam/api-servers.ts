// The API server a cold-start run talks to: the stand-in (`herald dev apiserver` as its own
// process) or a real kube-apiserver with etcd (src/controlplane, issue #8). Both give the bench
// a kubeconfig, the processes to measure, and a count of API requests by verb and resource.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiextensionsV1Api, KubeConfig } from '@kubernetes/client-node';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { startControlPlane } from '../../src/controlplane/control-plane.ts';
import { apiStatus } from '../../src/kube/client.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { HERALD_GROUP, HERALD_VERSION, IPPOOL_PLURAL } from '../../src/api/names.ts';
import { freePort, spawnChild, waitForLine } from './children.ts';
import type { Child } from './children.ts';
import { httpGet, numericLeaves } from './observer.ts';

export type ApiKind = 'dev' | 'real';

export interface BenchApiServer {
  kind: ApiKind;
  /** What it is, for the report. */
  label: string;
  kubeconfig: string;
  readySeconds: number;
  /** The processes that serve the API (stand-in; or kube-apiserver and etcd). */
  pids(): number[];
  /** API requests so far, by a stable key (verb and resource), or why not available. */
  counters(kc: KubeConfig): Promise<{ ok: true; counters: Map<string, number> } | { ok: false; why: string }>;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startBenchApiServer(kind: ApiKind, dir: string, root: string, node: string): Promise<BenchApiServer> {
  return kind === 'dev' ? startStandIn(dir, root, node) : startReal(dir);
}

/** Starts `herald dev apiserver`; tries port 0 first, then a port picked here. */
async function startStandIn(dir: string, root: string, node: string): Promise<BenchApiServer> {
  const kubeconfig = join(dir, 'kubeconfig');
  const failures: string[] = [];
  for (const port of [0, await freePort()]) {
    const started = performance.now();
    const child: Child = spawnChild('herald dev apiserver', node, ['src/cli.ts', 'dev', 'apiserver', '--listen', `127.0.0.1:${port}`, '--kubeconfig-out', kubeconfig], root);
    try {
      await waitForLine(child, /\bready\b/i, 30_000);
      for (let i = 0; i < 50 && !existsSync(kubeconfig); i++) await sleep(20);
      if (!existsSync(kubeconfig)) throw new Error(`it said ready but wrote no ${kubeconfig}`);
      return {
        kind: 'dev',
        label: `API server stand-in (herald dev apiserver), pid ${child.pid}`,
        kubeconfig,
        readySeconds: (performance.now() - started) / 1000,
        pids: () => [child.pid],
        counters: standInCounters,
        close: async () => {
          child.proc.kill('SIGTERM');
          await child.exited;
        },
      };
    } catch (err) {
      failures.push(`--listen 127.0.0.1:${port}: ${err instanceof Error ? err.message : String(err)}\n    ${child.tail.slice(-8).join('\n    ')}`);
      child.proc.kill('SIGKILL');
      await child.exited;
    }
  }
  throw new Error(`the API server stand-in did not start:\n  ${failures.join('\n  ')}`);
}

async function startReal(dir: string): Promise<BenchApiServer> {
  const started = performance.now();
  const cp = await startControlPlane({ kind: 'real' });
  const real = cp.real;
  if (real === undefined) throw new Error('startControlPlane gave no real server');
  const kubeconfig = join(dir, 'kubeconfig');
  await cp.writeKubeconfig(kubeconfig);
  return {
    kind: 'real',
    label: `kube-apiserver ${real.binaries.kubeVersion} + etcd ${real.binaries.etcdVersion}, pids ${JSON.stringify(real.pids())}`,
    kubeconfig,
    readySeconds: (performance.now() - started) / 1000,
    pids: () => Object.values(real.pids()).filter((p): p is number => p !== undefined),
    counters: realCounters,
    close: () => cp.close(),
  };
}

/** The stand-in's request counters (/herald-dev/counters). */
export async function standInCounters(kc: KubeConfig): Promise<{ ok: true; counters: Map<string, number> } | { ok: false; why: string }> {
  const server = kc.getCurrentCluster()?.server;
  if (server === undefined) return { ok: false, why: 'no cluster in the kubeconfig' };
  try {
    const res = await httpGet(`${server.replace(/\/$/, '')}/herald-dev/counters`, kc);
    if (res.status !== 200) return { ok: false, why: `GET /herald-dev/counters answered ${res.status}` };
    return { ok: true, counters: numericLeaves(JSON.parse(res.body) as unknown) };
  } catch (err) {
    return { ok: false, why: err instanceof Error ? err.message : String(err) };
  }
}

/** kube-apiserver's own count, `apiserver_request_total`, summed by verb and resource. */
export async function realCounters(kc: KubeConfig): Promise<{ ok: true; counters: Map<string, number> } | { ok: false; why: string }> {
  const server = kc.getCurrentCluster()?.server;
  if (server === undefined) return { ok: false, why: 'no cluster in the kubeconfig' };
  try {
    const res = await httpGet(`${server.replace(/\/$/, '')}/metrics`, kc, 10_000);
    if (res.status !== 200) return { ok: false, why: `GET /metrics answered ${res.status}` };
    const counters = new Map<string, number>();
    for (const m of res.body.matchAll(/^apiserver_request_total\{([^}]*)\} ([0-9.e+]+)$/gm)) {
      const labels = new Map([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1] ?? '', l[2] ?? '']));
      const key = `${labels.get('verb') ?? '?'} ${labels.get('resource') ?? '?'}${(labels.get('subresource') ?? '') === '' ? '' : `/${labels.get('subresource') ?? ''}`}`;
      counters.set(key, (counters.get(key) ?? 0) + Number(m[2]));
    }
    return { ok: true, counters };
  } catch (err) {
    return { ok: false, why: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * client-node 2.x refuses a plain-HTTP server unless the cluster says insecure-skip-tls-verify
 * (config.js createDispatcherOptions). When the stand-in's kubeconfig lacks it, the bench and
 * the controller use a copy that has it; the report says so.
 */
export function usableKubeconfig(path: string): { kc: KubeConfig; path: string; note: string | undefined } {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  const plain = kc.getClusters().filter((c) => c.server.startsWith('http:') && c.skipTLSVerify !== true);
  if (plain.length === 0) return { kc, path, note: undefined };
  const patched = new KubeConfig();
  patched.loadFromOptions({
    clusters: kc.getClusters().map((c) => (c.server.startsWith('http:') ? { ...c, skipTLSVerify: true } : c)),
    users: kc.getUsers(),
    contexts: kc.getContexts(),
    currentContext: kc.getCurrentContext(),
  });
  const out = `${path}.skip-tls-verify`;
  writeFileSync(out, patched.exportConfig(), { mode: 0o600 });
  return { kc: patched, path: out, note: `the stand-in's kubeconfig has a plain-HTTP server without insecure-skip-tls-verify, which client-node 2.x rejects; using a copy with it set` };
}

export function isCrd(v: unknown): v is V1CustomResourceDefinition {
  return typeof v === 'object' && v !== null && 'kind' in v && v.kind === 'CustomResourceDefinition' && 'spec' in v && typeof v.spec === 'object';
}

/** Makes sure ippools.herald.dev is served: installs it from `crdFile` when the server lacks it. */
export async function ensureIPPoolCrd(kc: KubeConfig, clients: KubeClients, crdFile: string): Promise<string> {
  const list = (): Promise<unknown> => clients.custom.listClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: IPPOOL_PLURAL });
  try {
    await list();
    return 'already served';
  } catch (err) {
    if (apiStatus(err) !== 404) throw err;
  }
  const crd: unknown = parseYaml(readFileSync(crdFile, 'utf8'));
  if (!isCrd(crd)) throw new Error(`${crdFile} is not a CustomResourceDefinition`);
  await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({ body: crd });
  for (let i = 0; i < 100; i++) {
    try {
      await list();
      return `installed from ${crdFile}`;
    } catch {
      await sleep(50);
    }
  }
  throw new Error('the IPPool CRD was created but ippools.herald.dev is not served after 5 s');
}
