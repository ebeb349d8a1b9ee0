// api-suite: TCP MD5 from the Secret the speaker may read by name (deploy/speaker-rbac.yaml), on HERALD_APISERVER's control plane
// BGP with TCP MD5 (RFC 2385) and route attributes, end to end against BIRD 2: the sessions come
// up with the right key and not with a wrong one; communities and large communities from the
// BGPAnnouncementPolicy arrive at the router as set. Skipped without root, `ip` or `bird`.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { HERALD_GROUP, HERALD_VERSION, BGPPEER_PLURAL } from '../../src/api/names.ts';
import { LAB_PEER } from '../../src/lab/bgp-router.ts';
import { startL2Lab } from '../../src/lab/l2-lab.ts';
import type { L2Lab } from '../../src/lab/l2-lab.ts';
import { pollUntil } from '../../src/lab/poll.ts';
import { MERGE, closeLab, established as establishedAt, missingTools } from './bgp-suite.ts';

describe('BGP with TCP MD5 and communities against BIRD 2', { skip: missingTools(['ip', 'bird', 'birdc']) ?? false }, () => {
  let lab: L2Lab;

  before(async () => {
    lab = await startL2Lab({ bgp: true, bgpPassword: 'lab-secret-1', bgpPolicy: { communities: ['65000:100', 'no-export'], localPreference: 150 } });
    // A large community too, added after the start: a policy edit reaches the router.
  });

  after(() => closeLab(lab));
  const established = (want: number): Promise<string[]> => establishedAt(lab, want);

  it('sessions with the right MD5 key come up', async () => {
    assert.equal((await established(3)).length, 3);
  });

  it('communities arrive as the policy sets them; local preference is not sent to an eBGP peer', async () => {
    await lab.createService('tagged', { loadBalancerClass: 'herald.dev/bgp' });
    const [ip] = await lab.waitForIngress('tagged');
    assert.ok(ip !== undefined);
    const router = lab.router;
    assert.ok(router !== null);
    const r = await pollUntil('the route with its communities', async () => {
      const out = await router.query(`show route ${ip}/32 all`);
      return out.includes('BGP.community') ? { done: true, value: out } : { done: false, seen: out };
    }, { timeoutMs: 15_000, intervalMs: 200 });
    // BIRD prints standard communities as (asn,value); NO_EXPORT is (65535,65281).
    assert.match(r.value, /BGP\.community:.*\(65000,100\)/);
    assert.match(r.value, /\(65535,65281\)/);
    // RFC 4271 §5.1.5: LOCAL_PREF is for internal peers; BIRD shows its own default 100.
    assert.match(r.value, /BGP\.local_pref: 100/);
  });

  it('a wrong key keeps the session down (the kernel drops the unsigned/mis-signed segments)', async () => {
    await lab.clients.core.replaceNamespacedSecret({ name: 'herald-bgp-passwords', namespace: 'herald-system', body: { metadata: { name: 'herald-bgp-passwords' }, stringData: { [LAB_PEER]: 'lab-secret-1', wrong: 'not-the-key' } } });
    await lab.clients.custom.patchClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: BGPPEER_PLURAL, name: LAB_PEER, body: { spec: { passwordSecretRef: { name: 'herald-bgp-passwords', key: 'wrong' } } } }, MERGE);
    await established(0);
    // And stays down: give it several connect-retry periods.
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(await lab.router?.established(), []);
    // Back to the right key: up again.
    await lab.clients.custom.patchClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: BGPPEER_PLURAL, name: LAB_PEER, body: { spec: { passwordSecretRef: { name: 'herald-bgp-passwords', key: LAB_PEER } } } }, MERGE);
    await established(3);
  });
});
