// The BGP desired state of one node (docs/bgp.md, "Which routes a node advertises"): sessions
// from the peers' nodeSelectors, and per peer the prefixes with their attributes, in tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { parseBgpPolicy, parsePeer, parsePeers } from '../../src/bgp/config.ts';
import type { BgpPolicyView, PeerView } from '../../src/bgp/config.ts';
import { aggregate, desiredRoutes } from '../../src/bgp/desired.ts';
import type { BgpDesiredState, RouteAttrs } from '../../src/bgp/desired.ts';
import { node, slice, svc } from '../speaker/fixtures.ts';

type Obj = Record<string, unknown>;

function peer(name: string, spec: Obj = {}, labels: Record<string, string> = {}): PeerView {
  const r = parsePeer({ metadata: { name, labels }, spec: { peerAddress: '192.0.2.1', peerASN: 65001, localASN: 65000, ...spec } });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function policy(name: string, spec: Obj = {}): BgpPolicyView {
  const r = parseBgpPolicy({ metadata: { name }, spec });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const NODES = [node('n1', { labels: { rack: 'r1' }, addresses: ['198.51.100.1'] }), node('n2', { labels: { rack: 'r2' }, addresses: ['198.51.100.2'] })];

interface Case {
  services: V1Service[];
  nodes?: V1Node[];
  slices?: V1EndpointSlice[];
  peers?: PeerView[];
  policies?: BgpPolicyView[];
  me?: string;
  defaultIpam?: 'pool' | 'node-ipam' | 'none';
}

function run(c: Case): BgpDesiredState {
  return desiredRoutes({
    me: c.me ?? 'n1',
    nodes: c.nodes ?? NODES,
    services: c.services,
    slices: c.slices ?? [],
    peers: c.peers ?? [peer('tor')],
    policies: c.policies ?? [policy('all')],
    adapter: { defaultServiceIpam: c.defaultIpam ?? 'pool', acceptAnnotations: new Set() },
  });
}

/** Peer → its prefixes, compactly. */
function prefixes(d: BgpDesiredState): Record<string, string[]> {
  return Object.fromEntries([...d.routes].map(([p, t]) => [p, [...t.keys()]]));
}

const PLAIN: RouteAttrs = { communities: [], largeCommunities: [], localPreference: null };

test('aggregate masks host bits, both families', () => {
  const cases: [string, number, string][] = [
    ['192.0.2.200', 32, '192.0.2.200/32'],
    ['192.0.2.200', 24, '192.0.2.0/24'],
    ['192.0.2.200', 25, '192.0.2.128/25'],
    ['192.0.2.200', 0, '0.0.0.0/0'],
    ['2001:db8:1:2::99', 128, '2001:db8:1:2::99/128'],
    ['2001:db8:1:2::99', 64, '2001:db8:1:2::/64'],
    ['2001:db8:1:2::99', 48, '2001:db8:1::/48'],
  ];
  for (const [ip, len, want] of cases) assert.equal(aggregate(ip, len), want, `${ip}/${len}`);
});

test('class filtering: herald.dev/bgp and unset are advertised; l2, node-ipam and foreign never', () => {
  const services = [
    svc('web/unset', { ingress: ['192.0.2.10'] }),
    svc('web/bgp', { cls: 'herald.dev/bgp', ingress: ['192.0.2.11'] }),
    svc('web/l2', { cls: 'herald.dev/l2', ingress: ['192.0.2.12'] }),
    svc('web/nodeipam', { cls: 'herald.dev/node-ipam', ingress: ['192.0.2.13'] }),
    svc('web/foreign', { cls: 'example.com/lb', ingress: ['192.0.2.14'] }),
    svc('web/clusterip', { type: 'ClusterIP', ingress: ['192.0.2.15'] }),
  ];
  const d = run({ services });
  assert.deepEqual(prefixes(d), { tor: ['192.0.2.10/32', '192.0.2.11/32'] });
  assert.deepEqual(d.routes.get('tor')?.get('192.0.2.10/32'), PLAIN);
  assert.deepEqual(d.services.get('192.0.2.11/32'), ['web/bgp']);
  // Unset-class Services are pool IPAM only with --default-service-ipam=pool.
  assert.deepEqual(prefixes(run({ services, defaultIpam: 'node-ipam' })), { tor: ['192.0.2.11/32'] });
  assert.deepEqual(prefixes(run({ services, defaultIpam: 'none' })), { tor: ['192.0.2.11/32'] });
});

test('loadBalancerIPs and externalIPs flags pick the addresses', () => {
  const s = [svc('web/a', { ingress: ['192.0.2.10'], externalIPs: ['192.0.2.50', '192.0.2.50'] })];
  const cases: [Obj, string[]][] = [
    [{}, ['192.0.2.10/32']],
    [{ externalIPs: true }, ['192.0.2.10/32', '192.0.2.50/32']],
    [{ loadBalancerIPs: false, externalIPs: true }, ['192.0.2.50/32']],
    [{ loadBalancerIPs: false }, []],
  ];
  for (const [spec, want] of cases) assert.deepEqual(prefixes(run({ services: s, policies: [policy('p', spec)] })), { tor: want }, JSON.stringify(spec));
});

test('a node that is NotReady, NetworkUnavailable, excluded or being deleted advertises nothing but keeps its sessions', () => {
  const s = [svc('web/a', { ingress: ['192.0.2.10'] })];
  const cases: [string, V1Node, BgpDesiredState['nodeProblem']][] = [
    ['not ready', node('n1', { ready: 'False' }), 'NotReady'],
    ['no Ready condition', node('n1', { ready: null }), 'NotReady'],
    ['network unavailable', node('n1', { networkUnavailable: true }), 'NetworkUnavailable'],
    ['excluded', node('n1', { labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } }), 'ExcludedByLabel'],
    ['deleting', node('n1', { deleting: true }), 'Deleting'],
  ];
  for (const [what, n1, problem] of cases) {
    const d = run({ services: s, nodes: [n1] });
    assert.equal(d.nodeProblem, problem, what);
    assert.deepEqual(d.sessions.map((p) => p.name), ['tor'], what);
    assert.deepEqual(prefixes(d), { tor: [] }, what);
  }
  // Cordoned nodes still advertise: BGP has no ranking, and kube-proxy still forwards.
  assert.deepEqual(prefixes(run({ services: s, nodes: [node('n1', { unschedulable: true })] })), { tor: ['192.0.2.10/32'] });
  const unknown = run({ services: s, me: 'n9' });
  assert.equal(unknown.nodeProblem, 'NodeUnknown');
  assert.deepEqual(unknown.sessions, []);
});

test('externalTrafficPolicy Local: only with a ready local endpoint, and never aggregated', () => {
  const s = [svc('web/a', { ingress: ['192.0.2.200'], local: true })];
  const agg = [policy('p', { aggregationLengthIPv4: 24 })];
  const cases: [string, V1EndpointSlice[], string[]][] = [
    ['no slices', [], []],
    ['endpoint on another node', [slice('web/a', ['n2'])], []],
    ['endpoint here but not ready', [slice('web/a', ['n2'], ['n1'])], []],
    ['ready endpoint here', [slice('web/a', ['n1'])], ['192.0.2.200/32']],
    ['a slice of another namespace does not count', [slice('other/a', ['n1'])], []],
  ];
  for (const [what, slices, want] of cases) assert.deepEqual(prefixes(run({ services: s, slices, policies: agg })), { tor: want }, what);
  // A shared address with a Local Service follows that Service's endpoints, for every Service on it.
  const shared = [svc('web/a', { ingress: ['192.0.2.200'], local: true }), svc('web/b', { ingress: ['192.0.2.200'] })];
  assert.deepEqual(prefixes(run({ services: shared, policies: agg })), { tor: [] });
  assert.deepEqual(prefixes(run({ services: shared, policies: agg, slices: [slice('web/a', ['n1'])] })), { tor: ['192.0.2.200/32'] });
});

test('aggregation: Cluster Services are advertised as the policy\'s prefix, per family', () => {
  const s = [svc('web/a', { ingress: ['192.0.2.200', '2001:db8:1:2::99'] }), svc('web/b', { ingress: ['192.0.2.10'] })];
  const d = run({ services: s, policies: [policy('p', { aggregationLengthIPv4: 24, aggregationLengthIPv6: 64 })] });
  assert.deepEqual(prefixes(d), { tor: ['192.0.2.0/24', '2001:db8:1:2::/64'] });
  assert.deepEqual(d.services.get('192.0.2.0/24'), ['web/a', 'web/b']);
  // Two policies with different lengths give both prefixes.
  const two = run({ services: s, policies: [policy('a', { aggregationLengthIPv4: 24 }), policy('b')] });
  assert.deepEqual(prefixes(two), { tor: ['192.0.2.0/24', '192.0.2.10/32', '192.0.2.200/32', '2001:db8:1:2::99/128'] });
});

test('node, peer and policy selectors', () => {
  const s = [svc('web/a', { ingress: ['192.0.2.10'], labels: { tier: 'front' } }), svc('db/b', { ingress: ['192.0.2.20'] })];
  const peers = [peer('tor-r1', { nodeSelector: { matchLabels: { rack: 'r1' } } }, { role: 'tor' }), peer('tor-r2', { nodeSelector: { matchLabels: { rack: 'r2' } } }, { role: 'tor' }), peer('edge', { peerAddress: '192.0.2.2' }, { role: 'edge' })];
  const policies = [
    policy('front-to-tor', { serviceSelector: { matchLabels: { tier: 'front' } }, peerSelector: { matchLabels: { role: 'tor' } } }),
    policy('db-from-r2', { serviceSelector: { matchLabels: { 'io.kubernetes.service.namespace': 'db' } }, nodeSelector: { matchLabels: { rack: 'r2' } } }),
  ];
  const n1 = run({ services: s, peers, policies });
  assert.deepEqual(n1.sessions.map((p) => p.name), ['edge', 'tor-r1']);
  assert.deepEqual(prefixes(n1), { edge: [], 'tor-r1': ['192.0.2.10/32'] });
  const n2 = run({ services: s, peers, policies, me: 'n2' });
  assert.deepEqual(n2.sessions.map((p) => p.name), ['edge', 'tor-r2']);
  assert.deepEqual(prefixes(n2), { edge: ['192.0.2.20/32'], 'tor-r2': ['192.0.2.10/32', '192.0.2.20/32'] });
  // No valid policy: sessions still run, nothing is advertised.
  assert.deepEqual(prefixes(run({ services: s, peers, policies: [] })), { edge: [], 'tor-r1': [] });
});

test('communities are merged over policies; local preference goes to iBGP peers only, the highest wins', () => {
  const s = [svc('web/a', { ingress: ['192.0.2.10'] })];
  const policies = [
    policy('a', { communities: ['65000:200', 'no-export', '1:2:3'], localPreference: 100 }),
    policy('b', { communities: ['65000:100', '65000:200', '1:2:3', '1:1:9'], localPreference: 300 }),
    policy('c', {}),
  ];
  const peers = [peer('ebgp'), peer('ibgp', { peerAddress: '192.0.2.3', peerASN: 65000 })];
  const d = run({ services: s, peers, policies });
  const want = { communities: [65000 * 65536 + 100, 65000 * 65536 + 200, 0xffffff01], largeCommunities: [{ global: 1, local1: 1, local2: 9 }, { global: 1, local1: 2, local2: 3 }] };
  assert.deepEqual(d.routes.get('ebgp')?.get('192.0.2.10/32'), { ...want, localPreference: null });
  assert.deepEqual(d.routes.get('ibgp')?.get('192.0.2.10/32'), { ...want, localPreference: 300 });
  // A policy without localPreference does not unset another's.
  const one = run({ services: s, peers, policies: [policy('c'), policy('a', { localPreference: 50 })] });
  assert.equal(one.routes.get('ibgp')?.get('192.0.2.10/32')?.localPreference, 50);
});

test('a family the peer does not carry is left out', () => {
  const s = [svc('web/a', { ingress: ['192.0.2.10', '2001:db8::10'] })];
  const peers = [peer('v4', { families: ['ipv4-unicast'] }), peer('v6', { peerAddress: '2001:db8::1', families: ['ipv6-unicast'] }), peer('both', { peerAddress: '192.0.2.4' })];
  assert.deepEqual(prefixes(run({ services: s, peers })), { both: ['192.0.2.10/32', '2001:db8::10/128'], v4: ['192.0.2.10/32'], v6: ['2001:db8::10/128'] });
});

test('node addresses are never advertised, whichever node has them', () => {
  const s = [svc('web/a', { ingress: ['198.51.100.2', '192.0.2.10'], externalIPs: ['198.51.100.1'] })];
  const d = run({ services: s, policies: [policy('p', { externalIPs: true })] });
  assert.deepEqual(prefixes(d), { tor: ['192.0.2.10/32'] });
  assert.deepEqual(d.skipped.map((x) => [x.ip, x.reason]), [['198.51.100.1', 'NodeAddress'], ['198.51.100.2', 'NodeAddress']]);
  assert.match(d.skipped[0]?.message ?? '', /InternalIP of node n1/);
});

test('a Service being deleted is withdrawn; an invalid request keeps its addresses advertised', () => {
  const gone = svc('web/a', { ingress: ['192.0.2.10'] });
  gone.metadata = { ...gone.metadata, deletionTimestamp: new Date(0) };
  const invalid = svc('web/b', { ingress: ['192.0.2.11'], annotations: { 'herald.dev/ips': 'not-an-ip' } });
  assert.deepEqual(prefixes(run({ services: [gone, invalid] })), { tor: ['192.0.2.11/32'] });
});

test('one invalid peer does not affect the others', () => {
  const parsed = parsePeers([
    { metadata: { name: 'good' }, spec: { peerAddress: '192.0.2.1', peerASN: 65001, localASN: 65000 } },
    { metadata: { name: 'bad' }, spec: { peerAddress: '192.0.2.300', peerASN: 65001, localASN: 65000 } },
  ]);
  assert.equal(parsed.errors.get('bad')?.code, 'InvalidAddress');
  const d = run({ services: [svc('web/a', { ingress: ['192.0.2.10'] })], peers: parsed.valid });
  assert.deepEqual(prefixes(d), { good: ['192.0.2.10/32'] });
});

test('output is deterministic: prefixes in address order whatever the input order', () => {
  const s = [svc('web/c', { ingress: ['2001:db8::1'] }), svc('web/b', { ingress: ['192.0.2.9'] }), svc('web/a', { ingress: ['192.0.2.10'] })];
  const a = run({ services: s });
  const b = run({ services: [...s].reverse() });
  assert.deepEqual(prefixes(a), { tor: ['192.0.2.9/32', '192.0.2.10/32', '2001:db8::1/128'] });
  assert.deepEqual([...a.routes.get('tor') ?? []], [...b.routes.get('tor') ?? []]);
});
