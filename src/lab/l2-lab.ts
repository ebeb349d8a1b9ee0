// The L2 lab (issue #3, "The lab"): three node namespaces on one segment, each running its own
// `herald speaker`, a client namespace that asks who answers (arping, ndisc6), the control plane
// and the controller, reachable from the nodes over the host link. The control plane is the
// API-server stand-in (in this process) or a real kube-apiserver with etcd (issue #8), chosen by
// `apiserver` or HERALD_APISERVER. Nothing but this file's helpers creates EndpointSlices: the
// lab is its own kube-controller-manager. close() tears everything down, also after a failed
// start; the exit hooks remove its directories on Ctrl-C too.
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { V1Service } from '@kubernetes/client-node';
import { apiServerKind, installCrds, startControlPlane } from '../controlplane/control-plane.ts';
import type { ApiServerKind, ControlPlane } from '../controlplane/control-plane.ts';
import { DEPLOY_CRDS } from '../devapi/server.ts';
import { vipLeaseName } from '../election/lease-names.ts';
import { PooledKubeConfig, apiStatus } from '../kube/client.ts';
import { makeClients } from '../kube/api-clients.ts';
import type { KubeClients } from '../kube/client.ts';
import { HERALD_GROUP, HERALD_VERSION, IPPOOL_PLURAL, L2POLICY_PLURAL, BGPPEER_PLURAL, BGPPOLICY_PLURAL } from '../api/names.ts';
import type { L2AnnouncementPolicy } from '../api/generated/l2announcementpolicies.ts';
import { LabError, messageOf } from './errors.ts';
import { L2_LAB_NAMESPACE, SPEAKER_NAMESPACE, defaultPolicy, labEndpointSlice, labNode, labPolicy, labPool, labService } from './l2-objects.ts';
import type { ServiceOptions } from './l2-objects.ts';
import { detectArping, probeArgv, probeResult } from './l2-probe.ts';
import type { BGPAnnouncementPolicy } from '../api/generated/bgpannouncementpolicies.ts';
import { LAB_PASSWORD_SECRET, LAB_PEER, ROUTER_ASN, labBgpPeers, labBgpPolicy, startRouter } from './bgp-router.ts';
import type { LabRouter, RouterKind } from './bgp-router.ts';
import type { LabBfd } from './bird.ts';
import { closeAtExit } from './exit-hooks.ts';
import { forbiddenLines } from './log-scan.ts';
import { labController } from './lab-controller.ts';
import type { LabController } from './lab-controller.ts';
import { labCredentials } from './lab-credentials.ts';
import type { LabCredentials } from './lab-credentials.ts';
import { buildLabNetwork } from './netns.ts';
import type { LabHost, LabNetwork } from './netns.ts';
import { pollUntil } from './poll.ts';
import type { PollOptions } from './poll.ts';
import { SPEAKER_HEALTH_PORT, Speakers, hostPort, speakerFlags, writeHeartbeatKey } from './speakers.ts';
import type { Exit } from './speakers.ts';

/** `src/cli.ts` under type stripping; after `npm run build`, dist/herald.mjs beside the chunk this code is in (issue #10). */
const CLI = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../cli.ts' : '../herald.mjs', import.meta.url));

export interface L2LabOptions {
  /** The control plane: the stand-in or a real kube-apiserver with etcd (default: HERALD_APISERVER, else the stand-in). */
  readonly apiserver?: ApiServerKind;
  /** Run the controller as a `herald controller` process (its own ServiceAccount on a real server) rather than in this process. */
  readonly controllerProcess?: boolean;
  /** The speakers' --log-level (default info: their logs go to files, see `dir`). */
  readonly speakerLogLevel?: string;
  /** The controller's log level (default silent in this process, info as a process: its log is `controller.log` in `dir`). */
  readonly controllerLogLevel?: string;
  /** The speaker's command line from its flags (default: this Node, the CLI beside this module, `speaker`); asked at every start. */
  readonly speakerCommand?: (flags: readonly string[]) => readonly string[];
  /** Keep the temp dir (kubeconfig, speaker logs) and a real server's (its logs) after close (default false). */
  readonly keepDir?: boolean;
  /** Progress lines while starting. */
  readonly onStep?: (step: string) => void;
  /** false: no L2AnnouncementPolicy, a BGP-only cluster whose speakers stay on L2 standby (default true). */
  readonly l2Policy?: boolean;
  /** Add a router namespace running BIRD 2 (or FRR, see `router`) as the ToR, BGPPeers for it and a BGPAnnouncementPolicy (issue #4). */
  readonly bgp?: boolean;
  /** With `bgp`: the ToR, BIRD 2 (default; every node AS 64512, one BGPPeer `tor`) or FRR's bgpd (AS 64601, 64602, … and one BGPPeer `tor-<node>` per node). */
  readonly router?: RouterKind;
  /** With `bgp`: the TCP MD5 key (RFC 2385) the router expects; the lab puts it in the Secret the BGPPeers name. */
  readonly bgpPassword?: string;
  /** With `bgp`: the BGPAnnouncementPolicy's spec (default: every Service, node and peer). */
  readonly bgpPolicy?: Partial<BGPAnnouncementPolicy['spec']>;
  /** With `bgp`: the nodes peer with the router over iBGP, in the router's AS (LOCAL_PREF is sent then). */
  readonly ibgp?: boolean;
  /** With `bgp`: BFD on every session, the router's and the BGPPeers' (spec.bfd), at these timers (issue #11). */
  readonly bfd?: LabBfd;
}

export interface L2Lab {
  readonly network: LabNetwork;
  readonly nodes: readonly LabHost[];
  readonly controlPlane: ControlPlane;
  /** Admin clients. */
  readonly clients: KubeClients;
  /** Temp dir with the kubeconfigs and one `speaker-<node>.log` per node. */
  readonly dir: string;
  /** An admin kubeconfig (for `herald status`, kubectl). */
  readonly kubeconfig: string;
  /** How the speakers and a controller process authenticate: their ServiceAccounts on a real server. */
  readonly credentials: LabCredentials;
  readonly controller: LabController;
  /** The router, when started with `bgp: true`. */
  readonly router: LabRouter | null;
  /** The names of the BGPPeers the lab created ([] without `bgp`). */
  readonly bgpPeers: readonly string[];
  createService(name: string, opts?: ServiceOptions): Promise<V1Service>;
  deleteService(name: string): Promise<void>;
  /** Creates or replaces the Service's one EndpointSlice: a ready endpoint on each node named. */
  setEndpoints(service: string, nodes: readonly string[]): Promise<void>;
  /** Its ingress IPs, once the controller has written as many as the Service has families. */
  waitForIngress(service: string, opts?: PollOptions): Promise<string[]>;
  createPolicy(name: string, spec: L2AnnouncementPolicy['spec']): Promise<void>;
  deletePolicy(name: string): Promise<void>;
  /** Who answers `ip` for the client: the first MAC to reply, or null after about `waitS` (default 1) seconds. */
  resolve(ip: string, waitS?: number): Promise<string | null>;
  /** Every MAC that answers `ip` within `waitS` seconds (two = a split brain). */
  answerers(ip: string, waitS?: number): Promise<string[]>;
  /** The lab node with this MAC, or null (a foreign or no answer). */
  nodeOfMac(mac: string | null): string | null;
  /** The holder named in the VIP's Lease, or null (no Lease, or released). */
  holderOf(ip: string): Promise<string | null>;
  /** Signals a node's speaker and waits until it has exited. */
  killSpeaker(node: string, signal: NodeJS.Signals): Promise<Exit>;
  /** Starts the node's speaker again (stopping it first if it runs) and waits until it is healthy. */
  restartSpeaker(node: string): Promise<void>;
  speakerRunning(node: string): boolean;
  /** The pid of the node's speaker process (undefined before its first start). */
  speakerPid(node: string): number | undefined;
  /**
   * Creates again what the lab set up — Herald's CRDs, the namespaces, Nodes, pool, default
   * policy, BGP objects, RBAC and fresh ServiceAccount tokens in the kubeconfig files — where
   * missing: the cluster restored from its manifests after etcd lost everything. Processes that
   * run keep their old tokens until restarted.
   */
  reseed(): Promise<void>;
  /** Merges labels into the Node; null removes one. */
  labelNode(node: string, labels: Readonly<Record<string, string | null>>): Promise<void>;
  /** The speakers' log tails, for failure messages. */
  logTails(lines?: number): string;
  /** The last `lines` (default 200) lines of one speaker's log. */
  speakerLog(node: string, lines?: number): string;
  /** Log lines of the speakers and a controller process that show a request refused (HTTP 403), prefixed by the file name. */
  forbidden(): string[];
  close(): Promise<void>;
}

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function isNotFound(err: unknown): boolean {
  return apiStatus(err) === 404;
}

export async function startL2Lab(opts: L2LabOptions = {}): Promise<L2Lab> {
  const undo: (() => Promise<void>)[] = [];
  const step = opts.onStep ?? (() => undefined);
  const teardown = async () => {
    const problems: string[] = [];
    for (const f of undo.reverse()) {
      try {
        await f();
      } catch (err) {
        problems.push(messageOf(err));
      }
    }
    undo.length = 0;
    if (problems.length > 0) throw new LabError('CleanupIncomplete', `L2 lab: ${problems.join('; ')}`);
  };
  try {
    const dir = await mkdtemp(join(tmpdir(), 'herald-l2-lab-'));
    if (opts.keepDir !== true) undo.push(() => rm(dir, { recursive: true, force: true }));
    step('network: 3 node namespaces, a client and a host link');
    const network = await buildLabNetwork({ nodes: 3, ipv6: true, hostLink: true, killGraceMs: 3000, router: opts.bgp === true });
    undo.push(() => network.close());
    const host = network.host;
    if (host === null) throw new LabError('InvalidOptions', 'the lab network has no host link');
    const kind = opts.apiserver ?? apiServerKind();
    const plane = await startControlPlane({ kind, host: host.ipv4, ...(opts.keepDir === true ? { keepDir: true } : {}) });
    undo.push(() => plane.close());
    const unregister = closeAtExit({ closeSync: () => removeDirs([opts.keepDir === true ? null : dir, plane.real !== undefined && opts.keepDir !== true ? plane.real.dir : null]) });
    undo.push(async () => unregister());
    const kubeconfig = join(dir, 'kubeconfig');
    await plane.writeKubeconfig(kubeconfig);
    step(plane.real !== undefined ? `control plane: kube-apiserver ${plane.real.binaries.kubeVersion} and etcd ${plane.real.binaries.etcdVersion} at ${plane.url}` : `control plane: the API server stand-in at ${plane.url}`);
    const kc = new PooledKubeConfig();
    kc.loadFromString(plane.kubeconfigYaml());
    const clients = makeClients(kc);
    const bgpSeed = opts.bgp === true && network.router !== null ? { kind: opts.router ?? 'bird', router: network.router, nodes: network.nodes, password: opts.bgpPassword, policy: opts.bgpPolicy, ibgp: opts.ibgp === true, bfd: opts.bfd } : null;
    await seed(clients, network.nodes, opts.l2Policy !== false);
    const credentials = await labCredentials(plane, dir, SPEAKER_NAMESPACE);
    let router: LabRouter | null = null;
    const bgpPeers: string[] = [];
    if (bgpSeed !== null) {
      const kind = bgpSeed.kind;
      step(`router: ${kind === 'frr' ? "FRR's bgpd" : 'BIRD 2'} in its own namespace, peering with every node`);
      const password = bgpSeed.password;
      router = await startRouter(network, join(dir, kind), { kind, ibgp: opts.ibgp === true, ...(opts.bfd === undefined ? {} : { bfd: opts.bfd }), ...(password === undefined ? {} : { passwords: Object.fromEntries(network.nodes.map((n) => [n.name, password])) }) });
      bgpPeers.push(...(await seedBgp(clients, bgpSeed)));
    }
    const controllerProcess = opts.controllerProcess === true;
    const controller = labController({
      mode: controllerProcess ? 'process' : 'in-process',
      clients,
      namespace: SPEAKER_NAMESPACE,
      kubeconfig: credentials.controllerKubeconfig,
      logFile: join(dir, 'controller.log'),
      logLevel: opts.controllerLogLevel ?? (controllerProcess ? 'info' : 'silent'),
    });
    undo.push(() => controller.stop());
    step(controllerProcess ? `controller: a \`herald controller\` process (${credentials.speakers === 'serviceaccount' ? 'ServiceAccount herald-controller' : 'admin'})` : 'controller: in this process');
    await controller.start();
    const command = opts.speakerCommand ?? ((flags) => [process.execPath, CLI, 'speaker', ...flags]);
    const heartbeatKey = writeHeartbeatKey(dir);
    const speakers = new Speakers(
      network,
      network.nodes.map((node) => ({
        node,
        argv: () => command(speakerFlags(node, credentials.speakerKubeconfig, SPEAKER_NAMESPACE, opts.speakerLogLevel ?? 'info', heartbeatKey)),
        logFile: join(dir, `speaker-${node.name}.log`),
        health: hostPort(node.mgmt?.ipv4 ?? '', SPEAKER_HEALTH_PORT),
      })),
    );
    // Stopped before the API server: a speaker's SIGTERM handover needs the API while it drains.
    undo.push(() => speakers.stopAll('SIGTERM', 3000));
    step(`speakers: one per node namespace (${credentials.speakers === 'serviceaccount' ? 'ServiceAccount herald-speaker, deploy/speaker-rbac.yaml' : 'admin: the stand-in has no authorization'})`);
    await Promise.all(network.nodes.map((n) => speakers.start(n.name)));
    const reseed = async (): Promise<void> => {
      if (plane.real !== undefined) await installCrds(plane.real.admin, DEPLOY_CRDS);
      await seed(clients, network.nodes, opts.l2Policy !== false);
      if (bgpSeed !== null) await seedBgp(clients, bgpSeed);
      await credentials.refresh();
    };
    return makeLab({ network, plane, clients, dir, kubeconfig, credentials, controller, speakers, router, bgpPeers, reseed, close: teardown });
  } catch (err) {
    try {
      await teardown();
    } catch (cleanup) {
      throw new LabError('CleanupIncomplete', `${messageOf(cleanup)} (after the start failed: ${messageOf(err)})`, { cause: err });
    }
    throw err;
  }
}

function removeDirs(dirs: readonly (string | null)[]): void {
  for (const d of dirs) if (d !== null) rmSync(d, { recursive: true, force: true });
}

/** Creates an object unless it exists (409): seeding twice, as after an etcd wipe, is harmless. */
async function createIfMissing(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if (apiStatus(err) !== 409) throw err;
  }
}

/** Namespaces, Nodes, the pool and (unless `l2Policy` is false) the default L2 policy. */
async function seed(clients: KubeClients, nodes: readonly LabHost[], l2Policy: boolean): Promise<void> {
  for (const name of [SPEAKER_NAMESPACE, L2_LAB_NAMESPACE]) await createIfMissing(() => clients.core.createNamespace({ body: { metadata: { name } } }));
  for (const n of nodes) await createIfMissing(() => clients.core.createNode({ body: labNode(n) }));
  await createIfMissing(() => clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: IPPOOL_PLURAL, body: labPool() }));
  if (l2Policy) await createIfMissing(() => clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: L2POLICY_PLURAL, body: defaultPolicy() }));
}

interface BgpSeed {
  kind: RouterKind;
  router: LabHost;
  nodes: readonly LabHost[];
  password: string | undefined;
  policy: Partial<BGPAnnouncementPolicy['spec']> | undefined;
  ibgp: boolean;
  bfd: LabBfd | undefined;
}

/** The password Secret, the BGPPeers and the BGPAnnouncementPolicy; returns the peers' names. */
async function seedBgp(clients: KubeClients, b: BgpSeed): Promise<string[]> {
  const password = b.password;
  if (password !== undefined) {
    await createIfMissing(() => clients.core.createNamespacedSecret({ namespace: SPEAKER_NAMESPACE, body: { metadata: { name: LAB_PASSWORD_SECRET }, stringData: { [LAB_PEER]: password } } }));
  }
  const names: string[] = [];
  const over = { ...(password === undefined ? {} : { passwordSecretRef: { name: LAB_PASSWORD_SECRET, key: LAB_PEER } }), ...(b.ibgp ? { localASN: ROUTER_ASN } : {}), ...(b.bfd === undefined ? {} : { bfd: { minRxMs: b.bfd.intervalMs, minTxMs: b.bfd.intervalMs, detectMultiplier: b.bfd.multiplier } }) };
  for (const peer of labBgpPeers(b.kind, b.router, b.nodes, over)) {
    await createIfMissing(() => clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: BGPPEER_PLURAL, body: peer }));
    names.push(peer.metadata.name ?? '');
  }
  await createIfMissing(() => clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: BGPPOLICY_PLURAL, body: labBgpPolicy(b.policy) }));
  return names;
}

interface Parts {
  network: LabNetwork;
  plane: ControlPlane;
  clients: KubeClients;
  dir: string;
  kubeconfig: string;
  credentials: LabCredentials;
  controller: LabController;
  speakers: Speakers;
  reseed: () => Promise<void>;
  router: LabRouter | null;
  bgpPeers: readonly string[];
  close: () => Promise<void>;
}

function makeLab(p: Parts): L2Lab {
  const { network, clients, speakers } = p;
  const namespace = L2_LAB_NAMESPACE;
  const macs = new Map(network.nodes.map((n) => [n.mac, n.name]));
  let closing: Promise<void> | null = null;
  const ask = async (ip: string, mode: 'first' | 'all', waitS: number) => {
    const argv = probeArgv(ip, 'eth0', await detectArping(), mode, waitS);
    return probeResult(ip, argv, await network.exec(network.client.ns, argv, { timeoutMs: waitS * 1000 + 5000 }));
  };
  return {
    network,
    nodes: network.nodes,
    controlPlane: p.plane,
    clients,
    dir: p.dir,
    kubeconfig: p.kubeconfig,
    credentials: p.credentials,
    controller: p.controller,
    router: p.router,
    bgpPeers: p.bgpPeers,
    createService: (name, opts) => clients.core.createNamespacedService({ namespace, body: labService(name, opts) }),
    async deleteService(name) {
      await clients.core.deleteNamespacedService({ name, namespace });
      await clients.discovery.deleteNamespacedEndpointSlice({ name: `${name}-lab`, namespace }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    },
    async setEndpoints(service, nodes) {
      const body = labEndpointSlice(service, nodes);
      try {
        await clients.discovery.createNamespacedEndpointSlice({ namespace, body });
      } catch (err) {
        if (apiStatus(err) !== 409) throw err;
        // PUT without a resourceVersion is unconditional for built-in types.
        await clients.discovery.replaceNamespacedEndpointSlice({ name: body.metadata?.name ?? '', namespace, body });
      }
    },
    async waitForIngress(service, opts = {}) {
      const r = await pollUntil(
        `ingress of ${namespace}/${service}`,
        async () => {
          const svc = await clients.core.readNamespacedService({ name: service, namespace });
          const ips = (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip === undefined ? [] : [i.ip]));
          const want = svc.spec?.ipFamilies?.length ?? 1;
          return ips.length >= want ? { done: true, value: ips } : { done: false, seen: JSON.stringify(svc.status ?? {}) };
        },
        { timeoutMs: 10_000, ...opts },
      );
      return r.value;
    },
    async createPolicy(name, spec) {
      await clients.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: L2POLICY_PLURAL, body: labPolicy(name, spec) });
    },
    async deletePolicy(name) {
      await clients.custom.deleteClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: L2POLICY_PLURAL, name });
    },
    resolve: async (ip, waitS = 1) => (await ask(ip, 'first', waitS))[0] ?? null,
    answerers: (ip, waitS = 1) => ask(ip, 'all', waitS),
    nodeOfMac: (mac) => (mac === null ? null : (macs.get(mac.toLowerCase()) ?? null)),
    async holderOf(ip) {
      const name = vipLeaseName(ip);
      if (!name.ok) throw new LabError('InvalidOptions', name.error.message);
      try {
        const lease = await clients.coordination.readNamespacedLease({ name: name.name, namespace: SPEAKER_NAMESPACE });
        return lease.spec?.holderIdentity ?? null;
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    killSpeaker: (node, signal) => speakers.kill(node, signal),
    restartSpeaker: (node) => speakers.restart(node),
    speakerRunning: (node) => speakers.isRunning(node),
    speakerPid: (node) => speakers.pid(node),
    reseed: p.reseed,
    async labelNode(node, labels) {
      await clients.core.patchNode({ name: node, body: { metadata: { labels } } }, merge);
    },
    logTails: (lines) => [speakers.logTails(lines), p.controller.logTail(lines), p.router?.logTail(lines) ?? ''].filter((t) => t !== '').join('\n'),
    speakerLog: (node, lines = 200) => speakers.logTail(node, lines),
    forbidden: () => forbiddenLines([...network.nodes.map((n) => join(p.dir, `speaker-${n.name}.log`)), join(p.dir, 'controller.log')]),
    close() {
      closing ??= p.close();
      return closing;
    },
  };
}
