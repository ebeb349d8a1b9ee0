// The speaker's desired state (docs/l2.md, "Who may announce a VIP"): from Services,
// EndpointSlices, Nodes, valid L2AnnouncementPolicies and this node's interfaces, every VIP to
// announce, the nodes eligible for it (with the policies that make them so), and the interfaces
// this node answers on. Pure; the election decides which eligible node actually answers.
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import type { Family } from '../api/addr.ts';
import type { AdapterOptions } from '../api/service.ts';
import type { DesiredVip } from '../election/vip-table.ts';
import type { LocalInterface } from './interfaces.ts';
import type { NodeProblem } from '../api/nodes.ts';
import type { PolicyView } from '../api/l2-policy.ts';
import { classifyService, ingressIPs, serviceKey } from '../api/service.ts';
import { reservedAddresses, nodesWithReadyEndpoints, nodeDemoted, nodeProblem } from '../api/nodes.ts';
import { canonicalIP, familyOf, sortByIP } from '../api/addr.ts';
import { CLASS_L2, LABEL_SERVICE_NAME } from '../api/names.ts';
import { matchesSelector, selectorLabels } from '../api/selector.ts';
import { selectInterfaces } from './interfaces.ts';

export interface DesiredInput {
  /** This node's name. */
  me: string;
  services: readonly V1Service[];
  slices: readonly V1EndpointSlice[];
  nodes: readonly V1Node[];
  /** Valid policies only (parsePolicies). */
  policies: readonly PolicyView[];
  interfaces: readonly LocalInterface[];
  /** The same options the controller runs with: they decide which unset-class Services are pool IPAM. */
  adapter: AdapterOptions;
}

export interface Announcement {
  ip: string;
  family: Family;
  /** `namespace/name` of the Services on this address, sorted. */
  services: string[];
  /** Eligible node → the policies it is eligible through (sorted). */
  nodes: Map<string, string[]>;
  /** Eligible nodes ranked last (cordoned, being scaled down). */
  demoted: Set<string>;
  /** Interfaces this node answers on; empty when it cannot serve the VIP. */
  interfaces: string[];
}

export type SkipReason = 'NodeAddress' | 'LocalAddress';

export interface DesiredState {
  /** By address, in address order. */
  vips: Map<string, Announcement>;
  /** Addresses a policy selects but that are never announced, with why. */
  skipped: { ip: string; reason: SkipReason; message: string }[];
  /** Nodes that may not announce anything, with why. */
  nodeProblems: Map<string, NodeProblem>;
  /** Policies whose nodeSelector matches this node and that select at least one of its interfaces (sent in heartbeats). */
  servablePolicies: string[];
}

/** How a Service's addresses are announced, or null when they are not Herald L2's. */
function addressesOf(svc: V1Service, adapter: AdapterOptions): { lb: string[]; external: string[] } | null {
  if (svc.metadata?.deletionTimestamp !== undefined) return null;
  const cls = svc.spec?.loadBalancerClass;
  // herald.dev/bgp, herald.dev/node-ipam and foreign classes are never announced over L2.
  if (cls !== undefined && cls !== '' && cls !== CLASS_L2) return null;
  const intent = classifyService(svc, adapter);
  // An invalid request keeps the addresses the Service already holds (docs/ipam.md), so they stay announced.
  const pool = intent.kind === 'pool' || (intent.kind === 'invalid' && intent.ipam === 'pool');
  const external: string[] = [];
  for (const text of svc.spec?.externalIPs ?? []) {
    const ip = canonicalIP(text);
    if (ip !== null && !external.includes(ip)) external.push(ip);
  }
  return { lb: pool ? ingressIPs(svc) : [], external };
}

/** What a pass reads of one Service, kept per Service object (see `factsOf`). */
interface ServiceFacts {
  key: string;
  addrs: { lb: string[]; external: string[] } | null;
  labels: ReturnType<typeof selectorLabels>;
  local: boolean;
}

/**
 * Per Service object, for the passes to come: the informer replaces an object when it changes, so
 * facts read from one stay true of it. A pass over 5,000 Services parsed every address again
 * (classifyService, ingressIPs): 50–60 ms of CPU a pass, and each speaker ran one every few
 * hundred ms during a join (issue #10; bench/README.md, "Thirteenth session"). Keyed by the
 * adapter options too, which a speaker never changes.
 */
const FACTS = new WeakMap<V1Service, { adapter: AdapterOptions; facts: ServiceFacts }>();

function factsOf(svc: V1Service, adapter: AdapterOptions): ServiceFacts {
  const known = FACTS.get(svc);
  if (known !== undefined && known.adapter === adapter) return known.facts;
  const facts: ServiceFacts = {
    key: serviceKey(svc),
    addrs: addressesOf(svc, adapter),
    labels: selectorLabels({ labels: svc.metadata?.labels ?? {}, namespace: svc.metadata?.namespace ?? '', name: svc.metadata?.name ?? '' }),
    local: svc.spec?.externalTrafficPolicy === 'Local',
  };
  FACTS.set(svc, { adapter, facts });
  return facts;
}

interface Accumulated {
  services: Set<string>;
  policies: Set<string>;
  /** Services with externalTrafficPolicy: Local on this address. */
  local: V1Service[];
}

function slicesByService(slices: readonly V1EndpointSlice[]): Map<string, V1EndpointSlice[]> {
  const out = new Map<string, V1EndpointSlice[]>();
  for (const s of slices) {
    const name = s.metadata?.labels?.[LABEL_SERVICE_NAME];
    if (name === undefined) continue;
    const key = `${s.metadata?.namespace ?? ''}/${name}`;
    const list = out.get(key);
    if (list === undefined) out.set(key, [s]);
    else list.push(s);
  }
  return out;
}

export function desiredAnnouncements(input: DesiredInput): DesiredState {
  const { me, policies } = input;
  const nodeProblems = new Map<string, NodeProblem>();
  const healthy: V1Node[] = [];
  const demoted = new Set<string>();
  for (const n of input.nodes) {
    const name = n.metadata?.name ?? '';
    if (name === '') continue;
    const problem = nodeProblem(n);
    if (problem !== null) nodeProblems.set(name, problem);
    else {
      healthy.push(n);
      if (nodeDemoted(n)) demoted.add(name);
    }
  }

  // Per policy: the healthy nodes it selects, and this node's interfaces for it.
  const selected = new Map<string, string[]>();
  const myInterfaces = new Map<string, string[]>();
  const meNode = input.nodes.find((n) => n.metadata?.name === me);
  for (const p of policies) {
    selected.set(p.name, healthy.filter((n) => matchesSelector(p.nodeSelector, n.metadata?.labels ?? {})).map((n) => n.metadata?.name ?? ''));
    const mine = meNode !== undefined && matchesSelector(p.nodeSelector, meNode.metadata?.labels ?? {}) ? selectInterfaces(input.interfaces, p.interfaces) : [];
    myInterfaces.set(p.name, mine);
  }

  const byIP = new Map<string, Accumulated>();
  for (const svc of input.services) {
    const { key, addrs, labels, local } = factsOf(svc, input.adapter);
    if (addrs === null) continue;
    for (const p of policies) {
      if (!matchesSelector(p.serviceSelector, labels)) continue;
      const ips = [...(p.loadBalancerIPs ? addrs.lb : []), ...(p.externalIPs ? addrs.external : [])];
      for (const ip of ips) {
        let acc = byIP.get(ip);
        if (acc === undefined) byIP.set(ip, (acc = { services: new Set(), policies: new Set(), local: [] }));
        acc.policies.add(p.name);
        if (!acc.services.has(key)) {
          acc.services.add(key);
          if (local) acc.local.push(svc);
        }
      }
    }
  }

  const nodeAddresses = reservedAddresses(input.nodes, []);
  const localAddresses = new Set(input.interfaces.flatMap((i) => i.addresses.map((a) => canonicalIP(a) ?? a)));
  const slices = slicesByService(input.slices);
  const vips = new Map<string, Announcement>();
  const skipped: DesiredState['skipped'] = [];
  type Eligibility = { nodes: Map<string, string[]>; interfaces: string[]; demotedHere: Set<string> };
  const eligibility = new Map<string, Eligibility>();
  const eligible = (policyNames: readonly string[], local: readonly V1Service[]): Eligibility => {
    const nodes = new Map<string, string[]>();
    for (const p of policyNames) {
      for (const n of selected.get(p) ?? []) nodes.set(n, [...(nodes.get(n) ?? []), p]);
    }
    // externalTrafficPolicy: Local: only nodes with a ready endpoint of every Local Service here.
    for (const svc of local) {
      const ready = nodesWithReadyEndpoints(slices.get(serviceKey(svc)) ?? []);
      for (const n of [...nodes.keys()]) if (!ready.has(n)) nodes.delete(n);
    }
    const interfaces = [...new Set((nodes.get(me) ?? []).flatMap((p) => myInterfaces.get(p) ?? []))].sort();
    return { nodes, interfaces, demotedHere: new Set([...demoted].filter((n) => nodes.has(n))) };
  };
  for (const ip of sortByIP(byIP.keys(), (ip) => ip)) {
    const acc = byIP.get(ip);
    if (acc === undefined) continue;
    const owner = nodeAddresses.get(ip);
    // Answering for a node's address would steal its traffic: never (issue #3).
    if (owner !== undefined) {
      skipped.push({ ip, reason: 'NodeAddress', message: `${ip} is the ${owner}; it is never announced` });
      continue;
    }
    if (localAddresses.has(ip)) {
      skipped.push({ ip, reason: 'LocalAddress', message: `${ip} is an address of an interface of node ${me}; it is never announced` });
      continue;
    }
    const policyNames = [...acc.policies].sort();
    // Without Local Services, the nodes and interfaces depend on the policies alone: VIPs of the
    // same policies share them (one computation, one Map, for thousands of VIPs).
    const key = acc.local.length === 0 ? policyNames.join('\n') : undefined;
    const shared = key === undefined ? undefined : eligibility.get(key);
    const { nodes, interfaces, demotedHere } = shared ?? eligible(policyNames, acc.local);
    if (key !== undefined && shared === undefined) eligibility.set(key, { nodes, interfaces, demotedHere });
    vips.set(ip, { ip, family: familyOf(ip), services: [...acc.services].sort(), nodes, demoted: demotedHere, interfaces });
  }
  const servablePolicies = policies.filter((p) => (myInterfaces.get(p.name) ?? []).length > 0).map((p) => p.name);
  return { vips, skipped, nodeProblems, servablePolicies };
}

/** The election's view of the desired state. */
export function electionInput(state: DesiredState): Map<string, DesiredVip> {
  return new Map([...state.vips].map(([ip, a]) => [ip, { nodes: a.nodes, demoted: a.demoted, servable: a.interfaces.length > 0 }]));
}
