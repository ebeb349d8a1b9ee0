// The reconcile pass without any API server: snapshots in, writes and Events out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Service } from '@kubernetes/client-node';
import { IpamReconciler } from '../../src/controller/reconciler.ts';
import type { PassResult, Snapshot } from '../../src/controller/reconciler.ts';
import type { IPPool } from '../../src/api/generated/ippools.ts';

const now = new Date('2026-03-01T00:00:00Z');
const pool = (name: string, spec: IPPool['spec']): IPPool => ({ metadata: { name, creationTimestamp: new Date('2026-01-01T00:00:00Z'), generation: 1 }, spec });
let seq = 0;
const svc = (name: string, over: Partial<NonNullable<V1Service['spec']>> = {}, annotations: Record<string, string> = {}): V1Service => ({
  metadata: { name, namespace: 'a', uid: `uid-${name}`, generation: 1, annotations, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, seq++)) },
  spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80, protocol: 'TCP' }], ...over },
});
const snap = (services: V1Service[], pools: IPPool[], malformed: [string, string][] = []): Snapshot => ({ services, pools, nodes: [], slices: [], malformedPools: new Map(malformed) });
const all = { all: true, keys: new Set<string>(), topology: false };
const only = (...keys: string[]) => ({ all: false, keys: new Set(keys), topology: false });

/** Applies the pass's Service writes to the objects, as the API server would. */
function applyWrites(services: V1Service[], r: PassResult): V1Service[] {
  return services.map((s) => {
    const w = r.serviceWrites.find((x) => x.key === `a/${s.metadata?.name}`);
    return w === undefined ? s : { ...s, status: w.status };
  });
}
const ipsIn = (r: PassResult, name: string) => r.serviceWrites.find((w) => w.key === `a/${name}`)?.status.loadBalancer?.ingress?.map((i) => i.ip);

describe('IpamReconciler', () => {
  it('writes nothing for a foreign class, and nothing twice for an unchanged world', () => {
    const rec = new IpamReconciler({ defaultServiceIpam: 'pool', acceptAnnotations: new Set() });
    let services = [svc('mine'), svc('theirs', { loadBalancerClass: 'example.com/x' })];
    const pools = [pool('p', { blocks: [{ cidr: '192.0.2.0/30' }] })];
    const r1 = rec.pass(snap(services, pools), all, now);
    assert.deepEqual(r1.serviceWrites.map((w) => w.key), ['a/mine']);
    assert.equal(r1.events.filter((e) => e.name === 'theirs').length, 0);
    services = applyWrites(services, r1);
    const r2 = rec.pass(snap(services, pools), all, now);
    assert.deepEqual(r2.serviceWrites, []);
    assert.deepEqual(r2.events, []);
  });

  it('regression (issue #2): a pool edited into an invalid block keeps its Services where they are', () => {
    const rec = new IpamReconciler({ defaultServiceIpam: 'pool', acceptAnnotations: new Set() });
    let services = [svc('x')];
    const r1 = rec.pass(snap(services, [pool('p', { blocks: [{ cidr: '192.0.2.0/30' }] })]), all, now);
    assert.deepEqual(ipsIn(r1, 'x'), ['192.0.2.0']);
    services = applyWrites(services, r1);
    const broken = pool('p', { blocks: [{ cidr: '192.0.2.1/30' }] });
    const r2 = rec.pass(snap(services, [broken]), only(), now);
    assert.deepEqual(r2.serviceWrites, [], 'no Service status changes');
    assert.equal(r2.poolWrites[0]?.status.conditions?.find((c) => c.type === 'Valid')?.status, 'False');
    assert.ok(r2.events.some((e) => e.reason === 'InvalidPool'));
    // The broken pool gives nothing new.
    const r3 = rec.pass(snap([...services, svc('y')], [broken]), only('a/y'), now);
    assert.equal(r3.serviceWrites.find((w) => w.key === 'a/y')?.status.conditions?.[0]?.status, 'False');
  });

  it('a malformed pool shape (cidr and start together) is Valid=False and gives nothing', () => {
    const rec = new IpamReconciler({ defaultServiceIpam: 'pool', acceptAnnotations: new Set() });
    const p = pool('p', { blocks: [{ cidr: '192.0.2.0/30', start: '192.0.2.1' }] });
    const r = rec.pass(snap([svc('x')], [p], [['p', 'spec.blocks[0]: give either cidr or start/stop, not both']]), all, now);
    assert.match(r.poolWrites[0]?.status.conditions?.find((c) => c.type === 'Valid')?.message ?? '', /not both/);
    assert.equal(ipsIn(r, 'x')?.length ?? 0, 0);
  });

  it('an edit that breaks sharing is reported on both holders in one pass', () => {
    const rec = new IpamReconciler({ defaultServiceIpam: 'pool', acceptAnnotations: new Set() });
    const key = { 'herald.dev/sharing-key': 'k' };
    let services = [svc('t', { selector: { app: 'd' } }, key), svc('u', { selector: { app: 'd' }, ports: [{ port: 81, protocol: 'TCP' }] }, key)];
    const pools = [pool('p', { blocks: [{ cidr: '192.0.2.0/30' }] })];
    services = applyWrites(services, rec.pass(snap(services, pools), all, now));
    assert.deepEqual(services.map((s) => s.status?.loadBalancer?.ingress?.[0]?.ip), ['192.0.2.0', '192.0.2.0']);
    const edited = services.map((s) => (s.metadata?.name === 't' ? { ...s, metadata: { ...s.metadata, generation: 2 }, spec: { ...s.spec, externalTrafficPolicy: 'Local' } } : s));
    const r = rec.pass(snap(edited, pools), only('a/t'), now);
    const reasons = r.serviceWrites.map((w) => [w.key, w.status.conditions?.[0]?.reason, w.status.loadBalancer?.ingress?.[0]?.ip]);
    assert.deepEqual(reasons.sort(), [['a/t', 'IncompatibleSharing', '192.0.2.0'], ['a/u', 'IncompatibleSharing', '192.0.2.0']]);
  });

  it('freed addresses go to waiting Services in the same pass', () => {
    const rec = new IpamReconciler({ defaultServiceIpam: 'pool', acceptAnnotations: new Set() });
    const pools = [pool('p', { blocks: [{ start: '192.0.2.7' }] })];
    let services = [svc('holder'), svc('waiter')];
    const r1 = rec.pass(snap(services, pools), all, now);
    services = applyWrites(services, r1);
    const waiter = services[1];
    assert.ok(waiter !== undefined);
    assert.equal(waiter.status?.conditions?.[0]?.reason, 'OutOfIPs');
    const r2 = rec.pass(snap([waiter], pools), only('a/holder'), now);
    assert.deepEqual(ipsIn(r2, 'waiter'), ['192.0.2.7']);
  });
});
