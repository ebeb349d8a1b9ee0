// Responder decisions that responder.test.ts's tables leave open: our own frames are ours
// whatever they claim inside, our own advertisement looped back on the ICMPv6 socket is no
// conflict, and drops the codec did not cause say what they saw (for the logs).
// Written against the survivors of mutation testing (issue #15, docs/mutation-testing.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeArpFrame } from '../../src/l2/arp.ts';
import { BROADCAST_MAC, ETHERTYPE_ARP, ZERO_MAC, type Mac } from '../../src/l2/ethernet.ts';
import { encodeNdp, type NdpMessage } from '../../src/l2/ndp.ts';
import { respondToFrame, respondToIcmpv6, type FrameMeta, type ResponderView } from '../../src/l2/responder.ts';
import { IFACE_B, MAC_A, MAC_B, v4, v6, view } from './helpers.ts';

const VIP4 = v4('192.0.2.10');
const VIP6 = v6('2001:db8::10');
const VIEW: ResponderView = view(IFACE_B, [VIP4, VIP6], [v4('192.0.2.2'), v6('2001:db8::2')]);
const IN: FrameMeta = { ifindex: 3, packetType: 'broadcast', vlan: null };
const request = (src: Mac): Uint8Array =>
  encodeArpFrame({ eth: { dst: BROADCAST_MAC, src, ethertype: ETHERTYPE_ARP }, arp: { op: 'request', senderMac: MAC_A, senderIp: v4('192.0.2.1'), targetMac: ZERO_MAC, targetIp: VIP4 } });

test('a frame from our own MAC is dropped, whatever sender its ARP payload names', () => {
  assert.deepEqual(respondToFrame(VIEW, request(MAC_B), IN), { kind: 'drop', reason: 'own-mac' });
  assert.equal(respondToFrame(VIEW, request(MAC_A), IN).kind, 'reply');
});

test('our own neighbor advertisement, looped back on the ICMPv6 socket, is not a conflict', () => {
  const na: NdpMessage = { type: 'neighbor-advertisement', router: false, solicited: false, override: true, target: VIP6, targetLinkLayer: MAC_B, otherOptions: [] };
  const meta = { ifindex: 3, src: VIP6, dst: v6('ff02::1'), hopLimit: 255 };
  assert.deepEqual(respondToIcmpv6(VIEW, encodeNdp(na, meta.src, meta.dst), meta), { kind: 'drop', reason: 'own-mac' });
});

test('drops for what the frame is, not for a decode failure, say what they saw', () => {
  const tagged = respondToFrame(VIEW, request(MAC_A), { ...IN, vlan: 10 });
  assert.deepEqual(tagged, { kind: 'drop', reason: 'vlan-tagged', message: 'VLAN 10 (from PACKET_AUXDATA)' });
  const ipv4 = Uint8Array.from(request(MAC_A));
  ipv4[12] = 0x08;
  ipv4[13] = 0x00;
  assert.deepEqual(respondToFrame(VIEW, ipv4, IN), { kind: 'drop', reason: 'unsupported-ethertype', message: 'ethertype 0x800' });
});
