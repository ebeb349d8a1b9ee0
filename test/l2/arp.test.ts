import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arpAnnouncement,
  arpReplyTo,
  decodeArp,
  decodeArpFrame,
  encodeArp,
  encodeArpFrame,
  isGratuitous,
  isProbe,
  type ArpPacket,
} from '../../src/l2/arp.ts';
import { BROADCAST_MAC, ETHERTYPE_ARP, ZERO_MAC } from '../../src/l2/ethernet.ts';
import { hex, MAC_A, MAC_B, toHex, v4 } from './helpers.ts';

const REQUEST: ArpPacket = { op: 'request', senderMac: MAC_A, senderIp: v4('192.0.2.1'), targetMac: ZERO_MAC, targetIp: v4('192.0.2.2') };
// htype 1, ptype 0800, hlen 6, plen 4, op 1, sha, spa, tha, tpa
const REQUEST_HEX = '0001 0800 06 04 0001 02000000000a c0000201 000000000000 c0000202';

test('encodeArp writes RFC 826 field order', () => {
  assert.equal(toHex(encodeArp(REQUEST)), REQUEST_HEX.replace(/\s/g, ''));
});

test('decodeArp reads every field and ignores trailing padding', () => {
  assert.deepEqual(decodeArp(hex(REQUEST_HEX)), { ok: true, value: REQUEST });
  assert.deepEqual(decodeArp(hex(REQUEST_HEX + '0000000000000000')), { ok: true, value: REQUEST });
});

test('decodeArp errors, each with its code', () => {
  const cases: [string, string, string][] = [
    ['empty', '', 'truncated'],
    ['7 bytes', '0001 0800 06 04 00', 'truncated'],
    ['header only', '0001 0800 06 04 0001', 'truncated'],
    ['27 bytes', REQUEST_HEX.slice(0, -2), 'truncated'],
    ['htype 6 (IEEE 802)', '0006 0800 06 04 0001' + REQUEST_HEX.slice(20), 'bad-htype'],
    ['ptype IPv6', '0001 86dd 06 04 0001' + REQUEST_HEX.slice(20), 'bad-ptype'],
    ['hlen 8', '0001 0800 08 04 0001' + REQUEST_HEX.slice(20), 'bad-hlen'],
    ['plen 16', '0001 0800 06 10 0001' + REQUEST_HEX.slice(20), 'bad-plen'],
    ['op 0', '0001 0800 06 04 0000' + REQUEST_HEX.slice(20), 'unknown-op'],
    ['op 3 (RARP request)', '0001 0800 06 04 0003' + REQUEST_HEX.slice(20), 'unknown-op'],
    ['op 8 (InARP request)', '0001 0800 06 04 0008' + REQUEST_HEX.slice(20), 'unknown-op'],
    // RFC 826 order: the hardware type is judged before the length of the rest.
    ['htype 6, short', '0006 0800 06 04 0001', 'bad-htype'],
  ];
  for (const [name, bytes, code] of cases) {
    const got = decodeArp(hex(bytes));
    assert.equal(got.ok ? 'ok' : got.error.code, code, name);
  }
});

test('ARP frames round-trip: request, reply, both announcement forms, probe', () => {
  const frames = [
    { eth: { dst: BROADCAST_MAC, src: MAC_A, ethertype: ETHERTYPE_ARP }, arp: REQUEST },
    arpReplyTo(REQUEST, MAC_B),
    arpAnnouncement(v4('192.0.2.10'), MAC_B, 'request'),
    arpAnnouncement(v4('192.0.2.10'), MAC_B, 'reply'),
    { eth: { dst: BROADCAST_MAC, src: MAC_A, ethertype: ETHERTYPE_ARP }, arp: { ...REQUEST, senderIp: v4('0.0.0.0') } },
  ];
  for (const frame of frames) {
    const bytes = encodeArpFrame(frame);
    assert.equal(bytes.length, 42);
    assert.deepEqual(decodeArpFrame(bytes), { ok: true, value: frame });
  }
});

test('decodeArpFrame: another ethertype is unsupported-ethertype; a tagged frame is vlan-tagged', () => {
  const ipv6 = hex('ffffffffffff 02000000000a 86dd' + REQUEST_HEX);
  const got = decodeArpFrame(ipv6);
  assert.equal(got.ok ? 'ok' : got.error.code, 'unsupported-ethertype');
  const tagged = decodeArpFrame(hex('ffffffffffff 02000000000a 8100 000a 0806' + REQUEST_HEX));
  assert.equal(tagged.ok ? 'ok' : tagged.error.code, 'vlan-tagged');
});

test('arpReplyTo answers RFC 826 style: to the requester, our MAC for the asked address', () => {
  assert.deepEqual(arpReplyTo(REQUEST, MAC_B), {
    eth: { dst: MAC_A, src: MAC_B, ethertype: ETHERTYPE_ARP },
    arp: { op: 'reply', senderMac: MAC_B, senderIp: v4('192.0.2.2'), targetMac: MAC_A, targetIp: v4('192.0.2.1') },
  });
});

test('arpAnnouncement: request form has a zero target MAC (RFC 5227 §3), reply form our MAC (RFC 2002 §4.6)', () => {
  const ip = v4('198.51.100.7');
  assert.deepEqual(arpAnnouncement(ip, MAC_B, 'request'), {
    eth: { dst: BROADCAST_MAC, src: MAC_B, ethertype: ETHERTYPE_ARP },
    arp: { op: 'request', senderMac: MAC_B, senderIp: ip, targetMac: ZERO_MAC, targetIp: ip },
  });
  assert.deepEqual(arpAnnouncement(ip, MAC_B, 'reply').arp, { op: 'reply', senderMac: MAC_B, senderIp: ip, targetMac: MAC_B, targetIp: ip });
});

test('isGratuitous and isProbe', () => {
  assert.equal(isGratuitous(REQUEST), false);
  assert.equal(isGratuitous(arpAnnouncement(v4('192.0.2.9'), MAC_A, 'request').arp), true);
  assert.equal(isGratuitous(arpAnnouncement(v4('192.0.2.9'), MAC_A, 'reply').arp), true);
  const probe = { ...REQUEST, senderIp: v4('0.0.0.0') };
  assert.equal(isProbe(probe), true);
  assert.equal(isGratuitous(probe), false);
  assert.equal(isGratuitous({ ...probe, targetIp: v4('0.0.0.0') }), false);
  assert.equal(isProbe({ ...probe, op: 'reply' }), false);
  assert.equal(isProbe(REQUEST), false);
});
