// The BGPPeer and BGPAnnouncementPolicy CRDs: structural, described, cluster-scoped, with the
// defaults, columns and CEL rules docs/bgp.md promises. Checked twice: against the test's own
// schema walker (with a JavaScript twin of every CEL rule), and through the dev API server,
// which loads deploy/crds, defaults what is created and rejects what the schema refuses.
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv4, isIPv6 } from 'node:net';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { arr, isObj, loadYamlDocs, obj, str, structuralProblems, validate } from './schema-check.ts';
import type { CelTwins, Obj } from './schema-check.ts';
import { startDevApiServer } from '../../src/devapi/server.ts';
import type { DevApiServer } from '../../src/devapi/server.ts';
import { parseBgpPolicy, parsePeer } from '../../src/bgp/config.ts';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const docs = loadYamlDocs(DEPLOY);

function crdOf(name: string, file: string): { crd: Obj; version: Obj; schema: Obj } {
  const d = docs.find((x) => x.doc['kind'] === 'CustomResourceDefinition' && obj(x.doc['metadata'], 'metadata')['name'] === name);
  assert.ok(d !== undefined, `deploy/ has no CRD ${name}`);
  assert.equal(d.file, file);
  assert.equal(d.doc['apiVersion'], 'apiextensions.k8s.io/v1');
  const crd = obj(d.doc['spec'], 'CRD spec');
  const version = obj(arr(crd['versions'], 'versions')[0], 'versions[0]');
  return { crd, version, schema: obj(obj(version['schema'], 'schema')['openAPIV3Schema'], 'openAPIV3Schema') };
}

const PEER = crdOf('bgppeers.herald.dev', 'crds/herald.dev_bgppeers.yaml');
const POLICY = crdOf('bgpannouncementpolicies.herald.dev', 'crds/herald.dev_bgpannouncementpolicies.yaml');

function at(schema: Obj, ...path: string[]): Obj {
  let s = schema;
  for (const p of path) s = p === '[]' ? obj(s['items'], `items of ${p}`) : obj(obj(s['properties'], `properties before ${p}`)[p], p);
  return s;
}

const has = (o: Obj, k: string): boolean => Object.hasOwn(o, k);
const num = (o: Obj, k: string, dflt: number): number => (typeof o[k] === 'number' ? o[k] : dflt);
const CEL: CelTwins = new Map<string, (self: Obj) => boolean>([
  [
    "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)",
    (s) => {
      const n = Array.isArray(s['values']) ? s['values'].length : 0;
      return s['operator'] === 'In' || s['operator'] === 'NotIn' ? n > 0 : n === 0;
    },
  ],
  ['!has(self.holdTimeSeconds) || self.holdTimeSeconds == 0 || self.holdTimeSeconds >= 3', (s) => !has(s, 'holdTimeSeconds') || s['holdTimeSeconds'] === 0 || num(s, 'holdTimeSeconds', 0) >= 3],
  [
    '!has(self.keepaliveTimeSeconds) || (self.keepaliveTimeSeconds == 0 ? (has(self.holdTimeSeconds) && self.holdTimeSeconds == 0) : self.keepaliveTimeSeconds < (has(self.holdTimeSeconds) ? self.holdTimeSeconds : 90))',
    (s) => !has(s, 'keepaliveTimeSeconds') || (s['keepaliveTimeSeconds'] === 0 ? s['holdTimeSeconds'] === 0 : num(s, 'keepaliveTimeSeconds', 0) < num(s, 'holdTimeSeconds', 90)),
  ],
  ['!has(self.ebgpMultihop) || self.peerASN != self.localASN', (s) => !has(s, 'ebgpMultihop') || s['peerASN'] !== s['localASN']],
  ["!has(self.sourceAddress) || self.sourceAddress.contains(':') == self.peerAddress.contains(':')", (s) => !has(s, 'sourceAddress') || String(s['sourceAddress']).includes(':') === String(s['peerAddress']).includes(':')],
  ["!has(self.routerID) || self.routerID != '0.0.0.0'", (s) => s['routerID'] !== '0.0.0.0'],
  ['self.peerASN != 23456 && self.localASN != 23456', (s) => s['peerASN'] !== 23456 && s['localASN'] !== 23456],
]);

function celRules(schema: Obj): string[] {
  const rules: string[] = [];
  const walk = (s: Obj): void => {
    for (const v of Array.isArray(s['x-kubernetes-validations']) ? s['x-kubernetes-validations'] : []) rules.push(String(obj(v, 'rule')['rule']));
    for (const child of [...Object.values(obj(s['properties'] ?? {}, 'properties')), s['items']]) if (child !== undefined) walk(obj(child, 'child'));
  };
  walk(schema);
  return rules;
}

test('both CRDs: cluster-scoped, v1alpha1, status subresource, short names', () => {
  for (const [{ crd, version }, names] of [
    [PEER, { kind: 'BGPPeer', listKind: 'BGPPeerList', plural: 'bgppeers', singular: 'bgppeer', shortNames: ['bgppeer', 'hbgpp'] }],
    [POLICY, { kind: 'BGPAnnouncementPolicy', listKind: 'BGPAnnouncementPolicyList', plural: 'bgpannouncementpolicies', singular: 'bgpannouncementpolicy', shortNames: ['bgppolicy', 'hbgpap'] }],
  ] as const) {
    assert.equal(crd['group'], 'herald.dev');
    assert.equal(crd['scope'], 'Cluster');
    assert.deepEqual(crd['names'], names);
    assert.equal(arr(crd['versions'], 'versions').length, 1);
    assert.deepEqual([version['name'], version['served'], version['storage']], ['v1alpha1', true, true]);
    assert.deepEqual(version['subresources'], { status: {} });
  }
});

test('the schemas are structural, every property described, every CEL rule twinned here', () => {
  assert.deepEqual(structuralProblems(PEER.schema), []);
  assert.deepEqual(structuralProblems(POLICY.schema), []);
  const rules = [...celRules(PEER.schema), ...celRules(POLICY.schema)];
  assert.ok(rules.length >= 9);
  for (const r of rules) assert.ok(CEL.has(r), `no twin for CEL rule ${r}`);
});

test('printer columns', () => {
  const cols = (v: Obj): unknown[][] => arr(v['additionalPrinterColumns'], 'columns').map((c) => obj(c, 'column')).map((c) => [c['name'], c['type'], c['jsonPath']]);
  assert.deepEqual(cols(PEER.version), [
    ['Peer Address', 'string', '.spec.peerAddress'],
    ['Peer ASN', 'integer', '.spec.peerASN'],
    ['Local ASN', 'integer', '.spec.localASN'],
    ['Valid', 'string', '.status.conditions[?(@.type=="Valid")].status'],
    ['Age', 'date', '.metadata.creationTimestamp'],
  ]);
  assert.deepEqual(cols(POLICY.version), [
    ['Valid', 'string', '.status.conditions[?(@.type=="Valid")].status'],
    ['LB IPs', 'boolean', '.spec.loadBalancerIPs'],
    ['External IPs', 'boolean', '.spec.externalIPs'],
    ['Age', 'date', '.metadata.creationTimestamp'],
  ]);
});

test('the address patterns agree with node:net, and the router ID pattern takes IPv4 only', () => {
  const ipPattern = new RegExp(str(at(PEER.schema, 'spec', 'peerAddress')['pattern'], 'pattern'));
  assert.equal(at(PEER.schema, 'spec', 'sourceAddress')['pattern'], at(PEER.schema, 'spec', 'peerAddress')['pattern']);
  const v4 = new RegExp(str(at(PEER.schema, 'spec', 'routerID')['pattern'], 'pattern'));
  // node:net accepts the IPv4-suffixed IPv6 form, which the CRDs refuse (see herald.dev_ippools.yaml).
  const netSays = (s: string): boolean => isIPv4(s) || (isIPv6(s) && !s.includes('.') && !s.includes('%'));
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 40 }), fc.ipV4Extended()), (s) => {
      assert.equal(ipPattern.test(s), netSays(s), s);
      assert.equal(v4.test(s), isIPv4(s), s);
    }),
    { numRuns: 2000 },
  );
});

test('the community pattern takes what the parser takes, apart from the 32-bit range of large ones', () => {
  const p = new RegExp(str(at(POLICY.schema, 'spec', 'communities', '[]')['pattern'], 'pattern'));
  const ok = ['0:0', '65535:65535', '65000:100', 'no-export', 'no-advertise', 'no-export-subconfed', 'no-peer', 'blackhole', '1:2:3', '4294967295:4294967295:4294967295'];
  const bad = ['65536:0', '0:65536', '01:1', 'NO_EXPORT', 'no-exports', '1:2:3:4', '1', ':1', '-1:0', 'graceful-shutdown'];
  for (const c of ok) assert.ok(p.test(c), c);
  for (const c of bad) assert.ok(!p.test(c), c);
  const parses = (c: string): boolean => parseBgpPolicy({ metadata: { name: 'x' }, spec: { communities: [c] } }).ok;
  fc.assert(
    fc.property(fc.oneof(fc.tuple(fc.nat(70000), fc.nat(70000)).map(([a, b]) => `${a}:${b}`), fc.string({ maxLength: 12 }), fc.tuple(fc.nat(), fc.nat(), fc.nat()).map((t) => t.join(':'))), (c) => {
      if (p.test(c) !== parses(c)) assert.ok(c.split(':').length === 3 && p.test(c) && !parses(c), `pattern and parser disagree on ${c}`);
    }),
    { numRuns: 2000 },
  );
});

const GOOD_PEER = (): Obj => ({
  apiVersion: 'herald.dev/v1alpha1',
  kind: 'BGPPeer',
  metadata: { name: 'tor1', labels: { role: 'tor' } },
  spec: {
    peerAddress: '192.0.2.1',
    peerASN: 65001,
    localASN: 4200000000,
    peerPort: 179,
    holdTimeSeconds: 90,
    keepaliveTimeSeconds: 30,
    connectRetrySeconds: 5,
    passwordSecretRef: { name: 'tor1-md5', key: 'password' },
    nodeSelector: { matchExpressions: [{ key: 'rack', operator: 'In', values: ['r1'] }] },
    ebgpMultihop: 2,
    routerID: '192.0.2.21',
    families: ['ipv4-unicast'],
    gracefulRestart: { enabled: true, restartTimeSeconds: 120 },
    sourceAddress: '192.0.2.21',
    gtsm: false,
    passive: false,
  },
  status: { observedGeneration: 1, conditions: [{ type: 'Valid', status: 'True', reason: 'Valid', message: 'the peer is in use', lastTransitionTime: '2025-01-01T00:00:00Z' }] },
});

const GOOD_POLICY = (): Obj => ({
  apiVersion: 'herald.dev/v1alpha1',
  kind: 'BGPAnnouncementPolicy',
  metadata: { name: 'web' },
  spec: {
    serviceSelector: { matchLabels: { app: 'web' } },
    nodeSelector: { matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' }] },
    peerSelector: { matchLabels: { role: 'tor' } },
    communities: ['65000:100', 'no-export', '65000:1:2'],
    localPreference: 200,
    aggregationLengthIPv4: 24,
    aggregationLengthIPv6: 64,
    loadBalancerIPs: true,
    externalIPs: true,
  },
});

const spec = (o: Obj): Obj => obj(o['spec'], 'spec');

// [what, how to break it, a fragment of the expected error]
const BAD_PEERS: [string, (o: Obj) => void, string][] = [
  ['no peerAddress', (o) => delete spec(o)['peerAddress'], 'missing required field peerAddress'],
  ['no localASN', (o) => delete spec(o)['localASN'], 'missing required field localASN'],
  ['hostname peer', (o) => (spec(o)['peerAddress'] = 'tor1.example'), '.spec.peerAddress: "tor1.example" does not match pattern'],
  ['ASN 0', (o) => (spec(o)['peerASN'] = 0), '.spec.peerASN: below 1'],
  ['ASN 2^32', (o) => (spec(o)['localASN'] = 4294967296), '.spec.localASN: above 4294967295'],
  ['AS_TRANS', (o) => (spec(o)['peerASN'] = 23456), 'AS_TRANS'],
  ['hold time 2', (o) => (spec(o)['holdTimeSeconds'] = 2), 'holdTimeSeconds must be 0'],
  ['keepalive equal to hold', (o) => (spec(o)['keepaliveTimeSeconds'] = 90), 'keepaliveTimeSeconds must be less than holdTimeSeconds'],
  ['keepalive 0 with hold 90', (o) => (spec(o)['keepaliveTimeSeconds'] = 0), 'keepaliveTimeSeconds must be less than holdTimeSeconds'],
  ['keepalive above the default hold', (o) => { delete spec(o)['holdTimeSeconds']; spec(o)['keepaliveTimeSeconds'] = 100; }, 'keepaliveTimeSeconds must be less than holdTimeSeconds'],
  ['port 0', (o) => (spec(o)['peerPort'] = 0), '.spec.peerPort: below 1'],
  ['retry 0', (o) => (spec(o)['connectRetrySeconds'] = 0), '.spec.connectRetrySeconds: below 1'],
  ['secret without key', (o) => (spec(o)['passwordSecretRef'] = { name: 's' }), '.spec.passwordSecretRef: missing required field key'],
  ['secret name upper case', (o) => (spec(o)['passwordSecretRef'] = { name: 'S', key: 'k' }), '.spec.passwordSecretRef.name: "S" does not match pattern'],
  ['multihop 0', (o) => (spec(o)['ebgpMultihop'] = 0), '.spec.ebgpMultihop: below 1'],
  ['multihop on iBGP', (o) => (spec(o)['peerASN'] = spec(o)['localASN']), 'ebgpMultihop applies to eBGP sessions only'],
  ['router ID IPv6', (o) => (spec(o)['routerID'] = '2001:db8::1'), '.spec.routerID: "2001:db8::1" does not match pattern'],
  ['router ID 0.0.0.0', (o) => (spec(o)['routerID'] = '0.0.0.0'), 'routerID must not be 0.0.0.0'],
  ['unknown family', (o) => (spec(o)['families'] = ['l2vpn-evpn']), '.spec.families[0]: "l2vpn-evpn" not in enum'],
  ['no family', (o) => (spec(o)['families'] = []), '.spec.families: fewer than 1 items'],
  ['restart time 0', (o) => (spec(o)['gracefulRestart'] = { restartTimeSeconds: 0 }), '.spec.gracefulRestart.restartTimeSeconds: below 1'],
  ['source of the other family', (o) => (spec(o)['sourceAddress'] = '2001:db8::21'), 'sourceAddress must be of the same family'],
  ['gtsm as text', (o) => (spec(o)['gtsm'] = 'true'), '.spec.gtsm: expected boolean'],
  ['misspelt field', (o) => (spec(o)['holdTime'] = 90), '.spec.holdTime: unknown field'],
  ['In without values', (o) => (spec(o)['nodeSelector'] = { matchExpressions: [{ key: 'a', operator: 'In' }] }), 'operators In and NotIn need values'],
];

const BAD_POLICIES: [string, (o: Obj) => void, string][] = [
  ['no spec', (o) => delete o['spec'], 'missing required field spec'],
  ['community 65536:1', (o) => (spec(o)['communities'] = ['65536:1']), '.spec.communities[0]: "65536:1" does not match pattern'],
  ['community name in codec spelling', (o) => (spec(o)['communities'] = ['NO_EXPORT']), 'does not match pattern'],
  ['65 communities', (o) => (spec(o)['communities'] = Array.from({ length: 65 }, (_, i) => `65000:${i}`)), '.spec.communities: more than 64 items'],
  ['local preference beyond 32 bits', (o) => (spec(o)['localPreference'] = 4294967296), '.spec.localPreference: above 4294967295'],
  ['IPv4 aggregation 33', (o) => (spec(o)['aggregationLengthIPv4'] = 33), '.spec.aggregationLengthIPv4: above 32'],
  ['IPv6 aggregation 129', (o) => (spec(o)['aggregationLengthIPv6'] = 129), '.spec.aggregationLengthIPv6: above 128'],
  ['flag as text', (o) => (spec(o)['externalIPs'] = 'yes'), '.spec.externalIPs: expected boolean'],
  ['unknown operator', (o) => (spec(o)['peerSelector'] = { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] }), 'not in enum'],
  ['misspelt field', (o) => (spec(o)['community'] = []), '.spec.community: unknown field'],
];

test('the schemas reject the mistakes users make, naming the field, and accept the unbroken objects', () => {
  assert.deepEqual(validate(PEER.schema, GOOD_PEER(), CEL), []);
  assert.deepEqual(validate(POLICY.schema, GOOD_POLICY(), CEL), []);
  for (const [schema, good, cases] of [[PEER.schema, GOOD_PEER, BAD_PEERS], [POLICY.schema, GOOD_POLICY, BAD_POLICIES]] as const) {
    for (const [what, breakIt, want] of cases) {
      const o = good();
      breakIt(o);
      const errors = validate(schema, o, CEL);
      assert.ok(errors.some((e) => e.includes(want)), `${what}: expected "${want}" in ${JSON.stringify(errors.slice(0, 5))}`);
    }
  }
  // What the schema accepts, the speakers accept too.
  assert.ok(parsePeer(GOOD_PEER()).ok);
  assert.ok(parseBgpPolicy(GOOD_POLICY()).ok);
});

describe('through the dev API server (deploy/crds loaded)', () => {
  let server: DevApiServer;
  before(async () => {
    server = await startDevApiServer({ host: '127.0.0.1', port: 0, crdDirs: [] });
  });
  after(async () => server.close());

  async function post(plural: string, body: Obj): Promise<{ status: number; body: Obj }> {
    const r = await fetch(`${server.url}/apis/herald.dev/v1alpha1/${plural}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const parsed: unknown = await r.json();
    return { status: r.status, body: isObj(parsed) ? parsed : {} };
  }

  it('a minimal BGPPeer gets every default, and parses to the same numbers', async () => {
    const r = await post('bgppeers', { apiVersion: 'herald.dev/v1alpha1', kind: 'BGPPeer', metadata: { name: 'min' }, spec: { peerAddress: '2001:db8::1', peerASN: 65001, localASN: 65000 } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(spec(r.body), {
      peerAddress: '2001:db8::1',
      peerASN: 65001,
      localASN: 65000,
      peerPort: 179,
      holdTimeSeconds: 90,
      connectRetrySeconds: 5,
      families: ['ipv4-unicast', 'ipv6-unicast'],
      gracefulRestart: { enabled: true, restartTimeSeconds: 120 },
      gtsm: false,
      passive: false,
    });
    const p = parsePeer(r.body);
    assert.ok(p.ok);
    assert.equal(p.value.keepaliveSeconds, null, 'keepalive stays derived');
  });

  it('a minimal BGPAnnouncementPolicy gets every default', async () => {
    const r = await post('bgpannouncementpolicies', { apiVersion: 'herald.dev/v1alpha1', kind: 'BGPAnnouncementPolicy', metadata: { name: 'all' }, spec: {} });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(spec(r.body), { aggregationLengthIPv4: 32, aggregationLengthIPv6: 128, loadBalancerIPs: true, externalIPs: false });
  });

  it('invalid values are refused with 422 and the field paths', async () => {
    const peer = GOOD_PEER();
    Object.assign(spec(peer), { peerAddress: 'tor1', peerASN: 0, families: ['evpn'], gracefulRestart: { restartTimeSeconds: 5000 } });
    const r = await post('bgppeers', peer);
    assert.equal(r.status, 422);
    const fields = arr(obj(r.body['details'], 'details')['causes'], 'causes').map((c) => String(obj(c, 'cause')['field']));
    for (const f of ['spec.peerAddress', 'spec.peerASN', 'spec.families[0]', 'spec.gracefulRestart.restartTimeSeconds']) assert.ok(fields.includes(f), `${f} not in ${JSON.stringify(fields)}`);
    const pol = GOOD_POLICY();
    Object.assign(spec(pol), { communities: ['65000:100', '70000:1'], aggregationLengthIPv6: 129 });
    const q = await post('bgpannouncementpolicies', pol);
    assert.equal(q.status, 422);
    const qf = arr(obj(q.body['details'], 'details')['causes'], 'causes').map((c) => String(obj(c, 'cause')['field']));
    for (const f of ['spec.communities[1]', 'spec.aggregationLengthIPv6']) assert.ok(qf.includes(f), `${f} not in ${JSON.stringify(qf)}`);
  });
});

test('every example BGPPeer and BGPAnnouncementPolicy validates against its schema and parses', () => {
  const peers = docs.filter((d) => d.file.startsWith('examples/') && d.doc['kind'] === 'BGPPeer');
  const policies = docs.filter((d) => d.file.startsWith('examples/') && d.doc['kind'] === 'BGPAnnouncementPolicy');
  assert.ok(peers.length >= 2 && policies.length >= 2, `found ${peers.length} peers, ${policies.length} policies`);
  for (const e of peers) {
    assert.deepEqual(validate(PEER.schema, e.doc, CEL), [], e.file);
    const p = parsePeer(e.doc);
    assert.ok(p.ok, `${e.file}: ${p.ok ? '' : p.error.message}`);
  }
  for (const e of policies) {
    assert.deepEqual(validate(POLICY.schema, e.doc, CEL), [], e.file);
    const p = parseBgpPolicy(e.doc);
    assert.ok(p.ok, `${e.file}: ${p.ok ? '' : p.error.message}`);
  }
});
