// Scale micro-checks (docs/ipam.md, "Scale"). No timing assertions: these check that 10,000
// allocations in a /64 work, that counts are exact bigints, and that the allocator's memory
// follows allocations (the taken-address index is one run), not the size of the pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Allocator } from '../../src/ipam/allocator.ts';
import { pool, svc } from './fixtures.ts';

const N = 10_000;

test('10,000 allocations in a /64: lowest free first, exact bigint counts, one taken run', () => {
  const a = new Allocator();
  assert.equal(a.setPools([pool('big', ['2001:db8::/64'], { allowFirstLastIPs: false })]).size, 0);
  const views = Array.from({ length: N }, (_, i) => svc(`ns/s${i}`, { ipFamilies: ['IPv6'], createdAt: i }));
  for (const v of views) {
    const [d] = a.reconcile([v]);
    assert.equal(d?.satisfied, true);
  }
  assert.deepEqual(a.ipsOf('ns/s0'), ['2001:db8::1']);
  assert.deepEqual(a.ipsOf(`ns/s${N - 1}`), ['2001:db8::2710']); // 10,000 = 0x2710
  const st = a.poolStatus('big');
  assert.ok(st);
  assert.equal(st.total, (1n << 64n) - 2n);
  assert.equal(st.used, BigInt(N));
  assert.equal(st.available, (1n << 64n) - 2n - BigInt(N));
  assert.equal(String(st.available), '18446744073709541614');
  assert.deepEqual(a.stats(), { services: N, heldAddresses: N, reservedAddresses: 0, takenRuns: 1 });

  // A full resync of 10,000 Services is a no-op.
  const again = a.reconcile(views);
  assert.ok(again.every((d) => d.allocated.length === 0 && d.released.length === 0));

  // Free one in the middle: it is the next one given, and the index splits into two runs.
  a.release('ns/s4999');
  assert.equal(a.stats().takenRuns, 2);
  const [d] = a.reconcile([svc('ns/late', { ipFamilies: ['IPv6'] })]);
  assert.deepEqual(d?.allocated, ['2001:db8::1388']); // 5,000 = 0x1388
  assert.equal(a.stats().takenRuns, 1);
});

test('a /48 and a /120 need the same state for the same allocations', () => {
  const runs = (cidr: string): ReturnType<Allocator['stats']> => {
    const a = new Allocator();
    a.setPools([pool('p', [cidr])]);
    a.setReserved(new Map([['2001:db8::80', 'InternalIP of node n1']]));
    a.reconcile(Array.from({ length: 200 }, (_, i) => svc(`ns/s${i}`, { ipFamilies: ['IPv6'], createdAt: i })));
    return a.stats();
  };
  assert.deepEqual(runs('2001:db8::/48'), runs('2001:db8::/120'));
  assert.deepEqual(runs('2001:db8::/48'), { services: 200, heldAddresses: 200, reservedAddresses: 1, takenRuns: 1 });
});
