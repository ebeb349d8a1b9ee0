// Selectors as users write them: the object form of a CRD's serviceSelector/nodeSelector
// (parseSelector), its metav1 checks and operators, and the string form's errors, which name what
// was found and what was expected as the kube-apiserver does (users compare them with kubectl's).
// Written against the survivors of mutation testing (issue #15, docs/mutation-testing.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSelectorOperator, parseSelector, validateSelector, type LabelSelector } from '../../src/api/selector.ts';
import { matchesLabelRequirements, parseLabelRequirements, type LabelRequirement } from '../../src/api/label-selector.ts';

test('the four metav1 operators, and nothing else, spelled as metav1 spells them', () => {
  for (const op of ['In', 'NotIn', 'Exists', 'DoesNotExist']) assert.equal(isSelectorOperator(op), true, op);
  for (const op of ['in', 'notin', 'exists', 'Equals', 'Gt', 'Lt', '', 'In ']) assert.equal(isSelectorOperator(op), false, op);
});

test('parseSelector: absent is "everything"; a valid object comes back as the selector, values defaulting to none', () => {
  assert.deepEqual(parseSelector(undefined, 'nodeSelector'), { ok: true, value: null });
  assert.deepEqual(parseSelector({}, 'nodeSelector'), { ok: true, value: { matchLabels: {}, matchExpressions: [] } });
  const written = { matchLabels: { tier: 'edge' }, matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }, { key: 'gpu', operator: 'DoesNotExist' }] };
  assert.deepEqual(parseSelector(written, 'serviceSelector'), {
    ok: true,
    value: { matchLabels: { tier: 'edge' }, matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }, { key: 'gpu', operator: 'DoesNotExist', values: [] }] },
  });
});

test('parseSelector: every refusal names the field and what is wrong with it', () => {
  const table: [unknown, string][] = [
    [null, 'spec.nodeSelector: must be an object with matchLabels and/or matchExpressions'],
    [[], 'spec.nodeSelector: must be an object with matchLabels and/or matchExpressions'],
    ['tier=edge', 'spec.nodeSelector: must be an object with matchLabels and/or matchExpressions'],
    [{ matchLabels: [] }, 'spec.nodeSelector: matchLabels must map label keys to string values'],
    [{ matchLabels: { a: 'b', c: 1 } }, 'spec.nodeSelector: matchLabels must map label keys to string values'],
    [{ matchExpressions: {} }, 'spec.nodeSelector: matchExpressions must be a list'],
    [{ matchExpressions: ['zone'] }, 'spec.nodeSelector: matchExpressions[0] needs a key and an operator'],
    [{ matchExpressions: [{ operator: 'Exists' }] }, 'spec.nodeSelector: matchExpressions[0] needs a key and an operator'],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists' }, { key: 1, operator: 'Exists' }] }, 'spec.nodeSelector: matchExpressions[1] needs a key and an operator'],
    [{ matchExpressions: [{ key: 'a' }] }, 'spec.nodeSelector: matchExpressions[0] needs a key and an operator'],
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: 'b' }] }, 'spec.nodeSelector: matchExpressions[0].values must be a list of strings'],
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['b', 2] }] }, 'spec.nodeSelector: matchExpressions[0].values must be a list of strings'],
    [{ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, 'spec.nodeSelector: matchExpressions[0] (key "a"): unknown operator "Gt"; use In, NotIn, Exists or DoesNotExist'],
    [{ matchExpressions: [{ key: 'a', operator: 'NotIn' }] }, 'spec.nodeSelector: matchExpressions[0] (key "a"): operator NotIn needs at least one value'],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, 'spec.nodeSelector: matchExpressions[0] (key "a"): operator Exists takes no values'],
    [{ matchLabels: { 'bad key': 'x' } }, 'spec.nodeSelector.matchLabels: key "bad key": '],
  ];
  for (const [input, message] of table) {
    const r = parseSelector(input, 'nodeSelector');
    assert.ok(!r.ok, `${JSON.stringify(input)}: accepted`);
    assert.equal(r.error.code, 'InvalidSelector');
    assert.ok(r.error.message.startsWith(message), `${JSON.stringify(input)}: ${r.error.message}`);
    if (!message.endsWith(': ')) assert.equal(r.error.message, message);
  }
});

test('validateSelector: metav1 rules per requirement, by index and key; a selector built elsewhere with another operator is refused', () => {
  const sel = (...matchExpressions: LabelSelector['matchExpressions']): LabelSelector => ({ matchLabels: {}, matchExpressions });
  assert.equal(validateSelector(null), null);
  assert.equal(validateSelector(sel({ key: 'a', operator: 'In', values: ['x'] }, { key: 'b', operator: 'Exists', values: [] })), null);
  const cases: [LabelSelector, string][] = [
    [sel({ key: 'a', operator: 'Exists', values: [] }, { key: 'b', operator: 'In', values: [] }), 'serviceSelector.matchExpressions[1] (key "b"): operator In needs at least one value'],
    [sel({ key: 'a', operator: 'NotIn', values: [] }), 'serviceSelector.matchExpressions[0] (key "a"): operator NotIn needs at least one value'],
    [sel({ key: 'a', operator: 'DoesNotExist', values: ['x'] }), 'serviceSelector.matchExpressions[0] (key "a"): operator DoesNotExist takes no values'],
    [sel({ key: 'a', operator: 'Gt' as never, values: ['1'] }), 'serviceSelector.matchExpressions[0] (key "a"): unknown operator "Gt"'],
  ];
  for (const [s, message] of cases) assert.deepEqual(validateSelector(s), { code: 'InvalidSelector', message });
  for (const op of ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const) {
    const values = op === 'In' || op === 'NotIn' ? ['x'] : [];
    assert.equal(validateSelector(sel({ key: 'a', operator: op, values })), null, op);
  }
});

test('string selectors: each syntax error says what it found and what it expected, as the API server does', () => {
  const table: [string, string][] = [
    ['=a', "found '=', expected: !, identifier, or 'end of string'"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['a=b=c', "found '=', expected: ',' or 'end of string'"],
    ['a,', "found '', expected: identifier after ','"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a in b', "unable to parse requirement: found 'b' expected: '('"],
    ['a in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['a in (', "unable to parse requirement: found '', expected: ',', ')' or identifier"],
    ['a in (b c)', "unable to parse requirement: found 'c', expected: ',' or ')'"],
    ['a in (b,=)', "unable to parse requirement: found '=', expected: ',', or identifier"],
    ['a=(', "unable to parse requirement: found '(', expected: identifier"],
    ['!(a)', "unable to parse requirement: found '(', expected: identifier"],
  ];
  for (const [text, message] of table) {
    const r = parseLabelRequirements(text);
    assert.deepEqual(r.ok ? r.requirements : r.error, { code: 'Syntax', message }, text);
  }
});

test('string selectors: every problem of a key or value is listed, joined by "; "', () => {
  const value = parseLabelRequirements(`a=${'x'.repeat(64)}-`);
  assert.ok(!value.ok && value.error.code === 'InvalidValue');
  assert.match(value.error.message, /^unable to parse requirement: values\[0\]\[a\]: Invalid value: "x{64}-": must be no more than 63 characters; a valid label must/);
  const key = parseLabelRequirements('-x-/-y-=a');
  assert.ok(!key.ok && key.error.code === 'InvalidKey');
  assert.match(key.error.message, /^unable to parse requirement: key: Invalid value: "-x-\/-y-": prefix part .*\); name part must/);
});

test('gt and lt: strict, over the whole int64 range; a label or a bound that is not one integer matches neither', () => {
  const req = (operator: 'GreaterThan' | 'LessThan', ...values: string[]): LabelRequirement[] => [{ key: 'n', operator, values }];
  const labels = (n: string): Map<string, string> => new Map([['n', n]]);
  assert.equal(matchesLabelRequirements(req('LessThan', '3'), labels('3')), false);
  assert.equal(matchesLabelRequirements(req('LessThan', '3'), labels('2')), true);
  assert.equal(matchesLabelRequirements(req('GreaterThan', '3'), labels('3')), false);
  assert.equal(matchesLabelRequirements(req('LessThan', '0'), labels('-9223372036854775808')), true, 'int64 minimum');
  assert.equal(matchesLabelRequirements(req('LessThan', '0'), labels('-9223372036854775809')), false, 'below int64');
  for (const operator of ['GreaterThan', 'LessThan'] as const) {
    assert.equal(matchesLabelRequirements(req(operator, '3'), labels('abc')), false, `${operator}: label not an integer`);
    assert.equal(matchesLabelRequirements(req(operator, '3'), new Map()), false, `${operator}: no label`);
    assert.equal(matchesLabelRequirements(req(operator, 'x'), labels('5')), false, `${operator}: bound not an integer`);
    assert.equal(matchesLabelRequirements(req(operator, '1', '9'), labels('5')), false, `${operator}: two bounds`);
  }
});
