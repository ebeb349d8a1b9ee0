// `herald controller`: flags, observability, leader election, then the IPAM controller.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { ApiHealth } from '../kube/api-health.ts';
import { versionInfo } from '../kube/api-problem.ts';
import { loadKubeConfig, makeLink } from '../kube/client.ts';
import type { KubeLink } from '../kube/client.ts';
import { loadKubeconfig } from '../kube/kubeconfig.ts';
import { namespaceProblem, secretNameProblem } from '../api/k8s-names.ts';
import { EventRecorder, eventApiOver } from '../kube/events.ts';
import { LeaderElector, leaseApiOver } from '../kube/leader-election.ts';
import type { ElectionTimings } from '../kube/leader-election.ts';
import type { DefaultServiceIpam, ForeignAnnotations } from '../api/service.ts';
import { describeParseArgsError, environmentFailure, observabilityListenFailure, unexpectedFailure, usageLine } from '../observability/failure.ts';
import type { CommandResult } from '../observability/failure.ts';
import { checkListenFlags } from '../observability/http.ts';
import { createLogger, isLogLevel } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import type { HeraldMetrics } from '../observability/metrics.ts';
import { parseAdapterFlags, startServers, stopSignal } from '../daemon/command-support.ts';
import { IpamController } from './controller.ts';
import { L2PolicyStatusController } from './l2policy-status.ts';
import { BgpStatusController } from './bgp-status.ts';
import { HEARTBEAT_SECRET, HeartbeatSecretKeeper, secretApiOver } from './heartbeat-secret.ts';

export const CONTROLLER_HELP = `herald controller — LB IPAM: gives Services of type LoadBalancer addresses from IPPools

Usage: herald controller [flags]

  --kubeconfig FILE                 kubeconfig to use (default: in-cluster service account)
  --namespace NS                    namespace of the leader-election Lease (default: $POD_NAMESPACE or herald-system)
  --identity ID                     leader-election identity (default: $POD_NAME or the host name)
  --default-service-ipam MODE       pool | node-ipam | none: what Services without loadBalancerClass get (default: pool)
  --accept-annotations LIST         also read metallb and/or cilium annotations, e.g. metallb,cilium (default: none)
  --metrics-addr ADDR               serve /metrics on ADDR, e.g. :9420 (default: off)
  --health-addr ADDR                serve /healthz and /readyz on ADDR, e.g. :9421 (default: off)
  --heartbeat-secret NAME           the Secret of the speakers' heartbeat key in --namespace, made by the
                                    leader with 32 random bytes when missing, never overwritten
                                    (default: herald-heartbeat-key; none: never make one)
  --log-level LEVEL                 trace | debug | info | warn | error (default: info)
  -h, --help                        this text
`;

export interface ControllerConfig {
  kubeconfig?: string;
  namespace: string;
  identity: string;
  defaultServiceIpam: DefaultServiceIpam;
  acceptAnnotations: Set<ForeignAnnotations>;
  metricsAddr?: string;
  healthAddr?: string;
  logLevel: string;
  electionTimings?: ElectionTimings;
  /** The heartbeat key Secret to make when missing (issue #14); null: never. Default HEARTBEAT_SECRET. */
  heartbeatSecret?: string | null;
}

export type ParsedConfig = { ok: true; config: ControllerConfig } | { ok: false; error: string } | { ok: 'help' };

export function parseControllerArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        kubeconfig: { type: 'string' },
        namespace: { type: 'string' },
        identity: { type: 'string' },
        'default-service-ipam': { type: 'string', default: 'pool' },
        'accept-annotations': { type: 'string', default: '' },
        'metrics-addr': { type: 'string' },
        'health-addr': { type: 'string' },
        'log-level': { type: 'string', default: 'info' },
        'heartbeat-secret': { type: 'string', default: HEARTBEAT_SECRET },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return { ok: false, error: describeParseArgsError(err) };
  }
  if (values.help === true) return { ok: 'help' };
  const level = values['log-level'];
  if (!isLogLevel(level)) return { ok: false, error: `--log-level must be one of trace, debug, info, warn, error, fatal, silent, not "${level}"` };
  const adapter = parseAdapterFlags(values['default-service-ipam'], values['accept-annotations']);
  if (!adapter.ok) return adapter;
  // Flag values checked here, so a typo is one line at start-up (issue #13).
  const addrs = checkListenFlags(values['metrics-addr'], values['health-addr']);
  if (addrs !== null) return { ok: false, error: addrs };
  if (values.kubeconfig === '') return { ok: false, error: '--kubeconfig is empty: give the path of a kubeconfig file, or leave the flag out inside a pod' };
  const namespace = values.namespace ?? env['POD_NAMESPACE'] ?? 'herald-system';
  const nsProblem = namespaceProblem(namespace);
  if (nsProblem !== null) return { ok: false, error: `${values.namespace === undefined ? '$POD_NAMESPACE' : '--namespace'} "${namespace}" ${nsProblem}` };
  const secret = values['heartbeat-secret'];
  const secretProblem = secret === 'none' ? null : secretNameProblem(secret);
  if (secretProblem !== null) return { ok: false, error: `--heartbeat-secret "${secret}" ${secretProblem}` };
  const identity = values.identity ?? env['POD_NAME'] ?? hostname();
  if (identity.trim() === '') return { ok: false, error: `${values.identity === undefined ? '$POD_NAME' : '--identity'} is empty: give each replica a name of its own` };
  return {
    ok: true,
    config: {
      kubeconfig: values.kubeconfig,
      namespace,
      identity,
      defaultServiceIpam: adapter.value.defaultServiceIpam,
      acceptAnnotations: new Set(adapter.value.acceptAnnotations),
      metricsAddr: values['metrics-addr'],
      healthAddr: values['health-addr'],
      logLevel: level,
      heartbeatSecret: secret === 'none' ? null : secret,
    },
  };
}

export interface ControllerRuntimeOptions {
  /** Sees every API answer; its problems go on /readyz and in the log once per cause (issue #13). */
  health?: ApiHealth;
}

export interface RunningController {
  controller: () => IpamController | undefined;
  elector: LeaderElector;
  metrics: HeraldMetrics;
  /** Resolves when leadership is first lost; the process carries on as a standby and campaigns again. */
  lost: Promise<void>;
  /** Ports of the metrics/health servers, in flag order (useful with port 0). */
  ports: number[];
  stop(): Promise<void>;
}

/** Starts everything in-process (the command and the integration tests share this). */
export async function startController(config: ControllerConfig, log: Logger, clients: KubeLink = makeLink(loadKubeConfig(config.kubeconfig)), runtime: ControllerRuntimeOptions = {}): Promise<RunningController> {
  const { health } = runtime;
  const metrics = createMetrics();
  let controller: IpamController | undefined;
  let policies: L2PolicyStatusController | undefined;
  let bgpStatus: BgpStatusController | undefined;
  let heartbeatKey: HeartbeatSecretKeeper | undefined;
  const secretName = config.heartbeatSecret === undefined ? HEARTBEAT_SECRET : config.heartbeatSecret;
  const events = new EventRecorder({ core: eventApiOver(clients.http), component: 'herald-controller', instance: config.identity, log, onError: () => metrics.kubeRequestErrors.inc({ verb: 'create', resource: 'events' }), onDrop: () => metrics.eventsDropped.inc() });
  let term = 0;
  let stopping: Promise<unknown> = Promise.resolve();
  let markLost: () => void = () => {};
  const lost = new Promise<void>((resolve) => {
    markLost = resolve;
  });
  const elector = new LeaderElector({
    api: leaseApiOver(clients.http),
    namespace: config.namespace,
    name: 'herald-controller',
    identity: config.identity,
    timings: config.electionTimings,
    log,
    ...(health === undefined ? {} : { problems: { ...health.context, watched: true } }),
    onStartedLeading: () => {
      metrics.isLeader.set(1);
      const mine = ++term;
      // A leader that lost its Lease (an API outage longer than the renew deadline) stays a
      // standby and campaigns again (issue #8 point 5): the next term starts only once the last
      // term's controllers have stopped, so an old one never writes after a new one has begun.
      void stopping.then(() => {
        if (mine === term) startTerm();
      });
    },
    onStoppedLeading: () => {
      term++;
      metrics.isLeader.set(0);
      const [c, p, b] = [controller, policies, bgpStatus];
      controller = undefined;
      policies = undefined;
      bgpStatus = undefined;
      heartbeatKey?.stop();
      heartbeatKey = undefined;
      stopping = Promise.all([c?.stop(), p?.stop(), b?.stop()]).catch((err: unknown) => log.error({ err }, 'stopping the last term failed'));
      markLost();
    },
  });
  function startTerm(): void {
    controller = new IpamController({
      clients,
      log,
      events,
      adapter: { defaultServiceIpam: config.defaultServiceIpam, acceptAnnotations: config.acceptAnnotations },
      hooks: {
        onPass: (r, seconds) => metrics.recordPass(r, seconds),
        onWriteError: (verb, resource) => metrics.kubeRequestErrors.inc({ verb, resource }),
      },
    });
    controller.start().catch((err: unknown) => log.error({ err }, 'controller failed to start'));
    // The speakers' policies get their Valid condition from the leader alone (docs/l2.md).
    policies = new L2PolicyStatusController({ clients, log, events, onWriteError: (verb, resource) => metrics.kubeRequestErrors.inc({ verb, resource }) });
    policies.start();
    // Likewise BGPPeers and BGPAnnouncementPolicies (docs/bgp.md).
    bgpStatus = new BgpStatusController({ clients, log, events, onWriteError: (verb, resource) => metrics.kubeRequestErrors.inc({ verb, resource }) });
    bgpStatus.start();
    // The speakers' heartbeat key, made once when missing (issue #14; docs/l2.md).
    if (secretName !== null) {
      heartbeatKey = new HeartbeatSecretKeeper({ api: secretApiOver(clients.http), namespace: config.namespace, name: secretName, log, events });
      heartbeatKey.start();
    }
  }
  const servers = await startServers([config.metricsAddr, config.healthAddr], metrics.registry, {
    liveness: () => ({ ok: true, reason: 'running' }),
    // An API problem (no namespace, no CRDs, no permission, no server) is the reason, said the
    // way the log says it (issue #8 point 6).
    readiness: () => health?.readiness() ?? (controller?.ready === true ? { ok: true, reason: 'leading, caches synced' } : elector.leading ? { ok: false, reason: 'leading, caches not synced yet' } : { ok: true, reason: 'standby replica' }),
  });
  elector.start();
  const versionCheck = health?.checkVersion(async () => versionInfo(await clients.http.json({ method: 'GET', path: '/version' })));
  return {
    controller: () => controller,
    elector,
    metrics,
    lost,
    ports: servers.map((s) => s.port),
    async stop() {
      // The elector first: once it has stopped, no new controller can start behind our back.
      versionCheck?.stop();
      await elector.stop();
      heartbeatKey?.stop();
      await Promise.all([stopping, controller?.stop(), policies?.stop(), bgpStatus?.stop()]);
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}

export async function runControllerCommand(argv: readonly string[]): Promise<CommandResult> {
  const parsed = parseControllerArgs(argv, process.env);
  if (parsed.ok === 'help') {
    process.stdout.write(CONTROLLER_HELP);
    return 0;
  }
  if (!parsed.ok) return usageLine('herald controller', parsed.error);
  const { config } = parsed;
  const loaded = loadKubeconfig(config.kubeconfig, process.env);
  if (!loaded.ok) return environmentFailure(loaded.problem.code, loaded.problem.message);
  const log = createLogger({ name: 'herald-controller', level: config.logLevel });
  const health = new ApiHealth({ server: loaded.server, rbacFile: 'deploy/controller-rbac.yaml', log });
  loaded.kc.observe(health);
  let running: RunningController;
  try {
    running = await startController(config, log, makeLink(loaded.kc), { health });
  } catch (err) {
    return observabilityListenFailure(err, { metrics: config.metricsAddr, health: config.healthAddr }) ?? unexpectedFailure(err);
  }
  log.info({ server: loaded.server, namespace: config.namespace, identity: config.identity }, 'controller started');
  // A lost Lease is not a reason to exit: the elector campaigns again, and a new term re-syncs
  // from fresh caches (issue #8 point 5: carry on without a restart when the API returns).
  const why = await stopSignal();
  log.info({ why }, 'shutting down');
  await running.stop();
  return 0;
}
