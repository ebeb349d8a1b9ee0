// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// Sharing an address between Services (herald.dev/sharing-key) through the real controller.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conditionOf, createPool, createService, getService, ipsOf, lbService, patchService, pool, serviceWithReason, startCluster } from './harness.ts';
import type { Cluster } from './harness.ts';

const KEY = { 'herald.dev/sharing-key': 'k' };

describe('controller: sharing', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await c.clients.core.createNamespace({ body: { metadata: { name: 'other' } } });
    await createPool(c, pool('p', { blocks: [{ cidr: '198.51.100.0/28' }] }));
    await c.startController();
  });
  after(async () => c.close());

  it('two Services with one key and different ports share one address', async () => {
    await createService(c, lbService('a-tcp', { selector: { app: 'dns' }, ports: [{ port: 53, protocol: 'TCP' }] }, { annotations: KEY }));
    await createService(c, lbService('a-udp', { selector: { app: 'dns' }, ports: [{ port: 53, protocol: 'UDP' }] }, { annotations: KEY }));
    const tcp = await serviceWithReason(c, 'a-tcp', 'Satisfied');
    const udp = await serviceWithReason(c, 'a-udp', 'Satisfied');
    assert.deepEqual(ipsOf(tcp), ipsOf(udp));
  });

  it('a port clash on automatic allocation gives another address', async () => {
    await createService(c, lbService('clash', { selector: { app: 'dns' }, ports: [{ port: 53, protocol: 'TCP' }] }, { annotations: KEY }));
    const s = await serviceWithReason(c, 'clash', 'Satisfied');
    assert.notDeepEqual(ipsOf(s), ipsOf(await getService(c, 'a-tcp')));
  });

  it('regression (issue #2, a MetalLB failure): both sharers switching Cluster→Local keep their address at every step', async () => {
    const ip = ipsOf(await getService(c, 'a-tcp'));
    await patchService(c, 'a-tcp', { spec: { externalTrafficPolicy: 'Local' } });
    const mid = await serviceWithReason(c, 'a-tcp', 'IncompatibleSharing');
    assert.deepEqual(ipsOf(mid), ip, 'the edited Service keeps its address');
    assert.deepEqual(ipsOf(await getService(c, 'a-udp')), ip, 'the other Service keeps its address');
    assert.match(conditionOf(mid)?.message ?? '', /a-udp/);
    await patchService(c, 'a-udp', { spec: { externalTrafficPolicy: 'Local' } });
    const tcp = await serviceWithReason(c, 'a-tcp', 'Satisfied');
    const udp = await serviceWithReason(c, 'a-udp', 'Satisfied');
    assert.deepEqual(ipsOf(tcp), ip);
    assert.deepEqual(ipsOf(udp), ip);
  });

  it('a requested address held by a Service without the key gives IncompatibleSharing', async () => {
    await createService(c, lbService('solo'));
    const solo = await serviceWithReason(c, 'solo', 'Satisfied');
    await createService(c, lbService('intruder', { ports: [{ port: 443, protocol: 'TCP' }] }, { annotations: { ...KEY, 'herald.dev/ips': ipsOf(solo)[0] ?? '' } }));
    const s = await serviceWithReason(c, 'intruder', 'IncompatibleSharing');
    assert.deepEqual(ipsOf(s), []);
    assert.deepEqual(ipsOf(await getService(c, 'solo')), ipsOf(solo));
  });

  it('across namespaces only when both sides allow the other namespace', async () => {
    const base = ipsOf(await getService(c, 'a-tcp'))[0] ?? '';
    // Local like the two holders by now, with the same pod selector: only the namespace rule is in the way.
    await createService(c, lbService('one-sided', { selector: { app: 'dns' }, externalTrafficPolicy: 'Local', ports: [{ port: 8080, protocol: 'TCP' }] }, { namespace: 'other', annotations: { ...KEY, 'herald.dev/ips': base, 'herald.dev/sharing-cross-namespace': 'apps' } }));
    await serviceWithReason(c, 'one-sided', 'IncompatibleSharing', 'other');
    // Now the apps side allows "other" too (on both holders of the address).
    await patchService(c, 'a-tcp', { metadata: { annotations: { 'herald.dev/sharing-cross-namespace': 'other' } } });
    await patchService(c, 'a-udp', { metadata: { annotations: { 'herald.dev/sharing-cross-namespace': '*' } } });
    const s = await serviceWithReason(c, 'one-sided', 'Satisfied', 'other');
    assert.deepEqual(ipsOf(s), [base]);
  });
});
