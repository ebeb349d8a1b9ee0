// The helm binary (issue #12), built from helm.sh/helm/v4 by scripts/cluster-binaries.sh from the
// pinned wrapper module test/cluster/helm and cached beside the kube binaries in
// ${HERALD_CACHE:-~/.cache/herald}/helm-<version>/. Run as kubectl is (kubectl.ts): a child
// process with its own HOME in a temporary directory, so Helm's cache, config and repositories
// under ~ are never read or written.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { findCachedBinary } from './cached-binary.ts';
import { parseAllDocuments } from 'yaml';
import { kubectlSession, type KubectlSession } from './kubectl.ts';
import { isObj, obj, str, type Obj } from './schema-check.ts';

export const CHART = fileURLToPath(new URL('../../deploy/chart/herald/', import.meta.url));
export const HELM_MODULE = 'helm.sh/helm/v4';

export type HelmBinary = { ok: true; helm: string; version: string } | { ok: false; message: string };

/** Finds the cached helm of the pinned version; a missing one is a message naming the command that builds it. */
export function findHelm(env: NodeJS.ProcessEnv = process.env): HelmBinary {
  const found = findCachedBinary({ wrapper: 'helm', module: HELM_MODULE, folder: 'helm', binary: 'helm' }, env);
  return found.ok ? { ok: true, helm: found.path, version: found.version } : found;
}

/** A session whose commands are helm's: kubectlSession's process handling, errors that say helm. */
export async function helmSession(helm: string, kubeconfigYaml: string): Promise<KubectlSession> {
  const session = await kubectlSession(helm, kubeconfigYaml);
  return {
    ...session,
    async ok(args, stdin) {
      const r = await session.run(args, stdin);
      if (r.code !== 0) throw new Error(`helm ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
      return r.stdout;
    },
  };
}

/** Helm says on stderr that it follows files/crds -> deploy/crds (see crds.yaml of the chart). */
const SYMLINK_NOTE = /^level=INFO msg="found symbolic link in path\. Contents of linked file included and used" path=\S+\/files\/crds resolved=\S+\/deploy\/crds$/;

/** The lines of helm's stderr other than that note: each one a finding. */
export function stderrProblems(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !SYMLINK_NOTE.test(l));
}

/** Helm's own metadata on top of deploy/'s: set aside when the chart is compared with kustomize. */
export const HELM_LABELS: readonly string[] = ['helm.sh/chart', 'app.kubernetes.io/instance', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/version'];
export const HELM_ANNOTATIONS: readonly string[] = ['helm.sh/resource-policy', 'meta.helm.sh/release-name', 'meta.helm.sh/release-namespace'];

/** Every document of a YAML stream as an object; parse errors, warnings, duplicate keys or a YAML 1.1 reading that differs fail. */
export function parseRendered(text: string, what: string): Obj[] {
  const v12 = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  const v11 = parseAllDocuments(text, { version: '1.1' });
  assert.ok(Array.isArray(v12) && Array.isArray(v11), `${what}: not a YAML stream`);
  for (const d of v12) assert.deepEqual([...d.errors, ...d.warnings].map((e) => e.message), [], what);
  const docs = v12.map((d) => d.toJS() as unknown).filter((d) => d !== null && d !== undefined);
  // kubectl and Helm read YAML 1.1, where a bare yes/no/on/off is a boolean.
  assert.deepEqual(v11.map((d) => d.toJS() as unknown).filter((d) => d !== null && d !== undefined), docs, `${what}: YAML 1.1 reads it differently`);
  return docs.map((d, i) => {
    const o = obj(d, `${what}#${i}`);
    str(o['apiVersion'], `${what}#${i} apiVersion`);
    str(o['kind'], `${what}#${i} kind`);
    str(obj(o['metadata'], `${what}#${i} metadata`)['name'], `${what}#${i} name`);
    return o;
  });
}

const meta = (o: Obj): Obj => obj(o['metadata'], 'metadata');

/** kind/namespace/name: the identity of an object in a comparison. */
export const keyOf = (o: Obj): string => `${String(o['kind'])}/${String(meta(o)['namespace'] ?? '')}/${String(meta(o)['name'])}`;

/** The object without Helm's own labels and annotations (empty maps removed). */
export function withoutHelmMetadata(o: Obj): Obj {
  const m = { ...meta(o) };
  for (const [field, names] of [['labels', HELM_LABELS], ['annotations', HELM_ANNOTATIONS]] as const) {
    if (!isObj(m[field])) continue;
    const kept = Object.fromEntries(Object.entries(m[field]).filter(([k]) => !names.includes(k)));
    if (Object.keys(kept).length === 0) delete m[field];
    else m[field] = kept;
  }
  return { ...o, metadata: m };
}
