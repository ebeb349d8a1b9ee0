// Herald's own RBAC from deploy/, applied to the lab's real kube-apiserver as the admin, so the
// speakers (and a controller process) run with their ServiceAccount tokens and exactly the
// permissions a cluster gives them (issue #8, points 3 and 4). Create-only: an object that
// exists already (409) is left as it is, like `kubectl create` run twice.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PACKAGE_ROOT } from '../controlplane/binaries.ts';
import { httpsCall } from '../controlplane/https.ts';
import type { HttpsTarget } from '../controlplane/https.ts';
import { LabError } from './errors.ts';

export const SPEAKER_RBAC = join(PACKAGE_ROOT, 'deploy', 'speaker-rbac.yaml');
export const CONTROLLER_RBAC = join(PACKAGE_ROOT, 'deploy', 'controller-rbac.yaml');

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
}

function isManifest(v: unknown): v is Manifest {
  if (typeof v !== 'object' || v === null || !('kind' in v) || typeof v.kind !== 'string' || !('metadata' in v)) return false;
  const m = v.metadata;
  return typeof m === 'object' && m !== null && 'name' in m && typeof m.name === 'string';
}

/** The collection a manifest of one of the kinds in deploy/*-rbac.yaml is created in; null for other kinds. */
export function collectionPath(m: Manifest): string | null {
  const ns = m.metadata.namespace ?? 'default';
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  switch (m.kind) {
    case 'ServiceAccount':
      return `/api/v1/namespaces/${ns}/serviceaccounts`;
    case 'ClusterRole':
      return `${rbac}/clusterroles`;
    case 'ClusterRoleBinding':
      return `${rbac}/clusterrolebindings`;
    case 'Role':
      return `${rbac}/namespaces/${ns}/roles`;
    case 'RoleBinding':
      return `${rbac}/namespaces/${ns}/rolebindings`;
    default:
      return null;
  }
}

/** The objects of a multi-document YAML file, in order (empty documents skipped). */
export async function readManifests(file: string): Promise<Manifest[]> {
  const docs = parseAllDocuments(await readFile(file, 'utf8'));
  const out: Manifest[] = [];
  for (const doc of docs) {
    const v: unknown = doc.toJS();
    if (v === null || v === undefined) continue;
    if (!isManifest(v)) throw new LabError('InvalidOptions', `${file}: a document without kind and metadata.name`);
    out.push(v);
  }
  return out;
}

/** Creates every object of `file` (ServiceAccounts and RBAC only) as `admin`. */
export async function applyManifestFile(admin: HttpsTarget, file: string): Promise<void> {
  for (const m of await readManifests(file)) {
    const path = collectionPath(m);
    if (path === null) throw new LabError('InvalidOptions', `${file}: the lab applies ServiceAccounts and RBAC only, not ${m.kind}`);
    const r = await httpsCall(admin, 'POST', path, m);
    if (!(r.status >= 200 && r.status < 300) && r.status !== 409) throw new LabError('CommandFailed', `creating ${m.kind} ${m.metadata.name} from ${file}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  }
}
