// Label-selector matching for `IPPool.spec.serviceSelector`, with the semantics of
// metav1.LabelSelector (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors):
// matchLabels and matchExpressions are ANDed; an empty selector matches everything.
import type { IpamError, LabelSelector, ServiceView } from './types.ts';

/**
 * Keys the allocator injects into a Service's labels before matching, so a pool can select
 * Services by namespace or name (the same keys Cilium's LB IPAM uses). The injected values win
 * over Service labels with the same keys: a Service cannot claim another namespace.
 */
export const SERVICE_NAMESPACE_KEY = 'io.kubernetes.service.namespace';
export const SERVICE_NAME_KEY = 'io.kubernetes.service.name';

/** The labels a pool selector sees for this Service. A Map: label keys are data, not properties. */
export function selectorLabels(svc: Pick<ServiceView, 'labels' | 'namespace' | 'name'>): ReadonlyMap<string, string> {
  const labels = new Map(Object.entries(svc.labels));
  labels.set(SERVICE_NAMESPACE_KEY, svc.namespace);
  labels.set(SERVICE_NAME_KEY, svc.name);
  return labels;
}

/** null selects every Service (an IPPool without serviceSelector). */
export function matchesSelector(selector: LabelSelector | null, labels: ReadonlyMap<string, string>): boolean {
  if (selector === null) return true;
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (labels.get(key) !== value) return false;
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

/** matchesSelector over a plain label record (node labels, for example): no injected keys. */
export function selectorMatches(selector: LabelSelector | null, labels: Readonly<Record<string, string>>): boolean {
  return matchesSelector(selector, new Map(Object.entries(labels)));
}

/**
 * The checks metav1 validation makes on requirements: In/NotIn need values, Exists/DoesNotExist
 * take none. A selector failing them would match in surprising ways, so its pool is invalid.
 */
export function validateSelector(selector: LabelSelector | null): IpamError | null {
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
