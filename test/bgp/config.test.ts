// BGPPeer and BGPAnnouncementPolicy parsing (src/bgp/config.ts): defaults, the FSM's numbers,
// router IDs, communities, and an error value with a stable code for each kind of mistake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Node } from '@kubernetes/client-node';
import { bgpValidCondition, localConfigFor, parseBgpPolicies, parseBgpPolicy, parsePeer, parsePeers, routerIdForNode } from '../../src/bgp/config.ts';
import type { BgpConfigErrorCode, PeerView } from '../../src/bgp/config.ts';

type Obj = Record<string, unknown>;

function peerObj(name: string, spec: Obj, labels: Record<string, string> = {}): Obj {
  return { apiVersion: 'herald.dev/v1alpha1', kind: 'BGPPeer', metadata: { name, labels }, spec: { peerAddress: '192.0.2.1', peerASN: 65001, localASN: 65000, ...spec } };
}

function policyObj(name: string, spec: Obj): Obj {
  return { apiVersion: 'herald.dev/v1alpha1', kind: 'BGPAnnouncementPolicy', metadata: { name }, spec };
}

function okPeer(spec: Obj, labels: Record<string, string> = {}): PeerView {
  const r = parsePeer(peerObj('p', spec, labels));
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

function nodeWith(name: string, addresses: { type: string; address: string }[]): V1Node {
  return { metadata: { name }, status: { addresses } };
}

test('a minimal peer gets the documented defaults', () => {
  const p = okPeer({}, { rack: 'r1' });
  assert.deepEqual(p, {
    name: 'p',
    labels: { rack: 'r1' },
    peerAddress: '192.0.2.1',
    peerFamily: 'IPv4',
    peerASN: 65001,
    localASN: 65000,
    ibgp: false,
    peerPort: 179,
    holdTimeSeconds: 90,
    keepaliveSeconds: null,
    connectRetrySeconds: 5,
    password: null,
    nodeSelector: null,
    ttl: 1,
    minTtl: null,
    routerId: null,
    families: ['ipv4-unicast', 'ipv6-unicast'],
    gracefulRestart: { enabled: true, restartTimeSeconds: 120 },
    sourceAddress: null,
    passive: false,
    bfd: null,
  });
});

test('BFD: absent is off; an empty object takes FRR\'s defaults, 300 ms × 3; each field is carried', () => {
  assert.equal(okPeer({}).bfd, null);
  assert.deepEqual(okPeer({ bfd: {} }).bfd, { minRxMs: 300, minTxMs: 300, detectMultiplier: 3 });
  assert.deepEqual(okPeer({ bfd: { minRxMs: 100, minTxMs: 50, detectMultiplier: 1 } }).bfd, { minRxMs: 100, minTxMs: 50, detectMultiplier: 1 });
});

test('every field is carried through, addresses canonical', () => {
  const p = okPeer({
    peerAddress: '2001:DB8:0::1',
    peerASN: 4200000000,
    localASN: 4200000001,
    peerPort: 1179,
    holdTimeSeconds: 9,
    keepaliveTimeSeconds: 2,
    connectRetrySeconds: 30,
    passwordSecretRef: { name: 'tor-md5', key: 'password' },
    nodeSelector: { matchLabels: { rack: 'r1' } },
    ebgpMultihop: 3,
    routerID: '192.0.2.77',
    families: ['ipv6-unicast'],
    gracefulRestart: { enabled: false, restartTimeSeconds: 300 },
    sourceAddress: '2001:db8::a',
    passive: true,
  });
  assert.equal(p.peerAddress, '2001:db8::1');
  assert.equal(p.peerFamily, 'IPv6');
  assert.equal(p.routerId, (192 << 24 >>> 0) + (0 << 16) + (2 << 8) + 77);
  assert.deepEqual(p.password, { secretName: 'tor-md5', key: 'password' });
  assert.deepEqual(p.nodeSelector, { matchLabels: { rack: 'r1' }, matchExpressions: [] });
  assert.equal(p.ttl, 3);
  assert.deepEqual(p.families, ['ipv6-unicast']);
  assert.deepEqual(p.gracefulRestart, { enabled: false, restartTimeSeconds: 300 });
  assert.equal(p.sourceAddress, '2001:db8::a');
  assert.equal(p.passive, true);
});

test('TTL: eBGP 1 or ebgpMultihop, iBGP 255; GTSM sends 255 and accepts 256 - hops (RFC 5082)', () => {
  const cases: [Obj, number, number | null][] = [
    [{}, 1, null],
    [{ ebgpMultihop: 2 }, 2, null],
    [{ peerASN: 65000 }, 255, null],
    [{ gtsm: true }, 255, 255],
    [{ gtsm: true, ebgpMultihop: 3 }, 255, 253],
    [{ gtsm: true, peerASN: 65000 }, 255, 255],
  ];
  for (const [spec, ttl, minTtl] of cases) {
    const p = okPeer(spec);
    assert.deepEqual([p.ttl, p.minTtl], [ttl, minTtl], JSON.stringify(spec));
  }
});

test('families keep a fixed order and drop duplicates', () => {
  assert.deepEqual(okPeer({ families: ['ipv6-unicast', 'ipv4-unicast', 'ipv6-unicast'] }).families, ['ipv4-unicast', 'ipv6-unicast']);
});

// [what, spec override, code, fragment of the message]
const BAD_PEERS: [string, Obj, BgpConfigErrorCode, string][] = [
  ['no peerAddress', { peerAddress: undefined }, 'InvalidAddress', 'spec.peerAddress'],
  ['hostname as peer', { peerAddress: 'tor1.example' }, 'InvalidAddress', 'spec.peerAddress'],
  ['IPv4 shorthand', { peerAddress: '10.1' }, 'InvalidAddress', 'spec.peerAddress'],
  ['ASN 0', { peerASN: 0 }, 'InvalidSpec', 'spec.peerASN'],
  ['ASN beyond 32 bits', { localASN: 4294967296 }, 'InvalidSpec', 'spec.localASN'],
  ['ASN as text', { peerASN: '65001' }, 'InvalidSpec', 'spec.peerASN'],
  ['AS_TRANS', { localASN: 23456 }, 'InvalidSpec', 'AS_TRANS'],
  ['hold time 2', { holdTimeSeconds: 2 }, 'InvalidSpec', 'RFC 4271 §4.2'],
  ['hold time fraction', { holdTimeSeconds: 4.5 }, 'InvalidSpec', 'spec.holdTimeSeconds'],
  ['keepalive not below hold', { holdTimeSeconds: 9, keepaliveTimeSeconds: 9 }, 'InvalidSpec', 'spec.keepaliveTimeSeconds'],
  ['keepalive 0 with a hold time', { keepaliveTimeSeconds: 0 }, 'InvalidSpec', 'spec.keepaliveTimeSeconds'],
  ['keepalive with hold time 0', { holdTimeSeconds: 0, keepaliveTimeSeconds: 1 }, 'InvalidSpec', 'spec.keepaliveTimeSeconds'],
  ['port 0', { peerPort: 0 }, 'InvalidSpec', 'spec.peerPort'],
  ['connect retry 0', { connectRetrySeconds: 0 }, 'InvalidSpec', 'spec.connectRetrySeconds'],
  ['secret ref without key', { passwordSecretRef: { name: 's' } }, 'InvalidSpec', 'spec.passwordSecretRef'],
  ['multihop on iBGP', { peerASN: 65000, ebgpMultihop: 2 }, 'InvalidSpec', 'spec.ebgpMultihop'],
  ['multihop 256', { ebgpMultihop: 256 }, 'InvalidSpec', 'spec.ebgpMultihop'],
  ['router ID 0.0.0.0', { routerID: '0.0.0.0' }, 'InvalidAddress', 'spec.routerID'],
  ['router ID IPv6', { routerID: '2001:db8::1' }, 'InvalidAddress', 'spec.routerID'],
  ['unknown family', { families: ['l2vpn-evpn'] }, 'InvalidSpec', 'spec.families'],
  ['no family', { families: [] }, 'InvalidSpec', 'spec.families'],
  ['restart time 4096', { gracefulRestart: { restartTimeSeconds: 4096 } }, 'InvalidSpec', 'spec.gracefulRestart.restartTimeSeconds'],
  ['source of the other family', { sourceAddress: '2001:db8::a' }, 'InvalidAddress', 'spec.sourceAddress'],
  ['passive as text', { passive: 'yes' }, 'InvalidSpec', 'spec.passive'],
  ['bfd as true', { bfd: true }, 'InvalidSpec', 'spec.bfd'],
  ['bfd interval under 10 ms', { bfd: { minRxMs: 5 } }, 'InvalidSpec', 'spec.bfd.minRxMs'],
  ['bfd interval over a minute', { bfd: { minTxMs: 60001 } }, 'InvalidSpec', 'spec.bfd.minTxMs'],
  ['bfd multiplier 0', { bfd: { detectMultiplier: 0 } }, 'InvalidSpec', 'spec.bfd.detectMultiplier'],
  ['bfd multiplier 256', { bfd: { detectMultiplier: 256 } }, 'InvalidSpec', 'spec.bfd.detectMultiplier'],
  ['In without values', { nodeSelector: { matchExpressions: [{ key: 'rack', operator: 'In' }] } }, 'InvalidSelector', 'spec.nodeSelector'],
  ['unknown operator', { nodeSelector: { matchExpressions: [{ key: 'rack', operator: 'Equals', values: ['a'] }] } }, 'InvalidSelector', 'spec.nodeSelector'],
];

test('each mistake in a peer is an error value with a stable code, naming the field', () => {
  for (const [what, spec, code, fragment] of BAD_PEERS) {
    const r = parsePeer(peerObj('bad', spec));
    assert.ok(!r.ok, what);
    assert.equal(r.name, 'bad', what);
    assert.equal(r.error.code, code, `${what}: ${r.error.message}`);
    assert.ok(r.error.message.includes(fragment), `${what}: "${fragment}" not in "${r.error.message}"`);
  }
  for (const o of [null, 'x', { metadata: { name: 'n' } }, { spec: {} }]) {
    const r = parsePeer(o);
    assert.ok(!r.ok && r.error.code === 'InvalidSpec');
  }
});

test('one bad peer leaves the others parsed; the result is sorted by name', () => {
  const r = parsePeers([peerObj('b', {}), peerObj('bad', { peerASN: 0 }), peerObj('a', { peerAddress: '192.0.2.2' })]);
  assert.deepEqual(r.valid.map((p) => p.name), ['a', 'b']);
  assert.deepEqual([...r.errors.keys()], ['bad']);
});

test('router ID: spec, else the first IPv4 InternalIP, else ExternalIP, else a stable non-zero hash of the name', () => {
  const internal = nodeWith('n1', [{ type: 'InternalIP', address: '2001:db8::5' }, { type: 'ExternalIP', address: '203.0.113.5' }, { type: 'InternalIP', address: '198.51.100.5' }]);
  assert.equal(routerIdForNode(internal), 0xc6336405);
  assert.equal(routerIdForNode(nodeWith('n1', [{ type: 'ExternalIP', address: '203.0.113.5' }])), 0xcb007105);
  const v6only = nodeWith('worker-7', [{ type: 'InternalIP', address: '2001:db8::7' }]);
  const h = routerIdForNode(v6only);
  assert.ok(h > 0 && h <= 0xffffffff && Number.isInteger(h));
  assert.equal(routerIdForNode(nodeWith('worker-7', [])), h, 'the same name gives the same ID');
  assert.notEqual(routerIdForNode(nodeWith('worker-8', [])), h);
  // FNV-1a 32 of "worker-7", pinned: a change would renumber every IPv6-only node's sessions.
  assert.equal(h, 0x6df928bb);
  assert.equal(localConfigFor(okPeer({ routerID: '192.0.2.9' }), internal).routerId, 0xc0000209);
});

test('localConfigFor: the FSM configuration, keepalive a third of the hold time unless set', () => {
  const n = nodeWith('n1', [{ type: 'InternalIP', address: '198.51.100.5' }]);
  assert.deepEqual(localConfigFor(okPeer({}), n), {
    asn: 65000,
    peerAsn: 65001,
    routerId: 0xc6336405,
    holdTimeSeconds: 90,
    keepaliveSeconds: 30,
    connectRetrySeconds: 5,
    active: true,
    families: ['ipv4-unicast', 'ipv6-unicast'],
    gracefulRestart: { enabled: true, restartTimeSeconds: 120 },
  });
  assert.equal(localConfigFor(okPeer({ holdTimeSeconds: 10 }), n).keepaliveSeconds, 3);
  assert.equal(localConfigFor(okPeer({ holdTimeSeconds: 0 }), n).keepaliveSeconds, 0);
  assert.equal(localConfigFor(okPeer({ holdTimeSeconds: 30, keepaliveTimeSeconds: 5 }), n).keepaliveSeconds, 5);
  assert.equal(localConfigFor(okPeer({ passive: true }), n).active, false);
});

test('a policy gets the documented defaults', () => {
  const r = parseBgpPolicy(policyObj('all', {}));
  assert.ok(r.ok);
  assert.deepEqual(r.value, {
    name: 'all',
    serviceSelector: null,
    nodeSelector: null,
    peerSelector: null,
    communities: [],
    largeCommunities: [],
    localPreference: null,
    aggregationLengthIPv4: 32,
    aggregationLengthIPv6: 128,
    loadBalancerIPs: true,
    externalIPs: false,
  });
});

test('communities: standard as uint32, well-known names, large as triples; sorted and deduplicated', () => {
  const r = parseBgpPolicy(policyObj('c', { communities: ['65000:100', 'no-export', '1:2:3', '0:0', '65535:65535', '65000:100', '4294967295:0:1', '1:2:3', 'blackhole', 'no-advertise', 'no-export-subconfed', 'no-peer'] }));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.deepEqual(r.value.communities, [0, (65000 * 65536 + 100), 0xffff029a, 0xffffff01, 0xffffff02, 0xffffff03, 0xffffff04, 0xffffffff].sort((a, b) => a - b));
  assert.deepEqual(r.value.largeCommunities, [{ global: 1, local1: 2, local2: 3 }, { global: 4294967295, local1: 0, local2: 1 }]);
});

const BAD_POLICIES: [string, Obj, BgpConfigErrorCode, string][] = [
  ['community half beyond 16 bits', { communities: ['65536:1'] }, 'InvalidCommunity', 'spec.communities[0]'],
  ['large community beyond 32 bits', { communities: ['1:2:3', '4294967296:0:0'] }, 'InvalidCommunity', 'spec.communities[1]'],
  ['unknown name', { communities: ['no-exports'] }, 'InvalidCommunity', 'spec.communities[0]'],
  ['codec spelling NO_EXPORT', { communities: ['NO_EXPORT'] }, 'InvalidCommunity', 'spec.communities[0]'],
  ['community as number', { communities: [100] }, 'InvalidCommunity', 'spec.communities[0]'],
  ['four parts', { communities: ['1:2:3:4'] }, 'InvalidCommunity', 'spec.communities[0]'],
  ['communities as text', { communities: '65000:1' }, 'InvalidCommunity', 'spec.communities'],
  ['local preference negative', { localPreference: -1 }, 'InvalidSpec', 'spec.localPreference'],
  ['IPv4 aggregation 33', { aggregationLengthIPv4: 33 }, 'InvalidSpec', 'spec.aggregationLengthIPv4'],
  ['IPv6 aggregation 129', { aggregationLengthIPv6: 129 }, 'InvalidSpec', 'spec.aggregationLengthIPv6'],
  ['flag as text', { externalIPs: 'true' }, 'InvalidSpec', 'spec.externalIPs'],
  ['bad peer selector', { peerSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } }, 'InvalidSelector', 'spec.peerSelector'],
  ['bad service selector', { serviceSelector: { matchLabels: { a: 1 } } }, 'InvalidSelector', 'spec.serviceSelector'],
];

test('each mistake in a policy is an error value with a stable code, naming the field', () => {
  for (const [what, spec, code, fragment] of BAD_POLICIES) {
    const r = parseBgpPolicy(policyObj('bad', spec));
    assert.ok(!r.ok, what);
    assert.equal(r.error.code, code, `${what}: ${r.error.message}`);
    assert.ok(r.error.message.includes(fragment), `${what}: "${fragment}" not in "${r.error.message}"`);
  }
  const all = parseBgpPolicies([policyObj('z', {}), policyObj('bad', { communities: ['x'] }), policyObj('a', {})]);
  assert.deepEqual(all.valid.map((p) => p.name), ['a', 'z']);
  assert.equal(all.errors.get('bad')?.code, 'InvalidCommunity');
});

test('the Valid condition names the kind and says what happens', () => {
  const now = new Date('2025-01-01T00:00:00Z');
  assert.deepEqual(bgpValidCondition('peer', null, 3, now), { type: 'Valid', status: 'True', reason: 'Valid', message: 'the peer is in use', observedGeneration: 3, lastTransitionTime: now.toISOString() });
  const bad = bgpValidCondition('policy', { code: 'InvalidCommunity', message: 'spec.communities[0]: x' }, undefined, now);
  assert.deepEqual([bad.status, bad.reason, bad.message, 'observedGeneration' in bad], ['False', 'InvalidCommunity', 'spec.communities[0]: x; the policy is ignored until this is fixed', false]);
});
