// The BGP lab's top-of-rack router (issue #4): BIRD 2 in the lab's router namespace, peering
// with every node, installing the VIP routes into that namespace's kernel table, where ECMP
// shows as one route with a next hop per node. Plus the objects that point the speakers at it.
import type { BGPAnnouncementPolicy, BGPPeer } from '../bgp/crd-types.ts';
import { startBird } from './bird.ts';
import type { RunningBird } from './bird.ts';
import type { LabHost, LabNetwork } from './netns.ts';

/** The router's AS; the nodes are AS 64512 (one AS for all: equal AS_PATHs, so BIRD merges them). */
export const ROUTER_ASN = 65000;
export const NODE_ASN = 64512;
export const LAB_PEER = 'tor';
export const LAB_BGP_POLICY = 'lab-bgp';
/** The one Secret the speaker may read (deploy/speaker-rbac.yaml); key = the BGPPeer's name. */
export const LAB_PASSWORD_SECRET = 'herald-bgp-passwords';
/** Short timers: a crashed node's route goes within seconds (the hold time is negotiated down to this). */
export const LAB_HOLD_SECONDS = 3;

export interface LabRouter {
  readonly host: LabHost;
  readonly bird: RunningBird;
  /** BIRD protocol names of Established sessions. */
  established(): Promise<string[]>;
  /** The gateways of the router's kernel route for `prefix` (one per ECMP path), sorted; [] when absent. */
  nextHops(prefix: string): Promise<string[]>;
}

interface RouteJson {
  dst?: string;
  gateway?: string;
  nexthops?: { gateway?: string }[];
}

function isRoutes(v: unknown): v is RouteJson[] {
  return Array.isArray(v) && v.every((r) => typeof r === 'object' && r !== null);
}

export function startRouter(network: LabNetwork, dir: string, opts: { gracefulRestartSeconds?: number; passwords?: Readonly<Record<string, string>> } = {}): LabRouter {
  const host = network.router;
  if (host === null) throw new Error('the lab has no router namespace (build it with router: true)');
  const bird = startBird(network, dir, {
    routerId: host.ipv4,
    asn: ROUTER_ASN,
    ipv6: host.ipv6 !== null,
    ...(opts.gracefulRestartSeconds === undefined ? {} : { gracefulRestartSeconds: opts.gracefulRestartSeconds }),
    neighbors: network.nodes.map((n) => ({ name: n.name, address: n.ipv4, asn: NODE_ASN, ...(opts.passwords?.[n.name] === undefined ? {} : { password: opts.passwords[n.name] }) })),
  });
  return {
    host,
    bird,
    established: () => bird.established(),
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

/** The BGPPeer every lab node uses: the router, eBGP, fast timers, graceful restart on. */
export function labBgpPeer(router: LabHost, over: Partial<BGPPeer['spec']> = {}): BGPPeer {
  return {
    apiVersion: 'herald.dev/v1alpha1',
    kind: 'BGPPeer',
    metadata: { name: LAB_PEER },
    spec: { peerAddress: router.ipv4, peerASN: ROUTER_ASN, localASN: NODE_ASN, holdTimeSeconds: LAB_HOLD_SECONDS, connectRetrySeconds: 1, gracefulRestart: { enabled: true, restartTimeSeconds: 120 }, ...over },
  };
}

/** Every Service of class herald.dev/bgp (or unset), from every node, to every peer. */
export function labBgpPolicy(over: Partial<BGPAnnouncementPolicy['spec']> = {}): BGPAnnouncementPolicy {
  return { apiVersion: 'herald.dev/v1alpha1', kind: 'BGPAnnouncementPolicy', metadata: { name: LAB_BGP_POLICY }, spec: { ...over } };
}
