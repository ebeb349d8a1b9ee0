// api-suite: CRD defaults and 422 field paths, on whichever API server HERALD_APISERVER picks (issue #8)
// The same requests against the stand-in and a real kube-apiserver, both serving deploy/crds:
// a minimal object of each kind comes back with every default docs/*.md promises, and the
// speakers' parsers read the defaulted object as the defaults they document; invalid values are
// refused with 422 and one cause per field.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startControlPlane, type ControlPlane } from '../../src/controlplane/control-plane.ts';
import { httpsCall } from '../../src/controlplane/https.ts';
import { BFD_DEFAULTS, parsePeer } from '../../src/bgp/config.ts';
import { arr, isObj, obj, type Obj } from './schema-check.ts';

describe(`CRD defaults on the ${process.env['HERALD_APISERVER'] ?? 'dev'} API server`, () => {
  let cp: ControlPlane;
  before(async () => {
    cp = await startControlPlane();
  });
  after(async () => cp?.close());

  async function post(plural: string, body: Obj): Promise<{ status: number; body: Obj }> {
    const path = `/apis/herald.dev/v1alpha1/${plural}`;
    let status: number;
    let text: string;
    if (cp.real !== undefined) {
      ({ status, body: text } = await httpsCall(cp.real.admin, 'POST', path, body));
    } else {
      const r = await fetch(`${cp.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      status = r.status;
      text = await r.text();
    }
    const parsed: unknown = JSON.parse(text);
    return { status, body: isObj(parsed) ? parsed : {} };
  }
  const spec = (o: Obj): Obj => obj(o['spec'], 'spec');
  const causes = (o: Obj): string[] => arr(obj(o['details'], 'details')['causes'], 'causes').map((c) => String(obj(c, 'cause')['field']));

  it('a minimal IPPool: allowFirstLastIPs Yes, not disabled', async () => {
    const r = await post('ippools', { apiVersion: 'herald.dev/v1alpha1', kind: 'IPPool', metadata: { name: 'min' }, spec: { blocks: [{ cidr: '192.0.2.0/24' }] } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(spec(r.body), { blocks: [{ cidr: '192.0.2.0/24' }], allowFirstLastIPs: 'Yes', disabled: false });
  });

  it('a minimal L2AnnouncementPolicy: load-balancer IPs announced, external IPs not', async () => {
    const r = await post('l2announcementpolicies', { apiVersion: 'herald.dev/v1alpha1', kind: 'L2AnnouncementPolicy', metadata: { name: 'all' }, spec: {} });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(spec(r.body), { loadBalancerIPs: true, externalIPs: false });
  });

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

  it('an empty bfd object on a BGPPeer gets FRR\'s defaults, and parses to the same numbers', async () => {
    const r = await post('bgppeers', { apiVersion: 'herald.dev/v1alpha1', kind: 'BGPPeer', metadata: { name: 'bfd' }, spec: { peerAddress: '192.0.2.1', peerASN: 65001, localASN: 65000, bfd: {} } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(spec(r.body)['bfd'], { minRxMs: 300, minTxMs: 300, detectMultiplier: 3 });
    const p = parsePeer(r.body);
    assert.ok(p.ok);
    assert.deepEqual(p.value.bfd, BFD_DEFAULTS);
  });

  it('a minimal BGPAnnouncementPolicy gets every default', async () => {
    const r = await post('bgpannouncementpolicies', { apiVersion: 'herald.dev/v1alpha1', kind: 'BGPAnnouncementPolicy', metadata: { name: 'all' }, spec: {} });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(spec(r.body), { aggregationLengthIPv4: 32, aggregationLengthIPv6: 128, loadBalancerIPs: true, externalIPs: false });
  });

  it('invalid values are refused with 422 and a cause per field', async () => {
    const r = await post('bgppeers', {
      apiVersion: 'herald.dev/v1alpha1',
      kind: 'BGPPeer',
      metadata: { name: 'bad' },
      spec: { peerAddress: 'tor1', peerASN: 0, localASN: 65000, families: ['evpn'], gracefulRestart: { restartTimeSeconds: 5000 } },
    });
    assert.equal(r.status, 422);
    for (const f of ['spec.peerAddress', 'spec.peerASN', 'spec.families[0]', 'spec.gracefulRestart.restartTimeSeconds']) assert.ok(causes(r.body).includes(f), `${f} not in ${JSON.stringify(causes(r.body))}`);
    const q = await post('bgpannouncementpolicies', {
      apiVersion: 'herald.dev/v1alpha1',
      kind: 'BGPAnnouncementPolicy',
      metadata: { name: 'bad' },
      spec: { communities: ['65000:100', '70000:1'], aggregationLengthIPv6: 129 },
    });
    assert.equal(q.status, 422);
    for (const f of ['spec.communities[1]', 'spec.aggregationLengthIPv6']) assert.ok(causes(q.body).includes(f), `${f} not in ${JSON.stringify(causes(q.body))}`);
  });
});
