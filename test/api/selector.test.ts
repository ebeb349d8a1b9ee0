import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesSelector, selectorLabels, validateSelector } from '../../src/api/selector.ts';
import type { LabelSelector } from '../../src/api/selector.ts';

const sel = (matchLabels: Record<string, string>, matchExpressions: LabelSelector['matchExpressions'] = []): LabelSelector => ({
  matchLabels,
  matchExpressions,
});

test('null selects everything; an empty selector too', () => {
  assert.equal(matchesSelector(null, new Map()), true);
  assert.equal(matchesSelector(sel({}), new Map()), true);
});

test('matchLabels and every operator, ANDed', () => {
  const labels = new Map([['tier', 'web'], ['env', 'prod']]);
  const table: Array<[LabelSelector, boolean]> = [
    [sel({ tier: 'web' }), true],
    [sel({ tier: 'db' }), false],
    [sel({ missing: '' }), false],
    [sel({}, [{ key: 'env', operator: 'In', values: ['prod', 'stage'] }]), true],
    [sel({}, [{ key: 'env', operator: 'In', values: ['stage'] }]), false],
    [sel({}, [{ key: 'nope', operator: 'In', values: ['x'] }]), false],
    [sel({}, [{ key: 'env', operator: 'NotIn', values: ['stage'] }]), true],
    [sel({}, [{ key: 'nope', operator: 'NotIn', values: ['x'] }]), true],
    [sel({}, [{ key: 'env', operator: 'NotIn', values: ['prod'] }]), false],
    [sel({}, [{ key: 'env', operator: 'Exists', values: [] }]), true],
    [sel({}, [{ key: 'nope', operator: 'Exists', values: [] }]), false],
    [sel({}, [{ key: 'nope', operator: 'DoesNotExist', values: [] }]), true],
    [sel({}, [{ key: 'env', operator: 'DoesNotExist', values: [] }]), false],
    [sel({ tier: 'web' }, [{ key: 'env', operator: 'In', values: ['stage'] }]), false],
  ];
  for (const [s, want] of table) assert.equal(matchesSelector(s, labels), want, JSON.stringify(s));
});

test('label keys are data: "constructor" and friends are not labels', () => {
  assert.equal(matchesSelector(sel({}, [{ key: 'constructor', operator: 'Exists', values: [] }]), {}), false);
  assert.equal(matchesSelector(sel({}, [{ key: 'toString', operator: 'DoesNotExist', values: [] }]), {}), true);
});

test('the injected namespace/name keys override labels that try to fake them', () => {
  const labels = selectorLabels({ namespace: 'team-a', name: 'web', labels: { 'io.kubernetes.service.namespace': 'kube-system', app: 'x' } });
  assert.equal(labels.get('io.kubernetes.service.namespace'), 'team-a');
  assert.equal(labels.get('io.kubernetes.service.name'), 'web');
  assert.equal(labels.get('app'), 'x');
  assert.equal(matchesSelector(sel({ 'io.kubernetes.service.namespace': 'kube-system' }), labels), false);
});

test('validateSelector follows metav1 rules on values', () => {
  assert.equal(validateSelector(null), null);
  assert.equal(validateSelector(sel({}, [{ key: 'a', operator: 'In', values: ['x'] }])), null);
  assert.equal(validateSelector(sel({}, [{ key: 'a', operator: 'In', values: [] }]))?.code, 'InvalidSelector');
  assert.equal(validateSelector(sel({}, [{ key: 'a', operator: 'Exists', values: ['x'] }]))?.code, 'InvalidSelector');
});

test('matchLabels: only the record\'s own keys count (for-in instead of Object.entries, bench/README.md IPAM Finding 7)', () => {
  const inherited: Record<string, string> = Object.create({ tier: 'db' }) as Record<string, string>;
  inherited['env'] = 'prod';
  assert.equal(matchesSelector(sel(inherited), new Map([['env', 'prod']])), true);
  assert.equal(matchesSelector(sel(inherited), new Map([['env', 'stage']])), false);
  // A key named like an Object.prototype member is data like any other.
  assert.equal(matchesSelector(sel(JSON.parse('{"__proto__":"x","constructor":"y"}') as Record<string, string>), new Map([['__proto__', 'x'], ['constructor', 'y']])), true);
  assert.equal(matchesSelector(sel(JSON.parse('{"constructor":"y"}') as Record<string, string>), new Map()), false);
});
