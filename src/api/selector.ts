// The one label selector (issue #9): its type, the parser of its object form (a CRD's
// `serviceSelector`/`nodeSelector`) and its matcher, with the semantics of metav1.LabelSelector
// (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors):
// matchLabels and matchExpressions are ANDed; an empty selector matches everything. The string
// form (`a=b,c in (d)`) is parsed by label-selector.ts into the same type.
import type { Result } from './result.ts';
import { selectorLabelProblem } from './k8s-names.ts';
import { SERVICE_NAME_KEY, SERVICE_NAMESPACE_KEY } from './names.ts';

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

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export function isSelectorOperator(op: string): op is SelectorOperator {
  return op === 'In' || op === 'NotIn' || op === 'Exists' || op === 'DoesNotExist';
}

export interface SelectorError {
  code: 'InvalidSelector';
  message: string;
}

/**
 * The labels a pool selector sees for this Service: its own, plus SERVICE_NAMESPACE_KEY and
 * SERVICE_NAME_KEY (the keys Cilium's LB IPAM uses), which win over Service labels with the same
 * keys, so a Service cannot claim another namespace. A Map: label keys are data, not properties.
 */
export function selectorLabels(svc: { readonly labels: Readonly<Record<string, string>>; readonly namespace: string; readonly name: string }): ReadonlyMap<string, string> {
  const labels = new Map(Object.entries(svc.labels));
  labels.set(SERVICE_NAMESPACE_KEY, svc.namespace);
  labels.set(SERVICE_NAME_KEY, svc.name);
  return labels;
}

/**
 * The one matcher (issue #9). null selects everything (an IPPool without serviceSelector).
 * Labels as a Map (selectorLabels) or as an object's plain label record (node labels).
 */
export function matchesSelector(selector: LabelSelector | null, labelsIn: ReadonlyMap<string, string> | Readonly<Record<string, string>>): boolean {
  if (selector === null) return true;
  const labels: ReadonlyMap<string, string> = labelsIn instanceof Map ? labelsIn : new Map(Object.entries(labelsIn));
  // for-in, not Object.entries: a cold start asks 100 pools about 10,000 Services, and an array
  // of pairs per question was 75 MB of garbage in one pass (issue #10, bench/README.md IPAM
  // Finding 7).
  for (const key in selector.matchLabels) {
    if (Object.hasOwn(selector.matchLabels, key) && labels.get(key) !== selector.matchLabels[key]) return false;
  }
  for (const req of selector.matchExpressions) {
    const value = labels.get(req.key);
    switch (req.operator) {
      case 'In':
        if (value === undefined || !req.values.includes(value)) return false;
        break;
      case 'NotIn':
        if (value !== undefined && req.values.includes(value)) return false;
        break;
      case 'Exists':
        if (value === undefined) return false;
        break;
      case 'DoesNotExist':
        if (value !== undefined) return false;
        break;
    }
  }
  return true;
}

/**
 * The checks metav1 validation makes on requirements: In/NotIn need values, Exists/DoesNotExist
 * take none. A selector failing them would match in surprising ways, so its pool is invalid.
 */
export function validateSelector(selector: LabelSelector | null): SelectorError | null {
  if (selector === null) return null;
  for (const [i, req] of selector.matchExpressions.entries()) {
    const where = `serviceSelector.matchExpressions[${i}] (key "${req.key}")`;
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(req.operator)) {
      return { code: 'InvalidSelector', message: `${where}: unknown operator "${String(req.operator)}"` };
    }
    const needsValues = req.operator === 'In' || req.operator === 'NotIn';
    if (needsValues && req.values.length === 0) {
      return { code: 'InvalidSelector', message: `${where}: operator ${req.operator} needs at least one value` };
    }
    if (!needsValues && req.values.length > 0) {
      return { code: 'InvalidSelector', message: `${where}: operator ${req.operator} takes no values` };
    }
  }
  return null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** Parses a selector's object form; `field` names it in errors (`spec.<field>: ...`). */
export type Sel = Result<LabelSelector | null, SelectorError>;

export function parseSelector(v: unknown, field: string): Sel {
  if (v === undefined) return { ok: true, value: null };
  const bad = (message: string): Sel => ({ ok: false, error: { code: 'InvalidSelector', message: `spec.${field}: ${message}` } });
  if (!isRecord(v)) return bad('must be an object with matchLabels and/or matchExpressions');
  const labels = v['matchLabels'] ?? {};
  if (!isStringRecord(labels)) return bad('matchLabels must map label keys to string values');
  const exprs = v['matchExpressions'] ?? [];
  if (!Array.isArray(exprs)) return bad('matchExpressions must be a list');
  const matchExpressions: LabelSelector['matchExpressions'][number][] = [];
  for (const [i, e] of exprs.entries()) {
    if (!isRecord(e) || typeof e['key'] !== 'string' || typeof e['operator'] !== 'string') return bad(`matchExpressions[${i}] needs a key and an operator`);
    const values = e['values'] ?? [];
    if (!Array.isArray(values) || !values.every((x) => typeof x === 'string')) return bad(`matchExpressions[${i}].values must be a list of strings`);
    if (!isSelectorOperator(e['operator'])) return bad(`matchExpressions[${i}] (key "${e['key']}"): unknown operator "${e['operator']}"; use In, NotIn, Exists or DoesNotExist`);
    matchExpressions.push({ key: e['key'], operator: e['operator'], values });
  }
  const selector: LabelSelector = { matchLabels: labels, matchExpressions };
  const problem = validateSelector(selector);
  // validateSelector names the field serviceSelector; say which one it really is.
  // Stryker disable next-line Regex: every validateSelector message begins with "serviceSelector.", so its first occurrence is the start
  if (problem !== null) return bad(problem.message.replace(/^serviceSelector\./, ''));
  // Keys and values a Kubernetes selector refuses; the schema cannot say (issue #14).
  const labelProblem = selectorLabelProblem(selector, `spec.${field}`);
  return labelProblem === null ? { ok: true, value: selector } : { ok: false, error: { code: 'InvalidSelector', message: labelProblem } };
}
