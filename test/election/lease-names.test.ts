// Lease names: DNS-1123 subdomains, one per address (injective), for every spelling of an address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NODE_LEASE_PREFIX, nodeLeaseName, vipLeaseName } from '../../src/election/lease-names.ts';
import { formatIP } from '../../src/api/addr.ts';

// RFC 1123 subdomain as Kubernetes validates object names (IsDNS1123Subdomain).
const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function name(ip: string): string {
  const r = vipLeaseName(ip);
  assert.ok(r.ok, `${ip}: ${r.ok ? '' : r.error.message}`);
  return r.name;
}

test('VIP Lease names, as docs/l2.md spells them', () => {
  const table: [string, string][] = [
    ['192.0.2.10', 'herald-l2-192-0-2-10'],
    ['2001:db8::10', 'herald-l2-2001-db8--10'],
    ['2001:DB8:0:0:0:0:0:10', 'herald-l2-2001-db8--10'], // any spelling of the same address
    ['2001:db8::', 'herald-l2-2001-db8--0'], // a trailing "::" must not end the name with '-'
    ['::1', 'herald-l2---1'],
    ['::', 'herald-l2---0'],
    ['::ffff:192.0.2.1', 'herald-l2---ffff-c000-201'], // hex, never the dotted quad
    ['2001:db8:1:2:3:4:5:6', 'herald-l2-2001-db8-1-2-3-4-5-6'],
  ];
  for (const [ip, want] of table) assert.equal(name(ip), want, ip);
  for (const bad of ['192.0.2.256', '10.1', 'fe80::1%eth0', 'not-an-ip', '']) {
    const r = vipLeaseName(bad);
    assert.ok(!r.ok && r.error.code === 'InvalidIP', bad);
  }
});

const v4 = fc.nat(0xffffffff).map((n) => formatIP({ family: 'IPv4', value: BigInt(n) }));
// IPv6 with many zero runs, so compression happens in every position.
const group = fc.oneof(fc.constant(0n), fc.constant(0n), fc.bigInt({ min: 0n, max: 0xffffn }));
const v6 = fc.array(group, { minLength: 8, maxLength: 8 }).map((gs) => formatIP({ family: 'IPv6', value: gs.reduce((acc, g) => (acc << 16n) | g, 0n) }));

test('property: every address gets a valid DNS-1123 name of at most 253 characters, and different addresses get different names', () => {
  const seen = new Map<string, string>();
  fc.assert(
    fc.property(fc.oneof(v4, v6), (ip) => {
      const n = name(ip);
      assert.match(n, DNS1123, ip);
      assert.ok(n.length <= 253);
      const prior = seen.get(n);
      if (prior !== undefined) assert.equal(prior, ip, `${prior} and ${ip} share ${n}`);
      seen.set(n, ip);
    }),
    { numRuns: 5_000 },
  );
  // The collision the hex rule exists for: ::ffff:192.0.2.1 and ::ffff:192:0:2:1 are different addresses.
  assert.notEqual(name('::ffff:192.0.2.1'), name('::ffff:192:0:2:1'));
});

test('node Lease names: the node name after the prefix; over-long names are cut and hashed apart', () => {
  assert.equal(nodeLeaseName('worker-1.example.com'), 'herald-node-worker-1.example.com');
  const long = `${'a'.repeat(120)}.${'b'.repeat(130)}`;
  const other = `${'a'.repeat(120)}.${'b'.repeat(129)}c`;
  const n1 = nodeLeaseName(long);
  const n2 = nodeLeaseName(other);
  assert.ok(n1.startsWith(NODE_LEASE_PREFIX) && n1.length <= 253, n1);
  assert.match(n1, DNS1123);
  assert.notEqual(n1, n2);
  // A cut right after a '.' must not leave the name ending in a separator before the hash.
  const dotted = `${'a'.repeat(230)}.${'b'.repeat(22)}`;
  assert.match(nodeLeaseName(dotted), DNS1123);
});
