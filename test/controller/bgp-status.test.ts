// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// The Valid condition of BGPPeers and BGPAnnouncementPolicies, written by the controller leader
// against the API server: what the schema accepts but parsePeer / parseBgpPolicy refuse
// is False with the field named, one bad object leaves the others alone, fixing it flips it back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { desiredBgpPolicyStatus, desiredPeerStatus } from '../../src/controller/bgp-status.ts';
import { HERALD_GROUP, HERALD_VERSION, BGPPEER_PLURAL, BGPPOLICY_PLURAL } from '../../src/api/names.ts';
import type { BGPAnnouncementPolicy } from '../../src/api/generated/bgpannouncementpolicies.ts';
import type { BGPPeer } from '../../src/api/generated/bgppeers.ts';
import type { Condition } from '../../src/api/conditions.ts';
import { eventsFor, eventually, startCluster } from './harness.ts';
import type { Cluster } from './harness.ts';

const PEERS = { group: HERALD_GROUP, version: HERALD_VERSION, plural: BGPPEER_PLURAL };
const POLICIES = { group: HERALD_GROUP, version: HERALD_VERSION, plural: BGPPOLICY_PLURAL };
const T0 = new Date('2025-01-01T00:00:00Z');

function peer(name: string, spec: Partial<BGPPeer['spec']> = {}): BGPPeer {
  return { apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, kind: 'BGPPeer', metadata: { name }, spec: { peerAddress: '192.0.2.1', peerASN: 65001, localASN: 65000, ...spec } };
}

function policy(name: string, spec: BGPAnnouncementPolicy['spec'] = {}): BGPAnnouncementPolicy {
  return { apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, kind: 'BGPAnnouncementPolicy', metadata: { name }, spec };
}

describe('desiredPeerStatus / desiredBgpPolicyStatus', () => {
  it('True for valid objects, False with the parse error otherwise', () => {
    const ok = desiredPeerStatus({ ...peer('p'), metadata: { name: 'p', generation: 1 } }, T0);
    assert.deepEqual(ok?.status.conditions.map((c) => [c.status, c.reason, c.message]), [['True', 'Valid', 'the peer is in use']]);
    const bad = desiredBgpPolicyStatus({ ...policy('q', { communities: ['1:2:4294967296'] }), metadata: { name: 'q', generation: 2 } }, T0);
    assert.equal(bad?.status.observedGeneration, 2);
    assert.deepEqual(bad?.status.conditions.map((c) => [c.status, c.reason]), [['False', 'InvalidCommunity']]);
    assert.match(bad?.status.conditions[0]?.message ?? '', /spec\.communities\[0\].*the policy is ignored until this is fixed/);
  });
});

async function validWhen(c: Cluster, api: typeof PEERS, name: string, status: 'True' | 'False'): Promise<Condition> {
  return eventually(`${name} Valid=${status}`, async () => {
    const o: unknown = await c.clients.custom.getClusterCustomObject({ ...api, name });
    const x = o as { metadata: { generation?: number }; status?: { observedGeneration?: number; conditions?: Condition[] } };
    const v = x.status?.conditions?.find((k) => k.type === 'Valid');
    return v?.status === status && v.observedGeneration === x.metadata.generation && x.status?.observedGeneration === x.metadata.generation ? v : undefined;
  });
}

describe('controller: BGPPeer and BGPAnnouncementPolicy Valid conditions', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await c.startController();
  });
  after(async () => c.close());

  it('valid objects get Valid=True', async () => {
    await c.clients.custom.createClusterCustomObject({ ...PEERS, body: peer('tor1') });
    await c.clients.custom.createClusterCustomObject({ ...POLICIES, body: policy('all', { communities: ['65000:1'] }) });
    assert.equal((await validWhen(c, PEERS, 'tor1', 'True')).reason, 'Valid');
    assert.equal((await validWhen(c, POLICIES, 'all', 'True')).reason, 'Valid');
  });

  it('what only the parser refuses is False with the field named and an Event; the others are untouched', async () => {
    // 4294967296 fits the pattern's ten digits; only parseBgpPolicy sees it exceeds 32 bits.
    await c.clients.custom.createClusterCustomObject({ ...POLICIES, body: policy('bad', { communities: ['65000:1', '1:2:4294967296'] }) });
    const v = await validWhen(c, POLICIES, 'bad', 'False');
    assert.equal(v.reason, 'InvalidCommunity');
    assert.match(v.message, /spec\.communities\[1\]/);
    const ev = await eventually('InvalidPolicy event', async () => (await eventsFor(c, 'bad', 'default')).find((e) => e.reason === 'InvalidPolicy'));
    assert.equal(ev.involvedObject.kind, 'BGPAnnouncementPolicy');
    await validWhen(c, POLICIES, 'all', 'True');
    await validWhen(c, PEERS, 'tor1', 'True');
  });

  it('fixing it flips it to True', async () => {
    await c.clients.custom.patchClusterCustomObject({ ...POLICIES, name: 'bad', body: { spec: { communities: ['65000:1', '1:2:3'] } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    assert.equal((await validWhen(c, POLICIES, 'bad', 'True')).reason, 'Valid');
  });
});
