// The L2AnnouncementPolicy CRD: cluster-scoped, with the defaults and columns docs/l2.md
// promises; the examples parse to valid policies. The schema's refusals and CEL rule are judged
// by a real kube-apiserver (crd-validation.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { arr, loadYamlDocs, obj, patternProblems } from './schema-check.ts';
import type { Obj } from './schema-check.ts';
import { parsePolicy } from '../../src/api/l2-policy.ts';

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

test('every pattern is anchored and compiles in the stand-in\'s regex engine too', () => {
  assert.deepEqual(patternProblems(schema), []);
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
});

const examples = docs.filter((d) => d.file.startsWith('examples/') && d.doc['kind'] === 'L2AnnouncementPolicy');

test('every example policy parses to a valid policy (the real server accepts them: kubectl-apply.test.ts)', () => {
  assert.ok(examples.length >= 2, `expected the example policies, found ${examples.length}`);
  for (const e of examples) {
    const p = parsePolicy(e.doc);
    assert.ok(p.ok, `${e.file}: ${p.ok ? '' : p.error.message}`);
  }
});
