// The IPPool custom resource as it arrives from the API server, and a guard that checks the
// shape the controller relies on (the schema in deploy/crds/ validates it on the server; this
// guard keeps a hand-edited or older object from crashing the controller).

import type { IPPool } from './generated/ippools.ts';
import { selectorLabelProblem } from './k8s-names.ts';
import { isSelectorOperator } from './selector.ts';

// The IPPool object's type is generated from its CRD (src/api/generated/ippools.ts, issue #9).
export type IPPoolStatus = NonNullable<IPPool['status']>;
export type IPPoolBlock = IPPool['spec']['blocks'][number];
export type IPPoolSelector = NonNullable<IPPool['spec']['serviceSelector']>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isStringArray = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** True when the object has the fields the controller reads; anything else is reported, not used. */
export function isIPPool(v: unknown): v is IPPool {
  return ippoolShapeProblem(v) === undefined;
}

/**
 * Why an object is no IPPool the controller can read, naming the field (issue #14: every invalid
 * field value gets a Valid=False condition naming it), or undefined. The schema in deploy/crds/
 * refuses all of these on a real API server; the stand-in and hand-made objects can carry them.
 */
export function ippoolShapeProblem(v: unknown): string | undefined {
  if (!isRecord(v) || !isRecord(v['metadata'])) return 'metadata: must be an object';
  if (typeof v['metadata']['name'] !== 'string') return 'metadata.name: must be a string';
  if (!isRecord(v['spec'])) return 'spec: must be an object';
  const blocks = v['spec']['blocks'];
  if (!Array.isArray(blocks)) return 'spec.blocks: must be a list';
  for (const [i, b] of blocks.entries()) {
    if (!isRecord(b)) return `spec.blocks[${i}]: must be an object`;
    for (const k of ['cidr', 'start', 'stop']) if (b[k] !== undefined && typeof b[k] !== 'string') return `spec.blocks[${i}].${k}: must be a string`;
  }
  return selectorShapeProblem(v['spec']['serviceSelector']);
}

/** The name, resourceVersion, uid and generation of an object that may be no IPPool (to report it by name). */
export function objectIdentity(v: unknown): { name: string; resourceVersion?: string; uid?: string; generation?: number } | undefined {
  const meta = isRecord(v) && isRecord(v['metadata']) ? v['metadata'] : undefined;
  const name = meta?.['name'];
  if (typeof name !== 'string') return undefined;
  const rv = meta?.['resourceVersion'];
  const uid = meta?.['uid'];
  const generation = meta?.['generation'];
  return { name, ...(typeof rv === 'string' ? { resourceVersion: rv } : {}), ...(typeof uid === 'string' ? { uid } : {}), ...(typeof generation === 'number' ? { generation } : {}) };
}

/**
 * The selector's shape (fuzz findings, issue #14): a null selector, a matchExpressions that is no
 * list or holds null, or values given as a string (which then selected by substring) crashed or
 * misled the controller when an object bypassed the schema.
 */
function selectorShapeProblem(sel: unknown): string | undefined {
  const at = 'spec.serviceSelector';
  if (sel === undefined) return undefined;
  if (!isRecord(sel)) return `${at}: must be an object`;
  const labels = sel['matchLabels'];
  if (labels !== undefined && !(isRecord(labels) && Object.values(labels).every((x) => typeof x === 'string'))) return `${at}.matchLabels: must map strings to strings`;
  const exprs = sel['matchExpressions'];
  if (exprs === undefined) return undefined;
  if (!Array.isArray(exprs)) return `${at}.matchExpressions: must be a list`;
  for (const [i, e] of exprs.entries()) {
    if (!isRecord(e)) return `${at}.matchExpressions[${i}]: must be an object`;
    if (typeof e['key'] !== 'string') return `${at}.matchExpressions[${i}].key: must be a string`;
    if (typeof e['operator'] !== 'string') return `${at}.matchExpressions[${i}].operator: must be a string`;
    if (e['values'] !== undefined && !isStringArray(e['values'])) return `${at}.matchExpressions[${i}].values: must be a list of strings`;
  }
  return undefined;
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

/** An IPPool's address counts and overlap, as the allocator reports them for its status and metrics. */
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
