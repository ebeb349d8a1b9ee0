// dashboard-check (issue #12): the Grafana Foundation SDK's strict decoder of dashboards, built by
// scripts/cluster-binaries.sh from test/cluster/grafana and cached in
// ${HERALD_CACHE:-~/.cache/herald}/grafana-sdk-<version>/.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_SCRIPT, cacheRoot, PACKAGE_ROOT, pinnedVersion } from '../../src/controlplane/binaries.ts';

export const GRAFANA_SDK_MODULE = 'github.com/grafana/grafana-foundation-sdk/go';

export type DashboardCheck = { ok: true; path: string; version: string } | { ok: false; message: string };

/** Finds the cached dashboard-check of the pinned SDK version; a missing one names the command that builds it. */
export function findDashboardCheck(env: NodeJS.ProcessEnv = process.env): DashboardCheck {
  const goMod = join(PACKAGE_ROOT, 'test', 'cluster', 'grafana', 'go.mod');
  const version = existsSync(goMod) ? pinnedVersion(readFileSync(goMod, 'utf8'), GRAFANA_SDK_MODULE) : undefined;
  if (version === undefined) return { ok: false, message: `cannot read the pinned ${GRAFANA_SDK_MODULE} version from ${goMod}` };
  const path = join(cacheRoot(env), `grafana-sdk-${version}`, 'dashboard-check');
  if (!existsSync(path)) return { ok: false, message: `dashboard-check ${version} is not built (missing ${path}); run ${join(PACKAGE_ROOT, BUILD_SCRIPT)} once` };
  return { ok: true, path, version };
}
