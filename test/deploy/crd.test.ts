// The IPPool CRD: names, columns and defaults as docs/ipam.md promises, and address patterns that
// accept exactly what node:net calls an address (property-tested). What the real server judges
// (the schema is structural, the examples pass, the mistakes users make are refused with the
// field named, explain describes every field) is in crd-validation.test.ts and kubectl-apply.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv4, isIPv6 } from 'node:net';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { arr, isObj, loadYamlDocs, obj, patternProblems, str } from './schema-check.ts';
import type { Obj } from './schema-check.ts';

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

test('every pattern is anchored and compiles in the stand-in\'s regex engine too', () => {
  assert.deepEqual(patternProblems(schema), []);
});

test('the pattern check itself catches what it claims to', () => {
  const bad: Obj = { type: 'object', properties: { a: { type: 'string', pattern: '[0-9]+' }, b: { type: 'array', items: { type: 'string', pattern: '^(?<x)$' } } } };
  const problems = patternProblems(bad);
  for (const want of ['.a: pattern is not anchored', '.b[]: pattern does not compile']) {
    assert.ok(problems.some((p) => p.includes(want)), `expected a problem "${want}" in ${JSON.stringify(problems)}`);
  }
});

test('printer columns show disabled, valid, conflicting, available addresses and age', () => {
  const cols = arr(version['additionalPrinterColumns'], 'columns').map((c) => obj(c, 'column'));
  assert.deepEqual(
    cols.map((c) => [c['name'], c['type'], c['jsonPath']]),
    [
      ['Disabled', 'boolean', '.spec.disabled'],
      ['Valid', 'string', '.status.conditions[?(@.type=="Valid")].status'],
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
  for (const r of ['Overlap', 'Resolved', 'InvalidBlock', 'InvalidSelector', 'Valid']) assert.ok(reasonRe.test(r), r);
  assert.ok(!reasonRe.test('has spaces'));
  assert.ok(isObj(schemaAt('status', 'conditions')) && schemaAt('status', 'conditions')['x-kubernetes-list-type'] === 'map');
});
