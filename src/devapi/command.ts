// `herald dev apiserver`: runs the in-memory Kubernetes API stand-in until SIGINT/SIGTERM.
import { startDevApiServer } from './server.ts';

export const HELP = `herald dev apiserver — an in-memory stand-in for kube-apiserver

FOR TESTS, THE DEMO AND DEVELOPMENT ONLY. NEVER USE IT IN PRODUCTION: it has no
authentication or authorization (any or no credentials are accepted), no TLS, and keeps
everything in memory (all state is lost when it stops).

Usage:
  herald dev apiserver --kubeconfig-out FILE [--listen HOST:PORT] [--crds DIR]...
                       [--history N] [--advertise-address IP] [--no-deploy-crds]

Flags:
  --listen HOST:PORT         address to listen on (default 127.0.0.1:0 = any free port;
                             IPv6 as [::1]:PORT)
  --kubeconfig-out FILE      write a kubeconfig for the server here (plain HTTP, no auth)
  --crds DIR                 also load every CustomResourceDefinition in DIR (*.yaml, *.yml,
                             *.json); repeatable. Herald's own deploy/crds/ is loaded too
  --no-deploy-crds           do not load Herald's deploy/crds/ (a vanilla cluster)
  --history N                watch events kept for resuming watches (default 1000); a watch
                             from an older resourceVersion gets 410 Expired
  --advertise-address IP     address of the default/kubernetes Endpoints and EndpointSlice
                             (default: the listen host)
  -h, --help                 show this help

When ready it prints one line:
  herald dev apiserver ready url=http://HOST:PORT kubeconfig=FILE

Serves core/v1 Services, Nodes, Namespaces, Endpoints, Events, Secrets; discovery.k8s.io/v1
EndpointSlices; coordination.k8s.io/v1 Leases; events.k8s.io/v1 Events; apiextensions.k8s.io/v1
CustomResourceDefinitions and the custom resources they define. Patches: JSON merge, JSON patch,
strategic merge (built-in types only). Server-side apply (application/apply-patch+yaml) is not
implemented and answers 415.

Test hooks (plain HTTP on the same address; not Kubernetes APIs):
  POST /herald-dev/close-watches               end every open watch now
  POST /herald-dev/fail?count=N&code=500|429   fail the next N API requests with that code
       [&verb=list&resource=nodes]             ... only those of that verb and/or resource
  POST /herald-dev/unreachable?seconds=T       drop every connection for T seconds
  GET  /herald-dev/counters                    requests per verb and resource since start/reset
  POST /herald-dev/counters/reset              zero the counters

See docs/devapi.md for what is implemented and how it differs from kube-apiserver.
`;

export interface CommandIO {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Stops the server like SIGINT/SIGTERM do (tests use it instead of a signal). */
  signal?: AbortSignal;
}

interface Flags {
  host: string;
  port: number;
  kubeconfigOut: string;
  crds: string[];
  history: number | undefined;
  advertiseAddress: string | undefined;
  deployCrds: boolean;
}

class UsageError extends Error {
  readonly code = 'USAGE';
}

function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(v);
  const port = Number(m?.[3]);
  if (m === null || port > 65535) throw new UsageError(`--listen: want HOST:PORT (or [IPv6]:PORT), got "${v}"`);
  return { host: m[1] ?? m[2] ?? '', port };
}

function parseFlags(argv: readonly string[]): Flags | 'help' {
  const f: Flags = { host: '127.0.0.1', port: 0, kubeconfigOut: '', crds: [], history: undefined, advertiseAddress: undefined, deployCrds: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '-h' || arg === '--help') return 'help';
    if (arg === '--no-deploy-crds') {
      f.deployCrds = false;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--listen':
        ({ host: f.host, port: f.port } = parseListen(value()));
        break;
      case '--kubeconfig-out':
        f.kubeconfigOut = value();
        break;
      case '--crds':
        f.crds.push(value());
        break;
      case '--history': {
        const v = value();
        const n = Number(v);
        if (!/^[0-9]+$/.test(v) || n < 1) throw new UsageError(`--history: want a positive integer, got "${v}"`);
        f.history = n;
        break;
      }
      case '--advertise-address':
        f.advertiseAddress = value();
        break;
      default:
        throw new UsageError(`unknown flag "${arg}"`);
    }
  }
  if (f.kubeconfigOut === '') throw new UsageError('--kubeconfig-out is required');
  return f;
}

const processIO: CommandIO = {
  stdout: (l) => process.stdout.write(`${l}\n`),
  stderr: (l) => process.stderr.write(`${l}\n`),
};

/** `argv` are the arguments after `herald dev apiserver`. Returns the exit code. */
export async function runDevApiServerCommand(argv: string[], io: CommandIO = processIO): Promise<number> {
  let flags: Flags | 'help';
  try {
    flags = parseFlags(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`herald dev apiserver: ${e.message}; see 'herald dev apiserver --help'`);
    return 2;
  }
  if (flags === 'help') {
    io.stdout(HELP.trimEnd());
    return 0;
  }
  let server;
  try {
    server = await startDevApiServer({
      host: flags.host,
      port: flags.port,
      crdDirs: flags.crds,
      includeDeployCrds: flags.deployCrds,
      ...(flags.history === undefined ? {} : { historyLimit: flags.history }),
      ...(flags.advertiseAddress === undefined ? {} : { advertiseAddress: flags.advertiseAddress }),
    });
    await server.writeKubeconfig(flags.kubeconfigOut);
  } catch (e) {
    io.stderr(`herald dev apiserver: ${e instanceof Error ? e.message : String(e)}`);
    await server?.close();
    return 1;
  }
  const running = server;
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (io.signal?.aborted === true) stop();
    else io.signal?.addEventListener('abort', stop);
    io.stdout(`herald dev apiserver ready url=${running.url} kubeconfig=${flags.kubeconfigOut}`);
  });
  await running.close();
  return 0;
}
