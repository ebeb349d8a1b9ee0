import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseLabelSelector } from '../../src/kube/label-selector.ts';

describe('parseLabelSelector', () => {
  it('parses every operator of the Kubernetes string syntax', () => {
    const r = parseLabelSelector('a=b, c==d,e!=f,g in (x, y),h notin (z),i,!j,example.com/k=v');
    assert.ok(r.ok);
    assert.deepEqual(r.selector.matchLabels, { a: 'b', c: 'd', 'example.com/k': 'v' });
    assert.deepEqual(r.selector.matchExpressions, [
      { key: 'e', operator: 'NotIn', values: ['f'] },
      { key: 'g', operator: 'In', values: ['x', 'y'] },
      { key: 'h', operator: 'NotIn', values: ['z'] },
      { key: 'i', operator: 'Exists', values: [] },
      { key: 'j', operator: 'DoesNotExist', values: [] },
    ]);
  });

  it('the empty string selects everything', () => {
    const r = parseLabelSelector('  ');
    assert.ok(r.ok);
    assert.deepEqual(r.selector, { matchLabels: {}, matchExpressions: [] });
  });

  it('keeps two different equalities on one key as unsatisfiable, not last-wins', () => {
    const r = parseLabelSelector('a=b,a=c');
    assert.ok(r.ok);
    assert.deepEqual(r.selector.matchLabels, { a: 'b' });
    assert.deepEqual(r.selector.matchExpressions, [{ key: 'a', operator: 'In', values: ['c'] }]);
  });

  for (const bad of ['a=b,', 'a in (x', 'a in x)', '=b', 'a b', 'a=b=c', '-a=b', 'a=-b', 'a in ((x))']) {
    it(`rejects "${bad}" with a message naming the selector`, () => {
      const r = parseLabelSelector(bad);
      assert.equal(r.ok, false);
      if (!r.ok) assert.ok(r.error.length > 0);
    });
  }

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      const r = parseLabelSelector(s);
      assert.equal(typeof r.ok, 'boolean');
    }));
  });

  it('round-trips generated equality selectors', () => {
    const value = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
    // Keys like constructor must come back as plain keys (the parser must not touch prototypes).
    const key = fc.oneof(value, fc.constant('constructor'), fc.constant('hasOwnProperty'));
    fc.assert(fc.property(fc.dictionary(key, value, { maxKeys: 5 }), (labels) => {
      const text = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
      const r = parseLabelSelector(text);
      assert.ok(r.ok);
      assert.deepEqual(r.selector.matchLabels, Object.fromEntries(Object.entries(labels)));
    }));
  });
});
