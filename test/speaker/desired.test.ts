// The speaker's desired state: which addresses are VIPs, which nodes may announce each, and on
// which interfaces this node answers (docs/l2.md, "Who may announce a VIP").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { desiredAnnouncements, electionInput } from '../../src/speaker/desired.ts';
import type { DesiredInput, DesiredState } from '../../src/speaker/desired.ts';
import { selectInterfaces, usableByDefault } from '../../src/speaker/interfaces.ts';
import type { PolicyView } from '../../src/api/l2-policy.ts';
import type { AdapterOptions } from '../../src/api/service.ts';
import { IFACES, iface, node, policy, slice, svc } from './fixtures.ts';

const NODES = [node('n1'), node('n2'), node('n3')];

function desired(o: { services: V1Service[]; nodes?: V1Node[]; slices?: V1EndpointSlice[]; policies?: PolicyView[]; me?: string; interfaces?: DesiredInput['interfaces']; none?: boolean }): DesiredState {
  return desiredAnnouncements({
    me: o.me ?? 'n1',
    services: o.services,
    slices: o.slices ?? [],
    nodes: o.nodes ?? NODES,
    policies: o.policies ?? [policy('all')],
    interfaces: o.interfaces ?? IFACES,
    adapter: { defaultServiceIpam: o.none === true ? 'none' : 'pool', acceptAnnotations: new Set() },
  });
}

/** VIP → eligible nodes, compactly. */
function eligible(d: DesiredState): Record<string, string[]> {
  return Object.fromEntries([...d.vips].map(([ip, a]) => [ip, [...a.nodes.keys()].sort()]));
}

test('the default interface rule: up, broadcast, ARP, not loopback, not enslaved', () => {
  assert.deepEqual(IFACES.filter(usableByDefault).map((i) => i.name), ['eth0', 'bond0']);
  assert.deepEqual(selectInterfaces(IFACES, []), ['bond0', 'eth0']);
  // A pattern may pick an enslaved NIC on purpose, but never a down, loopback or ARP-less one.
  const p = policy('x', { interfaces: ['eth[0-9]', 'lo', 'wg0'] });
  assert.deepEqual(selectInterfaces(IFACES, p.interfaces), ['eth0', 'eth1']);
});

test('a LoadBalancer Service of class herald.dev/l2 or unset is announced from every Ready node', () => {
  const d = desired({ services: [svc('web/a', { ingress: ['192.0.2.10'] }), svc('web/b', { cls: 'herald.dev/l2', ingress: ['2001:db8::10'] })] });
  assert.deepEqual(eligible(d), { '192.0.2.10': ['n1', 'n2', 'n3'], '2001:db8::10': ['n1', 'n2', 'n3'] });
  const a = d.vips.get('192.0.2.10');
  assert.equal(a?.family, 'IPv4');
  assert.deepEqual(a?.services, ['web/a']);
  assert.deepEqual(a?.interfaces, ['bond0', 'eth0']);
  assert.deepEqual(a?.nodes.get('n2'), ['all']);
  assert.equal(d.vips.get('2001:db8::10')?.family, 'IPv6');
  assert.deepEqual(d.servablePolicies, ['all']);
});

test('which Services count: not BGP, node IPAM, foreign classes, other types, or deleted ones', () => {
  const deleted = svc('web/gone', { ingress: ['192.0.2.6'] });
  deleted.metadata = { ...deleted.metadata, deletionTimestamp: new Date(0) };
  const d = desired({
    services: [
      svc('web/bgp', { cls: 'herald.dev/bgp', ingress: ['192.0.2.1'] }),
      svc('web/nodeipam', { cls: 'herald.dev/node-ipam', ingress: ['192.0.2.2'] }),
      svc('web/foreign', { cls: 'example.com/lb', ingress: ['192.0.2.3'] }),
      svc('web/cip', { type: 'ClusterIP', ingress: ['192.0.2.4'] }),
      // Herald's controller keeps an address through an invalid request (docs/ipam.md): still announced.
      svc('web/invalid', { ingress: ['192.0.2.5'], annotations: { 'herald.dev/ips': 'not-an-ip' } }),
      deleted,
    ],
  });
  assert.deepEqual(Object.keys(eligible(d)), ['192.0.2.5']);
  // With --default-service-ipam=none, unset-class Services are not Herald's at all.
  assert.deepEqual(Object.keys(eligible(desired({ services: [svc('web/a', { ingress: ['192.0.2.10'] })], none: true }))), []);
});

test('node health: NotReady, NetworkUnavailable, excluded and deleting nodes never announce; cordoned ones rank last', () => {
  const nodes = [
    node('ok'),
    node('notready', { ready: 'False' }),
    node('unknown', { ready: null }),
    node('nonet', { networkUnavailable: true }),
    node('excluded', { labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } }),
    node('deleting', { deleting: true }),
    node('cordoned', { unschedulable: true }),
    node('scaledown', { taints: ['ToBeDeletedByClusterAutoscaler'] }),
    node('netok', { networkUnavailable: false }),
  ];
  const d = desired({ services: [svc('web/a', { ingress: ['192.0.2.10'] })], nodes, me: 'ok' });
  assert.deepEqual(eligible(d)['192.0.2.10'], ['cordoned', 'netok', 'ok', 'scaledown']);
  assert.deepEqual(d.vips.get('192.0.2.10')?.demoted, new Set(['cordoned', 'scaledown']));
  assert.deepEqual(Object.fromEntries(d.nodeProblems), { notready: 'NotReady', unknown: 'NotReady', nonet: 'NetworkUnavailable', excluded: 'ExcludedByLabel', deleting: 'Deleting' });
});

test('policies: service selectors see namespace and name, node selectors pick nodes, eligibility is the union', () => {
  const nodes = [node('n1', { labels: { zone: 'a' } }), node('n2', { labels: { zone: 'b' } }), node('n3', { labels: { zone: 'b' } })];
  const policies = [
    policy('prod-a', { serviceSelector: { matchLabels: { 'io.kubernetes.service.namespace': 'prod' }, matchExpressions: [] }, nodeSelector: { matchLabels: { zone: 'a' }, matchExpressions: [] } }),
    policy('web-b', { serviceSelector: { matchLabels: { app: 'web' }, matchExpressions: [] }, nodeSelector: { matchLabels: { zone: 'b' }, matchExpressions: [] } }),
  ];
  const d = desired({
    nodes,
    policies,
    services: [
      svc('prod/web', { ingress: ['192.0.2.1'], labels: { app: 'web' } }), // both policies
      svc('prod/db', { ingress: ['192.0.2.2'] }), // prod-a only
      svc('dev/web', { ingress: ['192.0.2.3'], labels: { app: 'web' } }), // web-b only
      svc('dev/db', { ingress: ['192.0.2.4'] }), // none: not announced
      // A label cannot fake the namespace key.
      svc('dev/fake', { ingress: ['192.0.2.5'], labels: { 'io.kubernetes.service.namespace': 'prod' } }),
    ],
  });
  assert.deepEqual(eligible(d), { '192.0.2.1': ['n1', 'n2', 'n3'], '192.0.2.2': ['n1'], '192.0.2.3': ['n2', 'n3'] });
  assert.deepEqual(d.vips.get('192.0.2.1')?.nodes.get('n1'), ['prod-a']);
  assert.deepEqual(d.vips.get('192.0.2.1')?.nodes.get('n2'), ['web-b']);
  // n1 is eligible for .3 through no policy, so it has no interfaces for it.
  assert.equal(d.vips.get('192.0.2.3')?.interfaces.length, 0);
  assert.deepEqual(d.servablePolicies, ['prod-a'], 'web-b does not select n1');
});

test('externalTrafficPolicy: Local: only nodes with a ready endpoint of every Local Service on the address', () => {
  const shared = { ingress: ['192.0.2.10'], annotations: { 'herald.dev/sharing-key': 'k' } };
  const d = desired({
    services: [svc('web/a', { ...shared, local: true }), svc('web/b', { ...shared, local: true }), svc('web/c', { ...shared })],
    slices: [slice('web/a', ['n1', 'n2'], ['n3']), slice('web/b', ['n2', 'n3']), slice('web/c', ['n1'])],
  });
  // a: n1,n2 ready (n3 not ready); b: n2,n3; c is Cluster and restricts nothing.
  assert.deepEqual(eligible(d)['192.0.2.10'], ['n2']);
  assert.deepEqual(d.vips.get('192.0.2.10')?.services, ['web/a', 'web/b', 'web/c']);
  assert.deepEqual(d.vips.get('192.0.2.10')?.interfaces, [], 'n1 is not eligible, so it answers nowhere');
  // No endpoints at all: the VIP stays known but nobody may announce it.
  const none = desired({ services: [svc('web/a', { ingress: ['192.0.2.11'], local: true })] });
  assert.deepEqual(eligible(none), { '192.0.2.11': [] });
});

test('loadBalancerIPs and externalIPs choose which addresses of a Service are announced', () => {
  const s = svc('web/a', { ingress: ['192.0.2.10'], externalIPs: ['198.51.100.7', 'not-an-ip'] });
  assert.deepEqual(Object.keys(eligible(desired({ services: [s] }))), ['192.0.2.10']);
  assert.deepEqual(Object.keys(eligible(desired({ services: [s], policies: [policy('ext', { externalIPs: true })] }))), ['192.0.2.10', '198.51.100.7']);
  assert.deepEqual(Object.keys(eligible(desired({ services: [s], policies: [policy('ext', { externalIPs: true, loadBalancerIPs: false })] }))), ['198.51.100.7']);
  // External IPs of a ClusterIP Service (no load-balancer class) count too; of a BGP Service they do not.
  const cip = svc('web/cip', { type: 'ClusterIP', externalIPs: ['198.51.100.8'] });
  const bgp = svc('web/bgp', { cls: 'herald.dev/bgp', externalIPs: ['198.51.100.9'] });
  assert.deepEqual(Object.keys(eligible(desired({ services: [cip, bgp], policies: [policy('ext', { externalIPs: true })] }))), ['198.51.100.8']);
});

test("never a node's own address, nor one of this node's interface addresses", () => {
  const nodes = [node('n1', { addresses: ['192.0.2.11'] }), node('n2')];
  const d = desired({ nodes, services: [svc('web/a', { ingress: ['192.0.2.11'] }), svc('web/b', { ingress: ['203.0.113.5'] }), svc('web/c', { ingress: ['192.0.2.12'] })] });
  assert.deepEqual(Object.keys(eligible(d)), ['192.0.2.12']);
  assert.deepEqual(
    d.skipped.map((s) => [s.ip, s.reason]),
    [
      ['192.0.2.11', 'NodeAddress'],
      ['203.0.113.5', 'LocalAddress'],
    ],
  );
  assert.match(d.skipped[0]?.message ?? '', /InternalIP of node n1/);
});

test('interfaces: per policy on this node; a node without a usable interface cannot serve', () => {
  const policies = [policy('bond', { interfaces: ['bond[0-9]+'] })];
  const d = desired({ services: [svc('web/a', { ingress: ['192.0.2.10'] })], policies });
  assert.deepEqual(d.vips.get('192.0.2.10')?.interfaces, ['bond0']);
  const down = desired({ services: [svc('web/a', { ingress: ['192.0.2.10'] })], policies, interfaces: [iface('bond0', { up: false }), iface('eth0')] });
  assert.deepEqual(down.vips.get('192.0.2.10')?.interfaces, []);
  assert.deepEqual(down.servablePolicies, []);
  // This node must exist as a Node for its policies to select it.
  const unknown = desired({ services: [svc('web/a', { ingress: ['192.0.2.10'] })], me: 'not-a-node' });
  assert.deepEqual(unknown.vips.get('192.0.2.10')?.interfaces, []);
});

test('the election input: eligible nodes with their policies, demoted nodes, and whether this node can serve', () => {
  const nodes = [node('n1'), node('n2', { unschedulable: true })];
  const d = desired({ nodes, services: [svc('web/a', { ingress: ['192.0.2.10'] }), svc('web/b', { ingress: ['192.0.2.11'], local: true })], slices: [slice('web/b', ['n2'])] });
  const e = electionInput(d);
  assert.deepEqual([...(e.get('192.0.2.10')?.nodes ?? [])], [['n1', ['all']], ['n2', ['all']]]);
  assert.deepEqual(e.get('192.0.2.10')?.demoted, new Set(['n2']));
  assert.equal(e.get('192.0.2.10')?.servable, true);
  assert.equal(e.get('192.0.2.11')?.servable, false, 'n1 has no local endpoint');
});

test('issue #10: what a pass reads of a Service is kept per Service object; a changed Service (a new object from the informer) is read anew', () => {
  const before = svc('web/a', { ingress: ['192.0.2.10'] });
  const adapter: AdapterOptions = { defaultServiceIpam: 'pool', acceptAnnotations: new Set() };
  const pass = (services: V1Service[], a: AdapterOptions = adapter): string[] => [...desiredAnnouncements({ me: 'n1', services, slices: [], nodes: NODES, policies: [policy('all')], interfaces: IFACES, adapter: a }).vips.keys()];
  assert.deepEqual(pass([before]), ['192.0.2.10']);
  assert.deepEqual(pass([before]), ['192.0.2.10'], 'the same object, the same facts');
  const after = svc('web/a', { ingress: ['192.0.2.11'] });
  assert.deepEqual(pass([after]), ['192.0.2.11'], 'a new object: its own addresses');
  // Other adapter options (another speaker's in the same process, as in tests): read again.
  assert.deepEqual(pass([after], { defaultServiceIpam: 'none', acceptAnnotations: new Set() }), [], 'unset class is not pool IPAM under --default-service-ipam=none');
});

test('issue #10: VIPs of the same policies share one eligibility (the nodes Map, interfaces) in a pass; a VIP of a Local Service gets its own', () => {
  const d = desired({
    services: [svc('web/a', { ingress: ['192.0.2.10'] }), svc('web/b', { ingress: ['192.0.2.11'] }), svc('web/c', { ingress: ['192.0.2.12'], local: true })],
    slices: [slice('web/c', ['n2'])],
  });
  const [a, b, c] = ['192.0.2.10', '192.0.2.11', '192.0.2.12'].map((ip) => d.vips.get(ip));
  assert.ok(a !== undefined && b !== undefined && c !== undefined);
  assert.equal(a.nodes, b.nodes, 'one Map for both');
  assert.equal(a.interfaces, b.interfaces);
  assert.deepEqual([...a.nodes.keys()].sort(), ['n1', 'n2', 'n3']);
  assert.notEqual(c.nodes, a.nodes);
  assert.deepEqual([...c.nodes.keys()], ['n2'], 'Local: only the node with a ready endpoint');
  assert.deepEqual([...a.nodes.keys()].sort(), ['n1', 'n2', 'n3'], 'the shared Map untouched by the Local VIP');
});
