import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { matchesLabelRequirements, parseLabelRequirements, parseLabelSelector, toLabelSelector, type LabelRequirement, type LabelSelectorErrorCode } from '../../src/api/label-selector.ts';
import { matchesSelector } from '../../src/api/selector.ts';

function requirements(text: string): LabelRequirement[] {
  const r = parseLabelRequirements(text);
  assert.ok(r.ok, r.ok ? '' : `${text}: ${r.error.message}`);
  return r.requirements;
}

function errorOf(text: string): { code: LabelSelectorErrorCode; message: string } {
  const r = parseLabelRequirements(text);
  assert.equal(r.ok, false, `${JSON.stringify(text)} should be rejected`);
  if (r.ok) throw new Error('unreachable');
  return r.error;
}

const select = (text: string, labels: Record<string, string>): boolean => matchesLabelRequirements(requirements(text), new Map(Object.entries(labels)));

describe('parseLabelRequirements', () => {
  it('parses every operator of the grammar, in the order written', () => {
    assert.deepEqual(requirements('a=b, c==d,e!=f,g in (y, x),h notin (z),i,!j,k>3,l<0,example.com/m=v'), [
      { key: 'a', operator: 'Equals', values: ['b'] },
      { key: 'c', operator: 'Equals', values: ['d'] },
      { key: 'e', operator: 'NotEquals', values: ['f'] },
      { key: 'g', operator: 'In', values: ['x', 'y'] },
      { key: 'h', operator: 'NotIn', values: ['z'] },
      { key: 'i', operator: 'Exists', values: [] },
      { key: 'j', operator: 'DoesNotExist', values: [] },
      { key: 'k', operator: 'GreaterThan', values: ['3'] },
      { key: 'l', operator: 'LessThan', values: ['0'] },
      { key: 'example.com/m', operator: 'Equals', values: ['v'] },
    ]);
  });

  it('the empty or blank string is no requirement (selects everything)', () => {
    assert.deepEqual(requirements(''), []);
    assert.deepEqual(requirements(' \t\r\n'), []);
  });

  it('value sets are sorted and deduplicated; (), empty items and trailing commas mean ""', () => {
    assert.deepEqual(requirements('a in (b,a,b)')[0]?.values, ['a', 'b']);
    assert.deepEqual(requirements('a in ()')[0]?.values, ['']);
    assert.deepEqual(requirements('a in (,b)')[0]?.values, ['', 'b']);
    assert.deepEqual(requirements('a in (b,)')[0]?.values, ['', 'b']);
    assert.deepEqual(requirements('a in (b,,c)')[0]?.values, ['', 'b', 'c']);
    assert.deepEqual(requirements('a=')[0], { key: 'a', operator: 'Equals', values: [''] });
    assert.deepEqual(requirements('a!=,b')[0], { key: 'a', operator: 'NotEquals', values: [''] });
  });

  it('in and notin are operators only after a key', () => {
    assert.deepEqual(requirements('in in (notin, in)'), [{ key: 'in', operator: 'In', values: ['in', 'notin'] }]);
    assert.deepEqual(requirements('notin=in'), [{ key: 'notin', operator: 'Equals', values: ['in'] }]);
  });

  it('blanks are optional around operators and allowed around terms', () => {
    assert.deepEqual(requirements('a in(b)'), requirements('a in (b)'));
    assert.deepEqual(requirements('\ta = b ,\n!c '), [
      { key: 'a', operator: 'Equals', values: ['b'] },
      { key: 'c', operator: 'DoesNotExist', values: [] },
    ]);
  });

  const rejected: [string, LabelSelectorErrorCode][] = [
    ['a=b,', 'Syntax'],
    [',a', 'Syntax'],
    ['a,,b', 'Syntax'],
    ['a in (x', 'Syntax'],
    ['app in (a', 'Syntax'],
    ['a in x)', 'Syntax'],
    ['app in web', 'Syntax'],
    ['a in ((x))', 'Syntax'],
    ['a in (b c)', 'Syntax'],
    ['a in (,,)', 'Syntax'], // as in Go: a second empty item needs a value or ')' after it
    ['a notin', 'Syntax'],
    ['=b', 'Syntax'],
    ['=x', 'Syntax'],
    ['a b', 'Syntax'],
    ['a=b=c', 'Syntax'],
    ['a==b!=c', 'Syntax'],
    ['!a=b', 'Syntax'],
    ['!', 'Syntax'],
    ['a!b', 'Syntax'],
    ['a>=1', 'Syntax'],
    ['-a=b', 'InvalidKey'],
    ['bad key=1', 'Syntax'],
    ['a/b/c', 'InvalidKey'],
    ['/a', 'InvalidKey'],
    ['Example.com/a', 'InvalidKey'],
    [`${'k'.repeat(64)}=v`, 'InvalidKey'],
    ['a=-b', 'InvalidValue'],
    [`a=${'v'.repeat(64)}`, 'InvalidValue'],
    ['a in (x,-y)', 'InvalidValue'],
    ['n>x', 'InvalidInteger'],
    ['n<', 'InvalidInteger'],
    ['n>1.5', 'InvalidInteger'],
    ['n>9223372036854775808', 'InvalidInteger'],
    // An int64 but not a label value: the API server rejects negative bounds too.
    ['n>-1', 'InvalidValue'],
  ];
  for (const [bad, code] of rejected) {
    it(`rejects ${JSON.stringify(bad)} (${code})`, () => {
      const e = errorOf(bad);
      assert.equal(e.code, code);
      assert.ok(e.message.length > 0);
    });
  }

  it('keeps the API server messages', () => {
    assert.equal(errorOf('app in web').message, "unable to parse requirement: found 'web' expected: '('");
    assert.equal(errorOf('a=b,').message, "found '', expected: identifier after ','");
    assert.equal(errorOf('a b').message, "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
    assert.equal(errorOf('n>x').message, `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`);
    assert.match(errorOf('-a').message, /^unable to parse requirement: key: Invalid value: "-a": name part must consist of/);
  });

  it('accepts the largest int64 bound', () => {
    assert.deepEqual(requirements('n<9223372036854775807')[0]?.values, ['9223372036854775807']);
  });

  it('never throws on arbitrary input', () => {
    const alphabet = fc.constantFrom('a', 'b', '=', '!', '(', ')', ',', '<', '>', ' ', 'in', 'notin', '-', '1', '/', '.');
    fc.assert(fc.property(fc.oneof(fc.string(), fc.array(alphabet, { maxLength: 12 }).map((xs) => xs.join(''))), (s) => {
      const r = parseLabelRequirements(s);
      assert.equal(typeof r.ok, 'boolean');
      if (!r.ok) assert.ok(r.error.message.length > 0);
    }));
  });
});

describe('matchesLabelRequirements', () => {
  const labels = { app: 'web', tier: 'front', n: '5' };
  const cases: [string, boolean][] = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['app in (db,web)', true],
    ['app in(db)', false],
    ['app notin (db)', true],
    ['missing notin (db)', true],
    ['missing in (db)', false],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['missing', false],
    ['n>4', true],
    ['n>5', false],
    ['n<4', false],
    ['n<6', true],
    ['n>04', true],
    ['missing>0', false],
    ['app>0', false], // a label that is not an integer matches neither gt nor lt
    ['app<0', false],
    ['app=web, tier=front', true],
    ['app=web,tier=back', false],
    ['app=', false],
    ['missing=', false],
  ];
  for (const [sel, want] of cases) {
    it(`${JSON.stringify(sel)} → ${String(want)}`, () => assert.equal(select(sel, labels), want));
  }

  it('compares gt/lt as 64-bit integers, not floating point', () => {
    assert.equal(select('n>9007199254740992', { n: '9007199254740993' }), true);
    assert.equal(select('n<0', { n: '-3' }), true);
    assert.equal(select('n<0', { n: '-9223372036854775809' }), false);
  });

  it('finds keys such as constructor only among the labels', () => {
    assert.equal(select('constructor', {}), false);
    assert.equal(select('!hasOwnProperty', {}), true);
    assert.equal(select('constructor=x', { constructor: 'x' }), true);
  });
});

describe('toLabelSelector and parseLabelSelector', () => {
  it('converts every operator that metav1.LabelSelector has', () => {
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
    const r = parseLabelSelector('a=b,a=c,a=b');
    assert.ok(r.ok);
    assert.deepEqual(r.selector.matchLabels, { a: 'b' });
    assert.deepEqual(r.selector.matchExpressions, [{ key: 'a', operator: 'In', values: ['c'] }]);
  });

  it('gt and lt are valid requirements but have no matchExpressions form', () => {
    for (const text of ['n>3', 'a=b,n<3']) {
      const r = parseLabelSelector(text);
      assert.equal(r.ok, false, text);
      if (!r.ok) {
        assert.equal(r.error.code, 'UnsupportedOperator');
        assert.match(r.error.message, /"(gt|lt)" isn't supported in label selectors \(key "n"\)/);
      }
    }
    assert.equal(toLabelSelector(requirements('n>3')).ok, false);
  });

  it('a syntax error comes through with its code', () => {
    const r = parseLabelSelector('a in (b');
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'Syntax');
  });

  it('selects the same labels as the requirements it came from', () => {
    const key = fc.constantFrom('a', 'b', 'constructor');
    const value = fc.constantFrom('', 'x', 'y');
    const term = fc.oneof(
      fc.tuple(key, fc.constantFrom('=', '==', '!='), value).map(([k, op, v]) => `${k}${op}${v}`),
      fc.tuple(key, fc.constantFrom('in', 'notin'), fc.array(fc.constantFrom('x', 'y', 'z'), { minLength: 1, maxLength: 3 })).map(([k, op, vs]) => `${k} ${op} (${vs.join(',')})`),
      key,
      key.map((k) => `!${k}`),
    );
    const labels = fc.dictionary(key, value, { maxKeys: 3 });
    fc.assert(fc.property(fc.array(term, { maxLength: 4 }), labels, (terms, ls) => {
      const text = terms.join(',');
      const reqs = requirements(text);
      const sel = toLabelSelector(reqs);
      assert.ok(sel.ok);
      assert.equal(matchesSelector(sel.selector, ls), matchesLabelRequirements(reqs, new Map(Object.entries(ls))), text);
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
