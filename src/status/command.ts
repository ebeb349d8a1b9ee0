// `herald status`: who answers for which VIP (L2) and the BGP sessions of every node, read from
// the Leases the speakers keep (docs/operations.md). Read-only; needs get/list on Leases.
import { parseArgs } from 'node:util';
import { loadKubeConfig, makeClients, errorMessage } from '../kube/client.ts';
import { statusReport } from './report.ts';

export const STATUS_HELP = `herald status — the speakers, their BGP sessions, and who holds each L2 VIP

Usage: herald status [--kubeconfig FILE] [--namespace NS]

  --kubeconfig FILE   kubeconfig to use (default: in-cluster service account)
  --namespace NS      the speakers' namespace (default: herald-system)
`;

export async function runStatusCommand(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, options: { kubeconfig: { type: 'string' }, namespace: { type: 'string', default: 'herald-system' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    process.stderr.write(`herald status: ${err instanceof Error ? err.message : String(err)}\n\n${STATUS_HELP}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(STATUS_HELP);
    return 0;
  }
  try {
    const clients = makeClients(loadKubeConfig(values.kubeconfig));
    const list = await clients.coordination.listNamespacedLease({ namespace: values.namespace, labelSelector: 'app.kubernetes.io/managed-by=herald' });
    for (const line of statusReport(list.items, new Date())) process.stdout.write(`${line}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`herald status: ${errorMessage(err)}\n`);
    return 1;
  }
}
