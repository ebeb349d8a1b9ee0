import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BROADCAST_MAC,
  decodeEthernet,
  encodeEthernet,
  ETHERTYPE_ARP,
  isMulticastMac,
  macFromBytes,
  macToBytes,
  parseMac,
  type Mac,
} from '../../src/l2/ethernet.ts';
import { hex, mac, MAC_A, MAC_B, toHex } from './helpers.ts';

test('parseMac accepts colon and dash forms in either case and returns lower-case colons', () => {
  const cases: [string, string | null][] = [
    ['02:00:00:00:00:0a', '02:00:00:00:00:0a'],
    ['02:00:00:00:00:0A', '02:00:00:00:00:0a'],
    ['02-00-00-00-00-0a', '02:00:00:00:00:0a'],
    ['02:00-00:00:00:0a', null], // mixed separators
    ['02:00:00:00:00', null],
    ['02:00:00:00:00:0a:0b', null],
    ['2:0:0:0:0:a', null],
    ['02000000000a', null],
    ['gg:00:00:00:00:0a', null],
    ['', null],
  ];
  for (const [text, want] of cases) {
    const got = parseMac(text);
    if (want === null) assert.equal(got.ok ? 'ok' : got.error.code, 'bad-mac', text);
    else assert.deepEqual(got, { ok: true, value: want }, text);
  }
});

test('MAC bytes and text convert both ways', () => {
  assert.equal(macFromBytes(hex('aa02000000000aff'), 1), '02:00:00:00:00:0a');
  assert.equal(toHex(macToBytes(mac('fe:dc:ba:98:76:54'))), 'fedcba987654');
});

test('isMulticastMac reads the I/G bit', () => {
  assert.equal(isMulticastMac(BROADCAST_MAC), true);
  assert.equal(isMulticastMac(mac('33:33:00:00:00:01')), true);
  assert.equal(isMulticastMac(mac('01:00:5e:00:00:01')), true);
  assert.equal(isMulticastMac(MAC_A), false);
  assert.equal(isMulticastMac(mac('00:00:00:00:00:00')), false);
});

test('decodeEthernet splits header and payload, padding kept in the payload', () => {
  const frame = hex('ffffffffffff 02000000000a 0806 0102030405');
  const got = decodeEthernet(frame);
  assert.ok(got.ok);
  assert.deepEqual(got.value.header, { dst: BROADCAST_MAC, src: MAC_A, ethertype: ETHERTYPE_ARP });
  assert.equal(toHex(got.value.payload), '0102030405');
});

test('decodeEthernet: shorter than 14 bytes is truncated', () => {
  for (let n = 0; n < 14; n++) {
    const got = decodeEthernet(new Uint8Array(n));
    assert.equal(got.ok ? 'ok' : got.error.code, 'truncated', `${n} bytes`);
  }
  assert.ok(decodeEthernet(new Uint8Array(14)).ok);
});

test('decodeEthernet: 802.1Q, 802.1ad and 0x9100 tags are vlan-tagged, with the VLAN ID in the message', () => {
  for (const tpid of ['8100', '88a8', '9100']) {
    const got = decodeEthernet(hex(`ffffffffffff 02000000000a ${tpid} 200a 0806`));
    assert.ok(!got.ok);
    assert.equal(got.error.code, 'vlan-tagged', tpid);
    assert.match(got.error.message, /VLAN 10\b/);
  }
  // Only the TPID: still tagged, no VLAN ID to tell.
  const bare = decodeEthernet(hex('ffffffffffff 02000000000a 8100'));
  assert.equal(bare.ok ? 'ok' : bare.error.code, 'vlan-tagged');
});

test('encodeEthernet writes dst, src, type, payload without padding', () => {
  const frame = encodeEthernet({ dst: MAC_B, src: MAC_A, ethertype: 0x86dd }, hex('beef'));
  assert.equal(toHex(frame), '02000000000b02000000000a86ddbeef');
});

// Issue #10: macToBytes reads char codes instead of split + Uint8Array.from (a quarter of an ARP
// reply's encoding cost). Held against the old reading, for every text the old one took.
test('macToBytes by char codes reads every spelling as split and parseInt did', () => {
  const reference = (text: string): Uint8Array => Uint8Array.from(text.split(':'), (part) => parseInt(part, 16));
  const octets = fc.uint8Array({ minLength: 6, maxLength: 6 });
  fc.assert(
    fc.property(octets, (bytes) => {
      const text = macFromBytes(bytes, 0);
      assert.deepEqual(macToBytes(text), bytes);
      assert.deepEqual(macToBytes(text.toUpperCase() as Mac), bytes);
    }),
  );
  // Spellings off the fast path still read as before: one-digit octets, mixed case.
  for (const text of ['2:0:0:0:0:a', '02:0:00:0:00:A', 'Fe:dC:bA:98:76:54']) assert.deepEqual(macToBytes(text as Mac), reference(text), text);
  for (const text of ['02:00:00:00:00', '02:00:00:00:00:0a:0b', '02-00-00-00-00-0a']) assert.throws(() => macToBytes(text as Mac), /^TypeError: not a MAC address/, text);
});
