// Property tests of the codecs and the responder (STYLE.md lesson 2): encode → decode is the
// identity over arbitrary valid values; decoding arbitrary or damaged bytes never throws and
// returns an error value; every prefix cut short of a valid frame is `truncated`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeArp, decodeArpFrame, encodeArpFrame, type ArpFrame, type ArpPacket } from '../../src/l2/arp.ts';
import { BROADCAST_MAC, decodeEthernet, ETHERTYPE_ARP, macFromBytes, macToBytes, type Mac } from '../../src/l2/ethernet.ts';
import { icmpv6Checksum, verifyIcmpv6Checksum } from '../../src/l2/icmpv6.ts';
import { ipv4FromBytes, ipv6FromBytes, ipv6ToBytes, type Ipv6 } from '../../src/l2/ip.ts';
import { decodeIpv6, encodeIpv6, NEXT_HEADER_ICMPV6 } from '../../src/l2/ipv6.ts';
import {
  decodeNdp,
  decodeNdpFrame,
  encodeNdp,
  encodeNdpFrame,
  isMulticastIpv6,
  solicitedNodeAddress,
  type NdpEnvelope,
  type NdpFrame,
  type NdpMessage,
  type NdpOption,
} from '../../src/l2/ndp.ts';
import { respondToFrame, respondToIcmpv6, type FrameMeta, type PacketType } from '../../src/l2/responder.ts';
import { IFACE_B, MAC_A, v4, v6, view } from './helpers.ts';

// --- generators ----------------------------------------------------------------------------------

/** fc.record with ordinary objects, so values compare deep-equal to what the decoders build. */
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const macArb: fc.Arbitrary<Mac> = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => macFromBytes(b, 0));
const v4Arb = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => ipv4FromBytes(b, 0));
/** Random addresses plus the shapes that exercise RFC 5952 compression. */
const v6Arb: fc.Arbitrary<Ipv6> = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => ipv6FromBytes(b, 0)),
  fc.constantFrom('::', '::1', '2001:db8::1', 'fe80::ff:fe00:a', '2001:db8:0:1::', '::ffff:192.0.2.1', 'ff02::1', 'ff02::1:ff00:2').map(v6),
);
const unicastV6Arb = v6Arb.filter((ip) => !isMulticastIpv6(ip) && ip !== '::');

const arpPacketArb: fc.Arbitrary<ArpPacket> = record({
  op: fc.constantFrom('request' as const, 'reply' as const),
  senderMac: macArb,
  senderIp: v4Arb,
  targetMac: macArb,
  targetIp: v4Arb,
});
const arpFrameArb: fc.Arbitrary<ArpFrame> = record({
  eth: record({ dst: macArb, src: macArb, ethertype: fc.constant(ETHERTYPE_ARP) }),
  arp: arpPacketArb,
});

/** Options Herald does not interpret: any type but the link-layer ones, 8k − 2 data bytes. */
const otherOptionsArb: fc.Arbitrary<NdpOption[]> = fc.array(
  record({
    type: fc.integer({ min: 3, max: 255 }),
    data: fc.integer({ min: 1, max: 3 }).chain((k) => fc.uint8Array({ minLength: 8 * k - 2, maxLength: 8 * k - 2 })),
  }),
  { maxLength: 2 },
);

/** A valid (message, envelope) pair: the RFC 4861 §7.1 rules hold by construction. */
const ndpArb: fc.Arbitrary<{ message: NdpMessage; envelope: NdpEnvelope }> = fc.oneof(
  record({ target: unicastV6Arb, lla: fc.option(macArb), other: otherOptionsArb, src: unicastV6Arb, toGroup: fc.boolean() }).map(({ target, lla, other, src, toGroup }) => ({
    message: { type: 'neighbor-solicitation' as const, target, sourceLinkLayer: lla, otherOptions: other },
    envelope: { src, dst: toGroup ? solicitedNodeAddress(target) : target, hopLimit: 255 },
  })),
  record({ target: unicastV6Arb, other: otherOptionsArb }).map(({ target, other }) => ({
    message: { type: 'neighbor-solicitation' as const, target, sourceLinkLayer: null, otherOptions: other },
    envelope: { src: v6('::'), dst: solicitedNodeAddress(target), hopLimit: 255 },
  })),
  record({ target: unicastV6Arb, lla: fc.option(macArb), other: otherOptionsArb, src: unicastV6Arb, dst: v6Arb, r: fc.boolean(), s: fc.boolean(), o: fc.boolean() }).map(
    ({ target, lla, other, src, dst, r, s, o }) => ({
      message: { type: 'neighbor-advertisement' as const, router: r, solicited: s && !isMulticastIpv6(dst), override: o, target, targetLinkLayer: lla, otherOptions: other },
      envelope: { src, dst, hopLimit: 255 },
    }),
  ),
);

const ndpFrameArb: fc.Arbitrary<NdpFrame> = fc
  .record({ m: ndpArb, ethSrc: macArb, ethDst: macArb, tc: fc.integer({ min: 0, max: 255 }), flow: fc.integer({ min: 0, max: 0xfffff }) })
  .map(({ m, ethSrc, ethDst, tc, flow }) => ({
    eth: { dst: ethDst, src: ethSrc, ethertype: 0x86dd },
    ip: { trafficClass: tc, flowLabel: flow, nextHeader: NEXT_HEADER_ICMPV6, hopLimit: 255, src: m.envelope.src, dst: m.envelope.dst },
    ndp: m.message,
  }));

const validFrameArb: fc.Arbitrary<Uint8Array> = fc.oneof(arpFrameArb.map(encodeArpFrame), ndpFrameArb.map(encodeNdpFrame));

/** A valid frame with a few bytes overwritten and maybe cut or extended: reaches deep branches. */
const damagedFrameArb: fc.Arbitrary<Uint8Array> = fc
  .record({ frame: validFrameArb, edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), cut: fc.option(fc.nat()), tail: fc.uint8Array({ maxLength: 8 }) })
  .map(({ frame, edits, cut, tail }) => {
    const out = Uint8Array.from([...frame.subarray(0, cut === null ? frame.length : cut % (frame.length + 1)), ...tail]);
    for (const [at, value] of edits) if (out.length > 0) out[at % out.length] = value;
    return out;
  });

const metaArb: fc.Arbitrary<FrameMeta> = record({
  ifindex: fc.constantFrom(3, 3, 3, 4),
  packetType: fc.constantFrom<PacketType>('host', 'broadcast', 'multicast', 'otherhost', 'outgoing'),
  vlan: fc.constantFrom(null, null, null, 10),
});

const anyBytes = fc.uint8Array({ maxLength: 128 });

// --- encode → decode ------------------------------------------------------------------------------

test('ARP: decode(encode(frame)) is the frame, and padding after it changes nothing', () => {
  fc.assert(
    fc.property(arpFrameArb, fc.uint8Array({ maxLength: 18 }), (frame, padding) => {
      const bytes = encodeArpFrame(frame);
      assert.deepEqual(decodeArpFrame(bytes), { ok: true, value: frame });
      assert.deepEqual(decodeArpFrame(Uint8Array.from([...bytes, ...padding])), { ok: true, value: frame });
    }),
  );
});

test('NDP: decode(encode(message)) is the message, on the ICMPv6 path and as a frame', () => {
  fc.assert(
    fc.property(ndpArb, ({ message, envelope }) => {
      assert.deepEqual(decodeNdp(encodeNdp(message, envelope.src, envelope.dst), envelope), { ok: true, value: message });
    }),
  );
  fc.assert(fc.property(ndpFrameArb, (frame) => assert.deepEqual(decodeNdpFrame(encodeNdpFrame(frame)), { ok: true, value: frame })));
});

test('IPv6 header: decode(encode(header, payload)) gives both back, whatever follows', () => {
  const headerArb = record({
    trafficClass: fc.integer({ min: 0, max: 255 }),
    flowLabel: fc.integer({ min: 0, max: 0xfffff }),
    nextHeader: fc.integer({ min: 0, max: 255 }),
    hopLimit: fc.integer({ min: 0, max: 255 }),
    src: v6Arb,
    dst: v6Arb,
  });
  fc.assert(
    fc.property(headerArb, fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 8 }), (header, payload, tail) => {
      const got = decodeIpv6(Uint8Array.from([...encodeIpv6(header, payload), ...tail]));
      assert.deepEqual(got, { ok: true, value: { header, payload } });
    }),
  );
});

test('IPv6 addresses: bytes → text → bytes is the identity', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      assert.deepEqual(ipv6ToBytes(ipv6FromBytes(bytes, 0)), bytes);
    }),
  );
});

// --- the checksum against a reference written the obvious way ------------------------------------

function referenceChecksum(src: Ipv6, dst: Ipv6, message: Uint8Array): number {
  const len = message.length;
  const pseudo = [...ipv6ToBytes(src), ...ipv6ToBytes(dst), (len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff, 0, 0, 0, 58];
  const all = [...pseudo, ...message];
  all[pseudo.length + 2] = 0;
  all[pseudo.length + 3] = 0;
  if (all.length % 2 === 1) all.push(0);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) {
    sum += (all[i]! << 8) + all[i + 1]!;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return ~sum & 0xffff;
}

test('ICMPv6 checksum matches a reference; any one flipped bit fails verification', () => {
  fc.assert(
    fc.property(v6Arb, v6Arb, fc.uint8Array({ minLength: 4, maxLength: 80 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (src, dst, message, at, bit) => {
      const sum = icmpv6Checksum(src, dst, message);
      assert.equal(sum, referenceChecksum(src, dst, message));
      const stored = Uint8Array.from(message);
      stored[2] = sum >> 8;
      stored[3] = sum & 0xff;
      assert.equal(verifyIcmpv6Checksum(src, dst, stored), true);
      stored[at % stored.length] = stored[at % stored.length]! ^ (1 << bit);
      assert.equal(verifyIcmpv6Checksum(src, dst, stored), false);
    }),
  );
});

// --- never throws ---------------------------------------------------------------------------------

const VIEW = view(IFACE_B, [v4('192.0.2.10'), v6('2001:db8::10')], [v4('192.0.2.2'), v6('2001:db8::2')]);

test('decoders and the responder never throw on arbitrary or damaged bytes: they return values', () => {
  const bytesArb = fc.oneof(anyBytes, damagedFrameArb);
  const envelopeArb = record({ src: v6Arb, dst: v6Arb, hopLimit: fc.constantFrom(255, 255, 64) });
  fc.assert(
    fc.property(bytesArb, envelopeArb, metaArb, (bytes, envelope, meta) => {
      for (const result of [decodeEthernet(bytes), decodeArp(bytes), decodeArpFrame(bytes), decodeIpv6(bytes), decodeNdp(bytes, envelope), decodeNdpFrame(bytes)]) {
        assert.ok(result.ok || (typeof result.error.code === 'string' && typeof result.error.message === 'string'));
      }
      const frameDecision = respondToFrame(VIEW, bytes, meta);
      assert.ok(['reply', 'drop', 'conflict'].includes(frameDecision.kind));
      const icmpDecision = respondToIcmpv6(VIEW, bytes, { ...envelope, ifindex: 3 });
      assert.ok(['reply', 'drop', 'conflict'].includes(icmpDecision.kind));
    }),
    { numRuns: 500 },
  );
});

test('a reply is always a well-formed frame from our MAC for a VIP we hold', () => {
  // Requests aimed at the VIPs, damaged a little: most are answered or dropped; none is malformed.
  const ethDstArb = fc.oneof(macArb, fc.constantFrom(BROADCAST_MAC, IFACE_B.mac));
  const clientArb = fc.oneof(macArb, macArb.map((m) => macFromBytes(macToBytes(m).map((b, i) => (i === 0 ? b & 0xfe : b)), 0)));
  const requestArb = fc.oneof(
    fc.tuple(arpFrameArb, ethDstArb, clientArb).map(([f, dst, src]) =>
      encodeArpFrame({ eth: { ...f.eth, dst, src }, arp: { ...f.arp, op: 'request', senderMac: src, targetIp: v4('192.0.2.10') } }),
    ),
    fc.tuple(ndpFrameArb, clientArb).map(([f, src]) =>
      encodeNdpFrame(f.ndp.type === 'neighbor-solicitation' ? { ...f, eth: { ...f.eth, src }, ndp: { ...f.ndp, target: v6('2001:db8::10') } } : f),
    ),
  );
  const goodMeta: FrameMeta = { ifindex: 3, packetType: 'broadcast', vlan: null };
  const replies = { arp: 0, ndp: 0 };
  fc.assert(
    fc.property(requestArb, fc.oneof(fc.constant(goodMeta), metaArb), (frame, meta) => {
      const decision = respondToFrame(VIEW, frame, meta);
      if (decision.kind !== 'reply') return;
      replies[decision.ip.includes(':') ? 'ndp' : 'arp'] += 1;
      assert.ok(VIEW.held.has(decision.ip));
      const asArp = decodeArpFrame(decision.frame);
      const asNdp = decodeNdpFrame(decision.frame);
      const src = asArp.ok ? asArp.value.eth.src : asNdp.ok ? asNdp.value.eth.src : null;
      assert.equal(src, IFACE_B.mac);
    }),
    { numRuns: 300 },
  );
  // Not vacuous: both kinds of reply were produced and checked.
  assert.ok(replies.arp > 0 && replies.ndp > 0, JSON.stringify(replies));
});

// --- truncation -----------------------------------------------------------------------------------

test('every prefix of a valid frame shorter than its message decodes as truncated', () => {
  fc.assert(
    fc.property(fc.oneof(arpFrameArb.map((f) => ({ arp: true, bytes: encodeArpFrame(f) })), ndpFrameArb.map((f) => ({ arp: false, bytes: encodeNdpFrame(f) }))), fc.nat(), ({ arp, bytes }, n) => {
      const cut = bytes.subarray(0, n % bytes.length);
      const got = arp ? decodeArpFrame(cut) : decodeNdpFrame(cut);
      assert.equal(got.ok ? 'ok' : got.error.code, 'truncated');
      // The responder judges the Ethernet source first; from a plain unicast sender it is truncated too.
      const fromClient = Uint8Array.from(bytes);
      fromClient.set(macToBytes(MAC_A), 6);
      const decision = respondToFrame(VIEW, fromClient.subarray(0, cut.length), { ifindex: 3, packetType: 'broadcast', vlan: null });
      assert.equal(summaryOf(decision), 'truncated');
    }),
  );
});

function summaryOf(decision: ReturnType<typeof respondToFrame>): string {
  return decision.kind === 'drop' ? decision.reason : decision.kind;
}

test('the sender is never us: frames from our MAC are dropped whatever else they say', () => {
  fc.assert(
    fc.property(validFrameArb, (frame) => {
      const ours = Uint8Array.from(frame);
      ours.set([2, 0, 0, 0, 0, 0x0b], 6);
      const decision = respondToFrame(VIEW, ours, { ifindex: 3, packetType: 'host', vlan: null });
      assert.deepEqual(decision, { kind: 'drop', reason: 'own-mac' });
    }),
  );
});
