// L2AnnouncementPolicy parsing: defaults, selectors, whole-name interface patterns, and errors
// as values for one policy that leave the others in use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileInterfacePattern, parsePolicies, parsePolicy, selectsNode, validCondition } from '../../src/api/l2-policy.ts';
import type { PolicyErrorCode } from '../../src/api/l2-policy.ts';

const policy = (name: string, spec: Record<string, unknown>): unknown => ({ apiVersion: 'herald.dev/v1alpha1', kind: 'L2AnnouncementPolicy', metadata: { name }, spec });

test('an empty spec: every Service, every node, default interfaces, load-balancer IPs only', () => {
  const r = parsePolicy(policy('all', {}));
  assert.ok(r.ok);
  assert.deepEqual(r.value, { name: 'all', serviceSelector: null, nodeSelector: null, interfaces: [], loadBalancerIPs: true, externalIPs: false });
});

test('selectors and flags are carried over', () => {
  const r = parsePolicy(
    policy('web', {
      serviceSelector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'io.kubernetes.service.namespace', operator: 'In', values: ['prod'] }] },
      nodeSelector: { matchExpressions: [{ key: 'node-role.kubernetes.io/edge', operator: 'Exists' }] },
      loadBalancerIPs: false,
      externalIPs: true,
    }),
  );
  assert.ok(r.ok);
  assert.deepEqual(r.value.serviceSelector, { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'io.kubernetes.service.namespace', operator: 'In', values: ['prod'] }] });
  assert.deepEqual(r.value.nodeSelector, { matchLabels: {}, matchExpressions: [{ key: 'node-role.kubernetes.io/edge', operator: 'Exists', values: [] }] });
  assert.equal(r.value.loadBalancerIPs, false);
  assert.equal(r.value.externalIPs, true);
});

test('interface patterns match whole names only', () => {
  const table: [string, string, boolean][] = [
    ['eth[0-9]+', 'eth0', true],
    ['eth[0-9]+', 'veth0a', false],
    ['eth[0-9]+', 'eth0.100', false],
    ['^eth[0-9]+$', 'eth1', true], // anchors written by the user mean the same
    ['eth0|bond0', 'bond0', true],
    ['eth0|bond0', 'bond0x', false],
    ['en.*', 'enp3s0', true],
  ];
  for (const [pattern, name, want] of table) {
    const re = compileInterfacePattern(pattern);
    assert.ok(re.ok, pattern);
    assert.equal(re.value.test(name), want, `${pattern} vs ${name}`);
  }
});

// [what, spec, code, fragment of the message]
const INVALID: [string, Record<string, unknown>, PolicyErrorCode, RegExp][] = [
  ['unbalanced regex', { interfaces: ['eth[0-9'] }, 'InvalidInterfaceRegex', /spec\.interfaces\[0\]: interface pattern "eth\[0-9" is not a valid regular expression/],
  ['second pattern bad', { interfaces: ['eth0', '(('] }, 'InvalidInterfaceRegex', /spec\.interfaces\[1\]/],
  ['pattern too long', { interfaces: ['a'.repeat(257)] }, 'InvalidInterfaceRegex', /at most 256/],
  ['interfaces not a list', { interfaces: 'eth0' }, 'InvalidInterfaceRegex', /must be a list/],
  ['unknown operator', { serviceSelector: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] } }, 'InvalidSelector', /spec\.serviceSelector: matchExpressions\[0\] \(key "a"\): unknown operator "Equals"/],
  ['In without values', { nodeSelector: { matchExpressions: [{ key: 'zone', operator: 'In', values: [] }] } }, 'InvalidSelector', /spec\.nodeSelector: matchExpressions\[0\] \(key "zone"\): operator In needs at least one value/],
  ['Exists with values', { nodeSelector: { matchExpressions: [{ key: 'zone', operator: 'Exists', values: ['a'] }] } }, 'InvalidSelector', /takes no values/],
  ['matchLabels not strings', { serviceSelector: { matchLabels: { a: 1 } } }, 'InvalidSelector', /matchLabels must map/],
  ['flag as text', { externalIPs: 'yes' }, 'InvalidSpec', /must be true or false/],
];

test('each invalid policy is an error value naming the field, with a stable code', () => {
  for (const [what, spec, code, message] of INVALID) {
    const r = parsePolicy(policy('bad', spec));
    assert.ok(!r.ok, `${what}: accepted`);
    assert.equal(r.name, 'bad');
    assert.equal(r.error.code, code, what);
    assert.match(r.error.message, message, what);
  }
  const shapeless = parsePolicy({ metadata: { name: 'x' } });
  assert.ok(!shapeless.ok && shapeless.error.code === 'InvalidSpec');
});

test('an invalid policy is reported and ignored; the other policies stay in use', () => {
  const { policies, errors } = parsePolicies([policy('b-good', {}), policy('a-bad', { interfaces: ['('] }), policy('c-good', { externalIPs: true })]);
  assert.deepEqual(policies.map((p) => p.name), ['b-good', 'c-good']);
  assert.deepEqual([...errors.keys()], ['a-bad']);
  assert.equal(errors.get('a-bad')?.code, 'InvalidInterfaceRegex');
});

test('the Valid condition says what is wrong and what happens', () => {
  const now = new Date('2025-01-01T00:00:00Z');
  assert.deepEqual(validCondition(null, 3, now), { type: 'Valid', status: 'True', reason: 'Valid', message: 'the policy is in use', lastTransitionTime: '2025-01-01T00:00:00.000Z', observedGeneration: 3 });
  const bad = validCondition({ code: 'InvalidInterfaceRegex', message: 'spec.interfaces[0]: …' }, undefined, now);
  assert.equal(bad.status, 'False');
  assert.equal(bad.reason, 'InvalidInterfaceRegex');
  assert.match(bad.message, /ignored until this is fixed/);
  assert.equal('observedGeneration' in bad, false);
});

test('selectsNode: L2 wakes on a node a policy selects, on any unreadable policy, and while the node\'s labels are unknown', () => {
  const policy = (name: string, spec: object) => ({ apiVersion: 'herald.dev/v1alpha1', kind: 'L2AnnouncementPolicy', metadata: { name }, spec });
  const edge = parsePolicies([policy('edge', { nodeSelector: { matchLabels: { edge: 'true' } } })]);
  assert.equal(selectsNode(parsePolicies([]), { edge: 'true' }), false, 'no policy: standby');
  assert.equal(selectsNode(parsePolicies([]), undefined), false, 'no policy, unknown node: standby');
  assert.equal(selectsNode(edge, { edge: 'true' }), true);
  assert.equal(selectsNode(edge, { edge: 'false' }), false, 'left out by the nodeSelector: standby');
  assert.equal(selectsNode(edge, {}), false);
  assert.equal(selectsNode(edge, undefined), true, 'the Node not seen yet: awake, to be safe');
  assert.equal(selectsNode(parsePolicies([policy('all', {})]), {}), true, 'no nodeSelector: every node');
  const broken = parsePolicies([policy('edge', { nodeSelector: { matchLabels: { edge: 'true' } } }), policy('typo', { interfaces: ['('] })]);
  assert.equal(broken.errors.size, 1);
  assert.equal(selectsNode(broken, { edge: 'false' }), true, 'an unreadable policy wakes every node: its fix must not wait for a restart');
});
