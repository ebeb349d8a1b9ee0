import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Service } from '@kubernetes/client-node';
import { classifyService } from '../../src/api/service.ts';
import { reservedAddresses } from '../../src/api/nodes.ts';
import type { AdapterOptions } from '../../src/api/service.ts';

const opts: AdapterOptions = { defaultServiceIpam: 'pool', acceptAnnotations: new Set() };
const svc = (spec: Partial<NonNullable<V1Service['spec']>> = {}, annotations: Record<string, string> = {}, labels: Record<string, string> = {}): V1Service => ({
  metadata: { name: 'web', namespace: 'apps', annotations, labels, creationTimestamp: new Date('2026-01-01T00:00:00Z') },
  spec: { type: 'LoadBalancer', ports: [{ port: 80 }], ...spec },
});

describe('classifyService', () => {
  it('ignores foreign classes before reading anything else', () => {
    const r = classifyService(svc({ loadBalancerClass: 'example.com/lb' }, { 'herald.dev/ips': 'garbage' }), opts);
    assert.deepEqual(r, { kind: 'ignored', key: 'apps/web', why: 'ForeignClass' });
  });

  it('ignores non-LoadBalancer Services and honours --default-service-ipam', () => {
    assert.equal(classifyService(svc({ type: 'ClusterIP' }), opts).kind, 'ignored');
    assert.equal(classifyService(svc(), { ...opts, defaultServiceIpam: 'none' }).kind, 'ignored');
    assert.equal(classifyService(svc(), { ...opts, defaultServiceIpam: 'node-ipam' }).kind, 'node');
    assert.equal(classifyService(svc({ loadBalancerClass: 'herald.dev/l2' }), { ...opts, defaultServiceIpam: 'none' }).kind, 'pool');
  });

  it('projects a Service into allocator terms', () => {
    const r = classifyService(
      svc({ ipFamilies: ['IPv6', 'IPv4'], ipFamilyPolicy: 'PreferDualStack', externalTrafficPolicy: 'Local', selector: { app: 'w' } }, { 'herald.dev/ips': ' 2001:DB8::0:1 , 192.0.2.1', 'herald.dev/sharing-key': 'k', 'herald.dev/sharing-cross-namespace': 'a, b' }),
      opts,
    );
    assert.equal(r.kind, 'pool');
    if (r.kind !== 'pool') return;
    assert.deepEqual(r.view.requestedIPs, ['2001:db8::1', '192.0.2.1']);
    assert.deepEqual(r.view.ipFamilies, ['IPv6', 'IPv4']);
    assert.deepEqual(r.view.sharing, { key: 'k', crossNamespaces: ['a', 'b'] });
    assert.deepEqual(r.view.ports, [{ protocol: 'TCP', port: 80 }]);
    assert.equal(r.view.createdAt, Date.parse('2026-01-01T00:00:00Z'));
  });

  it('a malformed annotation is an invalid intent with the annotation named', () => {
    const r = classifyService(svc({}, { 'herald.dev/ips': '192.0.2.1,192.0.2.300' }), opts);
    assert.equal(r.kind, 'invalid');
    if (r.kind === 'invalid') assert.match(r.message, /herald\.dev\/ips.*192\.0\.2\.300/);
    const two = classifyService(svc({}, { 'herald.dev/ips': '192.0.2.1,192.0.2.2' }), opts);
    assert.equal(two.kind, 'invalid');
  });

  it('inet_aton shorthands are not addresses (Kubernetes strict IP parsing)', () => {
    assert.equal(classifyService(svc({ loadBalancerIP: '192.1' }), opts).kind, 'invalid');
  });

  it('reads foreign annotations only when accepted, and Herald\'s own win', () => {
    const ann = { 'metallb.io/loadBalancerIPs': '192.0.2.7' };
    const off = classifyService(svc({}, ann), opts);
    assert.ok(off.kind === 'pool' && off.view.requestedIPs.length === 0);
    const on = classifyService(svc({}, ann), { ...opts, acceptAnnotations: new Set(['metallb']) });
    assert.ok(on.kind === 'pool' && on.view.requestedIPs[0] === '192.0.2.7');
    const both = classifyService(svc({}, { ...ann, 'herald.dev/ips': '192.0.2.8' }), { ...opts, acceptAnnotations: new Set(['metallb']) });
    assert.ok(both.kind === 'pool' && both.view.requestedIPs[0] === '192.0.2.8');
  });

  it('a bad node-ipam selector annotation is reported', () => {
    const r = classifyService(svc({ loadBalancerClass: 'herald.dev/node-ipam' }, { 'herald.dev/node-ipam-match-labels': 'a in (b' }), opts);
    assert.ok(r.kind === 'invalid');
    assert.match(r.message, /"a in \(b": unable to parse requirement/);
    // gt/lt are valid selector syntax, but a node selector is a metav1.LabelSelector, which has no such operator.
    const gt = classifyService(svc({ loadBalancerClass: 'herald.dev/node-ipam' }, { 'herald.dev/node-ipam-match-labels': 'rack>3' }), opts);
    assert.ok(gt.kind === 'invalid');
    assert.match(gt.message, /isn't supported in label selectors/);
  });
});

describe('reservedAddresses', () => {
  it('collects node Internal/External IPs and API-server endpoints, not Hostnames', () => {
    const r = reservedAddresses(
      [{ metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '192.0.2.1' }, { type: 'ExternalIP', address: '2001:db8:0::1' }, { type: 'Hostname', address: 'n1' }] } }],
      [{ addressType: 'IPv4', endpoints: [{ addresses: ['198.51.100.1'] }] }],
    );
    assert.deepEqual([...r.keys()].sort(), ['192.0.2.1', '198.51.100.1', '2001:db8::1']);
    assert.match(r.get('192.0.2.1') ?? '', /InternalIP of node n1/);
    assert.match(r.get('198.51.100.1') ?? '', /API server/);
  });
});
