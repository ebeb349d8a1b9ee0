// Turns Kubernetes objects into allocator terms (MetalLB's k8salloc.go plays this part): which
// Services are Herald's, what they ask for, and which addresses are never to be handed out.
// Pure: type-only imports of the Kubernetes models, no client.
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import type { BlockSpec, Family, IPFamilyPolicy, LabelSelector, PoolView, PortView, ServiceView, SharingView } from './types.ts';
import type { IPPool } from '../kube/ippool-types.ts';
import { isSelectorOperator } from '../kube/ippool-types.ts';
import { compareAddr, normalizeIP, parseIP } from './addr.ts';
import { parseLabelSelector } from '../kube/label-selector.ts';

export const CLASS_L2 = 'herald.dev/l2';
export const CLASS_BGP = 'herald.dev/bgp';
export const CLASS_NODE_IPAM = 'herald.dev/node-ipam';

export const ANN_IPS = 'herald.dev/ips';
export const ANN_SHARING_KEY = 'herald.dev/sharing-key';
export const ANN_SHARING_CROSS_NS = 'herald.dev/sharing-cross-namespace';
export const ANN_NODE_IPAM_MATCH_LABELS = 'herald.dev/node-ipam-match-labels';
export const LABEL_EXCLUDE_FROM_LB = 'node.kubernetes.io/exclude-from-external-load-balancers';
export const TAINT_TO_BE_DELETED = 'ToBeDeletedByClusterAutoscaler';

export type DefaultServiceIpam = 'pool' | 'node-ipam' | 'none';
export type ForeignAnnotations = 'metallb' | 'cilium';

export interface AdapterOptions {
  defaultServiceIpam: DefaultServiceIpam;
  acceptAnnotations: ReadonlySet<ForeignAnnotations>;
}

// Foreign annotations read only with --accept-annotations; Herald's own always win (issue #2).
const FOREIGN_IPS: Record<ForeignAnnotations, readonly string[]> = {
  metallb: ['metallb.io/loadBalancerIPs', 'metallb.universe.tf/loadBalancerIPs'],
  cilium: ['lbipam.cilium.io/ips'],
};
const FOREIGN_SHARING: Record<ForeignAnnotations, readonly string[]> = {
  metallb: ['metallb.io/allow-shared-ip', 'metallb.universe.tf/allow-shared-ip'],
  cilium: ['lbipam.cilium.io/sharing-key'],
};
const FOREIGN_CROSS_NS: Record<ForeignAnnotations, readonly string[]> = {
  metallb: [],
  cilium: ['lbipam.cilium.io/sharing-cross-namespace'],
};

/** What Herald makes of a Service. `ignored` Services are never read further nor written. */
export type ServiceIntent =
  | { kind: 'ignored'; key: string; why: 'NotLoadBalancer' | 'ForeignClass' | 'DefaultIpamNone' }
  | { kind: 'pool'; key: string; view: ServiceView }
  | { kind: 'node'; key: string; view: NodeIpamServiceView }
  | { kind: 'invalid'; key: string; ipam: 'pool' | 'node'; message: string };

export interface NodeIpamServiceView {
  key: string;
  namespace: string;
  name: string;
  ipFamilies: readonly Family[];
  ipFamilyPolicy: IPFamilyPolicy;
  externalTrafficPolicy: 'Cluster' | 'Local';
  nodeSelector: LabelSelector | null;
}

/** Canonical text of an address from an object field, or null when it is not one. */
export function canonicalIP(text: string): string | null {
  const r = normalizeIP(text);
  return r.ok ? r.value : null;
}

/** Family of an address already in canonical text. */
export function familyOf(ip: string): Family {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

/** Numeric order of canonical addresses (IPv4 before IPv6). */
export function compareIPs(a: string, b: string): number {
  const pa = parseIP(a);
  const pb = parseIP(b);
  return pa.ok && pb.ok ? compareAddr(pa.value, pb.value) : a < b ? -1 : a > b ? 1 : 0;
}

export function serviceKey(svc: V1Service): string {
  return `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
}

export function timestampMs(t: Date | string | undefined): number {
  if (t === undefined) return 0;
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(ms) ? 0 : ms;
}

function ipamOf(svc: V1Service, opts: AdapterOptions): 'pool' | 'node' | ServiceIntent['kind'] | 'ForeignClass' | 'DefaultIpamNone' {
  const cls = svc.spec?.loadBalancerClass;
  if (cls === undefined || cls === '') {
    if (opts.defaultServiceIpam === 'none') return 'DefaultIpamNone';
    return opts.defaultServiceIpam === 'pool' ? 'pool' : 'node';
  }
  if (cls === CLASS_L2 || cls === CLASS_BGP) return 'pool';
  if (cls === CLASS_NODE_IPAM) return 'node';
  return 'ForeignClass';
}

export function classifyService(svc: V1Service, opts: AdapterOptions): ServiceIntent {
  const key = serviceKey(svc);
  // Foreign classes first: such a Service is never read further (a lesson from the field).
  const ipam = ipamOf(svc, opts);
  if (ipam === 'ForeignClass' || ipam === 'DefaultIpamNone') return { kind: 'ignored', key, why: ipam };
  if (svc.spec?.type !== 'LoadBalancer') return { kind: 'ignored', key, why: 'NotLoadBalancer' };
  if (svc.metadata?.deletionTimestamp !== undefined) return { kind: 'ignored', key, why: 'NotLoadBalancer' };

  const families = familiesOf(svc);
  const policy = policyOf(svc);
  const etp = svc.spec?.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster';
  const annotations = svc.metadata?.annotations ?? {};
  const namespace = svc.metadata?.namespace ?? '';
  const name = svc.metadata?.name ?? '';

  if (ipam === 'node') {
    const sel = annotations[ANN_NODE_IPAM_MATCH_LABELS];
    let nodeSelector: LabelSelector | null = null;
    if (sel !== undefined) {
      const parsed = parseLabelSelector(sel);
      if (!parsed.ok) return { kind: 'invalid', key, ipam: 'node', message: `annotation ${ANN_NODE_IPAM_MATCH_LABELS} ${JSON.stringify(sel)}: ${parsed.error.message}` };
      nodeSelector = parsed.selector;
    }
    return { kind: 'node', key, view: { key, namespace, name, ipFamilies: families, ipFamilyPolicy: policy, externalTrafficPolicy: etp, nodeSelector } };
  }

  const requested = requestedIPsOf(svc, opts);
  if (!requested.ok) return { kind: 'invalid', key, ipam: 'pool', message: requested.error };
  const view: ServiceView = {
    key,
    namespace,
    name,
    createdAt: timestampMs(svc.metadata?.creationTimestamp),
    labels: svc.metadata?.labels ?? {},
    ipFamilies: families,
    ipFamilyPolicy: policy,
    requestedIPs: requested.ips,
    sharing: sharingOf(annotations, opts),
    ports: portsOf(svc),
    externalTrafficPolicy: etp,
    selector: svc.spec?.selector ?? {},
    currentIPs: ingressIPs(svc),
  };
  return { kind: 'pool', key, view };
}

function familiesOf(svc: V1Service): Family[] {
  const out: Family[] = [];
  for (const f of svc.spec?.ipFamilies ?? []) {
    if ((f === 'IPv4' || f === 'IPv6') && !out.includes(f)) out.push(f);
  }
  // The real API server always defaults ipFamilies; an empty list only comes from odd clients.
  return out.length > 0 ? out : ['IPv4'];
}

function policyOf(svc: V1Service): IPFamilyPolicy {
  const p = svc.spec?.ipFamilyPolicy;
  return p === 'PreferDualStack' || p === 'RequireDualStack' ? p : 'SingleStack';
}

function portsOf(svc: V1Service): PortView[] {
  return (svc.spec?.ports ?? []).map((p) => ({ protocol: p.protocol ?? 'TCP', port: p.port }));
}

export function ingressIPs(svc: V1Service): string[] {
  const out: string[] = [];
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    const ip = ing.ip === undefined ? null : canonicalIP(ing.ip);
    if (ip !== null) out.push(ip);
  }
  return out;
}

function firstAnnotation(annotations: Record<string, string>, own: string, foreign: Record<ForeignAnnotations, readonly string[]>, opts: AdapterOptions): { name: string; value: string } | undefined {
  const mine = annotations[own];
  if (mine !== undefined) return { name: own, value: mine };
  for (const which of opts.acceptAnnotations) {
    for (const name of foreign[which]) {
      const v = annotations[name];
      if (v !== undefined) return { name, value: v };
    }
  }
  return undefined;
}

function splitList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

type Requested = { ok: true; ips: string[] } | { ok: false; error: string };

function requestedIPsOf(svc: V1Service, opts: AdapterOptions): Requested {
  const annotations = svc.metadata?.annotations ?? {};
  const ann = firstAnnotation(annotations, ANN_IPS, FOREIGN_IPS, opts);
  const source = ann ?? (svc.spec?.loadBalancerIP ? { name: 'spec.loadBalancerIP', value: svc.spec.loadBalancerIP } : undefined);
  if (source === undefined) return { ok: true, ips: [] };
  const ips: string[] = [];
  for (const text of splitList(source.value)) {
    const ip = canonicalIP(text);
    if (ip === null) return { ok: false, error: `${source.name}: "${text}" is not an IP address; list addresses separated by commas, e.g. "192.0.2.10,2001:db8::10"` };
    if (!ips.includes(ip)) ips.push(ip);
  }
  const fams = ips.map(familyOf);
  if (new Set(fams).size !== fams.length) return { ok: false, error: `${source.name}: at most one address per family may be requested, got "${source.value}"` };
  return { ok: true, ips };
}

function sharingOf(annotations: Record<string, string>, opts: AdapterOptions): SharingView | null {
  const key = firstAnnotation(annotations, ANN_SHARING_KEY, FOREIGN_SHARING, opts);
  if (key === undefined || key.value.trim() === '') return null;
  const cross = firstAnnotation(annotations, ANN_SHARING_CROSS_NS, FOREIGN_CROSS_NS, opts);
  return { key: key.value.trim(), crossNamespaces: cross === undefined ? [] : splitList(cross.value) };
}

/** IPPool → allocator's PoolView. Shape errors are caught by isIPPool before this is called. */
export function poolView(pool: IPPool): PoolView {
  const blocks: BlockSpec[] = pool.spec.blocks.map((b) => (b.cidr !== undefined ? { cidr: b.cidr } : b.stop !== undefined ? { start: b.start ?? '', stop: b.stop } : { start: b.start ?? '' }));
  const sel = pool.spec.serviceSelector;
  const serviceSelector: LabelSelector | null =
    sel === undefined
      ? null
      : {
          matchLabels: sel.matchLabels ?? {},
          // poolShapeError has already refused unknown operators (the controller calls it first).
          matchExpressions: (sel.matchExpressions ?? []).flatMap((e) => (isSelectorOperator(e.operator) ? [{ key: e.key, operator: e.operator, values: e.values ?? [] }] : [])),
        };
  return {
    name: pool.metadata.name ?? '',
    createdAt: timestampMs(pool.metadata.creationTimestamp),
    blocks,
    allowFirstLastIPs: pool.spec.allowFirstLastIPs !== 'No',
    disabled: pool.spec.disabled === true,
    serviceSelector,
  };
}

/** Addresses that are never VIPs: every Node's InternalIP/ExternalIP and the API server's endpoints. */
export function reservedAddresses(nodes: readonly V1Node[], apiServerSlices: readonly V1EndpointSlice[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const node of nodes) {
    for (const a of node.status?.addresses ?? []) {
      if (a.type !== 'InternalIP' && a.type !== 'ExternalIP') continue;
      const ip = canonicalIP(a.address);
      if (ip !== null && !out.has(ip)) out.set(ip, `${a.type} of node ${node.metadata?.name ?? '?'}`);
    }
  }
  for (const slice of apiServerSlices) {
    for (const ep of slice.endpoints ?? []) {
      for (const text of ep.addresses) {
        const ip = canonicalIP(text);
        if (ip !== null && !out.has(ip)) out.set(ip, 'the API server (endpoints of default/kubernetes)');
      }
    }
  }
  return out;
}
