// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// The L2AnnouncementPolicy Valid condition, written by the controller leader against the API
// server: valid policies are True, an interface pattern only parsePolicy can reject is
// False with the field named, fixing it flips it back, and one bad policy leaves the others alone.
// The pure part (desiredPolicyStatus) is checked first, without a server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { desiredPolicyStatus } from '../../src/controller/l2policy-status.ts';
import { HERALD_GROUP, L2POLICY_PLURAL, HERALD_VERSION } from '../../src/api/names.ts';
import type { L2AnnouncementPolicy } from '../../src/api/generated/l2announcementpolicies.ts';
import type { Condition } from '../../src/api/conditions.ts';
import { eventsFor, eventually, startCluster } from './harness.ts';
import type { Cluster } from './harness.ts';

const API = { group: HERALD_GROUP, version: HERALD_VERSION, plural: L2POLICY_PLURAL };
const T0 = new Date('2025-01-01T00:00:00Z');
const T1 = new Date('2025-01-01T00:05:00Z');

/** A policy to create; with `extra`, one as read back from the server. */
function policy(name: string, spec: L2AnnouncementPolicy['spec'], extra: { generation?: number; conditions?: Condition[] } = {}): L2AnnouncementPolicy {
  return {
    apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`,
    kind: 'L2AnnouncementPolicy',
    metadata: { name, ...(extra.generation === undefined ? {} : { generation: extra.generation, resourceVersion: '7' }) },
    spec,
    ...(extra.conditions === undefined ? {} : { status: { observedGeneration: extra.generation, conditions: extra.conditions } }),
  };
}

describe('desiredPolicyStatus', () => {
  it('says True for a valid policy and nothing once the object says it', () => {
    const w = desiredPolicyStatus(policy('p', { interfaces: ['eth[0-9]+'] }, { generation: 1 }), T0);
    assert.ok(w !== null);
    assert.equal(w.resourceVersion, '7');
    assert.deepEqual(w.status.conditions.map((c) => [c.type, c.status, c.reason, c.observedGeneration, c.lastTransitionTime]), [['Valid', 'True', 'Valid', 1, T0.toISOString()]]);
    assert.equal(w.changed?.status, 'True');
    assert.equal(desiredPolicyStatus(policy('p', { interfaces: ['eth[0-9]+'] }, { generation: 1, conditions: w.status.conditions }), T1), null);
  });

  it('keeps lastTransitionTime when only the generation moves, and other conditions as they are', () => {
    const valid: Condition = { type: 'Valid', status: 'True', reason: 'Valid', message: 'the policy is in use', observedGeneration: 1, lastTransitionTime: T0.toISOString() };
    const other: Condition = { type: 'example.com/Audited', status: 'True', reason: 'Seen', message: 'x', lastTransitionTime: T0.toISOString() };
    const w = desiredPolicyStatus(policy('p', {}, { generation: 2, conditions: [other, { ...valid }] }), T1);
    assert.ok(w !== null);
    assert.equal(w.changed, null, 'same verdict: no Event');
    assert.equal(w.status.observedGeneration, 2);
    assert.deepEqual(w.status.conditions, [other, { ...valid, observedGeneration: 2 }]);
  });

  it('moves lastTransitionTime when the verdict flips', () => {
    const valid: Condition = { type: 'Valid', status: 'True', reason: 'Valid', message: 'the policy is in use', observedGeneration: 1, lastTransitionTime: T0.toISOString() };
    const w = desiredPolicyStatus(policy('p', { interfaces: ['eth('] }, { generation: 2, conditions: [valid] }), T1);
    assert.ok(w !== null);
    assert.deepEqual(w.status.conditions.map((c) => [c.status, c.reason, c.lastTransitionTime]), [['False', 'InvalidInterfaceRegex', T1.toISOString()]]);
    assert.equal(w.changed?.reason, 'InvalidInterfaceRegex');
  });
});

async function create(c: Cluster, p: L2AnnouncementPolicy): Promise<void> {
  await c.clients.custom.createClusterCustomObject({ ...API, body: p });
}

async function get(c: Cluster, name: string): Promise<L2AnnouncementPolicy> {
  const o: unknown = await c.clients.custom.getClusterCustomObject({ ...API, name });
  if (!isPolicy(o)) throw new Error(`not an L2AnnouncementPolicy: ${JSON.stringify(o)}`);
  return o;
}

function isPolicy(v: unknown): v is L2AnnouncementPolicy {
  return typeof v === 'object' && v !== null && 'metadata' in v && typeof v.metadata === 'object' && v.metadata !== null && 'spec' in v && typeof v.spec === 'object';
}

function validOf(p: L2AnnouncementPolicy): Condition | undefined {
  return p.status?.conditions?.find((k) => k.type === 'Valid');
}

/** Waits until the policy's Valid condition has `status` for its current generation. */
async function validWhen(c: Cluster, name: string, status: 'True' | 'False'): Promise<Condition> {
  return eventually(`${name} Valid=${status}`, async () => {
    const p = await get(c, name);
    const v = validOf(p);
    return v?.status === status && v.observedGeneration === p.metadata.generation && p.status?.observedGeneration === p.metadata.generation ? v : undefined;
  });
}

describe('controller: L2AnnouncementPolicy Valid condition', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await c.startController();
  });
  after(async () => c.close());

  it('a valid policy gets Valid=True', async () => {
    await create(c, policy('good', { interfaces: ['eth[0-9]+'], nodeSelector: { matchLabels: { 'herald.dev/l2': 'yes' } } }));
    const v = await validWhen(c, 'good', 'True');
    assert.equal(v.reason, 'Valid');
  });

  it('an interface pattern the schema accepts but is no regex gets Valid=False, naming the field; others are unaffected', async () => {
    const good = validOf(await get(c, 'good'));
    // "eth(" passes the schema (a string of 1–256 characters); only parsePolicy sees it is no regex.
    await create(c, policy('bad', { interfaces: ['eno1', 'eth('] }));
    const v = await validWhen(c, 'bad', 'False');
    assert.equal(v.reason, 'InvalidInterfaceRegex');
    assert.match(v.message, /spec\.interfaces\[1\]/);
    assert.match(v.message, /"eth\("/);
    assert.match(v.message, /ignored until this is fixed/);
    const ev = await eventually('InvalidPolicy event', async () => (await eventsFor(c, 'bad', 'default')).find((e) => e.reason === 'InvalidPolicy'));
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.involvedObject.kind, 'L2AnnouncementPolicy');
    assert.deepEqual(validOf(await get(c, 'good')), good, 'the valid policy was not touched');
  });

  it('fixing the pattern flips it to True, with a new lastTransitionTime', async () => {
    const before = await validWhen(c, 'bad', 'False');
    await new Promise((r) => setTimeout(r, 1_100)); // RFC 3339 times have whole seconds
    await c.clients.custom.patchClusterCustomObject({ ...API, name: 'bad', body: { spec: { interfaces: ['eno1', 'eth\\('] } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const v = await validWhen(c, 'bad', 'True');
    assert.equal(v.reason, 'Valid');
    assert.notEqual(v.lastTransitionTime, before.lastTransitionTime);
  });

  it('a Valid condition written by someone else is put right', async () => {
    const p = await get(c, 'good');
    const forged: Condition = { type: 'Valid', status: 'False', reason: 'InvalidSpec', message: 'forged', observedGeneration: p.metadata.generation, lastTransitionTime: new Date().toISOString() };
    await c.clients.custom.patchClusterCustomObjectStatus({ ...API, name: 'good', body: { status: { conditions: [forged] } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const v = await validWhen(c, 'good', 'True');
    assert.equal(v.reason, 'Valid');
  });

  it('an edit that keeps the verdict bumps observedGeneration and keeps lastTransitionTime', async () => {
    const before = await validWhen(c, 'good', 'True');
    await c.clients.custom.patchClusterCustomObject({ ...API, name: 'good', body: { spec: { externalIPs: true } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const p = await eventually('good observed at generation 2', async () => {
      const x = await get(c, 'good');
      return x.metadata.generation === 2 && validOf(x)?.observedGeneration === 2 ? x : undefined;
    });
    assert.equal(validOf(p)?.lastTransitionTime, before.lastTransitionTime);
    assert.equal(p.status?.observedGeneration, 2);
  });
});
