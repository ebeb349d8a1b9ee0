// The BGP speaker's desired state for this node (docs/bgp.md, "Which routes a node advertises"):
// from Services, EndpointSlices, Nodes and the valid BGPPeers and BGPAnnouncementPolicies, the
// sessions to run and, per peer, every prefix to advertise with its attributes. Pure; the
// sessions diff it against what they sent (STYLE.md lesson 5).
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import type { LargeCommunity } from './codec/attributes.ts';
import type { Family } from '../api/addr.ts';
import type { AdapterOptions } from '../api/service.ts';
import type { NodeProblem } from '../api/nodes.ts';
import type { BgpPolicyView, PeerView } from './config.ts';
import type { BgpFamily } from '../api/bgp.ts';
import { FAMILY_BITS, formatIP, parseIP, canonicalIP, familyOf, sortByIP } from '../api/addr.ts';
import { classifyService, ingressIPs, serviceKey } from '../api/service.ts';
import { reservedAddresses, nodesWithReadyEndpoints, nodeProblem } from '../api/nodes.ts';
import { CLASS_BGP, LABEL_SERVICE_NAME } from '../api/names.ts';
import { matchesSelector, selectorLabels } from '../api/selector.ts';

export interface BgpDesiredInput {
  /** This node's name. */
  me: string;
  nodes: readonly V1Node[];
  services: readonly V1Service[];
  slices: readonly V1EndpointSlice[];
  /** Valid peers only (parsePeers). */
  peers: readonly PeerView[];
  /** Valid policies only (parseBgpPolicies). */
  policies: readonly BgpPolicyView[];
  /** The controller's options: they decide which unset-class Services are pool IPAM. */
  adapter: AdapterOptions;
}

/** Path attributes that vary by policy; ORIGIN, AS_PATH and NEXT_HOP are the session's. */
export interface RouteAttrs {
  /** RFC 1997, sorted, no duplicates: the union over the policies selecting the route. */
  communities: number[];
  /** RFC 8092, sorted, no duplicates. */
  largeCommunities: LargeCommunity[];
  /** iBGP peers only: the highest localPreference of the policies that set one; else null. */
  localPreference: number | null;
}

export type BgpSkipReason = 'NodeAddress';

export interface BgpDesiredState {
  /** Peers whose nodeSelector selects this node, by name: the sessions to run. */
  sessions: PeerView[];
  /** Peer name → prefix ("192.0.2.0/24") → attributes; one entry per session, in prefix order. */
  routes: Map<string, Map<string, RouteAttrs>>;
  /** Prefix → `namespace/name` of the Services behind it (sorted), for logs and status. */
  services: Map<string, string[]>;
  /** Why this node advertises nothing (its sessions stay up); null when it may advertise. */
  nodeProblem: NodeProblem | 'NodeUnknown' | null;
  /** Addresses a policy selects but that are never advertised. */
  skipped: { ip: string; reason: BgpSkipReason; message: string }[];
}

const BGP_FAMILY: Readonly<Record<Family, BgpFamily>> = { IPv4: 'ipv4-unicast', IPv6: 'ipv6-unicast' };

/** The address's network of `length` bits, as "a/len" (192.0.2.200, 24 → 192.0.2.0/24). */
export function aggregate(ip: string, length: number): string {
  const p = parseIP(ip);
  if (!p.ok) throw new Error(`aggregate: ${ip} is not canonical`);
  const bits = BigInt(FAMILY_BITS[p.value.family]);
  const host = (1n << (bits - BigInt(length))) - 1n;
  return `${formatIP({ family: p.value.family, value: p.value.value & ~host })}/${length}`;
}

/** Entries keyed by prefix, in address order then length (sortByIP: each address parsed once, issue #10). */
function byPrefix<T>(entries: Iterable<[string, T]>): [string, T][] {
  const length = (prefix: string): number => Number(prefix.split('/')[1] ?? '0');
  return sortByIP(entries, ([p]) => p.split('/')[0] ?? '', ([a], [b]) => length(a) - length(b));
}

/** A Service's addresses as BGP sees them, or null when the Service is not Herald BGP's. */
function addressesOf(svc: V1Service, adapter: AdapterOptions): { lb: string[]; external: string[] } | null {
  if (svc.metadata?.deletionTimestamp !== undefined) return null;
  const cls = svc.spec?.loadBalancerClass;
  // herald.dev/l2, herald.dev/node-ipam and foreign classes are never advertised over BGP.
  if (cls !== undefined && cls !== '' && cls !== CLASS_BGP) return null;
  const intent = classifyService(svc, adapter);
  // An invalid request keeps the addresses it holds (docs/ipam.md), so they stay advertised.
  const pool = intent.kind === 'pool' || (intent.kind === 'invalid' && intent.ipam === 'pool');
  const external = [...new Set((svc.spec?.externalIPs ?? []).flatMap((t) => canonicalIP(t) ?? []))];
  return { lb: pool ? ingressIPs(svc) : [], external };
}

interface PerAddress {
  /** Policy name → the Services it selects on this address. */
  policies: Map<string, Set<string>>;
  /** Services with externalTrafficPolicy: Local on this address (whichever policy selects them). */
  local: Map<string, V1Service>;
}

function mergeInto(attrs: RouteAttrs | undefined, p: BgpPolicyView, peer: PeerView): RouteAttrs {
  const lp = peer.ibgp ? p.localPreference : null;
  if (attrs === undefined) return { communities: [...p.communities], largeCommunities: [...p.largeCommunities], localPreference: lp };
  const large = new Map([...attrs.largeCommunities, ...p.largeCommunities].map((c) => [`${c.global}:${c.local1}:${c.local2}`, c]));
  return {
    communities: [...new Set([...attrs.communities, ...p.communities])].sort((a, b) => a - b),
    largeCommunities: [...large.values()].sort((a, b) => a.global - b.global || a.local1 - b.local1 || a.local2 - b.local2),
    localPreference: lp === null ? attrs.localPreference : attrs.localPreference === null ? lp : Math.max(lp, attrs.localPreference),
  };
}

export function desiredRoutes(input: BgpDesiredInput): BgpDesiredState {
  const meNode = input.nodes.find((n) => n.metadata?.name === input.me);
  const myLabels = meNode?.metadata?.labels ?? {};
  const sessions = meNode === undefined ? [] : input.peers.filter((p) => matchesSelector(p.nodeSelector, myLabels)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const routes = new Map(sessions.map((p) => [p.name, new Map<string, RouteAttrs>()]));
  const problem = meNode === undefined ? 'NodeUnknown' : nodeProblem(meNode);
  const state: BgpDesiredState = { sessions, routes, services: new Map(), nodeProblem: problem, skipped: [] };
  if (problem !== null || sessions.length === 0) return state;

  const mine = input.policies.filter((p) => matchesSelector(p.nodeSelector, myLabels));
  const byIP = new Map<string, PerAddress>();
  for (const svc of input.services) {
    const addrs = addressesOf(svc, input.adapter);
    if (addrs === null) continue;
    const key = serviceKey(svc);
    const labels = selectorLabels({ labels: svc.metadata?.labels ?? {}, namespace: svc.metadata?.namespace ?? '', name: svc.metadata?.name ?? '' });
    for (const p of input.policies) {
      if (!matchesSelector(p.serviceSelector, labels)) continue;
      for (const ip of [...(p.loadBalancerIPs ? addrs.lb : []), ...(p.externalIPs ? addrs.external : [])]) {
        let acc = byIP.get(ip);
        if (acc === undefined) byIP.set(ip, (acc = { policies: new Map(), local: new Map() }));
        if (svc.spec?.externalTrafficPolicy === 'Local') acc.local.set(key, svc);
        if (!mine.includes(p)) continue;
        const set = acc.policies.get(p.name) ?? new Set<string>();
        acc.policies.set(p.name, set.add(key));
      }
    }
  }

  const reserved = reservedAddresses(input.nodes, []);
  const slices = new Map<string, V1EndpointSlice[]>();
  for (const s of input.slices) {
    const name = s.metadata?.labels?.[LABEL_SERVICE_NAME];
    if (name !== undefined) slices.set(`${s.metadata?.namespace ?? ''}/${name}`, [...(slices.get(`${s.metadata?.namespace ?? ''}/${name}`) ?? []), s]);
  }
  const byName = new Map(mine.map((p) => [p.name, p]));
  const services = new Map<string, Set<string>>();
  for (const ip of sortByIP(byIP.keys(), (ip) => ip)) {
    const acc = byIP.get(ip);
    if (acc === undefined || acc.policies.size === 0) continue;
    const owner = reserved.get(ip);
    // Advertising a node's own address would pull its traffic to every node (issue #3).
    if (owner !== undefined) {
      state.skipped.push({ ip, reason: 'NodeAddress', message: `${ip} is the ${owner}; it is never advertised` });
      continue;
    }
    // externalTrafficPolicy: Local: only with a ready local endpoint of every Local Service on
    // the address, and as a host route, so traffic follows the endpoints (issue #4).
    const local = acc.local.size > 0;
    if ([...acc.local].some(([key]) => !nodesWithReadyEndpoints(slices.get(key) ?? []).has(input.me))) continue;
    const family = familyOf(ip);
    for (const [policyName, svcs] of [...acc.policies].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const p = byName.get(policyName);
      if (p === undefined) continue;
      const length = local ? FAMILY_BITS[family] : family === 'IPv4' ? p.aggregationLengthIPv4 : p.aggregationLengthIPv6;
      const prefix = aggregate(ip, length);
      for (const peer of sessions) {
        if (!peer.families.includes(BGP_FAMILY[family]) || !matchesSelector(p.peerSelector, peer.labels)) continue;
        const table = routes.get(peer.name);
        table?.set(prefix, mergeInto(table.get(prefix), p, peer));
        services.set(prefix, new Set([...(services.get(prefix) ?? []), ...svcs]));
      }
    }
  }
  for (const [name, table] of routes) routes.set(name, new Map(byPrefix(table)));
  state.services = new Map(byPrefix(services).map(([k, v]) => [k, [...v].sort()]));
  return state;
}
