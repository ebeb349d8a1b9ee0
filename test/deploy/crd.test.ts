// The IPPool CRD: structural, described, and its schema accepts the examples and rejects the
// mistakes users make. The address patterns are property-tested against node:net.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv4, isIPv6 } from 'node:net';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { arr, isObj, loadYamlDocs, obj, str, structuralProblems, validate } from './schema-check.ts';
import type { CelTwins, Obj } from './schema-check.ts';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const docs = loadYamlDocs(DEPLOY);
const crdDoc = docs.find((d) => d.doc['kind'] === 'CustomResourceDefinition' && obj(d.doc['metadata'], 'metadata')['name'] === 'ippools.herald.dev');
assert.ok(crdDoc !== undefined, 'deploy/ has no CRD ippools.herald.dev');
assert.equal(crdDoc.file, 'crds/herald.dev_ippools.yaml');
const crd = obj(crdDoc.doc['spec'], 'CRD spec');
const version = obj(arr(crd['versions'], 'versions')[0], 'versions[0]');
const schema = obj(obj(version['schema'], 'schema')['openAPIV3Schema'], 'openAPIV3Schema');

/** A sub-schema by property path, e.g. ['spec', 'blocks', '[]', 'cidr']. */
function schemaAt(...path: string[]): Obj {
  let s = schema;
  for (const p of path) s = p === '[]' ? obj(s['items'], `items of ${p}`) : obj(obj(s['properties'], `properties before ${p}`)[p], p);
  return s;
}

const has = (o: Obj, k: string): boolean => Object.hasOwn(o, k);
const CEL: CelTwins = new Map<string, (self: Obj) => boolean>([
  ['!(has(self.cidr) && has(self.start))', (s) => !(has(s, 'cidr') && has(s, 'start'))],
  ['!(has(self.cidr) && has(self.stop))', (s) => !(has(s, 'cidr') && has(s, 'stop'))],
  [
    "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)",
    (s) => {
      const n = Array.isArray(s['values']) ? s['values'].length : 0;
      return s['operator'] === 'In' || s['operator'] === 'NotIn' ? n > 0 : n === 0;
    },
  ],
]);

test('the CRD declares a cluster-scoped IPPool, v1alpha1, with the status subresource', () => {
  assert.equal(crdDoc.doc['apiVersion'], 'apiextensions.k8s.io/v1');
  assert.equal(crd['group'], 'herald.dev');
  assert.equal(crd['scope'], 'Cluster');
  assert.deepEqual(crd['names'], { kind: 'IPPool', listKind: 'IPPoolList', plural: 'ippools', singular: 'ippool', shortNames: ['ippool', 'hip'] });
  assert.equal(arr(crd['versions'], 'versions').length, 1);
  assert.equal(version['name'], 'v1alpha1');
  assert.equal(version['served'], true);
  assert.equal(version['storage'], true);
  assert.deepEqual(version['subresources'], { status: {} });
});

test('the schema is structural and every property has a description', () => {
  assert.deepEqual(structuralProblems(schema), []);
});

test('the structural check itself catches what it claims to', () => {
  const bad: Obj = {
    type: 'object',
    properties: { a: { description: 'no type' }, b: { type: 'string' }, c: { type: 'string', description: 'x', pattern: 'a(?=b)' } },
    oneOf: [{ required: ['a'], description: 'not allowed here' }, { properties: { z: { maxLength: 1 } } }],
  };
  const problems = structuralProblems(bad);
  for (const want of ['.a: no type', '.b: no description', 'not RE2', 'description inside a junctor', '.z: not specified outside']) {
    assert.ok(problems.some((p) => p.includes(want)), `expected a problem "${want}" in ${JSON.stringify(problems)}`);
  }
});

test('printer columns show disabled, conflicting, available addresses and age', () => {
  const cols = arr(version['additionalPrinterColumns'], 'columns').map((c) => obj(c, 'column'));
  assert.deepEqual(
    cols.map((c) => [c['name'], c['type'], c['jsonPath']]),
    [
      ['Disabled', 'boolean', '.spec.disabled'],
      ['Conflicting', 'string', '.status.conditions[?(@.type=="Conflict")].status'],
      ['IPs Available', 'string', '.status.ipsAvailable'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ],
  );
  // The columns point at fields the schema has, with the column's type.
  assert.equal(schemaAt('spec', 'disabled')['type'], 'boolean');
  assert.equal(schemaAt('status', 'ipsAvailable')['type'], 'string');
  assert.ok(arr(schemaAt('status', 'conditions', '[]', 'status')['enum'], 'enum').includes('True'));
});

const examplePools = docs.filter((d) => d.file.startsWith('examples/') && d.doc['kind'] === 'IPPool');

test('every example IPPool validates against the CRD schema', () => {
  assert.ok(examplePools.length >= 3, `expected the IPv4, IPv6 and mixed example pools, found ${examplePools.length}`);
  for (const p of examplePools) assert.deepEqual(validate(schema, p.doc, CEL), [], p.file);
});

const GOOD_POOL = (): Obj => ({
  apiVersion: 'herald.dev/v1alpha1',
  kind: 'IPPool',
  metadata: { name: 'p' },
  spec: { blocks: [{ cidr: '192.0.2.0/24' }, { start: '2001:db8::10', stop: '2001:db8::20' }, { start: '198.51.100.7' }] },
  status: {
    ipsTotal: '18446744073709551616',
    ipsUsed: '0',
    ipsReserved: '0',
    ipsAvailable: '18446744073709551616',
    observedGeneration: 1,
    conditions: [{ type: 'Conflict', status: 'False', reason: 'Resolved', message: 'no overlap', lastTransitionTime: '2025-01-01T00:00:00Z', observedGeneration: 1 }],
  },
});

// [what, how to break the good pool, a fragment of the expected error]
const INVALID: [string, (p: Obj) => void, string][] = [
  ['no spec', (p) => delete p['spec'], 'missing required field spec'],
  ['no blocks', (p) => (obj(p['spec'], 'spec')['blocks'] = []), 'fewer than 1 items'],
  ['1025 blocks', (p) => (obj(p['spec'], 'spec')['blocks'] = Array.from({ length: 1025 }, () => ({ start: '192.0.2.1' }))), 'more than 1024 items'],
  ['cidr and start', (p) => (obj(p['spec'], 'spec')['blocks'] = [{ cidr: '192.0.2.0/24', start: '192.0.2.1' }]), 'oneOf matched 2'],
  ['stop without start', (p) => (obj(p['spec'], 'spec')['blocks'] = [{ stop: '192.0.2.9' }]), 'oneOf matched 0'],
  ['cidr with stop', (p) => (obj(p['spec'], 'spec')['blocks'] = [{ cidr: '192.0.2.0/24', stop: '192.0.2.9' }]), 'stop is only valid together with start'],
  ['IPv4 prefix 33', (p) => (obj(p['spec'], 'spec')['blocks'] = [{ cidr: '192.0.2.0/33' }]), 'does not match pattern'],
  ['IPv6 prefix 129', (p) => (obj(p['spec'], 'spec')['blocks'] = [{ cidr: '2001:db8::/129' }]), 'does not match pattern'],
  ['cidr without prefix', (p) => (obj(p['spec'], 'spec')['blocks'] = [{ cidr: '192.0.2.0' }]), 'does not match pattern'],
  ['octet 256', (p) => (obj(p['spec'], 'spec')['blocks'] = [{ start: '192.0.2.256' }]), 'does not match pattern'],
  ['leading zero', (p) => (obj(p['spec'], 'spec')['blocks'] = [{ start: '192.0.2.01' }]), 'does not match pattern'],
  ['dotted-quad IPv6', (p) => (obj(p['spec'], 'spec')['blocks'] = [{ start: '::ffff:192.0.2.1' }]), 'does not match pattern'],
  ['zone index', (p) => (obj(p['spec'], 'spec')['blocks'] = [{ start: 'fe80::1%eth0' }]), 'does not match pattern'],
  ['lower-case yes', (p) => (obj(p['spec'], 'spec')['allowFirstLastIPs'] = 'yes'), 'not in enum'],
  ['bare YAML 1.1 No (a boolean)', (p) => (obj(p['spec'], 'spec')['allowFirstLastIPs'] = false), 'expected string'],
  ['disabled as text', (p) => (obj(p['spec'], 'spec')['disabled'] = 'true'), 'expected boolean'],
  ['misspelt field', (p) => (obj(p['spec'], 'spec')['blokcs'] = []), 'unknown field'],
  ['unknown operator', (p) => (obj(p['spec'], 'spec')['serviceSelector'] = { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] }), 'not in enum'],
  ['In without values', (p) => (obj(p['spec'], 'spec')['serviceSelector'] = { matchExpressions: [{ key: 'a', operator: 'In' }] }), 'operators In and NotIn need values'],
  ['Exists with values', (p) => (obj(p['spec'], 'spec')['serviceSelector'] = { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['b'] }] }), 'operators In and NotIn need values'],
  ['expression without key', (p) => (obj(p['spec'], 'spec')['serviceSelector'] = { matchExpressions: [{ operator: 'Exists' }] }), 'missing required field key'],
  ['label value of 64 characters', (p) => (obj(p['spec'], 'spec')['serviceSelector'] = { matchLabels: { a: 'x'.repeat(64) } }), 'longer than 63'],
  ['negative count', (p) => (obj(p['status'], 'status')['ipsTotal'] = '-1'), 'does not match pattern'],
  ['count as a number', (p) => (obj(p['status'], 'status')['ipsUsed'] = 5), 'expected string'],
  ['condition status Maybe', (p) => (obj(arr(obj(p['status'], 'status')['conditions'], 'c')[0], 'c0')['status'] = 'Maybe'), 'not in enum'],
  ['condition without reason', (p) => delete obj(arr(obj(p['status'], 'status')['conditions'], 'c')[0], 'c0')['reason'], 'missing required field reason'],
  ['condition time not RFC 3339', (p) => (obj(arr(obj(p['status'], 'status')['conditions'], 'c')[0], 'c0')['lastTransitionTime'] = 'yesterday'), 'not an RFC 3339'],
];

test('the schema rejects the mistakes users make (and accepts the unbroken pool)', () => {
  assert.deepEqual(validate(schema, GOOD_POOL(), CEL), []);
  for (const [what, breakIt, want] of INVALID) {
    const pool = GOOD_POOL();
    breakIt(pool);
    const errors = validate(schema, pool, CEL);
    assert.ok(errors.some((e) => e.includes(want)), `${what}: expected "${want}" in ${JSON.stringify(errors.slice(0, 5))}`);
  }
});

test('defaults: allowFirstLastIPs Yes, disabled false', () => {
  assert.equal(schemaAt('spec', 'allowFirstLastIPs')['default'], 'Yes');
  assert.equal(schemaAt('spec', 'disabled')['default'], false);
  assert.deepEqual(schemaAt('spec')['required'], ['blocks']);
  assert.equal(schemaAt('spec', 'serviceSelector')['x-kubernetes-map-type'], 'atomic');
});

const addrRe = new RegExp(str(schemaAt('spec', 'blocks', '[]', 'start')['pattern'], 'start pattern'));
const cidrRe = new RegExp(str(schemaAt('spec', 'blocks', '[]', 'cidr')['pattern'], 'cidr pattern'));
assert.equal(schemaAt('spec', 'blocks', '[]', 'stop')['pattern'], addrRe.source);

/** What the address pattern promises: any IPv4 without leading zeros, IPv6 in hex without a zone. */
function wantAddr(s: string): boolean {
  return isIPv4(s) || (isIPv6(s) && !s.includes('.') && !s.includes('%'));
}
function wantCidr(s: string): boolean {
  const slash = s.lastIndexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const len = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(len) || !wantAddr(ip)) return false;
  return Number(len) <= (isIPv4(ip) ? 32 : 128);
}

const TOKENS = fc.constantFrom('0', '1', '9', 'a', 'F', 'ffff', 'db8', '2001', '12345', 'g', ':', '::', ':::', '.', '192.0.2.1', '255', '256', '01', '/', '/64', '/33', '/129', '%', ' ');
const textish = fc.array(TOKENS, { maxLength: 16 }).map((t) => t.join(''));
const hexGroups = fc.array(fc.stringMatching(/^[0-9a-fA-F]{1,4}$/), { minLength: 8, maxLength: 8 });
/** IPv6 text with `::` replacing groups lo..hi (when hi > lo), in every position. */
const ipv6Text = fc.tuple(hexGroups, fc.nat(8), fc.nat(8)).map(([g, i, j]) => {
  const lo = Math.min(i, j);
  const hi = Math.max(i, j);
  return hi > lo ? `${g.slice(0, lo).join(':')}::${g.slice(hi).join(':')}` : g.join(':');
});

/** Dotted text near IPv4: octets up to 300, leading zeros, empty parts, three to five parts. */
const ipv4ish = fc
  .array(fc.oneof(fc.nat(300).map(String), fc.constantFrom('0', '00', '01', '001', '')), { minLength: 3, maxLength: 5 })
  .map((parts) => parts.join('.'));

test('the address pattern accepts exactly what node:net calls an address (hex IPv6, no zone)', () => {
  for (const s of ['192.0.2.1', '0.0.0.0', '255.255.255.255', '2001:db8::1', '::', '::1', '2001:db8:0:0:0:0:0:1', 'FE80::A']) assert.ok(addrRe.test(s), s);
  fc.assert(fc.property(textish, (s) => addrRe.test(s) === wantAddr(s)), { numRuns: 20_000 });
  fc.assert(fc.property(ipv4ish, (s) => addrRe.test(s) === isIPv4(s)), { numRuns: 5_000 });
  fc.assert(fc.property(ipv6Text, (s) => addrRe.test(s) === isIPv6(s)), { numRuns: 5_000 });
});

test('the cidr pattern accepts exactly an address and a prefix length that fits its family', () => {
  for (const s of ['192.0.2.0/24', '0.0.0.0/0', '2001:db8::/32', '::/0', '2001:db8::1/128']) assert.ok(cidrRe.test(s), s);
  for (const s of ['192.0.2.0/32/1', '192.0.2.0/024', '2001:db8::/', '/24']) assert.ok(!cidrRe.test(s), s);
  fc.assert(fc.property(textish, (s) => cidrRe.test(s) === wantCidr(s)), { numRuns: 20_000 });
  fc.assert(fc.property(ipv4ish, fc.nat(40), (ip, len) => cidrRe.test(`${ip}/${len}`) === (isIPv4(ip) && len <= 32)), { numRuns: 5_000 });
  fc.assert(fc.property(ipv6Text, fc.nat(140), (ip, len) => cidrRe.test(`${ip}/${len}`) === (isIPv6(ip) && len <= 128)), { numRuns: 5_000 });
});

test('condition type and reason patterns accept what Herald writes', () => {
  const typeRe = new RegExp(str(schemaAt('status', 'conditions', '[]', 'type')['pattern'], 'type pattern'));
  const reasonRe = new RegExp(str(schemaAt('status', 'conditions', '[]', 'reason')['pattern'], 'reason pattern'));
  for (const t of ['Conflict', 'Valid', 'herald.dev/Conflict']) assert.ok(typeRe.test(t), t);
  for (const r of ['Overlap', 'Resolved', 'InvalidBlock', 'Valid']) assert.ok(reasonRe.test(r), r);
  assert.ok(!reasonRe.test('has spaces'));
  assert.ok(isObj(schemaAt('status', 'conditions')) && schemaAt('status', 'conditions')['x-kubernetes-list-type'] === 'map');
});
