// One API server per suite, the same test code against the stand-in and the real kube-apiserver
// (issue #8, "Differential testing"): HERALD_APISERVER=dev|real picks it (src/controlplane).
// On the real server Herald's controller and speaker act as their own ServiceAccounts with
// exactly the RBAC of deploy/controller-rbac.yaml and deploy/speaker-rbac.yaml, applied from
// those files; the test's own set-up acts as an admin. Every answer Herald gets is recorded on
// the client side (the same counters on both servers), and a suite in which Herald met a 403
// fails when it closes: a permission Herald lacks cannot go unnoticed.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AuthorizationV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { apiServerKind, startControlPlane } from '../../src/controlplane/control-plane.ts';
import type { ApiServerKind, ControlPlane } from '../../src/controlplane/control-plane.ts';
import { httpsCall } from '../../src/controlplane/https.ts';
import { PooledKubeConfig, apiStatus } from '../../src/kube/client.ts';
import { makeClients } from '../../src/kube/api-clients.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { transportOf } from '../../src/kube/transport.ts';

/** The server every api-suite in this process runs against, known when tests are declared. */
export const API_KIND: ApiServerKind = apiServerKind();

/** For a test that needs a stand-in hook with no natural equivalent on a real server. */
export function standInOnly(hook: string): { skip: string | false } {
  return { skip: API_KIND === 'real' ? `needs the stand-in ${hook}` : false };
}

export const HERALD_NS = 'herald-system';
export const CONTROLLER_SA = 'herald-controller';
export const SPEAKER_SA = 'herald-speaker';
export const CONTROLLER_RBAC = fileURLToPath(new URL('../../deploy/controller-rbac.yaml', import.meta.url));
export const SPEAKER_RBAC = fileURLToPath(new URL('../../deploy/speaker-rbac.yaml', import.meta.url));

/** One answer Herald got: the method, the path with its query, and the HTTP status. */
export interface HeraldRequest {
  identity: 'controller' | 'speaker';
  method: string;
  path: string;
  status: number;
  /** Answered while the server was being stopped or started (stopServing … resumeServing). */
  restarting: boolean;
}

/** A kubeconfig that reports the status of every answer to `onAnswer` (requests and watches share its transport). */
class RecordingKubeConfig extends PooledKubeConfig {
  constructor(onAnswer: (method: string, path: string, status: number) => void) {
    super();
    transportOf(this).observe({ answered: (method, path, status) => onAnswer(method, path, status), failed: () => {} });
  }
}

export interface ApiSuite {
  readonly cp: ControlPlane;
  readonly kind: ApiServerKind;
  /** An admin: the test's own set-up and reads. */
  readonly admin: KubeClients;
  /** `herald controller`'s identity: herald-system/herald-controller on the real server. */
  readonly controller: KubeClients;
  /** `herald speaker`'s identity: herald-system/herald-speaker on the real server. */
  readonly speaker: KubeClients;
  /** Fresh clients with the controller's identity (another replica, a separate process). */
  controllerClients(): KubeClients;
  /** Fresh clients with the speaker's identity (a separate process, as on another node). */
  speakerClients(): KubeClients;
  /** Every answer Herald's identities got so far, in order. */
  requests(): HeraldRequest[];
  /** Requests of Herald's identities answered 403 so far, as "METHOD path". */
  forbidden(): string[];
  /** Forbidden requests matching `pattern` are expected by the test and do not fail close(). */
  allowForbidden(pattern: RegExp): void;
  /**
   * The API server stops answering: the stand-in drops every connection (faults.unreachable), a
   * real kube-apiserver is stopped (etcd keeps its data).
   */
  stopServing(): Promise<void>;
  /** It answers again (a real kube-apiserver is started and ready). */
  resumeServing(): Promise<void>;
  /** stopServing, about `ms` of silence, resumeServing. */
  outage(ms: number): Promise<void>;
  /** Closes the server; throws afterwards if Herald met a 403 no test expected. */
  close(): Promise<void>;
}

/** A raw JSON request as the admin, for checks below client-node (exact Status bodies). */
export async function adminRequest(cp: ControlPlane, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown; text: string }> {
  let status: number;
  let text: string;
  if (cp.real !== undefined) {
    ({ status, body: text } = await httpsCall(cp.real.admin, method, path, body));
  } else {
    const r = await fetch(new URL(path, cp.url), { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? null : JSON.stringify(body) });
    status = r.status;
    text = await r.text();
  }
  try {
    return { status, body: JSON.parse(text) as unknown, text };
  } catch {
    return { status, body: text, text };
  }
}

/** Creates every object of a YAML file (multi-document) as the admin. */
export async function applyManifestFile(kc: KubeConfig, file: string): Promise<KubernetesObject[]> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const docs = parseAllDocuments(await readFile(file, 'utf8')).map((d) => d.toJS() as unknown).filter((d): d is KubernetesObject => typeof d === 'object' && d !== null);
  for (const doc of docs) {
    try {
      await api.create(doc);
    } catch (err) {
      if (apiStatus(err) !== 409) throw err;
    }
  }
  return docs;
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs?: string[];
}

function rulesOf(o: KubernetesObject): Rule[] {
  return 'rules' in o && Array.isArray(o.rules) ? (o.rules as Rule[]) : [];
}

/**
 * Waits until the authorizer grants each bound ServiceAccount every rule of its roles (RBAC
 * reaches the authorizer through an informer, a moment after the write), so that a 403 later
 * means a missing permission, never a race with the set-up.
 */
async function awaitRbac(kc: KubeConfig, docs: KubernetesObject[]): Promise<void> {
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const roles = new Map(docs.filter((d) => d.kind === 'Role' || d.kind === 'ClusterRole').map((d) => [`${d.kind}/${d.metadata?.name ?? ''}`, d]));
  const checks: { user: string; namespace: string | undefined; rule: Rule }[] = [];
  for (const b of docs.filter((d) => d.kind === 'RoleBinding' || d.kind === 'ClusterRoleBinding')) {
    const ref = 'roleRef' in b ? (b.roleRef as { kind: string; name: string }) : undefined;
    const role = ref === undefined ? undefined : roles.get(`${ref.kind}/${ref.name}`);
    const subjects = 'subjects' in b && Array.isArray(b.subjects) ? (b.subjects as { kind: string; name: string; namespace?: string }[]) : [];
    for (const s of subjects.filter((x) => x.kind === 'ServiceAccount')) {
      for (const rule of role === undefined ? [] : rulesOf(role)) checks.push({ user: `system:serviceaccount:${s.namespace ?? ''}:${s.name}`, namespace: b.kind === 'RoleBinding' ? b.metadata?.namespace : undefined, rule });
    }
  }
  const end = Date.now() + 30_000;
  for (const { user, namespace, rule } of checks) {
    const attrs = { group: rule.apiGroups?.[0] ?? '', resource: (rule.resources?.[0] ?? '').split('/')[0] ?? '', subresource: (rule.resources?.[0] ?? '').split('/')[1] ?? '', verb: rule.verbs?.[0] ?? '', name: rule.resourceNames?.[0], namespace };
    for (;;) {
      const r = await authz.createSubjectAccessReview({ body: { spec: { user, groups: ['system:serviceaccounts', `system:serviceaccounts:${HERALD_NS}`, 'system:authenticated'], resourceAttributes: attrs } } });
      if (r.status?.allowed === true) break;
      if (Date.now() > end) throw new Error(`RBAC never took effect for ${user}: ${JSON.stringify(attrs)} (${r.status?.reason ?? ''})`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }
}

export async function startApiSuite(opts: { advertiseAddress?: string; namespaces?: string[] } = {}): Promise<ApiSuite> {
  const cp = await startControlPlane(opts.advertiseAddress === undefined ? {} : { advertiseAddress: opts.advertiseAddress });
  const requests: HeraldRequest[] = [];
  const allowed: RegExp[] = [];
  let restarting = false;
  // A kube-apiserver that is starting answers before it is ready, and refuses ServiceAccounts
  // (403) until its RBAC caches have synced (docs/devapi.md, differences, 7): not a missing permission.
  const forbidden = (): string[] => requests.filter((r) => r.status === 403 && !r.restarting).map((r) => `${r.method} ${r.path}`);
  const clientsFor = (yaml: string, identity: HeraldRequest['identity']): KubeClients => {
    const kc = new RecordingKubeConfig((method, path, status) => requests.push({ identity, method, path, status, restarting }));
    kc.loadFromString(yaml);
    return makeClients(kc);
  };
  try {
    const adminKc = new PooledKubeConfig();
    adminKc.loadFromString(cp.kubeconfigYaml());
    const admin = makeClients(adminKc);
    for (const ns of [HERALD_NS, ...(opts.namespaces ?? [])]) await admin.core.createNamespace({ body: { metadata: { name: ns } } });
    let controllerYaml = cp.kubeconfigYaml();
    let speakerYaml = cp.kubeconfigYaml();
    if (cp.kind === 'real') {
      // The stand-in has no authorization (docs/devapi.md): there Herald acts as the admin.
      const docs = [...(await applyManifestFile(adminKc, CONTROLLER_RBAC)), ...(await applyManifestFile(adminKc, SPEAKER_RBAC))];
      await awaitRbac(adminKc, docs);
      controllerYaml = await cp.serviceAccountKubeconfig(HERALD_NS, CONTROLLER_SA);
      speakerYaml = await cp.serviceAccountKubeconfig(HERALD_NS, SPEAKER_SA);
    }
    const stopServing = async (): Promise<void> => {
      restarting = true;
      if (cp.dev !== undefined) cp.dev.faults.unreachable(3_600);
      else await cp.real?.stopApiServer();
    };
    const resumeServing = async (): Promise<void> => {
      if (cp.dev !== undefined) cp.dev.faults.unreachable(0);
      else await cp.real?.startApiServer();
      restarting = false;
    };
    return {
      cp,
      kind: cp.kind,
      admin,
      controller: clientsFor(controllerYaml, 'controller'),
      speaker: clientsFor(speakerYaml, 'speaker'),
      controllerClients: () => clientsFor(controllerYaml, 'controller'),
      speakerClients: () => clientsFor(speakerYaml, 'speaker'),
      requests: () => [...requests],
      forbidden,
      allowForbidden: (p) => void allowed.push(p),
      stopServing,
      resumeServing,
      async outage(ms) {
        await stopServing();
        await new Promise((r) => setTimeout(r, ms));
        await resumeServing();
      },
      async close() {
        await cp.close();
        const unexpected = forbidden().filter((r) => !allowed.some((p) => p.test(r)));
        if (unexpected.length > 0) throw new Error(`Herald was refused (403) with the RBAC of deploy/: ${[...new Set(unexpected)].join('; ')}`);
      },
    };
  } catch (err) {
    await cp.close();
    throw err;
  }
}
