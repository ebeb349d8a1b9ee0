// The Prometheus Operator (issue #12): its operator binary and its own CRDs, built and copied by
// scripts/cluster-binaries.sh from test/cluster/prometheus-operator, and a running operator
// against a test's kube-apiserver.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findCachedBinary } from './cached-binary.ts';

export const OPERATOR_MODULE = 'github.com/prometheus-operator/prometheus-operator';
/** The operator's CRDs, as its module ships them: it waits for an informer on each to sync. */
export const OPERATOR_CRDS = ['alertmanagerconfigs', 'alertmanagers', 'podmonitors', 'probes', 'prometheusagents', 'prometheuses', 'prometheusrules', 'scrapeconfigs', 'servicemonitors', 'thanosrulers'] as const;

export type OperatorBinary = { ok: true; operator: string; crdFiles: string[]; version: string } | { ok: false; message: string };

export function findPrometheusOperator(env: NodeJS.ProcessEnv = process.env): OperatorBinary {
  const found = findCachedBinary({ wrapper: 'prometheus-operator', module: OPERATOR_MODULE, folder: 'prometheus-operator', binary: 'operator' }, env);
  if (!found.ok) return found;
  const dir = join(found.path, '..', 'crds');
  const crdFiles = OPERATOR_CRDS.map((name) => join(dir, `monitoring.coreos.com_${name}.yaml`));
  const missing = crdFiles.filter((f) => !existsSync(f));
  if (missing.length > 0) return { ok: false, message: `the operator's CRDs are missing (${missing.join(', ')}); run scripts/cluster-binaries.sh again` };
  return { ok: true, operator: found.path, crdFiles, version: found.version };
}

export interface RunningOperator {
  /** What it logged so far (stdout and stderr), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts the operator as its Deployment would, watching `namespace` only, with `kubeconfig`. */
export function startOperator(operator: string, kubeconfig: string, namespace: string): RunningOperator {
  // It reads KUBECONFIG (it has no --kubeconfig flag); its web server only serves its own metrics.
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', KUBECONFIG: kubeconfig };
  const child: ChildProcess = spawn(operator, [`--namespaces=${namespace}`, '--web.listen-address=127.0.0.1:0', '--log-level=info'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    log: () => Buffer.concat(chunks).toString('utf8'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
