// Parses the label-selector string syntax of the Kubernetes API ("a=b,c!=d,e in (x,y),!f")
// into the structured form. Grammar: k8s.io/apimachinery/pkg/labels/selector.go.
import type { LabelSelector, SelectorRequirement } from '../ipam/types.ts';

export type ParsedSelector = { ok: true; selector: LabelSelector } | { ok: false; error: string };

// A qualified label key: optional DNS-subdomain prefix, then a name (KEP-less: labels validation).
const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] | null {
  const terms: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0 || depth > 1) return null;
    if (ch === ',' && depth === 0) {
      terms.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (depth !== 0) return null;
  terms.push(cur.trim());
  return terms;
}

function parseTerm(term: string): SelectorRequirement | { label: [string, string] } | string {
  let m = /^!\s*(\S+)$/.exec(term);
  if (m?.[1] !== undefined) return KEY.test(m[1]) ? { key: m[1], operator: 'DoesNotExist', values: [] } : `invalid key "${m[1]}"`;
  m = /^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (m?.[1] !== undefined && m[2] !== undefined && m[3] !== undefined) {
    const values = m[3].split(',').map((v) => v.trim());
    if (!KEY.test(m[1])) return `invalid key "${m[1]}"`;
    const bad = values.find((v) => !VALUE.test(v));
    if (bad !== undefined) return `invalid value "${bad}"`;
    return { key: m[1], operator: m[2] === 'in' ? 'In' : 'NotIn', values };
  }
  m = /^([^=!\s]+)\s*(==|=|!=)\s*([^=!\s]*)$/.exec(term);
  if (m?.[1] !== undefined && m[2] !== undefined && m[3] !== undefined) {
    if (!KEY.test(m[1])) return `invalid key "${m[1]}"`;
    if (!VALUE.test(m[3])) return `invalid value "${m[3]}"`;
    if (m[2] === '!=') return { key: m[1], operator: 'NotIn', values: [m[3]] };
    return { label: [m[1], m[3]] };
  }
  if (KEY.test(term)) return { key: term, operator: 'Exists', values: [] };
  return `cannot parse "${term}"`;
}

export function parseLabelSelector(text: string): ParsedSelector {
  // A Map, not an object literal: a key such as "__proto__" must stay a plain key.
  const labels = new Map<string, string>();
  const matchExpressions: SelectorRequirement[] = [];
  if (text.trim() === '') return { ok: true, selector: { matchLabels: {}, matchExpressions } };
  const terms = splitTerms(text);
  if (terms === null) return { ok: false, error: `unbalanced parentheses in "${text}"` };
  for (const term of terms) {
    if (term === '') return { ok: false, error: `empty term in "${text}"` };
    const r = parseTerm(term);
    if (typeof r === 'string') return { ok: false, error: `${r} in label selector "${text}"` };
    if ('label' in r) {
      const [k, v] = r.label;
      // Two different equality terms on one key can never both hold: keep both as expressions.
      const prior = labels.get(k);
      if (prior !== undefined && prior !== v) matchExpressions.push({ key: k, operator: 'In', values: [v] });
      else labels.set(k, v);
    } else matchExpressions.push(r);
  }
  return { ok: true, selector: { matchLabels: Object.fromEntries(labels), matchExpressions } };
}
