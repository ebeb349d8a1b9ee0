import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/devapi/errors.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from '../../src/devapi/selectors.ts';

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
  ['tier', true],
  ['!tier', false],
  ['!missing', true],
  ['n>4', true],
  ['n<4', false],
  ['app=web, tier=front', true],
  ['app=web,tier=back', false],
  ['app=', false],
];

describe('label selectors', () => {
  for (const [sel, want] of cases) {
    it(`${JSON.stringify(sel)} → ${String(want)}`, () => assert.equal(matchesLabels(parseLabelSelector(sel), labels), want));
  }
  it('syntax errors are BadRequest', () => {
    for (const bad of ['app in web', 'app in (a', 'a=b,', '=x', 'n>x', 'bad key=1']) {
      assert.throws(() => parseLabelSelector(bad), (e: unknown) => e instanceof ApiError && e.code === 400, bad);
    }
  });
});

describe('field selectors', () => {
  it('=, ==, != and escapes', () => {
    const get = (f: string): string | undefined => ({ 'metadata.name': 'a,b', 'metadata.namespace': 'ns' })[f];
    assert.equal(matchesFields(parseFieldSelector('metadata.name=a\\,b'), get), true);
    assert.equal(matchesFields(parseFieldSelector('metadata.namespace==ns,metadata.name!=x'), get), true);
    assert.equal(matchesFields(parseFieldSelector('metadata.namespace!=ns'), get), false);
    assert.throws(() => parseFieldSelector('metadata.name'), (e: unknown) => e instanceof ApiError && e.code === 400);
  });
});
