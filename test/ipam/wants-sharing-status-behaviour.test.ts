// What a Service asks for (service-wants.ts), when two Services may share an address
// (sharing.ts), and what a pool's status counts (pool-status.ts): the messages a user reads in a
// condition or Event, and the counts in IPPool status. Written against the survivors of mutation
// testing (issue #15, docs/mutation-testing.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIP } from '../../src/api/addr.ts';
import { AddressBook } from '../../src/ipam/address-book.ts';
import { computeStatuses } from '../../src/ipam/pool-status.ts';
import { PoolSet } from '../../src/ipam/pool-set.ts';
import { parseRequest, wantedFamilies } from '../../src/ipam/service-wants.ts';
import { specConflict } from '../../src/ipam/sharing.ts';
import { pool, shared, svc } from './fixtures.ts';

test('wantedFamilies: no ipFamilies means IPv4 first', () => {
  assert.deepEqual(wantedFamilies({ ipFamilies: [], ipFamilyPolicy: 'SingleStack' }), ['IPv4']);
  assert.deepEqual(wantedFamilies({ ipFamilies: [], ipFamilyPolicy: 'PreferDualStack' }), ['IPv4', 'IPv6']);
  assert.deepEqual(wantedFamilies({ ipFamilies: ['IPv6'], ipFamilyPolicy: 'RequireDualStack' }), ['IPv6', 'IPv4']);
});

test('parseRequest: none, the same address twice, and a family the Service does not have', () => {
  assert.equal(parseRequest(svc('ns/a')), null);
  const twice = parseRequest(svc('ns/a', { requestedIPs: ['2001:db8::1', '2001:DB8:0::1'], ipFamilies: ['IPv6'] }));
  assert.ok(twice?.ok === true);
  assert.deepEqual([...twice.byFamily.values()].map((h) => h.text), ['2001:db8::1']);
  assert.deepEqual(parseRequest(svc('ns/a', { requestedIPs: ['2001:db8::1'] })), {
    ok: false,
    message: 'requested 2001:db8::1 is IPv6, but the Service is SingleStack IPv4; request an IPv4 address or change ipFamilies',
  });
  assert.deepEqual(parseRequest(svc('ns/a', { requestedIPs: ['192.0.2.1', '192.0.2.2'] })), {
    ok: false,
    message: 'requested 192.0.2.1 and 192.0.2.2 are both IPv4; request at most one address per family',
  });
});

test('specConflict: every common port is named once; Local needs a selector on both, and the same one', () => {
  const a = shared('ns/a', 'k', 80, { ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 80 }] });
  const b = shared('ns/b', 'k', 80, { ports: [{ protocol: 'udp', port: 53 }, { protocol: 'TCP', port: 80 }] });
  assert.equal(specConflict(a, b), 'both use UDP/53, TCP/80');
  const local = (key: string, selector: Record<string, string>, port: number) => shared(key, 'k', port, { externalTrafficPolicy: 'Local', selector });
  assert.equal(specConflict(local('ns/a', { app: 'x' }, 80), local('ns/b', {}, 81)), 'externalTrafficPolicy Local needs both to have a pod selector');
  assert.equal(specConflict(local('ns/a', {}, 80), local('ns/b', { app: 'x' }, 81)), 'externalTrafficPolicy Local needs both to have a pod selector');
  const differ = 'externalTrafficPolicy Local needs identical pod selectors, and theirs differ';
  assert.equal(specConflict(local('ns/a', { app: 'x' }, 80), local('ns/b', { app: 'x', tier: 'web' }, 81)), differ);
  assert.equal(specConflict(local('ns/a', { app: 'x', tier: 'db' }, 80), local('ns/b', { app: 'x', tier: 'web' }, 81)), differ);
  assert.equal(specConflict(local('ns/a', { app: 'x', tier: 'db' }, 80), local('ns/b', { app: 'x', role: 'db' }, 81)), differ);
  assert.equal(specConflict(local('ns/a', { app: 'x', tier: 'db' }, 80), local('ns/b', { tier: 'db', app: 'x' }, 81)), null);
});

test('pool status: an address held outside every pool counts nowhere; a reserved address a Service holds counts as used only', () => {
  const pools = new PoolSet([pool('p', ['192.0.2.0/30'])]);
  const book = new AddressBook();
  const at = (text: string) => {
    const r = parseIP(text);
    assert.ok(r.ok);
    return r.value;
  };
  book.attach(at('203.0.113.1'), '203.0.113.1', 'ns/outside');
  book.setReserved(new Map([['192.0.2.1', 'InternalIP of node n1'], ['192.0.2.2', 'InternalIP of node n2']]));
  book.attach(at('192.0.2.2'), '192.0.2.2', 'ns/a');
  assert.deepEqual(computeStatuses(pools, book).get('p'), { name: 'p', total: 4n, used: 1n, reserved: 1n, available: 2n, conflict: { conflicting: false } });
});
