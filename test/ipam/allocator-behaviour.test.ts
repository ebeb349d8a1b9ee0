// Allocator rules that the story tables leave implicit (docs/ipam.md, "Allocation rules",
// "Sharing"): who keeps a contested address (the older, then the smaller key; a Service that did
// not change before one that was edited or is being imported), what an edit of sharing identity
// is, and what the releases and queries say. Written against the survivors of mutation testing
// (issue #15, docs/mutation-testing.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Allocator } from '../../src/ipam/allocator.ts';
import type { Decision } from '../../src/ipam/types.ts';
import type { ServiceView } from '../../src/api/service.ts';
import { pool, shared, svc } from './fixtures.ts';

const POOLS = [pool('p', ['192.0.2.0/28', '2001:db8::/124'])];

function allocator(): Allocator {
  const a = new Allocator();
  a.setPools(POOLS);
  return a;
}

function byKey(decisions: readonly Decision[]): Map<string, Decision> {
  return new Map(decisions.map((d) => [d.key, d]));
}

test('a contested address goes to the older Service; at the same creation time, to the smaller key, whatever the input order', () => {
  const want = (key: string, createdAt: number): ServiceView => svc(key, { createdAt, requestedIPs: ['192.0.2.5'] });
  for (const order of [['ns/y', 'ns/x'], ['ns/x', 'ns/y']]) {
    const d = byKey(allocator().reconcile(order.map((k) => want(k, 0))));
    assert.deepEqual(d.get('ns/x')?.ips, ['192.0.2.5'], order.join(','));
    assert.deepEqual(d.get('ns/y')?.ips, [], order.join(','));
  }
  const d = byKey(allocator().reconcile([want('ns/x', 2), want('ns/y', 1)]));
  assert.deepEqual(d.get('ns/y')?.ips, ['192.0.2.5'], 'older');
});

test('a Service that already holds an address keeps it against an older one that only lists it in its status', () => {
  const a = allocator();
  const [first] = a.reconcile([svc('ns/a', { createdAt: 10 })]);
  const ip = first?.ips[0] ?? '';
  const d = byKey(a.reconcile([svc('ns/a', { createdAt: 10 }), svc('ns/c', { createdAt: 5, currentIPs: [ip] })]));
  assert.deepEqual(d.get('ns/a')?.ips, [ip]);
  assert.notDeepEqual(d.get('ns/c')?.ips, [ip]);
  assert.deepEqual(d.get('ns/c')?.released.map((r) => r.ip), [ip]);
});

/** Two Services sharing one address under key k: a (created at `aAt`) and b (at `bAt`). */
function sharing(aAt: number, bAt: number, crossNamespaces: string[] = []): { a: Allocator; ip: string; A: ServiceView; B: ServiceView } {
  const alloc = allocator();
  const A = shared('ns/a', 'k', 80, { createdAt: aAt, sharing: { key: 'k', crossNamespaces } });
  const B = shared('ns/b', 'k', 81, { createdAt: bAt });
  const d = byKey(alloc.reconcile([A, B]));
  const ip = d.get('ns/a')?.ips[0] ?? '';
  assert.deepEqual(d.get('ns/b')?.ips, [ip]);
  return { a: alloc, ip, A, B };
}

test('an edit of sharing identity loses a contested address to a holder that did not change: removing the key', () => {
  const { a, ip, A, B } = sharing(1, 2);
  const d = byKey(a.reconcile([{ ...A, sharing: null }, B]));
  assert.deepEqual(d.get('ns/b')?.ips, [ip], 'b did not change: it keeps the address');
  assert.deepEqual(d.get('ns/a')?.released.map((r) => [r.ip, r.reason]), [[ip, 'SharingKeyMismatch']]);
});

test('reordering crossNamespaces is no edit; changing them is, even when the names run together', () => {
  // b (older) changes its key; a only reorders its list: a did not change, so a keeps the address.
  const reorder = sharing(2, 1, ['ab', 'c']);
  const r = byKey(reorder.a.reconcile([{ ...reorder.A, sharing: { key: 'k', crossNamespaces: ['c', 'ab'] } }, { ...reorder.B, sharing: { key: 'k2', crossNamespaces: [] } }]));
  assert.deepEqual(r.get('ns/a')?.ips, [reorder.ip]);
  assert.deepEqual(r.get('ns/b')?.released.map((x) => x.ip), [reorder.ip]);
  // a changes ["ab", "c"] to ["a", "bc"]: both changed, so the older (b) keeps it.
  const change = sharing(2, 1, ['ab', 'c']);
  const c = byKey(change.a.reconcile([{ ...change.A, sharing: { key: 'k', crossNamespaces: ['a', 'bc'] } }, { ...change.B, sharing: { key: 'k2', crossNamespaces: [] } }]));
  assert.deepEqual(c.get('ns/b')?.ips, [change.ip]);
  assert.deepEqual(c.get('ns/a')?.released.map((x) => x.ip), [change.ip]);
});

test('a Service listed twice in one pass is imported once, and decided the same both times', () => {
  const a = allocator();
  const view = svc('ns/a', { currentIPs: ['192.0.2.7'] });
  const [one, two] = a.reconcile([view, view]);
  assert.deepEqual(one?.ips, ['192.0.2.7']);
  assert.deepEqual(two?.ips, ['192.0.2.7']);
  assert.deepEqual(two?.released, []);
});

test('what an import releases: an entry that is not an address, and one outside every pool, each with its own reason', () => {
  const [d] = allocator().reconcile([svc('ns/a', { currentIPs: ['not-an-ip', '192.0.2.7', '198.51.100.1'] })]);
  assert.deepEqual(d?.ips, ['192.0.2.7']);
  assert.deepEqual(d?.released[0], { ip: 'not-an-ip', reason: 'PoolRemoved', message: 'status lists "not-an-ip", which is not an IP address' });
  assert.equal(d?.released[1]?.ip, '198.51.100.1');
  assert.notEqual(d?.released[1]?.reason, 'FamilyNotWanted');
});

test('a requested pair of addresses: a held address outside the request is released, naming both', () => {
  const [d] = allocator().reconcile([svc('ns/a', { ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'PreferDualStack', requestedIPs: ['192.0.2.3', '2001:db8::3'], currentIPs: ['192.0.2.4'] })]);
  assert.deepEqual(d?.released, [{ ip: '192.0.2.4', reason: 'NotRequested', message: '192.0.2.4 is not among the requested addresses (192.0.2.3, 2001:db8::3)' }]);
});

test('RequireDualStack with a request naming one family says which family is missing', () => {
  const [d] = allocator().reconcile([svc('ns/a', { ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack', requestedIPs: ['2001:db8::3'] })]);
  assert.equal(d?.satisfied, false);
  assert.match(d?.message ?? '', /no IPv4 address: the request names no IPv4 address/);
});

test('releasing a shared address says how many others still share it', () => {
  const a = allocator();
  a.reconcile([shared('ns/a', 'k', 80), shared('ns/b', 'k', 81), shared('ns/c', 'k', 82)]);
  const ip = a.ipsOf('ns/a')[0];
  assert.deepEqual(a.release('ns/a'), [{ ip, reason: 'ServiceGone', message: `ns/a is gone or no longer uses Herald; 2 other Services still share it` }]);
  assert.deepEqual(a.release('ns/b'), [{ ip, reason: 'ServiceGone', message: `ns/b is gone or no longer uses Herald; 1 other Service still share it` }]);
  assert.deepEqual(a.release('ns/c'), [{ ip, reason: 'ServiceGone', message: 'ns/c is gone or no longer uses Herald' }]);
  assert.deepEqual(a.release('ns/c'), [], 'twice');
});

test('queries: known and held keys, holders, pool statuses and the pool of an address', () => {
  const a = new Allocator();
  a.setPools([pool('small', ['192.0.2.1'])]);
  a.reconcile([svc('ns/a'), svc('ns/b')]);
  assert.deepEqual(a.knownKeys().sort(), ['ns/a', 'ns/b']);
  assert.deepEqual(a.heldKeys(), ['ns/a']);
  assert.deepEqual(a.holdersOf('192.0.2.1'), ['ns/a']);
  assert.deepEqual(a.holdersOf('not-an-ip'), []);
  assert.deepEqual(a.poolStatuses().map((s) => s.name), ['small']);
  assert.equal(a.poolOf('192.0.2.1'), 'small');
  assert.equal(a.poolOf('198.51.100.1'), undefined);
  assert.equal(a.poolOf('nope'), undefined);
});

test('a Service that changes its sharing key is found under the new key by the next Service with that key', () => {
  const a = allocator();
  const [first] = a.reconcile([shared('ns/a', 'k', 80)]);
  const ip = first?.ips[0] ?? '';
  a.reconcile([shared('ns/a', 'k2', 80)]);
  assert.deepEqual(a.ipsOf('ns/a'), [ip], 'alone on its address, it keeps it');
  const [b] = a.reconcile([shared('ns/b', 'k2', 81)]);
  assert.deepEqual(b?.ips, [ip], 'shares with a under k2');
  const [c] = a.reconcile([shared('ns/c', 'k', 82)]);
  assert.notDeepEqual(c?.ips, [ip], 'nobody holds it under k any more');
});

test('a Service joins the lowest address of its sharing group that it may take: not a reserved one, not one outside its pools', () => {
  const a = new Allocator();
  a.setPools([pool('p', ['192.0.2.0/28']), pool('q', ['198.51.100.0/28'], { serviceSelector: { matchLabels: { team: 'q' }, matchExpressions: [] } })]);
  // Three members of group k hold three addresses (each asked for its own); ports differ, so they may share.
  const members = [
    shared('ns/a', 'k', 81, { requestedIPs: ['192.0.2.9'] }),
    shared('ns/b', 'k', 82, { requestedIPs: ['192.0.2.5'] }),
    shared('ns/c', 'k', 83, { requestedIPs: ['192.0.2.7'] }),
  ];
  const d = byKey(a.reconcile([...members, shared('ns/d', 'k', 84)]));
  assert.deepEqual(d.get('ns/d')?.ips, ['192.0.2.5'], 'the lowest of the group');
  // The lowest is now a node's address: the next lowest is joined instead.
  a.setReserved(new Map([['192.0.2.5', 'InternalIP of node n1']]));
  const e = byKey(a.reconcile([...members, shared('ns/e', 'k', 85)]));
  assert.deepEqual(e.get('ns/e')?.ips, ['192.0.2.7']);
  // A member holding an address of a pool that does not select the joiner is passed over.
  const f = new Allocator();
  f.setPools([pool('p', ['192.0.2.0/28']), pool('q', ['198.51.100.0/28'], { serviceSelector: { matchLabels: { team: 'q' }, matchExpressions: [] } })]);
  const g = byKey(f.reconcile([shared('ns/a', 'k', 81, { labels: { team: 'q' }, requestedIPs: ['198.51.100.3'] }), shared('ns/b', 'k', 82, { requestedIPs: ['192.0.2.9'] }), shared('ns/c', 'k', 83)]));
  assert.deepEqual(g.get('ns/c')?.ips, ['192.0.2.9']);
});
