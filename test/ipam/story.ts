// Story tables for the allocator: an ordered list of steps against one allocator (and the world
// the controller would see), with expectations per step and invariants checked after every step.
import assert from 'node:assert/strict';
import { Allocator } from '../../src/ipam/allocator.ts';
import { parseIP } from '../../src/api/addr.ts';
import { keyMismatch } from '../../src/ipam/sharing.ts';
import { PoolSet } from '../../src/ipam/pool-set.ts';
import type { ConditionReason, Decision, PoolView, Release } from '../../src/ipam/types.ts';
import type { ServiceView } from '../../src/api/service.ts';

export interface Expect {
  ips?: readonly string[];
  satisfied?: boolean;
  reason?: ConditionReason;
  message?: RegExp;
  /** Defaults to [] (nothing new) when absent. */
  allocated?: readonly string[];
  /** [ip, reason, message?]; defaults to [] (nothing taken away) when absent. */
  released?: ReadonlyArray<readonly [string, Release['reason'], RegExp?]>;
}

export interface StatusExpect {
  total?: bigint;
  used?: bigint;
  reserved?: bigint;
  available?: bigint;
  conflict?: RegExp | false;
}

export type Step =
  | { step: 'pools'; pools: PoolView[]; errors?: Record<string, RegExp>; expect?: Record<string, Expect> }
  | { step: 'reserved'; reserved: Record<string, string>; expect?: Record<string, Expect> }
  | { step: 'apply'; services: ServiceView[]; expect?: Record<string, Expect> }
  | { step: 'all'; expect?: Record<string, Expect> }
  | { step: 'remove'; key: string; released: readonly string[] }
  | { step: 'restart'; expect?: Record<string, Expect> }
  | { step: 'status'; pools: Record<string, StatusExpect> };

export const pools = (list: PoolView[], expect?: Record<string, Expect>, errors?: Record<string, RegExp>): Step => ({
  step: 'pools',
  pools: list,
  ...(expect ? { expect } : {}),
  ...(errors ? { errors } : {}),
});
export const reserved = (r: Record<string, string>, expect?: Record<string, Expect>): Step => ({ step: 'reserved', reserved: r, ...(expect ? { expect } : {}) });
export const apply = (services: ServiceView[], expect?: Record<string, Expect>): Step => ({ step: 'apply', services, ...(expect ? { expect } : {}) });
export const all = (expect?: Record<string, Expect>): Step => ({ step: 'all', ...(expect ? { expect } : {}) });
export const remove = (key: string, released: readonly string[]): Step => ({ step: 'remove', key, released });
export const restart = (expect?: Record<string, Expect>): Step => ({ step: 'restart', ...(expect ? { expect } : {}) });
export const status = (p: Record<string, StatusExpect>): Step => ({ step: 'status', pools: p });

/** The controller's view of the world, and the allocator under test. */
export class World {
  allocator = new Allocator();
  pools: PoolView[] = [];
  reserved = new Map<string, string>();
  readonly services = new Map<string, ServiceView>();
  readonly decisions = new Map<string, Decision>();

  reconcile(views: readonly ServiceView[]): Decision[] {
    for (const v of views) this.services.set(v.key, v);
    const out = this.allocator.reconcile(views);
    assert.equal(out.length, views.length);
    out.forEach((d, i) => {
      assert.equal(d.key, views[i]?.key);
      this.decisions.set(d.key, d);
    });
    return out;
  }

  reconcileAll(): Decision[] {
    return this.reconcile([...this.services.values()]);
  }

  /** What the controller does on start-up: a fresh allocator fed the same inputs, status as currentIPs. */
  restart(): Decision[] {
    this.allocator = new Allocator();
    this.allocator.setPools(this.pools);
    this.allocator.setReserved(this.reserved);
    for (const [key, v] of this.services) this.services.set(key, { ...v, currentIPs: this.decisions.get(key)?.ips ?? [] });
    return this.reconcileAll();
  }
}

function checkDecisions(where: string, decisions: readonly Decision[], expect: Record<string, Expect> = {}): void {
  for (const key of Object.keys(expect)) {
    assert.ok(decisions.some((d) => d.key === key), `${where}: expected a decision for ${key}`);
  }
  for (const d of decisions) {
    const e = expect[d.key] ?? {};
    const at = `${where}, ${d.key} (${d.reason}: ${d.message})`;
    if (e.ips !== undefined) assert.deepEqual(d.ips, e.ips, `${at}: ips`);
    if (e.satisfied !== undefined) assert.equal(d.satisfied, e.satisfied, `${at}: satisfied`);
    if (e.reason !== undefined) assert.equal(d.reason, e.reason, `${at}: reason`);
    if (e.message !== undefined) assert.match(d.message, e.message, `${at}: message`);
    assert.equal(d.satisfied, d.reason === 'Satisfied', `${at}: satisfied iff reason Satisfied`);
    assert.deepEqual(d.allocated, e.allocated ?? [], `${at}: allocated`);
    assert.deepEqual(
      d.released.map((r) => [r.ip, r.reason]),
      (e.released ?? []).map(([ip, reason]) => [ip, reason]),
      `${at}: released ${JSON.stringify(d.released)}`,
    );
    (e.released ?? []).forEach(([, , message], i) => {
      if (message !== undefined) assert.match(d.released[i]?.message ?? '', message, `${at}: release message`);
    });
  }
}

/** Invariants that must hold after every step, whatever happened. */
export function checkInvariants(where: string, w: World): void {
  const a = w.allocator;
  const poolSet = new PoolSet(w.pools);
  const holders = new Map<string, string[]>();
  for (const key of a.heldKeys()) {
    for (const ip of a.ipsOf(key)) holders.set(ip, [...(holders.get(ip) ?? []), key]);
  }
  for (const [ip, keys] of holders) {
    const parsed = parseIP(ip);
    assert.ok(parsed.ok, `${where}: ${ip} parses`);
    // Every held address is in a valid pool, and not reserved.
    assert.ok(poolSet.containing(parsed.value) !== undefined, `${where}: ${ip} (held by ${keys.join(', ')}) is in no valid pool`);
    assert.equal(w.reserved.has(ip), false, `${where}: reserved ${ip} is held by ${keys.join(', ')}`);
    assert.deepEqual([...a.holdersOf(ip)], [...keys].sort(), `${where}: holdersOf(${ip})`);
    // Co-holders always share a key and accept each other's namespaces.
    for (const x of keys) {
      for (const y of keys) {
        if (x === y) continue;
        const vx = w.services.get(x);
        const vy = w.services.get(y);
        assert.ok(vx && vy);
        assert.equal(keyMismatch(vx, vy), null, `${where}: ${ip} held by ${x} and ${y}`);
      }
    }
  }
  // The allocator's memory follows allocations, not pool sizes.
  const s = a.stats();
  assert.equal(s.heldAddresses, holders.size, `${where}: held address count`);
  assert.ok(s.takenRuns <= s.heldAddresses + s.reservedAddresses, `${where}: taken index has ${s.takenRuns} runs`);
  // Pool status arithmetic.
  for (const st of a.poolStatuses()) {
    assert.ok(st.used >= 0n && st.reserved >= 0n && st.available >= 0n, `${where}: pool ${st.name} counts`);
    assert.ok(st.available <= st.total, `${where}: pool ${st.name} available ≤ total`);
  }
  // The decisions the controller last wrote agree with the allocator.
  for (const [key, d] of w.decisions) {
    if (w.services.has(key)) assert.deepEqual([...a.ipsOf(key)], [...d.ips], `${where}: ipsOf(${key}) vs last decision`);
  }
}

/** After a full reconcile the world is a fixed point: doing it again changes nothing. */
function checkIdempotent(where: string, w: World, before: readonly Decision[]): void {
  const again = w.allocator.reconcile([...w.services.values()]);
  again.forEach((d, i) => {
    const prev = before[i];
    assert.ok(prev);
    assert.deepEqual(
      { ips: d.ips, reason: d.reason, message: d.message, allocated: d.allocated, released: d.released },
      { ips: prev.ips, reason: prev.reason, message: prev.message, allocated: [], released: [] },
      `${where}: reconciling ${d.key} again is not a no-op`,
    );
  });
}

export function runStory(steps: readonly Step[], world = new World()): World {
  steps.forEach((s, i) => {
    const where = `step ${i + 1} (${s.step})`;
    let full: Decision[] | null = null;
    switch (s.step) {
      case 'pools': {
        world.pools = s.pools;
        const errors = world.allocator.setPools(s.pools);
        const want = s.errors ?? {};
        assert.deepEqual([...errors.keys()].sort(), Object.keys(want).sort(), `${where}: pool errors ${JSON.stringify([...errors])}`);
        for (const [name, re] of Object.entries(want)) assert.match(errors.get(name) ?? '', re, `${where}: error of ${name}`);
        full = world.reconcileAll();
        checkDecisions(where, full, s.expect);
        break;
      }
      case 'reserved':
        world.reserved = new Map(Object.entries(s.reserved));
        assert.deepEqual(world.allocator.setReserved(world.reserved), []);
        full = world.reconcileAll();
        checkDecisions(where, full, s.expect);
        break;
      case 'apply':
        checkDecisions(where, world.reconcile(s.services), s.expect);
        break;
      case 'all':
        full = world.reconcileAll();
        checkDecisions(where, full, s.expect);
        break;
      case 'remove': {
        const released = world.allocator.release(s.key);
        assert.deepEqual(released.map((r) => r.ip), s.released, `${where}: released`);
        assert.ok(released.every((r) => r.reason === 'ServiceGone'));
        world.services.delete(s.key);
        world.decisions.delete(s.key);
        assert.deepEqual(world.allocator.ipsOf(s.key), []);
        break;
      }
      case 'restart': {
        const before = new Map([...world.decisions].map(([k, d]) => [k, d.ips]));
        full = world.restart();
        const expect = s.expect ?? {};
        // Unless a story says otherwise, a restart keeps every address where it was.
        for (const d of full) if (expect[d.key] === undefined) assert.deepEqual(d.ips, before.get(d.key) ?? [], `${where}: ${d.key} moved`);
        checkDecisions(where, full, expect);
        break;
      }
      case 'status':
        for (const [name, e] of Object.entries(s.pools)) {
          const st = world.allocator.poolStatus(name);
          assert.ok(st, `${where}: no status for pool ${name}`);
          if (e.total !== undefined) assert.equal(st.total, e.total, `${where}: ${name} total`);
          if (e.used !== undefined) assert.equal(st.used, e.used, `${where}: ${name} used`);
          if (e.reserved !== undefined) assert.equal(st.reserved, e.reserved, `${where}: ${name} reserved`);
          if (e.available !== undefined) assert.equal(st.available, e.available, `${where}: ${name} available`);
          if (e.conflict === false) assert.equal(st.conflict.conflicting, false, `${where}: ${name} conflict`);
          else if (e.conflict !== undefined) {
            assert.ok(st.conflict.conflicting, `${where}: ${name} should conflict`);
            assert.match(st.conflict.message, e.conflict);
          }
        }
        break;
    }
    checkInvariants(where, world);
    if (full !== null) checkIdempotent(where, world, full);
  });
  return world;
}
