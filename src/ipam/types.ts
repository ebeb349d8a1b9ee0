// The allocator's vocabulary. Everything here is plain data: the allocator imports no I/O and
// knows nothing of Kubernetes objects. What a Service asks for (its ServiceView, the shape Cilium's
// lbipam calls a "service view") is read by src/api/service.ts; `k8s-adapter.ts` projects an IPPool.
import type { Result } from '../api/result.ts';
import type { LabelSelector } from '../api/selector.ts';

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

/** What `Allocator.setPools` returns: pool name → why it is invalid (shown as a pool condition). */
export type PoolErrors = Map<string, string>;
