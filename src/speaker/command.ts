// `herald speaker`: flags, observability and signals around the L2 speaker (l2-speaker.ts).
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { ApiHealth } from '../kube/api-health.ts';
import { versionInfo } from '../kube/api-problem.ts';
import { loadKubeConfig, makeLink } from '../kube/client.ts';
import { loadKubeconfig } from '../kube/kubeconfig.ts';
import { namespaceProblem, nodeNameProblem } from '../api/k8s-names.ts';
import { checkTimings } from '../election/timings.ts';
import type { L2Timings } from '../election/timings.ts';
import { DEFAULT_GRATUITOUS } from '../l2/backend.ts';
import { loadAddon } from '../net/native.ts';
import { addonNet, nativeNet } from '../net/sockets.ts';
import { describeParseArgsError, environmentFailure, observabilityListenFailure, unexpectedFailure, usageLine } from '../observability/failure.ts';
import type { CommandResult, Failure } from '../observability/failure.ts';
import { createLogger, isLogLevel } from '../observability/logger.ts';
import { checkListenFlags } from '../observability/http.ts';
import { parseAdapterFlags, startServers, stopSignal } from '../daemon/command-support.ts';
import type { V1Node } from '@kubernetes/client-node';
import { BgpSpeaker } from './bgp-speaker.ts';
import { KubeInputs } from './kube-inputs.ts';
import { L2Speaker } from './l2-speaker.ts';
import { L2Gate } from './l2-gate.ts';
import { selectsNode } from '../api/l2-policy.ts';
import { StandbyLease } from './standby-lease.ts';
import { addonFailure, addonLoadMessage, bgpPortFailure, capabilityFailure, heartbeatPortFailure, portFailure, readCapabilityFacts, tcpMd5Supported, TCP_MD5_UNSUPPORTED, unservedMessage, unservedPolicies } from './host-checks.ts';
import { readLocalInterfaces } from './local-interfaces.ts';
import { nodeProblem } from '../api/nodes.ts';
import type { L2SpeakerConfig, L2SpeakerDeps } from './l2-speaker.ts';
import { LiveHeartbeatKeys } from './heartbeat-keys.ts';
import { watchHeartbeatKeys } from './heartbeat-key-watch.ts';
import { createSpeakerMetrics } from './metrics.ts';
import type { SpeakerMetrics } from './metrics.ts';

export const SPEAKER_HELP = `herald speaker — announces allocated addresses: L2 (ARP and NDP) and BGP (routes to the ToR routers)

Usage: herald speaker [flags]

  --node-name NAME              this node (default: $NODE_NAME)
  --kubeconfig FILE             kubeconfig to use (default: in-cluster service account)
  --namespace NS                namespace of the Leases (default: $POD_NAMESPACE or herald-system)
  --metrics-addr ADDR           serve /metrics on ADDR, e.g. :9423 (default: off)
  --health-addr ADDR            serve /healthz and /readyz on ADDR, e.g. :9424 (default: off)
  --heartbeat-port PORT         UDP port of the heartbeats between speakers (default: 9425)
  --heartbeat-key-file FILE     the key that signs and checks heartbeats (HMAC-SHA256), the same on every
                                node: the Secret herald-system/herald-heartbeat-key that herald controller
                                creates (deploy/speaker.yaml mounts it); read again every 10 s
  --heartbeat-accept-key-file FILE
                                a second key accepted while the file exists: the previous or the next key
                                during a rotation (docs/l2.md, "Rotating the heartbeat key")
  --insecure-heartbeats         run without a key: heartbeats are not authenticated, and any host on the
                                segment can keep a dead node "alive" (not for production)
  --heartbeat-interval DUR      h (default 100ms); the timings below are checked together and an
  --peer-dead-after DUR         D (default 600ms)  invalid one falls back to its default with a warning
  --fence-after DUR             F (default 350ms)  (docs/l2.md, "Timings and flags")
  --probe-after DUR             P (default 250ms)
  --node-lease-renew DUR        R (default 2s): every speaker writes its node Lease once per R, so n nodes
                                write n / R a second at rest; from 40 nodes on, set R ≥ nodes / 20 s
                                (100 nodes: 5s); E and api-stale-after follow it unless given
  --evidence-ttl DUR            E (default 4s, or 2R)
  --api-stale-after DUR         a peer whose last API success is older cannot take VIPs (default 3s, or 1.5R)
  --stable-after DUR            J (default 1s)
  --takeover-stagger DUR        S (default 200ms)
  --fence-damping               a node that fenced gets no VIP handed to it for 30 s, doubling to 10 min
                                with repeated fences: one stall costs one write per VIP, not two, but a
                                fenced node's share comes back that much later (docs/l2.md; off by default)
  --gratuitous-count N          gratuitous ARP / unsolicited NA rounds on takeover (default 3)
  --gratuitous-interval DUR     between rounds (default 200ms)
  --drain-timeout DUR           on SIGTERM, how long to wait for handovers (default 8s)
  --bgp-listen-port PORT        TCP port BGP peers may connect to; 0 = active sessions only (default 179)
  --default-service-ipam MODE   as the controller's flag: which unset-class Services are pool IPAM (default: pool)
  --accept-annotations LIST     as the controller's flag (default: none)
  --log-level LEVEL             trace | debug | info | warn | error (default: info)
  -h, --help                    this text

Herald never adds a VIP to an interface and never touches routes: kube-proxy carries the traffic.
`;

export interface SpeakerFlags {
  kubeconfig?: string;
  metricsAddr?: string;
  healthAddr?: string;
  logLevel: string;
  drainMs: number;
  /** TCP port BGP peers may connect to (0: active sessions only). */
  bgpListenPort: number;
  speaker: L2SpeakerConfig;
  /** Why some timings were replaced by their defaults. */
  warnings: string[];
  /** The heartbeat keys, reloaded from their files; null with --insecure-heartbeats (issue #14). */
  heartbeatKeys: LiveHeartbeatKeys | null;
}

/** A standby speaker's node Lease: written at least this often (standby-lease.ts). */
const STANDBY_RENEW_MS = 10_000;

const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m)$/;

/** "100ms", "2s", "1.5s", "1m" → ms; null when malformed. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (m === null) return null;
  const unit = m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000;
  return Math.round(Number(m[1]) * unit);
}

const TIMING_FLAGS: readonly [string, keyof L2Timings][] = [
  ['heartbeat-interval', 'heartbeatIntervalMs'],
  ['peer-dead-after', 'peerDeadAfterMs'],
  ['fence-after', 'fenceAfterMs'],
  ['probe-after', 'probeAfterMs'],
  ['node-lease-renew', 'nodeLeaseRenewMs'],
  ['evidence-ttl', 'evidenceTtlMs'],
  ['api-stale-after', 'apiStaleAfterMs'],
  ['stable-after', 'stableAfterMs'],
  ['takeover-stagger', 'takeoverStaggerMs'],
];

/** `environment`: not the flag's form but what it names (a key file): exit 1, not 2 (issue #13). */
export type ParsedSpeakerArgs = { ok: true; flags: SpeakerFlags } | { ok: false; error: string; environment?: string } | { ok: 'help' };

export function parseSpeakerArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedSpeakerArgs {
  const durationFlags = Object.fromEntries(TIMING_FLAGS.map(([f]) => [f, { type: 'string' as const }]));
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        'node-name': { type: 'string' },
        kubeconfig: { type: 'string' },
        namespace: { type: 'string' },
        'metrics-addr': { type: 'string' },
        'health-addr': { type: 'string' },
        'heartbeat-port': { type: 'string', default: '9425' },
        'heartbeat-key-file': { type: 'string' },
        'heartbeat-accept-key-file': { type: 'string' },
        'insecure-heartbeats': { type: 'boolean', default: false },
        'fence-damping': { type: 'boolean', default: false },
        'gratuitous-count': { type: 'string', default: String(DEFAULT_GRATUITOUS.count) },
        'gratuitous-interval': { type: 'string', default: `${DEFAULT_GRATUITOUS.intervalMs}ms` },
        'drain-timeout': { type: 'string', default: '8s' },
        'bgp-listen-port': { type: 'string', default: '179' },
        'default-service-ipam': { type: 'string', default: 'pool' },
        'accept-annotations': { type: 'string', default: '' },
        'log-level': { type: 'string', default: 'info' },
        help: { type: 'boolean', short: 'h' },
        ...durationFlags,
      },
    }));
  } catch (err) {
    return { ok: false, error: describeParseArgsError(err) };
  }
  if (values.help === true) return { ok: 'help' };
  const node = values['node-name'] ?? env['NODE_NAME'];
  if (node === undefined || node === '') return { ok: false, error: '--node-name (or $NODE_NAME) is required' };
  const nodeProblemText = nodeNameProblem(node);
  if (nodeProblemText !== null) return { ok: false, error: `${values['node-name'] === undefined ? '$NODE_NAME' : '--node-name'} "${node}" ${nodeProblemText}` };
  const namespace = values.namespace ?? env['POD_NAMESPACE'] ?? 'herald-system';
  const nsProblem = namespaceProblem(namespace);
  if (nsProblem !== null) return { ok: false, error: `${values.namespace === undefined ? '$POD_NAMESPACE' : '--namespace'} "${namespace}" ${nsProblem}` };
  if (values.kubeconfig === '') return { ok: false, error: '--kubeconfig is empty: give the path of a kubeconfig file, or leave the flag out inside a pod' };
  const addrs = checkListenFlags(values['metrics-addr'], values['health-addr']);
  if (addrs !== null) return { ok: false, error: addrs };
  const level = values['log-level'];
  if (!isLogLevel(level)) return { ok: false, error: `--log-level must be one of trace, debug, info, warn, error, fatal, silent, not "${level}"` };
  const port = Number(values['heartbeat-port']);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, error: `--heartbeat-port must be 1..65535, not "${values['heartbeat-port']}"` };
  const adapter = parseAdapterFlags(values['default-service-ipam'], values['accept-annotations']);
  if (!adapter.ok) return adapter;
  const overrides: Partial<L2Timings> = {};
  for (const [flag, field] of TIMING_FLAGS) {
    const text = (values as Record<string, unknown>)[flag];
    if (typeof text !== 'string') continue;
    const ms = parseDuration(text);
    if (ms === null) return { ok: false, error: `--${flag} takes a duration such as 100ms or 2s, not "${text}"` };
    overrides[field] = ms;
  }
  const durations: Record<string, number> = {};
  for (const f of ['gratuitous-interval', 'drain-timeout'] as const) {
    const ms = parseDuration(values[f]);
    if (ms === null) return { ok: false, error: `--${f} takes a duration such as 200ms or 8s, not "${values[f]}"` };
    durations[f] = ms;
  }
  const count = Number(values['gratuitous-count']);
  if (!Number.isInteger(count) || count < 0 || count > 10) return { ok: false, error: `--gratuitous-count must be 0..10, not "${values['gratuitous-count']}"` };
  const bgpPort = Number(values['bgp-listen-port']);
  if (!Number.isInteger(bgpPort) || bgpPort < 0 || bgpPort > 65535) return { ok: false, error: `--bgp-listen-port must be 0..65535, not "${values['bgp-listen-port']}"` };
  // Last: every mistake in a flag's form (exit 2) is said before what a file holds (exit 1).
  const keys = heartbeatKeyFlags(values['heartbeat-key-file'], values['heartbeat-accept-key-file'], values['insecure-heartbeats']);
  if (!keys.ok) return keys;
  const checked = checkTimings(overrides);
  return {
    ok: true,
    flags: {
      kubeconfig: values.kubeconfig,
      metricsAddr: values['metrics-addr'],
      healthAddr: values['health-addr'],
      logLevel: level,
      drainMs: durations['drain-timeout'] ?? 8000,
      bgpListenPort: bgpPort,
      warnings: checked.problems,
      heartbeatKeys: keys.keys,
      speaker: {
        node,
        namespace,
        adapter: adapter.value,
        timings: checked.timings,
        heartbeatPort: port,
        ...(keys.keys === null ? {} : { heartbeatKey: keys.keys }),
        gratuitous: { count, intervalMs: durations['gratuitous-interval'] ?? DEFAULT_GRATUITOUS.intervalMs },
        resyncMs: 5000,
        fenceDamping: values['fence-damping'],
      },
    },
  };
}

/**
 * The heartbeat key flags (issue #14): a key, or an explicit --insecure-heartbeats. No key at all
 * is an environment error (exit 1): the Secret is not mounted.
 */
function heartbeatKeyFlags(keyFile: string | undefined, acceptFile: string | undefined, insecure: boolean): { ok: true; keys: LiveHeartbeatKeys | null } | { ok: false; error: string; environment?: string } {
  if (keyFile === '') return { ok: false, error: '--heartbeat-key-file is empty: give the path of the key file (the same on every node)' };
  if (acceptFile === '') return { ok: false, error: '--heartbeat-accept-key-file is empty: give the path of the second key file, or leave the flag out' };
  if (insecure && (keyFile !== undefined || acceptFile !== undefined)) return { ok: false, error: '--insecure-heartbeats contradicts --heartbeat-key-file and --heartbeat-accept-key-file: keep the key, or drop it' };
  if (insecure) return { ok: true, keys: null };
  if (keyFile === undefined) {
    if (acceptFile !== undefined) return { ok: false, error: '--heartbeat-accept-key-file needs --heartbeat-key-file: the second key is only accepted, never used to sign' };
    return { ok: false, environment: 'HERALD_NO_HEARTBEAT_KEY', error: 'no heartbeat key: pass --heartbeat-key-file with the Secret herald-system/herald-heartbeat-key mounted (herald controller creates it; deploy/speaker.yaml mounts it), or --insecure-heartbeats to run unauthenticated (docs/l2.md)' };
  }
  const opened = LiveHeartbeatKeys.open(acceptFile === undefined ? { key: keyFile } : { key: keyFile, accept: acceptFile });
  return opened.ok ? { ok: true, keys: opened.keys } : { ok: false, environment: 'HERALD_KEY_FILE', error: opened.error };
}

export interface RunningSpeaker {
  /** L2: on standby until an L2AnnouncementPolicy selects this node (l2-gate.ts). */
  l2: L2Gate<L2Speaker>;
  bgp: BgpSpeaker;
  metrics: SpeakerMetrics;
  ports: number[];
  stop(): Promise<void>;
}

/**
 * On SIGTERM: a node that is leaving (cordoned for a drain, excluded, being deleted) withdraws
 * its BGP routes at once with Cease; any other stop is a restart or an upgrade, and routers keep
 * the routes for the graceful-restart time (RFC 4724) while kube-proxy goes on forwarding.
 */
export function bgpStopMode(node: V1Node | undefined): 'shutdown' | 'restart' {
  if (node === undefined) return 'shutdown';
  return node.spec?.unschedulable === true || nodeProblem(node) !== null ? 'shutdown' : 'restart';
}

/** Starts the speaker in-process (the command and the tests share this). */
export async function startSpeaker(flags: SpeakerFlags, log: Logger, deps: Partial<Omit<L2SpeakerDeps, 'log' | 'metrics'>> = {}, health?: ApiHealth): Promise<RunningSpeaker> {
  for (const w of flags.warnings) log.warn(`timings: ${w}; using the default`);
  if (flags.speaker.fenceDamping === true) log.info('fence damping is on: a node that fenced gets no VIP handed to it for 30 s, doubling to 10 min with repeated fences (docs/l2.md)');
  let net = deps.net;
  if (net === undefined) {
    const r = nativeNet();
    if (!r.ok) throw new Error(`raw sockets unavailable (${r.error.code}): ${r.error.message}`);
    net = r.value;
  }
  const processStartedAt = performance.now();
  const metrics = createSpeakerMetrics();
  const clients = deps.clients ?? makeLink(loadKubeConfig(flags.kubeconfig));
  // One set of cluster caches feeds both modes; each recomputes its own desired state.
  let gate: L2Gate<L2Speaker> | undefined;
  let bgp: BgpSpeaker | undefined;
  const changed = (): void => {
    gate?.inputsChanged();
    bgp?.schedule();
  };
  const inputs = deps.inputs ?? new KubeInputs({ clients, log, onChange: changed });
  const nodeStatus = (): Readonly<Record<string, string>> => bgp?.statusAnnotations() ?? {};
  gate = new L2Gate({
    // At the process start the warm-up runs from the process's start, as it always has (the
    // lists synced meanwhile count toward it); a later wake runs it from the wake (l2-gate.ts).
    make: (atStart) => new L2Speaker(flags.speaker, { nodeStatus, ...deps, inputs, clients, net, log, metrics, ...(atStart ? { startedAt: processStartedAt } : {}) }),
    wanted: () => {
      const me = inputs.node(flags.speaker.node);
      return selectsNode(inputs.policies(), me === undefined ? undefined : (me.metadata?.labels ?? {}));
    },
    synced: inputs.synced,
    standby: () => new StandbyLease({ http: clients.http, node: flags.speaker.node, namespace: flags.speaker.namespace, log, renewMs: STANDBY_RENEW_MS, checkMs: flags.speaker.timings.nodeLeaseRenewMs, annotations: nodeStatus }),
    log,
    onStandby: (on) => metrics.standby.set(on ? 1 : 0),
  });
  const l2 = gate;
  bgp = new BgpSpeaker({ node: flags.speaker.node, namespace: flags.speaker.namespace, adapter: flags.speaker.adapter, listenPort: flags.bgpListenPort }, { clients, inputs, log: log.child({ mode: 'bgp' }), metrics }, () => bgp?.schedule());
  const b = bgp;
  const servers = await startServers([flags.metricsAddr, flags.healthAddr], metrics.registry, {
    liveness: () => ({ ok: true, reason: 'running' }),
    // An API problem is the reason, said the way the log says it (issue #8 point 6).
    readiness: () => health?.readiness() ?? (b.isSynced() ? l2.readiness() : { ok: false, reason: 'caches or Leases not synced yet' }),
  }, log);
  const stopKeyWatch = watchHeartbeatKeys(flags.heartbeatKeys, metrics, log);
  const versionCheck = health?.checkVersion(async () => versionInfo(await clients.http.json({ method: 'GET', path: '/version' })));
  const checkPolicies = policyInterfaceCheck(flags.speaker.node, inputs, deps, log);
  const periodic = setInterval(() => {
    b.reconcile();
    checkPolicies();
    // A standby gate whose wake failed tries again even when no watch event comes.
    if (l2.isStandby) l2.inputsChanged();
  }, flags.speaker.resyncMs);
  const stopAll = async (drainMs: number): Promise<void> => {
    clearInterval(periodic);
    stopKeyWatch();
    versionCheck?.stop();
    const mode = bgpStopMode(inputs.node(flags.speaker.node));
    await Promise.all([l2.stop({ drainMs }), b.stop(mode, mode === 'shutdown' ? `node ${flags.speaker.node} is leaving` : `herald speaker on ${flags.speaker.node} restarting`)]);
    await inputs.stop();
    await Promise.all(servers.map((s) => s.close()));
  };
  try {
    await Promise.all([l2.start(), b.start(), b.synced]);
    b.reconcile();
    checkPolicies();
  } catch (err) {
    // Never leave watches, sockets or servers behind a failed start: the process would hang on.
    await stopAll(0);
    throw err;
  }
  return { l2, bgp: b, metrics, ports: servers.map((s) => s.port), stop: () => stopAll(flags.drainMs) };
}

/**
 * A policy that selects this node but none of its interfaces leaves its addresses unanswered
 * here, silently (issue #13): said once while it lasts, again if it comes back or its patterns
 * change (not for every interface that comes and goes).
 */
function policyInterfaceCheck(node: string, inputs: KubeInputs, deps: Partial<Omit<L2SpeakerDeps, 'log' | 'metrics'>>, log: Logger): () => void {
  let told = new Set<string>();
  const check = (): void => {
    if (!inputs.isSynced()) return;
    const local = readLocalInterfaces(deps.interfaces, deps.interfaceAddresses);
    if (!local.ok) return;
    const snap = inputs.snapshot();
    const now = new Set<string>();
    for (const u of unservedPolicies(snap.policies.policies, inputs.node(node)?.metadata?.labels, local.value)) {
      const key = `${u.policy}|${u.patterns.join('|')}`;
      now.add(key);
      if (!told.has(key)) log.warn({ node, policy: u.policy, code: 'HERALD_NO_MATCHING_INTERFACE' }, unservedMessage(u, node));
    }
    told = now;
  };
  // A diagnostic runs on a timer: it must never take the speaker down.
  return () => {
    try {
      check();
    } catch (err) {
      log.debug({ err: err instanceof Error ? err.message : String(err) }, 'policy interface check failed');
    }
  };
}

/** What the host must give the speaker, before it touches the cluster (issue #13). */
async function hostFailure(flags: SpeakerFlags, log: Logger): Promise<Failure | { net: NonNullable<L2SpeakerDeps['net']> }> {
  const caps = capabilityFailure(readCapabilityFacts(flags.bgpListenPort));
  if (caps !== null) return caps;
  const addon = loadAddon();
  if (!addon.ok) return addonFailure(addon.error, addon.error.code === 'AddonLoadFailed' ? addonLoadMessage() : undefined);
  const port = (await heartbeatPortFailure(flags.speaker.heartbeatPort)) ?? (await bgpPortFailure(flags.bgpListenPort));
  if (port !== null) return port;
  // Only BGPPeers with a password need it: a warning, not a refusal.
  if (tcpMd5Supported(addon.value) === 'no') log.warn({ code: 'HERALD_NO_TCP_MD5' }, TCP_MD5_UNSUPPORTED);
  return { net: addonNet(addon.value) };
}

export async function runSpeakerCommand(argv: readonly string[]): Promise<CommandResult> {
  const parsed = parseSpeakerArgs(argv, process.env);
  if (parsed.ok === 'help') {
    process.stdout.write(SPEAKER_HELP);
    return 0;
  }
  if (!parsed.ok) return parsed.environment === undefined ? usageLine('herald speaker', parsed.error) : environmentFailure(parsed.environment, parsed.error);
  const { flags } = parsed;
  const loaded = loadKubeconfig(flags.kubeconfig, process.env);
  if (!loaded.ok) return environmentFailure(loaded.problem.code, loaded.problem.message);
  const log = createLogger({ name: 'herald-speaker', level: flags.logLevel });
  const host = await hostFailure(flags, log);
  if ('failure' in host) return host;
  const health = new ApiHealth({ server: loaded.server, rbacFile: 'deploy/speaker-rbac.yaml', log });
  loaded.kc.observe(health);
  log.info({ server: loaded.server, node: flags.speaker.node, namespace: flags.speaker.namespace }, 'speaker starting');
  let running: RunningSpeaker;
  try {
    running = await startSpeaker(flags, log, { net: host.net, clients: makeLink(loaded.kc) }, health);
  } catch (err) {
    return observabilityListenFailure(err, { metrics: flags.metricsAddr, health: flags.healthAddr }) ?? portFailure(err, flags.speaker.heartbeatPort, flags.bgpListenPort) ?? unexpectedFailure(err);
  }
  const why = await stopSignal();
  log.info({ why }, 'shutting down: handing VIPs over');
  await running.stop();
  return 0;
}
