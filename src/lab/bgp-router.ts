// The BGP lab's top-of-rack router (issue #4): BIRD 2 (bird.ts) or FRR (frr.ts) in the lab's
// router namespace, peering with every node, installing the VIP routes into that namespace's
// kernel table, where ECMP shows as one route with a next hop per node. Plus the objects that
// point the speakers at it.
import type { BGPAnnouncementPolicy } from '../api/generated/bgpannouncementpolicies.ts';
import type { BGPPeer } from '../api/generated/bgppeers.ts';
import { isIP } from 'node:net';
import { startBird } from './bird.ts';
import type { LabBfd } from './bird.ts';
import { isRecord, startFrr } from './frr.ts';
import type { LabHost, LabNetwork } from './netns.ts';

/** The router's AS; with BIRD the nodes are AS 64512 (one AS for all: equal AS_PATHs, so BIRD merges them). */
export const ROUTER_ASN = 65000;
export const NODE_ASN = 64512;
/** With FRR every node has its own AS, 64601, 64602, … (issue #4: eBGP, multipath-relax). */
export const FRR_NODE_ASN_BASE = 64601;
export type RouterKind = 'bird' | 'frr';
export const LAB_PEER = 'tor';
export const LAB_BGP_POLICY = 'lab-bgp';
/** The one Secret the speaker may read (deploy/speaker-rbac.yaml); key = the BGPPeer's name. */
export const LAB_PASSWORD_SECRET = 'herald-bgp-passwords';
/** Short timers: a crashed node's route goes within seconds (the hold time is negotiated down to this). */
export const LAB_HOLD_SECONDS = 3;

export interface LabRouter {
  readonly kind: RouterKind;
  readonly host: LabHost;
  /** The daemon's CLI output for a command (`birdc` or `vtysh -c`). */
  query(command: string): Promise<string>;
  /** Established sessions: BIRD's protocol names (node_a, …), FRR's neighbour descriptions (node-a, …). */
  established(): Promise<string[]>;
  /** The gateways of the router's kernel route for `prefix` (one per ECMP path), sorted; [] when absent. */
  nextHops(prefix: string): Promise<string[]>;
  /** The router's own log tail for failure messages ('' when it has none). */
  logTail(lines?: number): string;
  /** The router's BFD sessions: peer address and state in lower case (`up`, `down`, `init`); [] without BFD. */
  bfdSessions(): Promise<{ address: string; state: string }[]>;
}

/** The communities the router holds for a route, in their text forms (`65000:100`, `65000:1:2`). */
export interface RouteCommunities {
  standard: string[];
  large: string[];
}

/**
 * How many route updates the router has received from `node` in IPv4 unicast: BIRD's "Import
 * updates: received" of the node's protocol, FRR's `updatesRecv` of the neighbour (messages).
 * Null when the router does not say (no session yet).
 */
export async function updatesReceived(router: LabRouter, node: { name: string; ipv4: string }): Promise<number | null> {
  if (router.kind === 'bird') {
    const out = await router.query(`show protocols all ${node.name.replaceAll('-', '_')}`);
    const ipv4 = out.split(/Channel ipv4/)[1]?.split(/Channel ipv6/)[0] ?? '';
    const m = /Import updates:\s+(\d+)/.exec(ipv4);
    return m?.[1] === undefined ? null : Number(m[1]);
  }
  try {
    const parsed: unknown = JSON.parse(await router.query(`show bgp neighbors ${node.ipv4} json`));
    const peer = isRecord(parsed) ? parsed[node.ipv4] : undefined;
    const stats = isRecord(peer) ? peer['messageStats'] : undefined;
    const n = isRecord(stats) ? stats['updatesRecv'] : undefined;
    return typeof n === 'number' ? n : null;
  } catch {
    return null;
  }
}

/**
 * Makes the router ask `node` for its routes again with a ROUTE-REFRESH (RFC 2918): BIRD's
 * `reload in` sends one to a peer that offered the capability, FRR's inbound soft clear too
 * (without soft-reconfiguration inbound, which the lab does not configure).
 */
export async function askRouteRefresh(router: LabRouter, node: { name: string; ipv4: string }): Promise<string> {
  return router.kind === 'bird' ? router.query(`reload in ${node.name.replaceAll('-', '_')}`) : router.query(`clear bgp ipv4 unicast ${node.ipv4} soft in`);
}

/** FRR's paths for `prefix` (`show bgp … json`), as JSON values; [] when it has no such route. */
async function frrPaths(router: LabRouter, prefix: string): Promise<unknown[]> {
  try {
    const parsed: unknown = JSON.parse(await router.query(`show bgp ${prefix.includes(':') ? 'ipv6' : 'ipv4'} unicast ${prefix} json`));
    return isRecord(parsed) && Array.isArray(parsed['paths']) ? parsed['paths'] : [];
  } catch {
    // vtysh answers text, not JSON, when it has no such route.
    return [];
  }
}

/**
 * The LOCAL_PREF (RFC 4271 §5.1.5) of every path the router has for `prefix`, sorted: BIRD's
 * `BGP.local_pref`, FRR's `locPrf`. Empty when it has no path.
 */
export async function localPrefsOf(router: LabRouter, prefix: string): Promise<number[]> {
  if (router.kind === 'bird') {
    const out = await router.query(`show route for ${prefix} all`);
    return [...out.matchAll(/BGP\.local_pref:\s*(\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
  }
  return (await frrPaths(router, prefix)).flatMap((p) => (isRecord(p) && typeof p['locPrf'] === 'number' ? [p['locPrf']] : [])).sort((a, b) => a - b);
}

/**
 * The standard and large communities (RFC 1997, RFC 8092) of every path the router has for
 * `prefix`, each list sorted and without repeats; empty lists when it has no path. BIRD prints
 * `BGP.community: (65000,100)` and `BGP.large_community: (65000, 1, 2)` per path; FRR's JSON has
 * `community.string` and `largeCommunity.string` per path.
 */
export async function communitiesOf(router: LabRouter, prefix: string): Promise<RouteCommunities> {
  const standard = new Set<string>();
  const large = new Set<string>();
  if (router.kind === 'bird') {
    const out = await router.query(`show route for ${prefix} all`);
    for (const m of out.matchAll(/BGP\.community:\s*(.*)/g)) for (const c of (m[1] ?? '').matchAll(/\((\d+),\s*(\d+)\)/g)) standard.add(`${c[1] ?? ''}:${c[2] ?? ''}`);
    for (const m of out.matchAll(/BGP\.large_community:\s*(.*)/g)) for (const c of (m[1] ?? '').matchAll(/\((\d+),\s*(\d+),\s*(\d+)\)/g)) large.add(`${c[1] ?? ''}:${c[2] ?? ''}:${c[3] ?? ''}`);
  } else {
    for (const path of await frrPaths(router, prefix)) {
      if (!isRecord(path)) continue;
      for (const [key, into] of [['community', standard], ['largeCommunity', large]] as const) {
        const c = path[key];
        const text = isRecord(c) ? c['string'] : undefined;
        if (typeof text === 'string') for (const t of text.split(' ').filter((x) => x !== '')) into.add(t);
      }
    }
  }
  return { standard: [...standard].sort(), large: [...large].sort() };
}

interface RouteJson {
  dst?: string;
  gateway?: string;
  nexthops?: { gateway?: string }[];
}

function isRoutes(v: unknown): v is RouteJson[] {
  return Array.isArray(v) && v.every((r) => typeof r === 'object' && r !== null);
}

export interface RouterOptions {
  kind?: RouterKind;
  gracefulRestartSeconds?: number;
  /** TCP MD5 keys by node name. */
  passwords?: Readonly<Record<string, string>>;
  /** The nodes peer over iBGP: in the router's own AS. */
  ibgp?: boolean;
  /** BFD on every session at these timers (BIRD's bfd protocol, FRR's bfdd; issue #11). */
  bfd?: LabBfd;
}

/** The AS of the i-th lab node as the router expects it. */
export function nodeAsn(kind: RouterKind, index: number): number {
  return kind === 'frr' ? FRR_NODE_ASN_BASE + index : NODE_ASN;
}

export async function startRouter(network: LabNetwork, dir: string, opts: RouterOptions = {}): Promise<LabRouter> {
  const host = network.router;
  if (host === null) throw new Error('the lab has no router namespace (build it with router: true)');
  const kind = opts.kind ?? 'bird';
  const settings = {
    routerId: host.ipv4,
    asn: ROUTER_ASN,
    ipv6: host.ipv6 !== null,
    ...(opts.gracefulRestartSeconds === undefined ? {} : { gracefulRestartSeconds: opts.gracefulRestartSeconds }),
    ...(opts.bfd === undefined ? {} : { bfd: opts.bfd }),
    neighbors: network.nodes.map((n, i) => ({ name: n.name, address: n.ipv4, asn: opts.ibgp === true ? ROUTER_ASN : nodeAsn(kind, i), ...(opts.passwords?.[n.name] === undefined ? {} : { password: opts.passwords[n.name] }) })),
  };
  const daemon = kind === 'frr' ? await startFrr(network, dir, settings) : { ...startBird(network, dir, settings), logTail: () => '' };
  return {
    kind,
    host,
    query: (command) => daemon.query(command),
    established: () => daemon.established(),
    logTail: (lines) => daemon.logTail(lines),
    bfdSessions: () => bfdSessionsOf(kind, (c) => daemon.query(c)),
    async nextHops(prefix) {
      const v6 = prefix.includes(':');
      const r = await network.exec(host.ns, ['ip', ...(v6 ? ['-6'] : ['-4']), '-j', 'route', 'show', prefix], { timeoutMs: 5000 });
      if (r.code !== 0 || r.stdout.trim() === '') return [];
      const parsed: unknown = JSON.parse(r.stdout);
      if (!isRoutes(parsed)) return [];
      const hops = parsed.flatMap((route) => (route.nexthops !== undefined ? route.nexthops.map((h) => h.gateway ?? '') : [route.gateway ?? '']));
      return hops.filter((h) => h !== '').sort();
    },
  };
}

/**
 * BIRD's `show bfd sessions` (a table: address, interface, state, …) or FRR's `show bfd peers
 * json` (a list of { peer, status }), as address and lower-case state.
 */
async function bfdSessionsOf(kind: RouterKind, query: (command: string) => Promise<string>): Promise<{ address: string; state: string }[]> {
  if (kind === 'bird') {
    const out = await query('show bfd sessions');
    return out.split('\n').flatMap((line) => {
      const [address, , state] = line.trim().split(/\s+/);
      return address !== undefined && state !== undefined && isIP(address) !== 0 ? [{ address, state: state.toLowerCase() }] : [];
    });
  }
  try {
    const parsed: unknown = JSON.parse(await query('show bfd peers json'));
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((p: unknown) => (isRecord(p) && typeof p['peer'] === 'string' && typeof p['status'] === 'string' ? [{ address: p['peer'], state: p['status'].toLowerCase() }] : []));
  } catch {
    return []; // bfdd not up yet: vtysh answers text
  }
}

/** The BGPPeer every lab node uses: the router, eBGP, fast timers, graceful restart on. */
export function labBgpPeer(router: LabHost, over: Partial<BGPPeer['spec']> = {}): BGPPeer {
  return {
    apiVersion: 'herald.dev/v1alpha1',
    kind: 'BGPPeer',
    metadata: { name: LAB_PEER },
    spec: { peerAddress: router.ipv4, peerASN: ROUTER_ASN, localASN: NODE_ASN, holdTimeSeconds: LAB_HOLD_SECONDS, connectRetrySeconds: 1, gracefulRestart: { enabled: true, restartTimeSeconds: 120 }, ...over },
  };
}

/**
 * The BGPPeers for the router: with BIRD one for every node (`tor`); with FRR one per node
 * (`tor-node-a`, …), each selecting its node by `kubernetes.io/hostname` and with its own localASN.
 */
export function labBgpPeers(kind: RouterKind, router: LabHost, nodes: readonly LabHost[], over: Partial<BGPPeer['spec']> = {}): BGPPeer[] {
  if (kind === 'bird') return [labBgpPeer(router, over)];
  return nodes.map((n, i) => {
    const peer = labBgpPeer(router, { localASN: nodeAsn(kind, i), nodeSelector: { matchLabels: { 'kubernetes.io/hostname': n.name } }, ...over });
    return { ...peer, metadata: { name: `${LAB_PEER}-${n.name}` } };
  });
}

/** Every Service of class herald.dev/bgp (or unset), from every node, to every peer. */
export function labBgpPolicy(over: Partial<BGPAnnouncementPolicy['spec']> = {}): BGPAnnouncementPolicy {
  return { apiVersion: 'herald.dev/v1alpha1', kind: 'BGPAnnouncementPolicy', metadata: { name: LAB_BGP_POLICY }, spec: { ...over } };
}

/**
 * The Restart State (R) bit of a node's last OPEN as the router saw it (RFC 4724 §4.1: a
 * restarting speaker MUST set it); null when the router does not say (no session yet). BIRD
 * prints "Restart recovery" among the neighbour's capabilities, FRR reports `rBit`.
 */
export async function restartBitSeen(router: LabRouter, node: { name: string; ipv4: string }): Promise<boolean | null> {
  if (router.kind === 'bird') {
    const out = await router.query(`show protocols all ${node.name.replaceAll('-', '_')}`);
    const caps = out.split('Neighbor capabilities')[1]?.split('Session:')[0];
    return caps === undefined ? null : /Restart recovery/.test(caps);
  }
  try {
    const parsed: unknown = JSON.parse(await router.query(`show bgp neighbors ${node.ipv4} json`));
    const peer = isRecord(parsed) ? parsed[node.ipv4] : undefined;
    const gr = isRecord(peer) ? peer['gracefulRestartInfo'] : undefined;
    const bit = isRecord(gr) ? gr['rBit'] : undefined;
    return typeof bit === 'boolean' ? bit : null;
  } catch {
    // vtysh answers text, not JSON, while the neighbour is unknown.
    return null;
  }
}
