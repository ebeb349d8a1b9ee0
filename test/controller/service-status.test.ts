import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Service } from '@kubernetes/client-node';
import { clearedServiceStatus, desiredServiceStatus } from '../../src/controller/service-status.ts';
import { CONDITION_IPAM } from '../../src/api/names.ts';

const now = new Date('2026-01-02T03:04:05Z');
const svc = (status: V1Service['status'] = {}): V1Service => ({ metadata: { name: 's', namespace: 'n', generation: 3 }, spec: { type: 'LoadBalancer' }, status });
const ok = { ips: ['192.0.2.1'], satisfied: true, reason: 'Satisfied' as const, message: 'allocated 192.0.2.1 from pool "p"' };

describe('desiredServiceStatus', () => {
  it('writes ingress with ipMode VIP and the condition with observedGeneration', () => {
    const st = desiredServiceStatus(svc(), ok, now);
    assert.deepEqual(st?.loadBalancer?.ingress, [{ ip: '192.0.2.1', ipMode: 'VIP' }]);
    const c = st?.conditions?.find((x) => x.type === CONDITION_IPAM);
    assert.equal(c?.status, 'True');
    assert.equal(c?.observedGeneration, 3);
    assert.deepEqual(c?.lastTransitionTime, now);
  });

  it('returns null when the object already says exactly this (no write)', () => {
    const st = desiredServiceStatus(svc(), ok, now);
    assert.equal(desiredServiceStatus(svc(st ?? {}), ok, new Date()), null);
  });

  it('keeps lastTransitionTime while the status does not flip, moves it when it does', () => {
    const first = desiredServiceStatus(svc(), ok, now) ?? {};
    const later = new Date('2026-02-02T00:00:00Z');
    const sameStatus = desiredServiceStatus(svc(first), { ...ok, message: 'other words' }, later);
    assert.deepEqual(sameStatus?.conditions?.[0]?.lastTransitionTime, now);
    const flipped = desiredServiceStatus(svc(first), { ips: [], satisfied: false, reason: 'OutOfIPs', message: 'full' }, later);
    assert.deepEqual(flipped?.conditions?.[0]?.lastTransitionTime, later);
  });

  it("leaves other controllers' conditions alone", () => {
    const other = { type: 'example.com/Other', status: 'True', reason: 'X', message: 'y', lastTransitionTime: now };
    const st = desiredServiceStatus(svc({ conditions: [other] }), ok, now);
    assert.deepEqual(st?.conditions?.[0], other);
    assert.equal(st?.conditions?.length, 2);
  });
});

describe('clearedServiceStatus', () => {
  it('clears only a status Herald wrote', () => {
    assert.equal(clearedServiceStatus(svc({ loadBalancer: { ingress: [{ ip: '192.0.2.9' }] } })), null);
    const ours = desiredServiceStatus(svc(), ok, now) ?? {};
    const cleared = clearedServiceStatus(svc(ours));
    assert.deepEqual(cleared?.loadBalancer, {});
    assert.deepEqual(cleared?.conditions, []);
  });
});
