// selectorLabelProblem (issue #14): the keys and values of a structured selector are checked as
// the API server checks a metav1.LabelSelector, and the message names the field under its path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectorLabelProblem } from '../../src/api/k8s-names.ts';

test('names the first key or value a Kubernetes selector refuses, with its path', () => {
  const table: [string, Parameters<typeof selectorLabelProblem>[0], RegExp | null][] = [
    ['none', undefined, null],
    ['valid', { matchLabels: { app: 'web', 'example.com/tier': '' }, matchExpressions: [{ key: 'zone', values: ['a', 'b-1'] }] }, null],
    ['key with a space', { matchLabels: { 'bad key': 'x' } }, /^spec\.sel\.matchLabels: key "bad key": name part must consist of/],
    ['empty prefix', { matchLabels: { '/app': 'x' } }, /^spec\.sel\.matchLabels: key "\/app": prefix part must be non-empty/],
    ['value with a space', { matchLabels: { app: 'a b' } }, /^spec\.sel\.matchLabels\["app"\]: value "a b": a valid label must be an empty string or/],
    ['value of 64 characters', { matchLabels: { app: 'x'.repeat(64) } }, /^spec\.sel\.matchLabels\["app"\]: value "x+": must be no more than 63 characters$/],
    ['expression key with two slashes', { matchExpressions: [{ key: 'a/b/c' }] }, /^spec\.sel\.matchExpressions\[0\]\.key "a\/b\/c": a qualified name must/],
    ['second value', { matchExpressions: [{ key: 'a', values: ['ok', '-no'] }] }, /^spec\.sel\.matchExpressions\[0\]\.values\[1\] "-no": /],
    ['a value that is not a string', { matchExpressions: [{ key: 'a', values: [3] }] }, /^spec\.sel\.matchExpressions\[0\]\.values\[0\] 3: must be a string$/],
  ];
  for (const [what, sel, want] of table) {
    const got = selectorLabelProblem(sel, 'spec.sel');
    if (want === null) assert.equal(got, null, what);
    else assert.match(got ?? '', want, what);
  }
});
