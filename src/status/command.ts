// `herald status`: who answers for which VIP (L2) and the BGP sessions of every node, read from
// the Leases the speakers keep (docs/operations.md). Read-only; needs get/list on Leases.
import { parseArgs } from 'node:util';
import { classifyThrown, describeRequest, describeThrown } from '../kube/api-problem.ts';
import { makeClients } from '../kube/api-clients.ts';
import { loadKubeconfig } from '../kube/kubeconfig.ts';
import { namespaceProblem } from '../api/k8s-names.ts';
import { describeParseArgsError, environmentFailure, usageLine } from '../observability/failure.ts';
import type { CommandResult } from '../observability/failure.ts';
import { statusReport } from './report.ts';

export const STATUS_HELP = `herald status — the speakers, their BGP sessions, and who holds each L2 VIP

Usage: herald status [--kubeconfig FILE] [--namespace NS]

  --kubeconfig FILE   kubeconfig to use (default: in-cluster service account)
  --namespace NS      the speakers' namespace (default: herald-system)
`;

export async function runStatusCommand(argv: readonly string[]): Promise<CommandResult> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, options: { kubeconfig: { type: 'string' }, namespace: { type: 'string', default: 'herald-system' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    return usageLine('herald status', describeParseArgsError(err));
  }
  if (values.help === true) {
    process.stdout.write(STATUS_HELP);
    return 0;
  }
  const nsProblem = namespaceProblem(values.namespace);
  if (nsProblem !== null) return usageLine('herald status', `--namespace "${values.namespace}" ${nsProblem}`);
  if (values.kubeconfig === '') return usageLine('herald status', '--kubeconfig is empty: give the path of a kubeconfig file');
  const loaded = loadKubeconfig(values.kubeconfig, process.env);
  if (!loaded.ok) return environmentFailure(loaded.problem.code, loaded.problem.message);
  const clients = makeClients(loaded.kc);
  const request = describeRequest('GET', `/apis/coordination.k8s.io/v1/namespaces/${values.namespace}/leases`);
  try {
    const list = await clients.coordination.listNamespacedLease({ namespace: values.namespace, labelSelector: 'app.kubernetes.io/managed-by=herald' });
    for (const line of statusReport(list.items, new Date())) process.stdout.write(`${line}\n`);
    return 0;
  } catch (err) {
    // A person's own credentials: no RBAC file of Herald's to name (issue #13).
    const ctx = { server: loaded.server };
    return environmentFailure(classifyThrown(err, request, ctx)?.code ?? 'HERALD_STATUS_FAILED', describeThrown(err, request, ctx), err);
  }
}
