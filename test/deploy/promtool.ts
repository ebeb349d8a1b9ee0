// promtool (issue #12): Prometheus's own rule checker and rule unit-test runner, built by
// scripts/cluster-binaries.sh from test/cluster/prometheus.
import { findCachedBinary } from './cached-binary.ts';
import type { CachedBinary } from './cached-binary.ts';

export const PROMETHEUS_MODULE = 'github.com/prometheus/prometheus';

export function findPromtool(env: NodeJS.ProcessEnv = process.env): CachedBinary {
  return findCachedBinary({ wrapper: 'prometheus', module: PROMETHEUS_MODULE, folder: 'promtool', binary: 'promtool' }, env);
}
