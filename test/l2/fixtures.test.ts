// Real bytes from arping, ndisc6 and the Linux kernel (test/l2/fixtures/README.md): every file
// decodes to what tcpdump read in it, re-encodes to the same bytes, and Herald answers the tools'
// requests with exactly the bytes the kernel answered with, where the RFCs leave no choice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeArpFrame, encodeArpFrame, type ArpPacket } from '../../src/l2/arp.ts';
import { BROADCAST_MAC, decodeEthernet, isMulticastMac, macFromBytes, ZERO_MAC, type Mac } from '../../src/l2/ethernet.ts';
import type { Ipv6 } from '../../src/l2/ip.ts';
import { decodeNdpFrame, encodeNdpFrame, unsolicitedAdvertisement, type NdpFrame, type NdpMessage } from '../../src/l2/ndp.ts';
import { respondToFrame, type FrameDecision, type FrameMeta, type ResponderView } from '../../src/l2/responder.ts';
import { fixture, hex, IFACE_A, IFACE_B, loadFixtures, MAC_A, MAC_B, toHex, v4, v6, view } from './helpers.ts';
import type { Result } from '../../src/api/result.ts';
import type { L2Error } from '../../src/l2/result.ts';

const FIXTURES = loadFixtures();

const arp = (op: ArpPacket['op'], sha: Mac, spa: string, tha: Mac, tpa: string): ArpPacket => ({
  op, senderMac: sha, senderIp: v4(spa), targetMac: tha, targetIp: v4(tpa),
});
const ns = (target: string, slla: Mac | null, other: NdpMessage['otherOptions'] = []): NdpMessage => ({
  type: 'neighbor-solicitation', target: v6(target), sourceLinkLayer: slla, otherOptions: other,
});
const na = (flags: 'S' | 'O' | 'SO', target: string, tlla: Mac | null): NdpMessage => ({
  type: 'neighbor-advertisement', router: false, solicited: flags.includes('S'), override: flags.includes('O'), target: v6(target), targetLinkLayer: tlla, otherOptions: [],
});
function ndp(ethSrc: Mac, ethDst: string, src: string, dst: string, message: NdpMessage, flowLabel = 0): NdpFrame {
  return {
    eth: { dst: ethDst as Mac, src: ethSrc, ethertype: 0x86dd },
    ip: { trafficClass: 0, flowLabel, nextHeader: 58, hopLimit: 255, src: v6(src) as Ipv6, dst: v6(dst) },
    ndp: message,
  };
}
const BCAST = (sha: Mac, packet: ArpPacket) => ({ eth: { dst: BROADCAST_MAC, src: sha, ethertype: 0x0806 }, arp: packet });
const UNI = (src: Mac, dst: Mac, packet: ArpPacket) => ({ eth: { dst, src, ethertype: 0x0806 }, arp: packet });

type Expected = { arp: ReturnType<typeof BCAST> } | { ndp: NdpFrame } | { error: string };

/** What each file must decode to: read off tcpdump's line in the file's header. */
const EXPECTED: Record<string, Expected> = {
  'arp-request.arping': { arp: BCAST(MAC_A, arp('request', MAC_A, '192.0.2.1', ZERO_MAC, '192.0.2.2')) },
  'arp-reply.linux': { arp: UNI(MAC_B, MAC_A, arp('reply', MAC_B, '192.0.2.2', MAC_A, '192.0.2.1')) },
  'arp-announcement-request.arping': { arp: BCAST(MAC_A, arp('request', MAC_A, '192.0.2.1', BROADCAST_MAC, '192.0.2.1')) },
  'arp-announcement-reply.arping': { arp: BCAST(MAC_A, arp('reply', MAC_A, '192.0.2.1', BROADCAST_MAC, '192.0.2.1')) },
  'arp-probe.arping': { arp: BCAST(MAC_A, arp('request', MAC_A, '0.0.0.0', ZERO_MAC, '192.0.2.2')) },
  'arp-probe-reply.linux': { arp: UNI(MAC_B, MAC_A, arp('reply', MAC_B, '192.0.2.2', MAC_A, '0.0.0.0')) },
  'arp-request-vlan10.arping': { error: 'vlan-tagged' },
  'ns-multicast.ndisc6': { ndp: ndp(MAC_A, '33:33:ff:00:00:02', 'fe80::ff:fe00:a', 'ff02::1:ff00:2', ns('2001:db8::2', MAC_A), 0x4103e) },
  'na-solicited.linux': { ndp: ndp(MAC_B, MAC_A, '2001:db8::2', 'fe80::ff:fe00:a', na('SO', '2001:db8::2', MAC_B)) },
  'ns-multicast.linux': { ndp: ndp(MAC_A, '33:33:ff:00:00:02', '2001:db8::1', 'ff02::1:ff00:2', ns('2001:db8::2', MAC_A)) },
  'na-solicited-global.linux': { ndp: ndp(MAC_B, MAC_A, '2001:db8::2', '2001:db8::1', na('SO', '2001:db8::2', MAC_B)) },
  'ns-dad.linux': { ndp: ndp(MAC_A, '33:33:ff:00:00:02', '::', 'ff02::1:ff00:2', ns('2001:db8::2', null, [{ type: 14, data: hex('7f3e17c52307') }])) },
  'na-dad-defence.linux': { ndp: ndp(MAC_B, '33:33:00:00:00:01', '2001:db8::2', 'ff02::1', na('O', '2001:db8::2', MAC_B)) },
  'ns-unicast.linux': { ndp: ndp(MAC_B, MAC_A, 'fe80::ff:fe00:b', '2001:db8::1', ns('2001:db8::1', MAC_B)) },
  'na-unicast-no-tlla.linux': { ndp: ndp(MAC_A, MAC_B, '2001:db8::1', 'fe80::ff:fe00:b', na('S', '2001:db8::1', null)) },
  'na-unsolicited.linux': { ndp: ndp(MAC_B, '33:33:00:00:00:01', '2001:db8::b', 'ff02::1', na('O', '2001:db8::b', MAC_B)) },
};

test('the fixture glob found files, and every file has an expectation (and every expectation a file)', () => {
  assert.ok(FIXTURES.size >= 1, 'no test/l2/fixtures/*.hex matched: the interop tests would check nothing');
  assert.deepEqual([...FIXTURES.keys()].sort(), Object.keys(EXPECTED).sort());
});

test('each fixture decodes to what tcpdump read', () => {
  for (const [name, bytes] of FIXTURES) {
    const want = EXPECTED[name];
    assert.ok(want, name);
    if ('arp' in want) assert.deepEqual(decodeArpFrame(bytes), { ok: true, value: want.arp }, name);
    else if ('ndp' in want) assert.deepEqual(decodeNdpFrame(bytes), { ok: true, value: want.ndp }, name);
    else {
      const eth = decodeEthernet(bytes);
      assert.equal(eth.ok ? 'ok' : eth.error.code, want.error, name);
    }
  }
});

test('each decoded fixture re-encodes to its bytes (less the sender\'s trailing padding)', () => {
  for (const [name, bytes] of FIXTURES) {
    const asArp = decodeArpFrame(bytes);
    const asNdp = decodeNdpFrame(bytes);
    const encoded = asArp.ok ? encodeArpFrame(asArp.value) : asNdp.ok ? encodeNdpFrame(asNdp.value) : null;
    if (encoded === null) continue; // the tagged frame: checked above
    assert.equal(toHex(encoded), toHex(bytes.subarray(0, encoded.length)), name);
    assert.ok(bytes.subarray(encoded.length).every((b) => b === 0), `${name}: only zero padding after the message`);
  }
});

/** The metadata AF_PACKET would give for the frame on the receiving side. */
function arrived(bytes: Uint8Array, iface: ResponderView['iface']): FrameMeta {
  const d = macFromBytes(bytes, 0); // not decodeEthernet: the tagged fixture must reach the responder
  return { ifindex: iface.ifindex, vlan: null, packetType: d === BROADCAST_MAC ? 'broadcast' : isMulticastMac(d) ? 'multicast' : 'host' };
}

function answer(v: ResponderView, name: string): FrameDecision {
  const bytes = fixture(name);
  return respondToFrame(v, bytes, arrived(bytes, v.iface));
}

// B holds the address as a VIP here (not as its own): Herald stands where b's kernel stood.
const B_HOLDS = view(IFACE_B, [v4('192.0.2.2'), v6('2001:db8::2')], [v4('198.51.100.2')]);

test('interop: Herald answers arping and ndisc6 byte for byte as the Linux kernel did', () => {
  const pairs: [string, string][] = [
    ['arp-request.arping', 'arp-reply.linux'],
    ['arp-probe.arping', 'arp-probe-reply.linux'],
    ['ns-multicast.ndisc6', 'na-solicited.linux'],
    ['ns-multicast.linux', 'na-solicited-global.linux'],
    ['ns-dad.linux', 'na-dad-defence.linux'], // RFC 4861 §7.2.4: DAD probe → all-nodes, S=0
  ];
  for (const [request, kernelReply] of pairs) {
    const decision = answer(B_HOLDS, request);
    assert.ok(decision.kind === 'reply', `${request}: ${JSON.stringify(decision)}`);
    assert.equal(toHex(decision.frame), toHex(fixture(kernelReply)), `${request} → ${kernelReply}`);
  }
});

test('interop: the unsolicited NA Herald sends on takeover equals the kernel\'s after DAD (RFC 4861 §7.2.6)', () => {
  assert.equal(toHex(encodeNdpFrame(unsolicitedAdvertisement(v6('2001:db8::b'), MAC_B))), toHex(fixture('na-unsolicited.linux')));
});

test('interop: to a unicast NS Herald includes the link-layer option and Override, where the kernel did not', () => {
  // RFC 4861 §7.2.4 lets a reply to a unicast NS omit the option (then Override SHOULD be 0), as
  // na-unicast-no-tlla.linux.hex does. Herald always sends both, so a NUD probe after a failover
  // moves the client's cache to the new holder at once.
  const decision = answer(view(IFACE_A, [v6('2001:db8::1')]), 'ns-unicast.linux');
  assert.ok(decision.kind === 'reply');
  const got = decodeNdpFrame(decision.frame);
  assert.deepEqual(got, { ok: true, value: ndp(MAC_A, MAC_B, '2001:db8::1', 'fe80::ff:fe00:b', na('SO', '2001:db8::1', MAC_A)) });
});

test('interop: the tools\' announcements and the kernel\'s defences are conflicts for a node holding the address', () => {
  const rows: [string, ResponderView, string][] = [
    ['arp-announcement-request.arping', view(IFACE_B, [v4('192.0.2.1')]), '192.0.2.1@02:00:00:00:00:0a'],
    ['arp-announcement-reply.arping', view(IFACE_B, [v4('192.0.2.1')]), '192.0.2.1@02:00:00:00:00:0a'],
    ['arp-reply.linux', view(IFACE_A, [v4('192.0.2.2')]), '192.0.2.2@02:00:00:00:00:0b'],
    ['na-dad-defence.linux', view(IFACE_A, [v6('2001:db8::2')]), '2001:db8::2@02:00:00:00:00:0b'],
    ['na-unsolicited.linux', view(IFACE_A, [v6('2001:db8::b')]), '2001:db8::b@02:00:00:00:00:0b'],
  ];
  for (const [name, v, want] of rows) {
    const decision = answer(v, name);
    assert.equal(decision.kind === 'conflict' ? `${decision.ip}@${decision.mac}` : JSON.stringify(decision), want, name);
  }
});

test('interop: other fixtures are dropped with their reasons', () => {
  const rows: [string, ResponderView, string][] = [
    ['arp-request-vlan10.arping', B_HOLDS, 'vlan-tagged'],
    ['arp-announcement-request.arping', B_HOLDS, 'gratuitous-from-peer'],
    ['arp-request.arping', view(IFACE_B, [], [v4('192.0.2.2')]), 'own-address'],
    ['arp-request.arping', view(IFACE_B, [v4('192.0.2.3')]), 'target-not-held'],
    ['ns-multicast.ndisc6', view(IFACE_B, [], [v6('2001:db8::2')]), 'own-address'],
    ['na-solicited.linux', view(IFACE_A, [v6('2001:db8::3')]), 'not-neighbor-solicitation'],
    ['arp-reply.linux', view(IFACE_A, []), 'not-arp-request'],
    ['ns-multicast.ndisc6', view(IFACE_A, [v6('2001:db8::2')]), 'own-mac'],
  ];
  for (const [name, v, want] of rows) {
    const decision = answer(v, name);
    assert.equal(decision.kind === 'drop' ? decision.reason : JSON.stringify(decision), want, name);
  }
});

test('every prefix of a fixture shorter than its message is truncated', () => {
  for (const [name, bytes] of FIXTURES) {
    const want = EXPECTED[name];
    if (want === undefined || 'error' in want) continue;
    const length = 'arp' in want ? 42 : 54 + (((bytes[18] ?? 0) << 8) | (bytes[19] ?? 0));
    for (let n = 0; n < length; n++) {
      const got: Result<unknown, L2Error> = 'arp' in want ? decodeArpFrame(bytes.subarray(0, n)) : decodeNdpFrame(bytes.subarray(0, n));
      assert.equal(got.ok ? 'ok' : got.error.code, 'truncated', `${name} cut to ${n} bytes`);
    }
  }
});
