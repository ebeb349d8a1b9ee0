// The IPPool custom resource as it arrives from the API server, and a guard that checks the
// shape the controller relies on (the schema in deploy/crds/ validates it on the server; this
// guard keeps a hand-edited or older object from crashing the controller).

import type { V1ObjectMeta } from '@kubernetes/client-node';
import { selectorLabelProblem } from './label-selector.ts';

export const HERALD_GROUP = 'herald.dev';
export const HERALD_VERSION = 'v1alpha1';
export const IPPOOL_PLURAL = 'ippools';

/** Note: objects from a watch carry creationTimestamp as the JSON string, typed lists as a Date. */
export type ObjectMeta = V1ObjectMeta;

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface IPPoolBlock {
  cidr?: string;
  start?: string;
  stop?: string;
}

export interface IPPoolSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface IPPool {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    blocks: IPPoolBlock[];
    allowFirstLastIPs?: 'Yes' | 'No';
    disabled?: boolean;
    serviceSelector?: IPPoolSelector;
  };
  status?: IPPoolStatus;
}

export interface IPPoolStatus {
  ipsTotal?: string;
  ipsUsed?: string;
  ipsAvailable?: string;
  ipsReserved?: string;
  observedGeneration?: number;
  conditions?: Condition[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when the object has the fields the controller reads; anything else is reported, not used. */
export function isIPPool(v: unknown): v is IPPool {
  if (!isRecord(v) || !isRecord(v['metadata']) || !isRecord(v['spec'])) return false;
  if (typeof v['metadata']['name'] !== 'string') return false;
  const blocks = v['spec']['blocks'];
  return Array.isArray(blocks) && blocks.every(isRecord);
}

/**
 * A block the schema's oneOf lets through but the CEL rule forbids (the stand-in and old API
 * servers skip CEL): both cidr and start, or stop without start; or a selector key or value no
 * Kubernetes selector allows. Returns why, naming the field, or undefined.
 */
export function poolShapeError(pool: IPPool): string | undefined {
  for (const [i, b] of pool.spec.blocks.entries()) {
    const has = (k: keyof IPPoolBlock): boolean => typeof b[k] === 'string';
    if (has('cidr') && (has('start') || has('stop'))) return `spec.blocks[${i}]: give either cidr or start/stop, not both`;
    if (!has('cidr') && !has('start')) return `spec.blocks[${i}]: needs cidr or start`;
  }
  for (const [i, e] of (pool.spec.serviceSelector?.matchExpressions ?? []).entries()) {
    if (!isSelectorOperator(e.operator)) return `spec.serviceSelector.matchExpressions[${i}].operator: "${e.operator}" is not In, NotIn, Exists or DoesNotExist`;
  }
  // Keys and values the schema lets through but a Kubernetes selector refuses (issue #14).
  return selectorLabelProblem(pool.spec.serviceSelector, 'spec.serviceSelector') ?? undefined;
}

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export function isSelectorOperator(op: string): op is SelectorOperator {
  return op === 'In' || op === 'NotIn' || op === 'Exists' || op === 'DoesNotExist';
}
