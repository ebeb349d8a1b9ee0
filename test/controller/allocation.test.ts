// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// The controller against an API server: basic allocation, status, Events, classes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conditionOf, createPool, createService, eventsFor, eventually, getPool, getService, ipsOf, lbService, node, pool, serviceWithReason, startCluster } from './harness.ts';
import type { Cluster } from './harness.ts';

describe('controller: allocation', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ advertiseAddress: '192.0.2.3' });
    await c.clients.core.createNode({ body: node('n1', [['InternalIP', '192.0.2.2'], ['ExternalIP', '2001:db8:1::2']]) });
    await createPool(c, pool('main', { blocks: [{ cidr: '192.0.2.0/28' }, { cidr: '2001:db8:1::/64' }] }));
    await c.startController({ metricsAddr: '127.0.0.1:0' });
  });
  after(async () => c.close());

  it('gives the lowest free address, skipping node and API-server addresses, with status, condition and Event', async () => {
    await createService(c, lbService('first'));
    await createService(c, lbService('second'));
    await createService(c, lbService('third'));
    const first = await serviceWithReason(c, 'first', 'Satisfied');
    const second = await serviceWithReason(c, 'second', 'Satisfied');
    const third = await serviceWithReason(c, 'third', 'Satisfied');
    // 192.0.2.2 is node n1's InternalIP, 192.0.2.3 the API server's endpoint.
    assert.deepEqual([ipsOf(first), ipsOf(second), ipsOf(third)].flat().sort(), ['192.0.2.0', '192.0.2.1', '192.0.2.4']);
    assert.equal(first.status?.loadBalancer?.ingress?.[0]?.ipMode, 'VIP');
    assert.equal(conditionOf(first)?.status, 'True');
    const events = await eventually('an IPAllocated event', async () => {
      const e = await eventsFor(c, 'first');
      return e.some((x) => x.reason === 'IPAllocated') ? e : undefined;
    });
    assert.match(events.find((x) => x.reason === 'IPAllocated')?.message ?? '', /from pool "main"/);
  });

  it('refuses a requested node address with RequestedIPUnavailable naming the node', async () => {
    await createService(c, lbService('wants-node', {}, { annotations: { 'herald.dev/ips': '192.0.2.2' } }));
    const s = await serviceWithReason(c, 'wants-node', 'RequestedIPUnavailable');
    assert.deepEqual(ipsOf(s), []);
    assert.match(conditionOf(s)?.message ?? '', /n1/);
    const events = await eventually('an AllocationFailed event', async () => {
      const e = await eventsFor(c, 'wants-node');
      return e.some((x) => x.reason === 'AllocationFailed') ? e : undefined;
    });
    assert.equal(events.find((x) => x.reason === 'AllocationFailed')?.type, 'Warning');
  });

  it('refuses the API server address when requested', async () => {
    await createService(c, lbService('wants-apiserver', { loadBalancerIP: '192.0.2.3' }));
    const s = await serviceWithReason(c, 'wants-apiserver', 'RequestedIPUnavailable');
    assert.match(conditionOf(s)?.message ?? '', /API server/);
  });

  it('reports reserved addresses (two node addresses, the API server) in the pool status as decimal strings', async () => {
    const p = await eventually('pool status', async () => {
      const x = await getPool(c, 'main');
      return x.status?.ipsReserved === '3' ? x : undefined;
    });
    // 16 IPv4 + 2^64 IPv6 addresses.
    assert.equal(p.status?.ipsTotal, (16n + 2n ** 64n).toString());
    assert.equal(p.status?.conditions?.find((x) => x.type === 'Conflict')?.status, 'False');
  });

  it('never touches a Service of a foreign loadBalancerClass', async () => {
    await createService(c, lbService('foreign', { loadBalancerClass: 'example.com/other' }));
    await createService(c, lbService('after-foreign'));
    await serviceWithReason(c, 'after-foreign', 'Satisfied');
    const s = await getService(c, 'foreign');
    assert.equal(s.status?.loadBalancer?.ingress, undefined);
    assert.equal(conditionOf(s), undefined);
    assert.deepEqual(await eventsFor(c, 'foreign'), []);
  });

  it('gives herald.dev/l2 and herald.dev/bgp classes pool addresses', async () => {
    await createService(c, lbService('l2', { loadBalancerClass: 'herald.dev/l2' }));
    await createService(c, lbService('bgp', { loadBalancerClass: 'herald.dev/bgp' }));
    assert.equal(ipsOf(await serviceWithReason(c, 'l2', 'Satisfied')).length, 1);
    assert.equal(ipsOf(await serviceWithReason(c, 'bgp', 'Satisfied')).length, 1);
  });

  it('a malformed annotation gives InvalidRequest and harms nobody else', async () => {
    await createService(c, lbService('bad-ann', {}, { annotations: { 'herald.dev/ips': 'not-an-ip' } }));
    const s = await serviceWithReason(c, 'bad-ann', 'InvalidRequest');
    assert.match(conditionOf(s)?.message ?? '', /not-an-ip/);
    const first = await getService(c, 'first');
    assert.equal(conditionOf(first)?.reason, 'Satisfied');
  });

  it('a Service that stops being a LoadBalancer loses ingress and condition, and its address is freed', async () => {
    await createService(c, lbService('leaving'));
    const s = await serviceWithReason(c, 'leaving', 'Satisfied');
    const ip = ipsOf(s)[0];
    await c.clients.core.replaceNamespacedService({ name: 'leaving', namespace: 'apps', body: { ...s, spec: { ...s.spec, type: 'ClusterIP', loadBalancerClass: undefined, externalTrafficPolicy: undefined, allocateLoadBalancerNodePorts: undefined, ports: s.spec?.ports?.map((p) => ({ ...p, nodePort: undefined })) } } });
    await eventually('condition removed', async () => {
      const x = await getService(c, 'leaving');
      return conditionOf(x) === undefined && (x.status?.loadBalancer?.ingress ?? []).length === 0 ? x : undefined;
    });
    await createService(c, lbService('taker', { loadBalancerIP: ip }));
    const t = await serviceWithReason(c, 'taker', 'Satisfied');
    assert.deepEqual(ipsOf(t), [ip]);
  });

  it('serves metrics and readiness', async () => {
    const port = c.controllers[0]?.ports[0];
    assert.ok(port !== undefined);
    const ready = await eventually('readyz 200', async () => {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      return r.status === 200 ? r.text() : undefined;
    });
    assert.match(ready, /leading/);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^herald_controller_is_leader 1$/m);
    assert.match(metrics, /^herald_ipam_services\{state="satisfied"\} [1-9]/m);
    assert.match(metrics, /^herald_ipam_pool_addresses\{pool="main",state="reserved"\} 3$/m);
  });
});
