import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyMismatch, sharingConflict, specConflict } from '../../src/ipam/sharing.ts';
import { shared, svc } from './fixtures.ts';

test('Services without a key never share', () => {
  assert.match(keyMismatch(svc('a/x'), shared('a/y', 'k', 81)) ?? '', /a\/x has no sharing key/);
  assert.match(keyMismatch(shared('a/y', 'k', 81), svc('a/x')) ?? '', /a\/x has no sharing key/);
});

test('keys must be equal', () => {
  assert.equal(keyMismatch(shared('a/x', 'k', 80), shared('a/y', 'k', 81)), null);
  assert.match(keyMismatch(shared('a/x', 'k', 80), shared('a/y', 'j', 81)) ?? '', /sharing keys differ/);
});

test('cross-namespace sharing needs both sides to accept', () => {
  const x = (cross: string[]) => shared('a/x', 'k', 80, { sharing: { key: 'k', crossNamespaces: cross } });
  const y = (cross: string[]) => shared('b/y', 'k', 81, { sharing: { key: 'k', crossNamespaces: cross } });
  assert.match(keyMismatch(x([]), y([])) ?? '', /a\/x does not list namespace "b"/);
  assert.match(keyMismatch(x(['b']), y([])) ?? '', /b\/y does not list namespace "a"/);
  assert.match(keyMismatch(x([]), y(['a'])) ?? '', /a\/x does not list namespace "b"/);
  assert.equal(keyMismatch(x(['b']), y(['a'])), null);
  assert.equal(keyMismatch(x(['*']), y(['a'])), null);
  assert.equal(keyMismatch(x(['*']), y(['*'])), null);
});

test('spec level: ports, traffic policy, Local selectors', () => {
  assert.match(specConflict(shared('a/x', 'k', 80), shared('a/y', 'k', 80)) ?? '', /both use TCP\/80/);
  const udp = shared('a/y', 'k', 80, { ports: [{ protocol: 'UDP', port: 80 }] });
  assert.equal(specConflict(shared('a/x', 'k', 80), udp), null, 'TCP/80 and UDP/80 differ');
  assert.match(
    specConflict(shared('a/x', 'k', 80), shared('a/y', 'k', 81, { externalTrafficPolicy: 'Local' })) ?? '',
    /externalTrafficPolicy differs/,
  );
  const local = (key: string, port: number, selector: Record<string, string>) =>
    shared(key, 'k', port, { externalTrafficPolicy: 'Local', selector });
  assert.equal(specConflict(local('a/x', 80, { app: 'w' }), local('a/y', 81, { app: 'w' })), null);
  assert.match(specConflict(local('a/x', 80, { app: 'w' }), local('a/y', 81, { app: 'v' })) ?? '', /identical pod selectors/);
  assert.match(specConflict(local('a/x', 80, {}), local('a/y', 81, {})) ?? '', /needs both to have a pod selector/);
  assert.equal(specConflict(shared('a/x', 'k', 80, { selector: { a: '1' } }), shared('a/y', 'k', 81, { selector: { b: '2' } })), null);
});

test('sharingConflict reports the key level first', () => {
  assert.match(sharingConflict(shared('a/x', 'k', 80), shared('a/y', 'j', 80)) ?? '', /keys differ/);
  assert.equal(sharingConflict(shared('a/x', 'k', 80), shared('a/y', 'k', 81)), null);
});
