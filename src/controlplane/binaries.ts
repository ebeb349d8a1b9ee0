// Where the real control plane's binaries live (issue #8). scripts/cluster-binaries.sh builds
// kube-apiserver, kubectl and etcd from the pinned wrapper modules in test/cluster/ and caches
// them by version; this reads the same pins, so the two never disagree about a version.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: two levels up from src/controlplane (or dist/controlplane after a build). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BUILD_SCRIPT = 'scripts/cluster-binaries.sh';

export interface ControlPlaneBinaries {
  dir: string;
  kubeVersion: string;
  etcdVersion: string;
  kubeApiserver: string;
  kubectl: string;
  etcd: string;
}

export type BinariesResult = { ok: true; value: ControlPlaneBinaries } | { ok: false; code: 'pins-unreadable' | 'not-built'; message: string };

/** The version of `module` that a go.mod requires, or undefined. */
export function pinnedVersion(goMod: string, module: string): string | undefined {
  for (const line of goMod.split('\n')) {
    const words = line.trim().split(/\s+/);
    const [first, second, third] = words;
    if (first === module && second?.startsWith('v') === true) return second;
    if (first === 'require' && second === module && third?.startsWith('v') === true) return third;
  }
  return undefined;
}

function readPin(dir: string, module: string): string | undefined {
  const path = join(PACKAGE_ROOT, 'test', 'cluster', dir, 'go.mod');
  if (!existsSync(path)) return undefined;
  return pinnedVersion(readFileSync(path, 'utf8'), module);
}

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env['HERALD_CACHE'] ?? join(homedir(), '.cache', 'herald');
}

/** Finds the cached binaries; a missing one is an error value that says the one command to run. */
export function findBinaries(env: NodeJS.ProcessEnv = process.env): BinariesResult {
  const kubeVersion = readPin('kube', 'k8s.io/kubernetes');
  const etcdVersion = readPin('etcd', 'go.etcd.io/etcd/server/v3');
  if (kubeVersion === undefined || etcdVersion === undefined) {
    return { ok: false, code: 'pins-unreadable', message: `cannot read the pinned versions from ${join(PACKAGE_ROOT, 'test/cluster/{kube,etcd}/go.mod')}; the real kube-apiserver needs a source checkout of Herald` };
  }
  const dir = join(cacheRoot(env), `kube-${kubeVersion}-etcd-${etcdVersion}`);
  const value: ControlPlaneBinaries = { dir, kubeVersion, etcdVersion, kubeApiserver: join(dir, 'kube-apiserver'), kubectl: join(dir, 'kubectl'), etcd: join(dir, 'etcd') };
  const missing = [value.kubeApiserver, value.kubectl, value.etcd].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    return { ok: false, code: 'not-built', message: `kube-apiserver ${kubeVersion} / etcd ${etcdVersion} are not built (missing ${missing.join(', ')}); run ${join(PACKAGE_ROOT, BUILD_SCRIPT)} once (10-20 min cold, cached after)` };
  }
  return { ok: true, value };
}
