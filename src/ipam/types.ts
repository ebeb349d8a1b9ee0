// The allocator's vocabulary. Everything here is plain data: the allocator imports no I/O and
// knows nothing of Kubernetes objects; `k8s-adapter.ts` projects a Service into a ServiceView
// (the shape Cilium's lbipam calls a "service view", MetalLB's allocator a "key + ports").

export type Family = 'IPv4' | 'IPv6';
export type IPFamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
export type TrafficPolicy = 'Cluster' | 'Local';

/** A Kubernetes label selector, already parsed from the pool's `spec.serviceSelector`. */
export interface LabelSelector {
  matchLabels: Readonly<Record<string, string>>;
  matchExpressions: readonly SelectorRequirement[];
}
export interface SelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: readonly string[];
}

/** One entry of `spec.blocks`: exactly one of cidr or start (stop optional = one address). */
export type BlockSpec = { cidr: string } | { start: string; stop?: string };

/** An IPPool as the allocator sees it. */
export interface PoolView {
  name: string;
  /** creationTimestamp in ms since the epoch; the older pool wins an overlap (then name order). */
  createdAt: number;
  blocks: readonly BlockSpec[];
  /** `spec.allowFirstLastIPs: No` reserves the first and last address of CIDR blocks > 2 addresses. */
  allowFirstLastIPs: boolean;
  disabled: boolean;
  /** null = selects every Service. */
  serviceSelector: LabelSelector | null;
}

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
}

/** Stable reasons of the `herald.dev/IPAMRequestSatisfied` condition. */
export type ConditionReason =
  | 'Satisfied'
  | 'NoPool'
  | 'PoolSelectorMismatch'
  | 'OutOfIPs'
  | 'RequestedIPUnavailable'
  | 'IncompatibleSharing'
  | 'DualStackUnsatisfied'
  | 'InvalidRequest'
  // Node IPAM only: no node may carry the Service.
  | 'NoEligibleNodes';

/** Why an address left a Service: becomes the message of an `IPReleased` Event. */
export interface Release {
  ip: string;
  reason: 'PoolRemoved' | 'Reserved' | 'FamilyNotWanted' | 'NotRequested' | 'SharingKeyMismatch' | 'ServiceGone';
  message: string;
}

/** The allocator's verdict for one Service after a reconcile. */
export interface Decision {
  key: string;
  /** Addresses the Service holds now, ordered as its ipFamilies. */
  ips: readonly string[];
  satisfied: boolean;
  reason: ConditionReason;
  /** Tells the user what is wrong and what to do next. */
  message: string;
  /** Addresses newly given in this reconcile. */
  allocated: readonly string[];
  /** Addresses taken away in this reconcile, with why. */
  released: readonly Release[];
}

export type PoolConflict = { conflicting: false } | { conflicting: true; message: string };

/** Counts are bigints: an IPv6 /48 is larger than any JS number. The adapter writes them as decimal strings. */
export interface PoolStatusView {
  name: string;
  total: bigint;
  used: bigint;
  /** Node and API-server addresses inside the pool: never allocated. */
  reserved: bigint;
  available: bigint;
  conflict: PoolConflict;
}

/** Stable codes of the allocator's parse and validation errors (errors are values, never thrown). */
export type IpamErrorCode =
  | 'InvalidIP'
  | 'InvalidCIDR'
  | 'InvalidRange'
  | 'InvalidBlock'
  | 'NoBlocks'
  | 'InvalidSelector';

export interface IpamError {
  code: IpamErrorCode;
  message: string;
}

export type IpamResult<T> = { ok: true; value: T } | { ok: false; error: IpamError };

/** What `Allocator.setPools` returns: pool name → why it is invalid (shown as a pool condition). */
export type PoolErrors = Map<string, string>;
