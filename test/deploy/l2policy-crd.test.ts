// The L2AnnouncementPolicy CRD: structural, described, cluster-scoped, with the defaults and
// columns docs/l2.md promises; the examples validate and parse to valid policies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { arr, loadYamlDocs, obj, structuralProblems, validate } from './schema-check.ts';
import type { CelTwins, Obj } from './schema-check.ts';
import { parsePolicy } from '../../src/speaker/policy.ts';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const docs = loadYamlDocs(DEPLOY);
const crdDoc = docs.find((d) => d.doc['kind'] === 'CustomResourceDefinition' && obj(d.doc['metadata'], 'metadata')['name'] === 'l2announcementpolicies.herald.dev');
assert.ok(crdDoc !== undefined, 'deploy/ has no CRD l2announcementpolicies.herald.dev');
assert.equal(crdDoc.file, 'crds/herald.dev_l2announcementpolicies.yaml');
const crd = obj(crdDoc.doc['spec'], 'CRD spec');
const version = obj(arr(crd['versions'], 'versions')[0], 'versions[0]');
const schema = obj(obj(version['schema'], 'schema')['openAPIV3Schema'], 'openAPIV3Schema');

function schemaAt(...path: string[]): Obj {
  let s = schema;
  for (const p of path) s = p === '[]' ? obj(s['items'], `items of ${p}`) : obj(obj(s['properties'], `properties before ${p}`)[p], p);
  return s;
}

const SELECTOR_RULE = "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)";
const CEL: CelTwins = new Map([
  [
    SELECTOR_RULE,
    (s: Obj) => {
      const n = Array.isArray(s['values']) ? s['values'].length : 0;
      return s['operator'] === 'In' || s['operator'] === 'NotIn' ? n > 0 : n === 0;
    },
  ],
]);

test('the CRD declares a cluster-scoped L2AnnouncementPolicy, v1alpha1, with the status subresource', () => {
  assert.equal(crdDoc.doc['apiVersion'], 'apiextensions.k8s.io/v1');
  assert.equal(crd['group'], 'herald.dev');
  assert.equal(crd['scope'], 'Cluster');
  assert.deepEqual(crd['names'], { kind: 'L2AnnouncementPolicy', listKind: 'L2AnnouncementPolicyList', plural: 'l2announcementpolicies', singular: 'l2announcementpolicy', shortNames: ['l2policy', 'hl2p'] });
  assert.equal(version['name'], 'v1alpha1');
  assert.equal(version['served'], true);
  assert.equal(version['storage'], true);
  assert.deepEqual(version['subresources'], { status: {} });
});

test('the schema is structural and every property has a description', () => {
  assert.deepEqual(structuralProblems(schema), []);
});

test('printer columns: valid, which addresses, age', () => {
  const cols = arr(version['additionalPrinterColumns'], 'columns').map((c) => obj(c, 'column'));
  assert.deepEqual(
    cols.map((c) => [c['name'], c['type'], c['jsonPath']]),
    [
      ['Valid', 'string', '.status.conditions[?(@.type=="Valid")].status'],
      ['LB IPs', 'boolean', '.spec.loadBalancerIPs'],
      ['External IPs', 'boolean', '.spec.externalIPs'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ],
  );
});

test('defaults: loadBalancerIPs true, externalIPs false; selectors are atomic', () => {
  assert.equal(schemaAt('spec', 'loadBalancerIPs')['default'], true);
  assert.equal(schemaAt('spec', 'externalIPs')['default'], false);
  assert.equal(schemaAt('spec', 'serviceSelector')['x-kubernetes-map-type'], 'atomic');
  assert.equal(schemaAt('spec', 'nodeSelector')['x-kubernetes-map-type'], 'atomic');
  // Every CEL rule of the schema has a JavaScript twin here (so `validate` checks it).
  const rules: string[] = [];
  const walk = (s: Obj): void => {
    for (const v of Array.isArray(s['x-kubernetes-validations']) ? s['x-kubernetes-validations'] : []) rules.push(String(obj(v, 'rule')['rule']));
    for (const child of [...Object.values(obj(s['properties'] ?? {}, 'properties')), s['items']]) if (child !== undefined) walk(obj(child, 'child'));
  };
  walk(schema);
  assert.ok(rules.length >= 2);
  for (const r of rules) assert.ok(CEL.has(r), `no twin for CEL rule ${r}`);
});

const examples = docs.filter((d) => d.file.startsWith('examples/') && d.doc['kind'] === 'L2AnnouncementPolicy');

test('every example policy validates against the schema and parses to a valid policy', () => {
  assert.ok(examples.length >= 2, `expected the example policies, found ${examples.length}`);
  for (const e of examples) {
    assert.deepEqual(validate(schema, e.doc, CEL), [], e.file);
    const p = parsePolicy(e.doc);
    assert.ok(p.ok, `${e.file}: ${p.ok ? '' : p.error.message}`);
  }
});

const GOOD = (): Obj => ({
  apiVersion: 'herald.dev/v1alpha1',
  kind: 'L2AnnouncementPolicy',
  metadata: { name: 'p' },
  spec: {
    serviceSelector: { matchLabels: { app: 'web' } },
    nodeSelector: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
    interfaces: ['eth[0-9]+'],
    loadBalancerIPs: true,
    externalIPs: false,
  },
  status: { observedGeneration: 1, conditions: [{ type: 'Valid', status: 'True', reason: 'Valid', message: 'the policy is in use', lastTransitionTime: '2025-01-01T00:00:00Z' }] },
});
const spec = (p: Obj): Obj => obj(p['spec'], 'spec');

const INVALID: [string, (p: Obj) => void, string][] = [
  ['no spec', (p) => delete p['spec'], 'missing required field spec'],
  ['flag as text', (p) => (spec(p)['externalIPs'] = 'true'), 'expected boolean'],
  ['interfaces as a string', (p) => (spec(p)['interfaces'] = 'eth0'), 'expected array'],
  ['empty pattern', (p) => (spec(p)['interfaces'] = ['']), 'shorter than 1'],
  ['33 patterns', (p) => (spec(p)['interfaces'] = Array.from({ length: 33 }, () => 'eth0')), 'more than 32 items'],
  ['unknown operator', (p) => (spec(p)['nodeSelector'] = { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] }), 'not in enum'],
  ['In without values', (p) => (spec(p)['serviceSelector'] = { matchExpressions: [{ key: 'a', operator: 'In' }] }), 'operators In and NotIn need values'],
  ['misspelt field', (p) => (spec(p)['interface'] = ['eth0']), 'unknown field'],
  ['condition status Maybe', (p) => (obj(arr(obj(p['status'], 'status')['conditions'], 'c')[0], 'c0')['status'] = 'Maybe'), 'not in enum'],
];

test('the schema rejects the mistakes users make (and accepts the unbroken policy)', () => {
  assert.deepEqual(validate(schema, GOOD(), CEL), []);
  for (const [what, breakIt, want] of INVALID) {
    const p = GOOD();
    breakIt(p);
    const errors = validate(schema, p, CEL);
    assert.ok(errors.some((e) => e.includes(want)), `${what}: expected "${want}" in ${JSON.stringify(errors.slice(0, 5))}`);
  }
});
