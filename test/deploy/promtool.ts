// promtool (issue #12): Prometheus's own rule checker and rule unit-test runner, built by
// scripts/cluster-binaries.sh from test/cluster/prometheus.
import { findCachedBinary } from './cached-binary.ts';
import type { CachedBinary } from './cached-binary.ts';
import { arr, obj, str } from './schema-check.ts';

export const PROMETHEUS_MODULE = 'github.com/prometheus/prometheus';

export function findPromtool(env: NodeJS.ProcessEnv = process.env): CachedBinary {
  return findCachedBinary({ wrapper: 'prometheus', module: PROMETHEUS_MODULE, folder: 'promtool', binary: 'promtool' }, env);
}

/** The alert names of a Prometheus rule file (or a PrometheusRule's spec), in order. */
export function alertNames(rules: unknown): string[] {
  return arr(obj(rules, 'rules')['groups'], 'groups').flatMap((g) => arr(obj(g, 'group')['rules'], 'rules').map((r) => str(obj(r, 'rule')['alert'], 'alert')));
}
