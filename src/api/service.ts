// What a Service asks of Herald (issue #9: one interpreter that the allocator, the speaker and
// the BGP desired state share): whether it is Herald's (class), its families, the addresses it
// requests, sharing and traffic policy. Pure: type-only imports of the Kubernetes models.
import type { V1Service } from '@kubernetes/client-node';
import type { LabelSelector } from './selector.ts';
import type { Family } from './addr.ts';
import { canonicalIP, familyOf } from './addr.ts';
import { parseLabelSelector } from './label-selector.ts';
import { ANN_IPS, ANN_NODE_IPAM_MATCH_LABELS, ANN_SHARING_CROSS_NS, ANN_SHARING_KEY, CLASS_BGP, CLASS_L2, CLASS_NODE_IPAM } from './names.ts';

export type IPFamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
export type TrafficPolicy = 'Cluster' | 'Local';

export interface PortView {
  protocol: string; // TCP | UDP | SCTP
  port: number;
}

export interface SharingView {
  key: string;
  /** Namespaces this Service accepts sharing with besides its own; '*' = any. */
  crossNamespaces: readonly string[];
}

/** What the allocator needs to know about one Service (pool IPAM only). */
export interface ServiceView {
  /** `namespace/name`: the allocator's identity for the Service. */
  key: string;
  namespace: string;
  name: string;
  /** creationTimestamp in ms; older Services import first after a restart. */
  createdAt: number;
  labels: Readonly<Record<string, string>>;
  /** From `spec.ipFamilies` (at least one entry; the adapter defaults to ['IPv4']). */
  ipFamilies: readonly Family[];
  ipFamilyPolicy: IPFamilyPolicy;
  /** Requested addresses (annotation herald.dev/ips or spec.loadBalancerIP), normalised text. */
  requestedIPs: readonly string[];
  sharing: SharingView | null;
  ports: readonly PortView[];
  externalTrafficPolicy: TrafficPolicy;
  /** `spec.selector`; compared for Local sharing. */
  selector: Readonly<Record<string, string>>;
  /** Addresses in `status.loadBalancer.ingress` now: imported when the allocator does not know the Service yet. */
  currentIPs: readonly string[];
  /**
   * Why the requested addresses could not be read (a malformed annotation), naming it. The
   * allocator then answers InvalidRequest and gives nothing new, but still applies its keep rules
   * to what the Service holds, and imports it after a restart (issue #14, IPAM chaos).
   */
  requestError?: string;
}

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

const FOREIGN_READ = new Set([FOREIGN_IPS, FOREIGN_SHARING, FOREIGN_CROSS_NS].flatMap((m) => [...m.metallb, ...m.cilium]));

/**
 * Is this an annotation classifyService can read (Herald's own, or one --accept-annotations may
 * name)? A cache may drop every other one (issue #10: kubectl's last-applied-configuration alone
 * can be kilobytes per Service).
 */
export function readsAnnotation(name: string): boolean {
  return name.startsWith('herald.dev/') || FOREIGN_READ.has(name);
}

/** What Herald makes of a Service. `ignored` Services are never read further nor written. */
export type ServiceIntent =
  | { kind: 'ignored'; key: string; why: 'NotLoadBalancer' | 'ForeignClass' | 'DefaultIpamNone' }
  | { kind: 'pool'; key: string; view: ServiceView }
  | { kind: 'node'; key: string; view: NodeIpamServiceView }
  | { kind: 'invalid'; key: string; ipam: 'pool' | 'node'; message: string; view?: ServiceView };

export interface NodeIpamServiceView {
  key: string;
  namespace: string;
  name: string;
  ipFamilies: readonly Family[];
  ipFamilyPolicy: IPFamilyPolicy;
  externalTrafficPolicy: 'Cluster' | 'Local';
  nodeSelector: LabelSelector | null;
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
  const view: ServiceView = {
    key,
    namespace,
    name,
    createdAt: timestampMs(svc.metadata?.creationTimestamp),
    labels: svc.metadata?.labels ?? {},
    ipFamilies: families,
    ipFamilyPolicy: policy,
    requestedIPs: requested.ok ? requested.ips : [],
    sharing: sharingOf(annotations, opts),
    ports: portsOf(svc),
    externalTrafficPolicy: etp,
    selector: svc.spec?.selector ?? {},
    currentIPs: ingressIPs(svc),
  };
  if (!requested.ok) return { kind: 'invalid', key, ipam: 'pool', message: requested.error, view: { ...view, requestError: requested.error } };
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

