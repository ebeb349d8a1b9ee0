// Selectors as the dev API server applies them. The label-selector grammar and matching are
// tested in test/kube/label-selector.test.ts; here: field-selector parsing, and what a list or
// watch request with ?labelSelector= answers over HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '../../src/devapi/errors.ts';
import { matchesFields, parseFieldSelector } from '../../src/devapi/selectors.ts';
import type { DevApiServer } from '../../src/devapi/server.ts';
import { call, get, itemNames, SERVICES, startTestServer, svc } from './helpers.ts';

describe('field selectors', () => {
  it('=, ==, != and escapes', () => {
    const get = (f: string): string | undefined => ({ 'metadata.name': 'a,b', 'metadata.namespace': 'ns' })[f];
    assert.equal(matchesFields(parseFieldSelector('metadata.name=a\\,b'), get), true);
    assert.equal(matchesFields(parseFieldSelector('metadata.namespace==ns,metadata.name!=x'), get), true);
    assert.equal(matchesFields(parseFieldSelector('metadata.namespace!=ns'), get), false);
    assert.throws(() => parseFieldSelector('metadata.name'), (e: unknown) => e instanceof ApiError && e.code === 400);
  });
});

describe('labelSelector over HTTP', () => {
  let s: DevApiServer;
  before(async () => {
    s = await startTestServer();
    for (const [name, labels] of [
      ['small', { app: 'web', n: '2' }],
      ['big', { app: 'web', n: '9' }],
      ['text', { app: 'db', n: 'many' }],
    ] as const) {
      const r = await call(s, 'POST', SERVICES, svc(name, {}, { labels }));
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
  });
  after(() => s.close());

  const list = async (selector: string): Promise<string[]> => {
    const r = await call(s, 'GET', `${SERVICES}?labelSelector=${encodeURIComponent(selector)}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return itemNames(r.body).filter((n) => n !== 'kubernetes').sort();
  };

  it('lists with gt and lt, which only the string syntax has', async () => {
    assert.deepEqual(await list('n>3'), ['big']);
    assert.deepEqual(await list('n<3'), ['small']);
    assert.deepEqual(await list('app=web,n<10'), ['big', 'small']);
    assert.deepEqual(await list('app in (db),!missing'), ['text']);
  });

  for (const path of [SERVICES, `${SERVICES}?watch=true`]) {
    it(`a bad selector is a 400 BadRequest Status (${path.includes('watch') ? 'watch' : 'list'})`, async () => {
      const sep = path.includes('?') ? '&' : '?';
      for (const [bad, message] of [
        ['app in web', "unable to parse requirement: found 'web' expected: '('"],
        ['n>x', `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`],
        ['a=b,', "found '', expected: identifier after ','"],
      ] as const) {
        const r = await call(s, 'GET', `${path}${sep}labelSelector=${encodeURIComponent(bad)}`);
        assert.equal(r.status, 400, bad);
        assert.equal(get(r.body, 'kind'), 'Status');
        assert.equal(get(r.body, 'reason'), 'BadRequest');
        assert.equal(get(r.body, 'message'), message);
      }
    });
  }
});
