// The IPAM chaos checker must catch what it promises to catch: each invariant is fed a fabricated
// bad state and must name it, and the good state beside it must pass. Otherwise a chaos run of
// 10,000 sequences with 0 violations could mean a checker that looks at nothing (STYLE.md lesson
// 10: MetalLB's interop test once matched no fixture and passed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCheckpoint, INVARIANTS } from './ipam-invariants.ts';
import type { Checkpoint, Interval, Invariant, PoolStatusObs } from './ipam-invariants.ts';
import type { PoolSpec, PoolState, SvcState } from './ipam-oracle.ts';
import { WORLD } from './ipam-runner.ts';

const SAT = { status: 'True', reason: 'Satisfied', message: 'allocated', observedGeneration: 1 };

function svc(name: string, ips: string[], over: Partial<SvcState> = {}): SvcState {
  const [namespace, n] = name.includes('/') ? name.split('/') : ['apps', name];
  return {
    key: `${namespace ?? ''}/${n ?? ''}`,
    uid: `uid-${name}`,
    namespace: namespace ?? '',
    name: n ?? '',
    createdAt: 1000,
    generation: 1,
    deleting: false,
    type: 'LoadBalancer',
    cls: undefined,
    families: ['IPv4'],
    policy: 'SingleStack',
    labels: {},
    annotations: {},
    loadBalancerIP: undefined,
    ports: [{ protocol: 'TCP', port: 80 }],
    etp: 'Cluster',
    selector: { app: 'x' },
    ingress: ips.map((ip) => ({ ip, ipMode: 'VIP' })),
    condition: ips.length > 0 ? SAT : { status: 'False', reason: 'OutOfIPs', message: 'full', observedGeneration: 1 },
    ...over,
  };
}

function pool(name: string, spec: PoolSpec, createdAt = 500): PoolState {
  return { name, uid: `uid-${name}`, createdAt, generation: 1, spec, lastValid: spec };
}

function status(total: number, used: number, reserved = 0, conflict = false, valid = true): PoolStatusObs {
  return {
    ipsTotal: String(total),
    ipsUsed: String(used),
    ipsReserved: String(reserved),
    ipsAvailable: String(Math.max(0, total - used - reserved)),
    observedGeneration: 1,
    conditions: [
      { type: 'Conflict', status: conflict ? 'True' : 'False' },
      { type: 'Valid', status: valid ? 'True' : 'False' },
    ],
  };
}

/** A consistent world: pool "p" 198.51.100.8/30, a and b each holding one address, the controller agreeing. */
function good(services = [svc('a', ['198.51.100.8']), svc('b', ['198.51.100.9'])], p = pool('p', { blocks: [{ cidr: '198.51.100.8/30' }] })): Checkpoint {
  const held = new Set(services.flatMap((s) => s.ingress.map((i) => i.ip)));
  return {
    services,
    pools: [p],
    poolStatus: new Map([[p.name, status(4, held.size)]]),
    controller: {
      ips: new Map(services.map((s) => [s.key, s.ingress.map((i) => i.ip)])),
      outcomes: new Map(services.map((s) => [s.key, { satisfied: s.condition?.status === 'True', reason: s.condition?.reason ?? '' }])),
    },
  };
}

function interval(previous: Checkpoint | null, now: Checkpoint, over: Partial<Interval> = {}): Interval {
  const versions = new Map<string, SvcState[]>();
  for (const s of [...(previous?.services ?? []), ...now.services]) versions.set(s.uid, [...(versions.get(s.uid) ?? []), s]);
  return { previous, versions, poolSets: [previous?.pools ?? [], now.pools], restarted: false, ...over };
}

function found(cp: Checkpoint, iv: Interval = interval(null, cp)): Invariant[] {
  return [...new Set(checkCheckpoint(cp, iv, WORLD).map((v) => v.invariant))];
}

describe('IPAM chaos checker: catches each violation it promises to', () => {
  it('passes a consistent world, with and without history', () => {
    assert.deepEqual(checkCheckpoint(good(), interval(null, good()), WORLD), []);
    assert.deepEqual(checkCheckpoint(good(), interval(good(), good(), { restarted: true }), WORLD), []);
  });

  it('sharing: one address on two Services without a common key', () => {
    const cp = good([svc('a', ['198.51.100.8']), svc('b', ['198.51.100.8'], { ports: [{ protocol: 'TCP', port: 81 }] })]);
    assert.deepEqual(found(cp), ['sharing']);
  });

  it('sharing: two sharers with one port in common both reported Satisfied', () => {
    const key = { annotations: { 'herald.dev/sharing-key': 'k' } };
    const cp = good([svc('a', ['198.51.100.8'], key), svc('b', ['198.51.100.8'], key)]);
    assert.deepEqual(found(cp), ['sharing']);
  });

  it('in-pool: an address outside every pool, a reserved one, one of an unwanted family, one not requested', () => {
    assert.deepEqual(found(good([svc('a', ['198.51.100.20'])])), ['in-pool', 'pool-status']);
    const wide = pool('p', { blocks: [{ cidr: '198.51.100.0/29' }] });
    const reserved = good([svc('a', ['198.51.100.3'])], wide);
    reserved.poolStatus = new Map([['p', status(8, 1)]]);
    assert.deepEqual(found(reserved), ['in-pool']);
    assert.deepEqual(found(good([svc('a', ['198.51.100.8'], { families: ['IPv6'] })])), ['in-pool', 'service-status']);
    assert.deepEqual(found(good([svc('a', ['198.51.100.8'], { annotations: { 'herald.dev/ips': '198.51.100.9' } })])), ['in-pool', 'service-status']);
  });

  it('in-pool: a new address from a pool that does not select the Service', () => {
    const p = pool('p', { blocks: [{ cidr: '198.51.100.8/30' }], serviceSelector: { matchLabels: { tier: 'web' } } });
    assert.deepEqual(found(good([svc('a', ['198.51.100.8'])], p)), ['in-pool']);
    // Held before, it may stay (docs rule 3 (a): a selector that no longer matches moves nothing).
    const cp = good([svc('a', ['198.51.100.8'])], p);
    assert.deepEqual(found(cp, interval(cp, cp)), []);
  });

  it('reshuffle: an unedited Service moved across a restart', () => {
    const before = good([svc('a', ['198.51.100.8'])]);
    const after = good([svc('a', ['198.51.100.9'])]);
    assert.deepEqual(found(after, interval(before, after, { restarted: true })), ['reshuffle']);
    // A pool that stopped holding the address in between excuses the move.
    const shrunk = pool('p', { blocks: [{ cidr: '198.51.100.10/31' }] });
    assert.deepEqual(found(after, interval(before, after, { poolSets: [before.pools, [shrunk], after.pools] })), []);
  });

  it('reshuffle: across a restart, an older sharer whose key changed keeps the address; a younger one does not', () => {
    const k = (key: string): Partial<SvcState> => ({ annotations: { 'herald.dev/sharing-key': key } });
    const before = good([svc('b', ['198.51.100.8'], k('k'))]);
    // a joined after the checkpoint, then changed its key; the restart made them equals.
    const older = good([svc('a', ['198.51.100.8'], { ...k('k2'), createdAt: 900 }), svc('b', ['198.51.100.9'], k('k'))]);
    const iv = (after: Checkpoint): Interval => ({ ...interval(before, after, { restarted: true }), versions: new Map([['uid-a', [svc('a', [], { ...k('k'), createdAt: 900 }), ...after.services.filter((s) => s.key === 'apps/a')]], ['uid-b', [before.services[0] ?? svc('b', [])]]]) });
    assert.deepEqual(found(older, iv(older)), []);
    const younger = good([svc('a', ['198.51.100.8'], { ...k('k2'), createdAt: 2000 }), svc('b', ['198.51.100.9'], k('k'))]);
    assert.deepEqual(found(younger, iv(younger)), ['reshuffle']);
  });

  it('revoke: a sharer loses the address when its peer changes ports', () => {
    const key = { annotations: { 'herald.dev/sharing-key': 'k' } };
    const a = svc('a', ['198.51.100.8'], key);
    const b = svc('b', ['198.51.100.8'], { ...key, ports: [{ protocol: 'TCP', port: 81 }] });
    const before = good([a, b]);
    const bEdited = { ...b, ports: [{ protocol: 'TCP', port: 82 }] };
    const after = good([svc('a', ['198.51.100.9'], key), bEdited]);
    assert.deepEqual(found(after, interval(before, after)), ['revoke']);
  });

  it('service-status: status and controller disagree; a condition of an older generation', () => {
    const cp = good();
    cp.controller = { ...cp.controller, ips: new Map([...cp.controller.ips, ['apps/a', ['198.51.100.10']]]) };
    assert.deepEqual(found(cp), ['service-status']);
    const old = good([svc('a', ['198.51.100.8'], { generation: 2 })]);
    assert.deepEqual(found(old), ['service-status']);
  });

  it('service-status: a Service turned ClusterIP still carrying Herald condition', () => {
    const cp = good([svc('a', [], { type: 'ClusterIP', condition: SAT })]);
    cp.poolStatus = new Map([['p', status(4, 0)]]);
    assert.deepEqual(found(cp), ['service-status']);
  });

  it('pool-status: a wrong count, a missing conflict', () => {
    const cp = good();
    cp.poolStatus = new Map([['p', status(4, 1)]]);
    assert.deepEqual(found(cp), ['pool-status']);
    const newer = pool('q', { blocks: [{ cidr: '198.51.100.10/31' }] }, 900);
    const two = { ...good(), pools: [good().pools[0] ?? newer, newer], poolStatus: new Map([['p', status(4, 2)], ['q', status(2, 0)]]) };
    assert.deepEqual(found(two), ['pool-status']);
  });

  it('foreign: Herald condition or a pool address on another controller\'s Service', () => {
    const cls = { cls: 'example.com/other' };
    const touched = good([svc('a', ['192.0.2.10'], { ...cls, condition: SAT })]);
    touched.poolStatus = new Map([['p', status(4, 0)]]);
    touched.controller = { ips: new Map(), outcomes: new Map() };
    assert.deepEqual(found(touched), ['foreign']);
    const given = good([svc('a', ['198.51.100.8'], { ...cls, condition: undefined })]);
    given.poolStatus = new Map([['p', status(4, 0)]]);
    given.controller = { ips: new Map(), outcomes: new Map() };
    assert.deepEqual(found(given), ['foreign']);
  });

  it('stuck: a plain Service waits with OutOfIPs while its pool has room', () => {
    const cp = good([svc('a', ['198.51.100.8']), svc('b', [])]);
    cp.poolStatus = new Map([['p', status(4, 1)]]);
    assert.deepEqual(found(cp), ['stuck']);
  });

  it('names every invariant the bench counts (settle is the runner\'s own)', () => {
    assert.deepEqual([...INVARIANTS].sort(), ['foreign', 'in-pool', 'pool-status', 'reshuffle', 'revoke', 'service-status', 'settle', 'sharing', 'stuck']);
  });
});
