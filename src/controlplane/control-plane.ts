// One switch between the two API servers every API-facing suite runs against (issue #8): the
// in-memory stand-in (`herald dev apiserver`, fast, with fault hooks) and a real kube-apiserver
// with etcd (the judge of what Kubernetes does). HERALD_APISERVER=real|dev chooses; dev is the
// default. Both come up with Herald's CRDs served, so a test never needs to know which it has.
import { writeFile } from 'node:fs/promises';
import { loadCrdDir } from '../devapi/crd-loader.ts';
import { DEPLOY_CRDS, startDevApiServer, type DevApiServer } from '../devapi/server.ts';
import { httpsCall, type HttpsTarget } from './https.ts';
import { ControlPlaneError, startRealApiServer, type RealApiServer } from './real-apiserver.ts';

export type ApiServerKind = 'dev' | 'real';

export function apiServerKind(env: NodeJS.ProcessEnv = process.env): ApiServerKind {
  const v = env['HERALD_APISERVER'] ?? 'dev';
  if (v === 'dev' || v === 'real') return v;
  throw new ControlPlaneError('CONTROL_PLANE_START', `HERALD_APISERVER=${v} is not an API server kind; use dev or real`);
}

export interface ControlPlaneOptions {
  kind?: ApiServerKind;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Address in the `default/kubernetes` Endpoints (default: host). */
  advertiseAddress?: string;
  /** Serve Herald's CRDs from deploy/crds (default true). */
  heraldCrds?: boolean;
  /** Keep the real server's directory (logs, certificates) after close. */
  keepDir?: boolean;
}

export interface ControlPlane {
  readonly kind: ApiServerKind;
  readonly url: string;
  /** The stand-in, with its fault hooks and counters, when kind is dev. */
  readonly dev: DevApiServer | undefined;
  /** The real server, with outage controls, when kind is real. */
  readonly real: RealApiServer | undefined;
  /** An admin kubeconfig. */
  kubeconfigYaml(): string;
  writeKubeconfig(path: string): Promise<void>;
  /**
   * A kubeconfig that acts as ServiceAccount namespace/name (created when missing): a
   * TokenRequest token on the real server, so RBAC applies; the stand-in has no authorization.
   */
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const kind = opts.kind ?? apiServerKind();
  const host = opts.host ?? '127.0.0.1';
  if (kind === 'dev') {
    const dev = await startDevApiServer({ host, port: 0, crdDirs: [], includeDeployCrds: opts.heraldCrds !== false, ...(opts.advertiseAddress === undefined ? {} : { advertiseAddress: opts.advertiseAddress }) });
    return {
      kind,
      url: dev.url,
      dev,
      real: undefined,
      kubeconfigYaml: () => dev.kubeconfigYaml(),
      writeKubeconfig: (path) => dev.writeKubeconfig(path),
      serviceAccountKubeconfig: async () => dev.kubeconfigYaml(),
      close: () => dev.close(),
    };
  }
  const real = await startRealApiServer({ host, ...(opts.advertiseAddress === undefined ? {} : { advertiseAddress: opts.advertiseAddress }), ...(opts.keepDir === undefined ? {} : { keepDir: opts.keepDir }) });
  try {
    if (opts.heraldCrds !== false) await installCrds(real.admin, DEPLOY_CRDS);
  } catch (err) {
    await real.close();
    throw err;
  }
  return {
    kind,
    url: real.url,
    dev: undefined,
    real,
    kubeconfigYaml: () => real.kubeconfigYaml(),
    writeKubeconfig: (path) => writeFile(path, real.kubeconfigYaml(), { mode: 0o600 }),
    serviceAccountKubeconfig: async (namespace, name) => real.kubeconfigYaml(await serviceAccountToken(real.admin, namespace, name)),
    close: () => real.close(),
  };
}

async function expectOk(what: string, p: Promise<{ status: number; body: string }>, alsoOk: number[] = []): Promise<string> {
  const r = await p;
  if ((r.status >= 200 && r.status < 300) || alsoOk.includes(r.status)) return r.body;
  throw new ControlPlaneError('CONTROL_PLANE_START', `${what}: HTTP ${r.status} ${r.body.slice(0, 500)}`);
}

/** Creates every CRD in `dir` and waits until each is Established and a LIST of each served version answers. */
export async function installCrds(t: HttpsTarget, dir: string): Promise<void> {
  const crds = await loadCrdDir(dir);
  for (const { file, crd } of crds) {
    await expectOk(`creating the CRD in ${file}`, httpsCall(t, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd), [409]);
  }
  const end = Date.now() + 60_000;
  for (const { crd } of crds) {
    const meta = crd['metadata'];
    const name = typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? String(meta['name']) : '';
    for (;;) {
      const r = await httpsCall(t, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      const conditions = (JSON.parse(r.body) as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > end) throw new ControlPlaneError('CONTROL_PLANE_START', `CRD ${name} not Established after 60 s`);
      await new Promise((res) => setTimeout(res, 50));
    }
    // Established and discoverable is not yet servable: for a moment after, a LIST answers 429
    // "storage is (re)initializing" (seen on v1.34). Ready means a LIST of every served version works.
    const spec = crd['spec'];
    const s = typeof spec === 'object' && spec !== null && !Array.isArray(spec) ? spec : {};
    const plural = typeof s['names'] === 'object' && s['names'] !== null && !Array.isArray(s['names']) ? String(s['names']['plural']) : '';
    const versions = Array.isArray(s['versions']) ? s['versions'].flatMap((v) => (typeof v === 'object' && v !== null && !Array.isArray(v) && v['served'] === true ? [String(v['name'])] : [])) : [];
    for (const version of versions) {
      for (;;) {
        const r = await httpsCall(t, 'GET', `/apis/${String(s['group'])}/${version}/${plural}?limit=1`);
        if (r.status === 200) break;
        if (Date.now() > end) throw new ControlPlaneError('CONTROL_PLANE_START', `${plural}.${String(s['group'])}/${version} not listable after 60 s: HTTP ${r.status}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    }
  }
}

/** A token for namespace/name through TokenRequest, creating the namespace and ServiceAccount when missing. */
export async function serviceAccountToken(t: HttpsTarget, namespace: string, name: string): Promise<string> {
  await expectOk(`creating namespace ${namespace}`, httpsCall(t, 'POST', '/api/v1/namespaces', { metadata: { name: namespace } }), [409]);
  await expectOk(`creating ServiceAccount ${namespace}/${name}`, httpsCall(t, 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name } }), [409]);
  const body = await expectOk(`TokenRequest for ${namespace}/${name}`, httpsCall(t, 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 86_400 } }));
  const token = (JSON.parse(body) as { status?: { token?: unknown } }).status?.token;
  if (typeof token !== 'string') throw new ControlPlaneError('CONTROL_PLANE_START', `TokenRequest for ${namespace}/${name} returned no token`);
  return token;
}
