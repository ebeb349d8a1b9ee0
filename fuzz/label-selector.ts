// Fuzz target: text → parseLabelRequirements and toLabelSelector (src/api/label-selector.ts).
// Oracle: nothing throws; what parses prints back (in the apimachinery syntax) to text that parses
// to the same requirements; the metav1.LabelSelector form selects exactly what the requirements
// select (src/ipam/selector.ts matchesSelector against matchesLabelRequirements) on label sets
// built from the selector's own keys and values, prototype names among them.
import { isDeepStrictEqual } from 'node:util';
import { matchesSelector } from '../src/api/selector.ts';
import { matchesLabelRequirements, parseLabelRequirements, toLabelSelector, type LabelRequirement } from '../src/api/label-selector.ts';
import { UTF8_EDGES } from './engine/mutate.ts';
import { check, type FuzzTarget } from './engine/target.ts';

const utf8 = new TextDecoder();
const enc = new TextEncoder();

export function formatRequirement(r: LabelRequirement): string {
  const v = r.values[0] ?? '';
  switch (r.operator) {
    case 'Equals': return `${r.key}=${v}`;
    case 'NotEquals': return `${r.key}!=${v}`;
    case 'In': return `${r.key} in (${r.values.join(',')})`;
    case 'NotIn': return `${r.key} notin (${r.values.join(',')})`;
    case 'Exists': return r.key;
    case 'DoesNotExist': return `!${r.key}`;
    case 'GreaterThan': return `${r.key}>${v}`;
    case 'LessThan': return `${r.key}<${v}`;
  }
}

/** Label sets over the requirements' keys: each key absent or set to one of its values or a stranger. */
function labelSets(reqs: readonly LabelRequirement[]): Map<string, string>[] {
  const keys = [...new Set(reqs.map((r) => r.key))].slice(0, 3);
  const options = keys.map((k) => [undefined, '', 'zz', '7', ...reqs.filter((r) => r.key === k).flatMap((r) => r.values)].slice(0, 6));
  const out: Map<string, string>[] = [];
  const walk = (i: number, acc: Map<string, string>): void => {
    if (out.length >= 64) return;
    if (i === keys.length) {
      out.push(new Map([...acc, ['constructor', 'x'], ['__proto__', 'y']]));
      return;
    }
    for (const v of options[i] ?? []) {
      const next = new Map(acc);
      if (v !== undefined) next.set(keys[i] ?? '', v);
      walk(i + 1, next);
    }
  };
  walk(0, new Map());
  return out;
}

const SEEDS = [
  'app=web', 'app==web,tier!=db', 'env in (prod, staging),!canary', 'example.com/role notin (a,b,),x', 'n>3,n<10', 'in in (notin)',
  'a=b,a=c', 'constructor=x', 'k in ()', 'a.b-c_d/e=f', '', ' ', 'k=,j=v', '!a=b', 'x in (,,)', 'z notin (a),z',
];

export const target: FuzzTarget = {
  name: 'label-selector',
  description: 'text → parseLabelRequirements, toLabelSelector; print-parse round trip, same selection as metav1 form',
  covers: ['/src/api/label-selector.ts', '/src/api/k8s-names.ts', '/src/api/selector.ts'],
  maxLen: 512,
  seeds: () => SEEDS.map((s) => enc.encode(s)),
  dictionary: ['in', 'notin', '!=', '==', '(', ')', ',', '!', '=', '>', '<', ' ', 'example.com/', 'app', '-1', '9223372036854775808'].map((s): Uint8Array => enc.encode(s)).concat(UTF8_EDGES),
  run(data) {
    const text = utf8.decode(data);
    const parsed = parseLabelRequirements(text);
    if (!parsed.ok) return;
    const reqs = parsed.requirements;
    const printed = reqs.map(formatRequirement).join(',');
    const again = parseLabelRequirements(printed);
    check(again.ok && isDeepStrictEqual(again.requirements, reqs), () => `"${text}" prints as "${printed}", which parses differently`);
    const structured = toLabelSelector(reqs);
    if (!structured.ok) {
      check(reqs.some((r) => r.operator === 'GreaterThan' || r.operator === 'LessThan'), `"${text}": no metav1 form without gt/lt: ${structured.error.message}`);
      return;
    }
    for (const labels of labelSets(reqs)) {
      const want = matchesLabelRequirements(reqs, labels);
      const got = matchesSelector(structured.selector, labels);
      check(want === got, () => `"${text}" selects ${JSON.stringify([...labels])}: ${want}, its metav1 form says ${got}`);
    }
  },
};
