// Real bytes from BIRD 2.0.12 and FRR 8.4.4 (test/bgp/codec/fixtures/README.md): every file
// decodes to what Wireshark read in it (the annotations), re-encodes to the same bytes where the
// encoder makes the sender's choices (BIRD's), and to bytes that decode the same otherwise (FRR's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, endOfRibOf, type BgpMessage, type OutgoingMessage } from '../../../src/bgp/codec/index.ts';
import { WELL_KNOWN_COMMUNITIES as WK } from '../../../src/bgp/codec/attributes.ts';
import { loadFixtures, NEW, pfx } from './helpers.ts';

const FIXTURES = loadFixtures();
const seq = (...asns: number[]) => [{ type: 'sequence' as const, asns }];
const c = (hi: number, lo: number) => ((hi << 16) | lo) >>> 0;
const utf8 = (s: string) => Uint8Array.from(Buffer.from(s));

/** What each file must decode to: read off the Wireshark annotations in the file. */
const EXPECTED: Record<string, BgpMessage> = {
  'open.bird': { type: 'open', open: { myAs: 64500, holdTime: 90, bgpId: '192.0.2.1', capabilities: [
    { kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'route-refresh' },
    { kind: 'graceful-restart', restarting: false, notification: false, time: 120, families: [{ afi: 1, safi: 1, forwarding: false }] },
    { kind: 'four-octet-as', asn: 64500 }, { kind: 'enhanced-route-refresh' }] } },
  'open-ipv6-session.bird': { type: 'open', open: { myAs: 64500, holdTime: 240, bgpId: '192.0.2.1', capabilities: [
    { kind: 'multiprotocol', afi: 2, safi: 1 }, { kind: 'route-refresh' },
    { kind: 'graceful-restart', restarting: false, notification: false, time: 120, families: [] },
    { kind: 'four-octet-as', asn: 64500 }, { kind: 'enhanced-route-refresh' }, { kind: 'unknown', code: 71, value: new Uint8Array(0) }] } },
  'open.frr': { type: 'open', open: { myAs: 23456, holdTime: 180, bgpId: '192.0.2.2', capabilities: [
    { kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'unknown', code: 128, value: new Uint8Array(0) }, { kind: 'route-refresh' },
    { kind: 'enhanced-route-refresh' }, { kind: 'four-octet-as', asn: 65550 }, { kind: 'extended-message' },
    { kind: 'unknown', code: 69, value: Uint8Array.of(0, 1, 1, 1) }, // ADD-PATH IPv4 unicast receive (RFC 7911)
    { kind: 'unknown', code: 73, value: Uint8Array.of(9, ...utf8('hbgpcap-b'), 0) }, // FQDN: hostname, no domain
    { kind: 'graceful-restart', restarting: true, notification: true, time: 120, families: [{ afi: 1, safi: 1, forwarding: false }] },
    { kind: 'unknown', code: 71, value: Uint8Array.of(0, 1, 1, 0x80, 0, 0, 0) }] } }, // LLGR
  'keepalive.bird': { type: 'keepalive' },
  'update-ipv4.bird': { type: 'update', discarded: [], update: { withdrawn: [], nlri: [pfx('192.0.2.128/25'), pfx('192.0.2.200/32')], attributes: {
    origin: 'igp', asPath: seq(64500), nextHop: '192.0.2.1', med: 50, communities: [c(64500, 100), WK.NO_EXPORT],
    largeCommunities: [{ global: 64500, local1: 1, local2: 2 }] } } },
  'update-ipv4.frr': { type: 'update', discarded: [], update: { withdrawn: [], nlri: [pfx('192.0.2.64/26')], attributes: {
    origin: 'igp', asPath: seq(65550), nextHop: '192.0.2.2', med: 0, communities: [c(64511, 200)],
    largeCommunities: [{ global: 65550, local1: 3, local2: 4 }] } } },
  'end-of-rib-ipv4.bird': { type: 'update', discarded: [], update: { withdrawn: [], nlri: [], attributes: {} } },
  'update-ipv6.bird': { type: 'update', discarded: [], update: { withdrawn: [], nlri: [], attributes: {
    mpReach: { family: 'ipv6', nextHop: '2001:db8::1', linkLocalNextHop: 'fe80::ff:fe00:a', nlri: [pfx('2001:db8:1::/48'), pfx('2001:db8:2::1/128')] },
    origin: 'igp', asPath: seq(64500), med: 50, communities: [c(64500, 100), WK.NO_EXPORT],
    largeCommunities: [{ global: 64500, local1: 1, local2: 2 }] } } },
  'update-ipv6.frr': { type: 'update', discarded: [], update: { withdrawn: [], nlri: [], attributes: {
    mpReach: { family: 'ipv6', nextHop: '2001:db8::2', nlri: [pfx('2001:db8:3::/48')] },
    origin: 'igp', asPath: seq(65550), med: 0, communities: [c(64511, 200)],
    largeCommunities: [{ global: 65550, local1: 3, local2: 4 }] } } },
  'end-of-rib-ipv6.frr': { type: 'update', discarded: [], update: { withdrawn: [], nlri: [], attributes: { mpUnreach: { family: 'ipv6', withdrawn: [] } } } },
  'notification-shutdown.bird': { type: 'notification', notification: { code: 6, subcode: 2,
    data: Uint8Array.of(27, ...utf8('herald capture: maintenance')), communication: 'herald capture: maintenance' } },
  'notification-shutdown.frr': { type: 'notification', notification: { code: 6, subcode: 2,
    data: Uint8Array.of(26, ...utf8('herald capture: FRR drains')), communication: 'herald capture: FRR drains' } },
};

/** Where FRR's choices differ from Herald's encoder (README.md): octets the re-encoding saves. */
const FRR_DIFFERENCE: Record<string, number> = {
  'open.frr': 105 - 87, // one optional parameter per capability; Herald puts all in one, as BIRD does
  'update-ipv4.frr': 1, // Extended Length on a 6-octet AS_PATH; Herald uses it only past 255 octets
  'update-ipv6.frr': 1,
};

function outgoing(m: BgpMessage): OutgoingMessage {
  return m.type === 'update' ? { type: 'update', update: m.update } : m;
}

/** The messages the brief asks for, from each daemon: at least one file must match each glob. */
const REQUIRED = ['open.bird', 'open.frr', 'update-ipv4.bird', 'update-ipv4.frr', 'update-ipv6.bird', 'update-ipv6.frr',
  'keepalive.bird', 'notification-shutdown.bird', 'notification-shutdown.frr', 'end-of-rib-ipv4.bird', 'end-of-rib-ipv6.frr'];

test('the fixture glob found a file for every expected message (STYLE lesson 10)', () => {
  assert.ok(FIXTURES.size >= 1, 'no test/bgp/codec/fixtures/*.hex matched: the interop test would check nothing');
  for (const name of REQUIRED) assert.ok(FIXTURES.has(name), `no fixtures/${name}.hex`);
  assert.deepEqual([...FIXTURES.keys()].sort(), Object.keys(EXPECTED).sort(), 'every file has an expectation and every expectation a file');
});

test('each fixture decodes to what Wireshark read', () => {
  for (const [name, bytes] of FIXTURES) assert.deepEqual(decodeMessage(bytes, NEW), { ok: true, value: EXPECTED[name] }, name);
});

test('each fixture re-encodes: BIRD\'s byte for byte, FRR\'s to bytes that decode the same', () => {
  for (const [name, bytes] of FIXTURES) {
    const want = EXPECTED[name];
    assert.ok(want);
    const again = encodeMessage(outgoing(want), NEW);
    if (name.endsWith('.bird') || FRR_DIFFERENCE[name] === undefined) {
      assert.equal(Buffer.from(again).toString('hex'), Buffer.from(bytes).toString('hex'), name);
    } else {
      assert.equal(bytes.length - again.length, FRR_DIFFERENCE[name], name);
      assert.deepEqual(decodeMessage(again, NEW), { ok: true, value: want }, name);
    }
  }
});

test('End-of-RIB markers from BIRD (IPv4) and FRR (IPv6) are recognised (RFC 4724 §2)', () => {
  const eor = (name: string) => {
    const m = decodeMessage(FIXTURES.get(name) ?? new Uint8Array(0), NEW);
    return m.ok && m.value.type === 'update' ? endOfRibOf(m.value.update) : 'not an update';
  };
  assert.deepEqual(eor('end-of-rib-ipv4.bird'), { afi: 1, safi: 1 });
  assert.deepEqual(eor('end-of-rib-ipv6.frr'), { afi: 2, safi: 1 });
  assert.equal(eor('update-ipv4.bird'), null);
  assert.equal(eor('update-ipv6.frr'), null);
});
