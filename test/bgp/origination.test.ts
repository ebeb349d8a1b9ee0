// Origination: the attributes Herald puts on its routes, decoded back from the UPDATEs it packs.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { decodeMessage, formatPrefix } from '../../src/bgp/codec/index.ts';
import type { Update } from '../../src/bgp/codec/index.ts';
import { DEFAULT_LOCAL_PREF, endOfRibMessages, originate } from '../../src/bgp/origination.ts';
import type { OriginationContext } from '../../src/bgp/origination.ts';
import { AdjRibOut, NO_ATTRS } from '../../src/bgp/rib-out.ts';
import type { RouteAttrs } from '../../src/bgp/rib-out.ts';

const EBGP: OriginationContext = { localAsn: 64512, ibgp: false, nextHopV4: '192.0.2.11', nextHopV6: '2001:db8::11', linkLocalV6: 'fe80::1', families: ['ipv4', 'ipv6'], wire: { fourOctetAs: true, maxLength: 4096 } };

function updates(messages: Uint8Array[], ctx = EBGP): Update[] {
  return messages.map((m) => {
    const r = decodeMessage(m, ctx.wire);
    assert.ok(r.ok && r.value.type === 'update', r.ok ? r.value.type : r.error.message);
    return r.value.update;
  });
}

function table(entries: [string, RouteAttrs][]): Map<string, RouteAttrs> {
  return new Map(entries);
}

describe('originate', () => {
  it('eBGP: ORIGIN IGP, AS_PATH of our AS alone, NEXT_HOP self, no MED, no LOCAL_PREF; IPv6 in MP_REACH with global + link-local next hops', () => {
    const rib = new AdjRibOut();
    const out = originate(rib.set(table([['192.0.2.200/32', NO_ATTRS], ['2001:db8::200/128', NO_ATTRS]])), EBGP);
    assert.deepEqual(out.skipped, []);
    const [v4, v6] = updates(out.messages);
    assert.ok(v4 !== undefined && v6 !== undefined);
    assert.deepEqual(v4.nlri.map(formatPrefix), ['192.0.2.200/32']);
    assert.equal(v4.attributes.origin, 'igp');
    assert.deepEqual(v4.attributes.asPath, [{ type: 'sequence', asns: [64512] }]);
    assert.equal(v4.attributes.nextHop, '192.0.2.11');
    assert.equal(v4.attributes.med, undefined);
    assert.equal(v4.attributes.localPref, undefined);
    assert.equal(v6.attributes.mpReach?.nextHop, '2001:db8::11');
    assert.equal(v6.attributes.mpReach?.linkLocalNextHop, 'fe80::1');
    assert.deepEqual(v6.attributes.mpReach?.nlri.map(formatPrefix), ['2001:db8::200/128']);
  });

  it('iBGP: empty AS_PATH and LOCAL_PREF, the policy\'s or the default 100 (RFC 4271 §5.1.5)', () => {
    const ibgp = { ...EBGP, ibgp: true };
    const rib = new AdjRibOut();
    const out = originate(rib.set(table([['192.0.2.200/32', NO_ATTRS], ['192.0.2.201/32', { ...NO_ATTRS, localPreference: 250 }]])), ibgp);
    const prefs = updates(out.messages).map((u) => [u.nlri.map(formatPrefix).join(), u.attributes.localPref, JSON.stringify(u.attributes.asPath)]);
    assert.deepEqual(prefs.sort(), [['192.0.2.200/32', DEFAULT_LOCAL_PREF, '[]'], ['192.0.2.201/32', 250, '[]']]);
  });

  it('communities and large communities as set', () => {
    const rib = new AdjRibOut();
    const attrs: RouteAttrs = { communities: [65000 * 65536 + 100, 0xffffff01], largeCommunities: [{ global: 64512, local1: 1, local2: 2 }], localPreference: null };
    const [u] = updates(originate(rib.set(table([['198.51.100.1/32', attrs]])), EBGP).messages);
    assert.deepEqual(u?.attributes.communities, [65000 * 65536 + 100, 0xffffff01]);
    assert.deepEqual(u?.attributes.largeCommunities, [{ global: 64512, local1: 1, local2: 2 }]);
  });

  it('a family not negotiated, or without a next hop, is skipped with a reason, never sent with a bad next hop', () => {
    const rib = new AdjRibOut();
    const noV6 = { ...EBGP, nextHopV6: null };
    const out = originate(rib.set(table([['2001:db8::200/128', NO_ATTRS]])), noV6);
    assert.deepEqual(out.messages, []);
    assert.deepEqual(out.skipped, [{ prefix: '2001:db8::200/128', reason: 'no global IPv6 next hop on this session' }]);
    const v4only = originate(new AdjRibOut().set(table([['2001:db8::200/128', NO_ATTRS]])), { ...EBGP, families: ['ipv4'] });
    assert.match(v4only.skipped[0]?.reason ?? '', /not negotiated/);
  });

  it('10,000 routes pack into few UPDATEs that decode back to exactly those prefixes; withdrawals too', () => {
    const rib = new AdjRibOut();
    const all = table(Array.from({ length: 10_000 }, (_, i) => [`198.18.${i >> 8}.${i & 255}/32`, NO_ATTRS]));
    const out = originate(rib.set(all), EBGP);
    assert.ok(out.messages.length <= 15, `${out.messages.length} UPDATEs`);
    const got = updates(out.messages).flatMap((u) => u.nlri.map(formatPrefix));
    assert.deepEqual(got.sort(), [...all.keys()].sort());
    const gone = originate(rib.set(new Map()), EBGP);
    assert.deepEqual(updates(gone.messages).flatMap((u) => u.withdrawn.map(formatPrefix)).sort(), [...all.keys()].sort());
  });

  it('End-of-RIB per negotiated family (RFC 4724 §2)', () => {
    const eors = updates(endOfRibMessages(EBGP));
    assert.equal(eors.length, 2);
    assert.deepEqual(eors[0], { withdrawn: [], attributes: {}, nlri: [] });
    assert.equal(eors[1]?.attributes.mpUnreach?.family, 'ipv6');
  });
});
