// A tool the tests run that scripts/cluster-binaries.sh builds from a pinned wrapper module in
// test/cluster/<wrapper>/ and caches in ${HERALD_CACHE:-~/.cache/herald}/<folder>-<version>/.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_SCRIPT, cacheRoot, PACKAGE_ROOT, pinnedVersion } from '../../src/controlplane/binaries.ts';

export type CachedBinary = { ok: true; path: string; version: string } | { ok: false; message: string };

export interface CachedBinarySpec {
  /** The wrapper module's folder under test/cluster/. */
  wrapper: string;
  /** The module whose pinned version names the cache folder. */
  module: string;
  /** The cache folder's name before `-<version>`. */
  folder: string;
  binary: string;
}

/** Finds the cached binary of the pinned version; a missing one is a message naming the command that builds it. */
export function findCachedBinary(spec: CachedBinarySpec, env: NodeJS.ProcessEnv = process.env): CachedBinary {
  const goMod = join(PACKAGE_ROOT, 'test', 'cluster', spec.wrapper, 'go.mod');
  const version = existsSync(goMod) ? pinnedVersion(readFileSync(goMod, 'utf8'), spec.module) : undefined;
  if (version === undefined) return { ok: false, message: `cannot read the pinned ${spec.module} version from ${goMod}` };
  const path = join(cacheRoot(env), `${spec.folder}-${version}`, spec.binary);
  if (!existsSync(path)) return { ok: false, message: `${spec.binary} ${version} is not built (missing ${path}); run ${join(PACKAGE_ROOT, BUILD_SCRIPT)} once (minutes cold, cached after)` };
  return { ok: true, path, version };
}
