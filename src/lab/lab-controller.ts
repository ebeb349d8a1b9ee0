// The lab's controller: in this process (fast, the default), or as a `herald controller` process
// in the root namespace with its own kubeconfig, so an API outage test can check that the very
// process that led before the outage still leads after it (issue #8, point 5). Either way it
// can be stopped and started again, and its process never outlives the lab (setpriv
// --pdeathsig, see src/controlplane/process.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startManaged } from '../controlplane/process.ts';
import type { ManagedProcess } from '../controlplane/process.ts';
import { startController } from '../controller/command.ts';
import type { RunningController } from '../controller/command.ts';
import { apiStatus } from '../kube/client.ts';
import type { KubeClients } from '../kube/client.ts';
import { createLogger } from '../observability/logger.ts';
import { messageOf } from './errors.ts';
import { pollUntil } from './poll.ts';

const CLI = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../cli.ts' : '../herald.mjs', import.meta.url));
export const LAB_CONTROLLER_IDENTITY = 'lab-controller';
/** The controller's leader-election Lease (src/controller/command.ts). */
const CONTROLLER_LEASE = 'herald-controller';

export interface LabControllerOptions {
  readonly mode: 'in-process' | 'process';
  /** Admin clients (in-process mode, and to see the leader Lease). */
  readonly clients: KubeClients;
  readonly namespace: string;
  /** Process mode: the kubeconfig file it runs with (its ServiceAccount's on a real server). */
  readonly kubeconfig: string;
  readonly logFile: string;
  readonly logLevel: string;
}

export interface LabController {
  readonly mode: 'in-process' | 'process';
  /** The `herald controller` process's pid (process mode, while started), else null. */
  pid(): number | null;
  /** Process mode: whether the process runs; in-process: whether it was started and not stopped. */
  running(): boolean;
  /** Starts it and waits until it holds the leader Lease. */
  start(): Promise<void>;
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

export function labController(o: LabControllerOptions): LabController {
  let proc: ManagedProcess | undefined;
  let inProcess: RunningController | undefined;
  const leading = async (): Promise<void> => {
    await pollUntil(
      `the lab controller holding the Lease ${o.namespace}/${CONTROLLER_LEASE}`,
      async () => {
        if (o.mode === 'process' && proc?.running() !== true) throw new Error(`herald controller exited (${String(await proc?.exited)}):\n${tail(o.logFile, 20)}`);
        try {
          const lease = await o.clients.coordination.readNamespacedLease({ name: CONTROLLER_LEASE, namespace: o.namespace });
          const holder = lease.spec?.holderIdentity ?? '';
          return holder === LAB_CONTROLLER_IDENTITY ? { done: true, value: holder } : { done: false, seen: `holder ${JSON.stringify(holder)}` };
        } catch (err) {
          if (apiStatus(err) === 404) return { done: false, seen: 'no Lease yet' };
          return { done: false, seen: messageOf(err) };
        }
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  };
  return {
    mode: o.mode,
    pid: () => (proc?.running() === true ? (proc.pid ?? null) : null),
    running: () => (o.mode === 'process' ? proc?.running() === true : inProcess !== undefined),
    async start() {
      if (o.mode === 'process') {
        if (proc?.running() === true) throw new Error('the lab controller is already running');
        proc = startManaged('herald controller', process.execPath, [CLI, 'controller', '--kubeconfig', o.kubeconfig, '--namespace', o.namespace, '--identity', LAB_CONTROLLER_IDENTITY, '--log-level', o.logLevel], o.logFile);
      } else {
        if (inProcess !== undefined) throw new Error('the lab controller is already running');
        const config = { namespace: o.namespace, identity: LAB_CONTROLLER_IDENTITY, defaultServiceIpam: 'pool' as const, acceptAnnotations: new Set<never>(), logLevel: o.logLevel };
        inProcess = await startController(config, createLogger({ name: 'herald-lab-controller', level: o.logLevel }), o.clients);
      }
      await leading();
    },
    async stop() {
      // SIGTERM: the command hands the leader Lease back on its way out.
      await proc?.stop(10_000);
      proc = undefined;
      await inProcess?.stop();
      inProcess = undefined;
    },
    logTail: (lines = 15) => (o.mode === 'process' ? `--- herald controller${proc?.running() === true ? '' : ' (not running)'}:\n${tail(o.logFile, lines)}` : ''),
  };
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(no log: ${messageOf(err)})`;
  }
}
