// dashboard-check (issue #12): the Grafana Foundation SDK's strict decoder of dashboards, built by
// scripts/cluster-binaries.sh from test/cluster/grafana.
import { findCachedBinary } from './cached-binary.ts';
import type { CachedBinary } from './cached-binary.ts';

export const GRAFANA_SDK_MODULE = 'github.com/grafana/grafana-foundation-sdk/go';

export function findDashboardCheck(env: NodeJS.ProcessEnv = process.env): CachedBinary {
  return findCachedBinary({ wrapper: 'grafana', module: GRAFANA_SDK_MODULE, folder: 'grafana-sdk', binary: 'dashboard-check' }, env);
}
