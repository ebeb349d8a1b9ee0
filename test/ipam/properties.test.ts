// Property tests: random sequences of pool and Service edits, deletions, reserved-address
// changes and controller restarts, over a small address space so that collisions happen.
// After every step the invariants of docs/ipam.md hold; a restart moves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Allocator } from '../../src/ipam/allocator.ts';
import { parseIP } from '../../src/api/addr.ts';
import { PoolSet } from '../../src/ipam/pool-set.ts';
import { keyMismatch, sharingConflict } from '../../src/ipam/sharing.ts';
import type { BlockSpec, Decision, PoolView } from '../../src/ipam/types.ts';
import type { IPFamilyPolicy, ServiceView } from '../../src/api/service.ts';
import type { Family } from '../../src/api/addr.ts';

// --- generators -------------------------------------------------------------------------------

const blockArb: fc.Arbitrary<BlockSpec> = fc.constantFrom<BlockSpec>(
  { cidr: '192.0.2.0/30' },
  { cidr: '192.0.2.4/30' },
  { cidr: '192.0.2.0/29' },
  { start: '192.0.2.6', stop: '192.0.2.9' },
  { start: '192.0.2.10' },
  { cidr: '2001:db8::/126' },
  { start: '2001:db8::2', stop: '2001:db8::5' },
  { cidr: '2001:db8::/64' },
  { cidr: '192.0.2.1/30' }, // invalid: host bits
);

const poolArb = fc.record({
  name: fc.constantFrom('a', 'b', 'c'),
  blocks: fc.oneof(
    { weight: 3, arbitrary: fc.tuple(blockArb).map((b): BlockSpec[] => b) },
    { weight: 1, arbitrary: fc.array(blockArb, { minLength: 1, maxLength: 3 }) },
  ),
  allowFirstLastIPs: fc.boolean(),
  disabled: fc.constantFrom(false, false, false, true),
  team: fc.constantFrom(null, null, null, 'red', 'blue'),
});

const addrArb = fc.constantFrom('192.0.2.0', '192.0.2.1', '192.0.2.3', '192.0.2.5', '192.0.2.10', '198.51.100.1', '2001:db8::1', '2001:db8::3', '2001:db8::ff');

const serviceArb = fc.record({
  key: fc.constantFrom('n1/s1', 'n1/s2', 'n1/s3', 'n2/s4', 'n2/s5', 'n2/s6'),
  team: fc.constantFrom(undefined, 'red', 'blue'),
  families: fc.constantFrom<Family[]>(['IPv4'], ['IPv6'], ['IPv4', 'IPv6'], ['IPv6', 'IPv4']),
  policy: fc.constantFrom<IPFamilyPolicy>('SingleStack', 'PreferDualStack', 'RequireDualStack'),
  requested: fc.oneof({ weight: 5, arbitrary: fc.constant<string[]>([]) }, fc.uniqueArray(addrArb, { minLength: 1, maxLength: 2 })),
  // Biased towards Services that can share, so that shared addresses are common.
  sharing: fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    {
      weight: 3,
      arbitrary: fc.record({
        key: fc.constantFrom('k', 'k', 'k', 'j'),
        crossNamespaces: fc.constantFrom<string[]>(['*'], ['*'], [], ['n1'], ['n2']),
      }),
    },
  ),
  ports: fc.uniqueArray(fc.constantFrom(80, 81, 82, 83, 84), { minLength: 1, maxLength: 2 }),
  etp: fc.constantFrom('Cluster' as const, 'Cluster' as const, 'Local' as const),
  app: fc.constantFrom<Record<string, string>>({ app: 'x' }, { app: 'x' }, { app: 'y' }, {}),
});

type Gen<A> = A extends fc.Arbitrary<infer T> ? T : never;

type Op =
  | { op: 'pool'; pool: Gen<typeof poolArb> }
  | { op: 'deletePool'; name: string }
  | { op: 'service'; svc: Gen<typeof serviceArb> }
  | { op: 'deleteService'; key: string }
  | { op: 'reserved'; ips: string[] }
  | { op: 'resync' }
  | { op: 'restart'; resyncFirst: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: poolArb.map((pool) => ({ op: 'pool' as const, pool })) },
  { weight: 1, arbitrary: fc.constantFrom('a', 'b', 'c').map((name) => ({ op: 'deletePool' as const, name })) },
  { weight: 6, arbitrary: serviceArb.map((svc) => ({ op: 'service' as const, svc })) },
  { weight: 1, arbitrary: serviceArb.map((s) => ({ op: 'deleteService' as const, key: s.key })) },
  { weight: 1, arbitrary: fc.uniqueArray(addrArb, { maxLength: 2 }).map((ips) => ({ op: 'reserved' as const, ips })) },
  { weight: 1, arbitrary: fc.constant({ op: 'resync' as const }) },
  { weight: 2, arbitrary: fc.boolean().map((resyncFirst) => ({ op: 'restart' as const, resyncFirst })) },
);

// What the runs exercised: asserted at the end so that the property cannot pass vacuously.
const seen = { shared: 0, restartsHolding: 0, releases: new Map<string, number>(), reasons: new Set<string>() };

const START: Op = {
  op: 'pool',
  pool: { name: 'b', blocks: [{ cidr: '192.0.2.0/29' }, { cidr: '2001:db8::/126' }], allowFirstLastIPs: true, disabled: false, team: null },
};

// --- the model controller ---------------------------------------------------------------------

class Model {
  allocator = new Allocator();
  readonly pools = new Map<string, PoolView>();
  reserved = new Map<string, string>();
  readonly services = new Map<string, ServiceView>();
  readonly ips = new Map<string, readonly string[]>();

  poolList(): PoolView[] {
    return [...this.pools.values()];
  }

  reconcile(views: readonly ServiceView[]): Decision[] {
    for (const v of views) this.services.set(v.key, v);
    const out = this.allocator.reconcile(views);
    for (const d of out) {
      this.ips.set(d.key, d.ips);
      seen.reasons.add(d.reason);
      for (const r of d.released) seen.releases.set(r.reason, (seen.releases.get(r.reason) ?? 0) + 1);
      // Allocation never creates an incompatible pair: incompatibility only comes from edits.
      for (const ip of d.allocated) {
        for (const other of this.allocator.holdersOf(ip)) {
          if (other === d.key) continue;
          const a = this.services.get(d.key);
          const b = this.services.get(other);
          assert.ok(a && b);
          assert.equal(sharingConflict(a, b), null, `${ip} given to ${d.key} while ${other} holds it`);
        }
      }
    }
    return out;
  }

  reconcileAll(): Decision[] {
    return this.reconcile([...this.services.values()]);
  }
}

function checkInvariants(m: Model, where: string): void {
  const poolSet = new PoolSet(m.poolList());
  const byIp = new Map<string, string[]>();
  for (const [key, ips] of m.ips) {
    assert.deepEqual([...m.allocator.ipsOf(key)], [...ips], `${where}: ipsOf(${key})`);
    for (const ip of ips) byIp.set(ip, [...(byIp.get(ip) ?? []), key]);
  }
  assert.deepEqual(new Set(m.allocator.heldKeys()), new Set([...m.ips].filter(([, ips]) => ips.length > 0).map(([k]) => k)), `${where}: heldKeys`);
  for (const [ip, keys] of byIp) {
    if (keys.length > 1) seen.shared++;
    const addr = parseIP(ip);
    assert.ok(addr.ok);
    assert.ok(poolSet.containing(addr.value), `${where}: ${ip} held by ${keys.join(',')} is in no valid pool`);
    assert.ok(!m.reserved.has(ip), `${where}: reserved ${ip} held by ${keys.join(',')}`);
    for (const x of keys) {
      for (const y of keys) {
        const vx = m.services.get(x);
        const vy = m.services.get(y);
        assert.ok(vx && vy);
        if (x !== y) assert.equal(keyMismatch(vx, vy), null, `${where}: ${ip} on ${x} and ${y}`);
      }
    }
  }
  for (const [key, ips] of m.ips) {
    const families = ips.map((ip) => (ip.includes(':') ? 'IPv6' : 'IPv4'));
    assert.equal(new Set(families).size, families.length, `${where}: ${key} holds two addresses of one family`);
  }
}

function run(ops: readonly Op[]): void {
  const m = new Model();
  ops.forEach((o, step) => {
    const where = `step ${step} ${JSON.stringify(o)}`;
    switch (o.op) {
      case 'pool': {
        const createdAt = m.pools.get(o.pool.name)?.createdAt ?? step;
        const p = o.pool;
        m.pools.set(p.name, {
          name: p.name,
          createdAt,
          blocks: p.blocks,
          allowFirstLastIPs: p.allowFirstLastIPs,
          disabled: p.disabled,
          serviceSelector: p.team === null ? null : { matchLabels: { team: p.team }, matchExpressions: [] },
        });
        m.allocator.setPools(m.poolList());
        m.reconcileAll();
        break;
      }
      case 'deletePool':
        m.pools.delete(o.name);
        m.allocator.setPools(m.poolList());
        m.reconcileAll();
        break;
      case 'service': {
        const s = o.svc;
        const [namespace = '', name = ''] = s.key.split('/');
        const view: ServiceView = {
          key: s.key,
          namespace,
          name,
          createdAt: m.services.get(s.key)?.createdAt ?? step,
          labels: s.team === undefined ? {} : { team: s.team },
          ipFamilies: s.families,
          ipFamilyPolicy: s.policy,
          requestedIPs: s.requested,
          sharing: s.sharing,
          ports: s.ports.map((port) => ({ protocol: 'TCP', port })),
          externalTrafficPolicy: s.etp,
          selector: s.app,
          currentIPs: m.ips.get(s.key) ?? [],
        };
        m.reconcile([view]);
        break;
      }
      case 'deleteService': {
        const released = m.allocator.release(o.key);
        assert.deepEqual(released.map((r) => r.ip).sort(), [...(m.ips.get(o.key) ?? [])].sort(), `${where}: released`);
        m.services.delete(o.key);
        m.ips.delete(o.key);
        break;
      }
      case 'reserved':
        m.reserved = new Map(o.ips.map((ip) => [ip, `InternalIP of node for ${ip}`]));
        m.allocator.setReserved(m.reserved);
        m.reconcileAll();
        break;
      case 'resync': {
        const first = m.reconcileAll();
        // A full reconcile reaches a fixed point at once.
        const again = m.reconcileAll();
        again.forEach((d, i) => {
          assert.deepEqual(d.ips, first[i]?.ips, `${where}: second resync moved ${d.key}`);
          assert.deepEqual([d.allocated, d.released], [[], []], `${where}: second resync of ${d.key}`);
        });
        break;
      }
      case 'restart': {
        if (o.resyncFirst) m.reconcileAll();
        const before = new Map(m.ips);
        if ([...before.values()].some((ips) => ips.length > 0)) seen.restartsHolding++;
        m.allocator = new Allocator();
        m.allocator.setPools(m.poolList());
        m.allocator.setReserved(m.reserved);
        for (const [key, v] of m.services) m.services.set(key, { ...v, currentIPs: before.get(key) ?? [] });
        const out = m.reconcileAll();
        for (const d of out) {
          const prev = before.get(d.key) ?? [];
          assert.deepEqual(d.released, [], `${where}: restart released from ${d.key}`);
          // Nothing moves; after a resync (a fixed point) nothing changes at all.
          for (const ip of prev) assert.ok(d.ips.includes(ip), `${where}: restart moved ${ip} away from ${d.key}`);
          if (o.resyncFirst) assert.deepEqual(d.ips, prev, `${where}: restart changed ${d.key}`);
        }
        break;
      }
    }
    checkInvariants(m, where);
  });
}

test('random edits, deletions and restarts keep every invariant', () => {
  fc.assert(
    // Every run starts from a usable dual-stack pool, so that there is something to share.
    fc.property(fc.array(opArb, { minLength: 5, maxLength: 40 }), (ops) => run([START, ...ops])),
    { numRuns: 300 },
  );
  assert.ok(seen.shared > 50, `shared addresses seen: ${seen.shared}`);
  assert.ok(seen.restartsHolding > 50, `restarts with holdings: ${seen.restartsHolding}`);
  for (const reason of ['PoolRemoved', 'Reserved', 'FamilyNotWanted', 'NotRequested', 'SharingKeyMismatch']) {
    assert.ok((seen.releases.get(reason) ?? 0) > 0, `no ${reason} release in any run: ${JSON.stringify([...seen.releases])}`);
  }
  for (const reason of ['Satisfied', 'NoPool', 'PoolSelectorMismatch', 'OutOfIPs', 'RequestedIPUnavailable', 'IncompatibleSharing', 'DualStackUnsatisfied', 'InvalidRequest']) {
    assert.ok(seen.reasons.has(reason), `no ${reason} decision in any run: ${[...seen.reasons].join(', ')}`);
  }
});
