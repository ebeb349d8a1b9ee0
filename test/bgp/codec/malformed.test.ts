// Hand-written malformed messages, one per RFC 4271 §6 error (GoBGP style: a comment per field),
// each asserting the stable code, the NOTIFICATION code/subcode/data and the RFC 7606 action.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFourOctetAs, decodeMessage, formatPrefix, type BgpError, type SessionContext } from '../../../src/bgp/codec/index.ts';
import { hex, MARKER, NEW, OLD, toHex } from './helpers.ts';

/** A message from its type and hand-written body; the length field is computed. */
function msg(type: number, body: string): Uint8Array {
  const b = hex(body);
  return Uint8Array.of(...hex(MARKER), (19 + b.length) >> 8, (19 + b.length) & 0xff, type, ...b);
}
const OPEN = 1, UPDATE = 2, ROUTE_REFRESH = 5;

interface Case {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly ctx?: SessionContext;
  readonly code: BgpError['code'];
  readonly notification: readonly [number, number];
  readonly data: string;
  readonly action: BgpError['action'];
  readonly withdraw?: readonly string[];
}

const ATTRS_OK = `
  40 01 01 00               # ORIGIN IGP
  40 02 06 02 01 00 00 fb f4 # AS_PATH: AS_SEQUENCE of 1: 64500 (4-octet)
  40 03 04 c0 00 02 01      # NEXT_HOP 192.0.2.1`;
/** UPDATE body: no withdrawn, the given attributes, NLRI 192.0.2.0/24. */
const update = (attrs: string, nlri = '18 c0 00 02  # NLRI 192.0.2.0/24') => {
  const a = hex(attrs);
  return msg(UPDATE, `00 00 ${toHex(Uint8Array.of(a.length >> 8, a.length & 0xff))} ${toHex(a)} ${hex(nlri).length ? toHex(hex(nlri)) : ''}`);
};

const CASES: Case[] = [
  // ---- §6.1 header -----------------------------------------------------------------------------
  { name: 'marker not all ones', code: 'connection-not-synchronized', notification: [1, 1], data: '', action: 'session-reset',
    bytes: hex(`ffffffffffffffffffffffffffff fe ff  # marker, octet 15 is 0xfe
                00 13                               # length 19
                04                                  # KEEPALIVE`) },
  { name: 'length below 19', code: 'bad-message-length', notification: [1, 2], data: '0012', action: 'session-reset',
    bytes: hex(`${MARKER} 00 12  # length 18
                04 00            # KEEPALIVE, one octet so that the frame is 19`) },
  { name: 'KEEPALIVE longer than 19', code: 'bad-message-length', notification: [1, 2], data: '0014', action: 'session-reset',
    bytes: msg(4, '00  # one octet of body: a KEEPALIVE is the header alone (§4.4)') },
  { name: 'OPEN shorter than 29', code: 'bad-message-length', notification: [1, 2], data: '001c', action: 'session-reset',
    bytes: msg(OPEN, '04 fb f4 00 5a c0 00 02 01  # version, AS, hold time, identifier; no Opt Parm Len') },
  { name: 'unknown message type 6', code: 'bad-message-type', notification: [1, 3], data: '06', action: 'session-reset',
    bytes: msg(6, '') },
  // ---- §6.2 OPEN -------------------------------------------------------------------------------
  { name: 'version 3', code: 'unsupported-version', notification: [2, 1], data: '0004', action: 'session-reset',
    bytes: msg(OPEN, `03           # version 3: data is our version, 4, in 2 octets
                      fb f4 00 5a  # AS 64500, hold time 90
                      c0 00 02 01  # identifier 192.0.2.1
                      00           # no optional parameters`) },
  { name: 'My AS 0 (RFC 7607)', code: 'bad-peer-as', notification: [2, 2], data: '', action: 'session-reset',
    bytes: msg(OPEN, '04 00 00 00 5a c0 00 02 01 00  # version 4, AS 0, hold 90, id, no params') },
  { name: 'identifier 0.0.0.0 (RFC 6286 §2.2)', code: 'bad-bgp-identifier', notification: [2, 3], data: '', action: 'session-reset',
    bytes: msg(OPEN, '04 fb f4 00 5a 00 00 00 00 00  # version 4, AS 64500, hold 90, id 0.0.0.0') },
  { name: 'optional parameter 1 (authentication, deprecated)', code: 'unsupported-optional-parameter', notification: [2, 4], data: '', action: 'session-reset',
    bytes: msg(OPEN, `04 fb f4 00 5a c0 00 02 01
                      04           # Opt Parm Len 4
                      01 02 00 00  # parameter type 1, length 2`) },
  { name: 'hold time 1', code: 'unacceptable-hold-time', notification: [2, 6], data: '', action: 'session-reset',
    bytes: msg(OPEN, '04 fb f4 00 01 c0 00 02 01 00  # hold time 1 s: must be 0 or ≥ 3') },
  { name: 'hold time 2', code: 'unacceptable-hold-time', notification: [2, 6], data: '', action: 'session-reset',
    bytes: msg(OPEN, '04 fb f4 00 02 c0 00 02 01 00  # hold time 2 s') },
  { name: '4-octet AS capability of 2 octets', code: 'malformed-optional-parameter', notification: [2, 0], data: '', action: 'session-reset',
    bytes: msg(OPEN, `04 5b a0 00 5a c0 00 02 01  # AS_TRANS
                      06           # Opt Parm Len 6
                      02 04        # capabilities, 4 octets
                      41 02 00 01  # 4-octet AS (65) of length 2: RFC 6793 §3 says 4`) },
  { name: 'capability overruns its parameter', code: 'malformed-optional-parameter', notification: [2, 0], data: '', action: 'session-reset',
    bytes: msg(OPEN, `04 fb f4 00 5a c0 00 02 01 04
                      02 02        # capabilities, 2 octets
                      01 04        # multiprotocol, length 4: past the parameter`) },
  // ---- §6.3 UPDATE -----------------------------------------------------------------------------
  { name: 'Withdrawn Routes Length overruns', code: 'malformed-attribute-list', notification: [3, 1], data: '', action: 'session-reset',
    bytes: msg(UPDATE, '00 10  # 16 octets of withdrawn routes\n 18 c0 00 02  # but only 4 follow') },
  { name: 'Total Path Attribute Length overruns', code: 'malformed-attribute-list', notification: [3, 1], data: '', action: 'session-reset',
    bytes: msg(UPDATE, '00 00  # no withdrawn\n 00 20  # 32 octets of attributes\n 40 01 01 00  # only 4 follow') },
  { name: 'attribute overruns the attribute list (RFC 7606 §4)', code: 'malformed-attribute-list', notification: [3, 1], data: '',
    action: 'treat-as-withdraw', withdraw: ['192.0.2.0/24'],
    bytes: update(`${ATTRS_OK}
                   c0 08 08 fb f4 00 64  # COMMUNITIES claiming 8 octets, 4 in the list`) },
  { name: 'MP_REACH_NLRI twice (RFC 7606 §3g)', code: 'malformed-attribute-list', notification: [3, 1], data: '', action: 'session-reset',
    bytes: update(`80 0e 09 00 01 01 04  # MP_REACH_NLRI of 9: IPv4 unicast, next hop length 4...
                   c0 00 02 01 00        # ...192.0.2.1, reserved, no NLRI
                   80 0e 09 00 01 01 04 c0 00 02 01 00  # and again
                   ${ATTRS_OK}`) },
  { name: 'unknown well-known attribute 99', code: 'unrecognized-well-known-attribute', notification: [3, 2], data: '40630100', action: 'session-reset',
    bytes: update(`${ATTRS_OK}
                   40 63 01 00  # flags 0x40 (well-known, transitive), type 99, length 1`) },
  { name: 'ORIGIN missing', code: 'missing-well-known-attribute', notification: [3, 3], data: '01', action: 'treat-as-withdraw', withdraw: ['192.0.2.0/24'],
    bytes: update(`40 02 00               # AS_PATH, empty (iBGP)
                   40 03 04 c0 00 02 01   # NEXT_HOP`) },
  { name: 'ORIGIN missing in an IPv6 UPDATE: its MP_REACH_NLRI prefixes are withdrawn', code: 'missing-well-known-attribute', notification: [3, 3], data: '01',
    action: 'treat-as-withdraw', withdraw: ['2001:db8:1::/48', '2001:db8::/32'],
    bytes: update(`80 0f 08 00 02 01 20 20 01 0d b8  # MP_UNREACH_NLRI IPv6: 2001:db8::/32
                   80 0e 1c 00 02 01 10              # MP_REACH_NLRI IPv6 of 28 octets, next hop of 16
                   20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01  # 2001:db8::1
                   00                                # reserved
                   30 20 01 0d b8 00 01              # 2001:db8:1::/48
                   40 02 00                          # AS_PATH, empty; no ORIGIN`, '') },
  { name: 'NEXT_HOP missing with IPv4 NLRI', code: 'missing-well-known-attribute', notification: [3, 3], data: '03', action: 'treat-as-withdraw', withdraw: ['192.0.2.0/24'],
    bytes: update('40 01 01 00  # ORIGIN\n 40 02 00  # AS_PATH empty') },
  { name: 'ORIGIN flagged optional', code: 'attribute-flags-error', notification: [3, 4], data: 'c0010100', action: 'treat-as-withdraw', withdraw: ['192.0.2.0/24'],
    bytes: update(`c0 01 01 00               # ORIGIN with flags 0xc0: well-known must not be optional
                   40 02 00 40 03 04 c0 00 02 01  # AS_PATH, NEXT_HOP`) },
  { name: 'MP_REACH_NLRI flagged transitive', code: 'attribute-flags-error', notification: [3, 4], data: 'c00e0900010104c000020100', action: 'session-reset',
    bytes: update(`c0 0e 09 00 01 01 04 c0 00 02 01 00  # flags 0xc0: MP_REACH_NLRI is optional non-transitive
                   ${ATTRS_OK}`) },
  { name: 'NEXT_HOP of 5 octets (RFC 7606 §7.3)', code: 'attribute-length-error', notification: [3, 5], data: '400305c000020100', action: 'treat-as-withdraw', withdraw: ['192.0.2.0/24'],
    bytes: update(`40 01 01 00 40 02 00  # ORIGIN, AS_PATH
                   40 03 05 c0 00 02 01 00  # NEXT_HOP of length 5`) },
  { name: 'MULTI_EXIT_DISC of 2 octets (§7.4)', code: 'attribute-length-error', notification: [3, 5], data: '8004020032', action: 'treat-as-withdraw', withdraw: ['192.0.2.0/24'],
    bytes: update(`${ATTRS_OK}\n 80 04 02 00 32  # MED, length 2`) },
  { name: 'LOCAL_PREF of 0 octets (§7.5)', code: 'attribute-length-error', notification: [3, 5], data: '400500', action: 'treat-as-withdraw', withdraw: ['192.0.2.0/24'],
    bytes: update(`${ATTRS_OK}\n 40 05 00  # LOCAL_PREF, length 0`) },
  { name: 'COMMUNITIES of 3 octets (§7.8)', code: 'attribute-length-error', notification: [3, 5], data: 'c00803fbf400', action: 'treat-as-withdraw', withdraw: ['192.0.2.0/24'],
    bytes: update(`${ATTRS_OK}\n c0 08 03 fb f4 00  # COMMUNITIES, length 3`) },
  { name: 'LARGE_COMMUNITY of 8 octets (RFC 8092 §6)', code: 'attribute-length-error', notification: [3, 5], data: 'c020080000fbf400000001', action: 'treat-as-withdraw', withdraw: ['192.0.2.0/24'],
    bytes: update(`${ATTRS_OK}\n c0 20 08 00 00 fb f4 00 00 00 01  # LARGE_COMMUNITY, length 8`) },
  { name: 'ATOMIC_AGGREGATE of 1 octet (§7.6): discarded', code: 'attribute-length-error', notification: [3, 5], data: '40060100', action: 'attribute-discard',
    bytes: update(`${ATTRS_OK}\n 40 06 01 00  # ATOMIC_AGGREGATE, length 1`) },
  { name: 'AGGREGATOR of 7 octets (§7.7): discarded', code: 'attribute-length-error', notification: [3, 5], data: 'c007070000fbf4c00002', action: 'attribute-discard',
    bytes: update(`${ATTRS_OK}\n c0 07 07 00 00 fb f4 c0 00 02  # AGGREGATOR, 7 octets (4-octet session wants 8)`) },
  { name: 'ORIGIN 3 (§7.1)', code: 'invalid-origin', notification: [3, 6], data: '40010103', action: 'treat-as-withdraw', withdraw: ['192.0.2.0/24'],
    bytes: update('40 01 01 03  # ORIGIN 3: only 0, 1, 2 exist\n 40 02 00 40 03 04 c0 00 02 01') },
  { name: 'NEXT_HOP multicast 224.0.0.1', code: 'invalid-next-hop', notification: [3, 8], data: '400304e0000001', action: 'treat-as-withdraw', withdraw: ['192.0.2.0/24'],
    bytes: update('40 01 01 00 40 02 00\n 40 03 04 e0 00 00 01  # NEXT_HOP 224.0.0.1') },
  { name: 'MP_REACH_NLRI IPv6 next hop of 8 octets (RFC 7606 §7.11)', code: 'optional-attribute-error', notification: [3, 9],
    data: '800e0d' + '000201' + '08' + '00'.repeat(8) + '00', action: 'session-reset',
    bytes: update(`80 0e 0d        # MP_REACH_NLRI, 13 octets
                   00 02 01        # AFI 2 (IPv6), SAFI 1
                   08              # next hop length 8: IPv6 wants 16 or 32
                   00 00 00 00 00 00 00 00  # next hop
                   00              # reserved
                   40 01 01 00 40 02 00`, '') },
  { name: 'MP_UNREACH_NLRI with prefix /129', code: 'optional-attribute-error', notification: [3, 9], data: '800f0400020181', action: 'session-reset',
    bytes: update('80 0f 04 00 02 01 81  # MP_UNREACH_NLRI IPv6 unicast, prefix length 129\n', '') },
  { name: 'NLRI /33 (RFC 7606 §5.3)', code: 'invalid-network-field', notification: [3, 10], data: '', action: 'session-reset',
    bytes: update(ATTRS_OK, '21 c0 00 02 00 00  # prefix length 33') },
  { name: 'NLRI prefix cut short', code: 'invalid-network-field', notification: [3, 10], data: '', action: 'session-reset',
    bytes: update(ATTRS_OK, '18 c0 00  # /24 needs 3 octets, 2 follow') },
  { name: 'AS_PATH segment type 5 (§7.2)', code: 'malformed-as-path', notification: [3, 11], data: '40020605010000fbf4', action: 'treat-as-withdraw', withdraw: ['192.0.2.0/24'],
    bytes: update('40 01 01 00\n 40 02 06 05 01 00 00 fb f4  # segment type 5\n 40 03 04 c0 00 02 01') },
  { name: 'AS_PATH segment of length 0 (§7.2)', code: 'malformed-as-path', notification: [3, 11], data: '4002020200', action: 'treat-as-withdraw', withdraw: ['192.0.2.0/24'],
    bytes: update('40 01 01 00\n 40 02 02 02 00  # AS_SEQUENCE of 0 ASNs\n 40 03 04 c0 00 02 01') },
  { name: 'AS_PATH 4-octet ASNs to a 2-octet session', ctx: OLD, code: 'malformed-as-path', notification: [3, 11], data: '40020602010000fbf4', action: 'treat-as-withdraw', withdraw: ['192.0.2.0/24'],
    bytes: update(ATTRS_OK) },
  { name: 'AS4_PATH malformed (RFC 6793 §6): discarded', ctx: OLD, code: 'malformed-as-path', notification: [3, 11], data: 'c01103020100', action: 'attribute-discard',
    bytes: update('40 01 01 00 40 02 04 02 01 fb f4 40 03 04 c0 00 02 01  # 2-octet AS_PATH 64500\n c0 11 03 02 01 00  # AS4_PATH: a segment of 1 ASN in 1 octet') },
  // ---- RFC 7313 §5 ---------------------------------------------------------------------------
  { name: 'ROUTE-REFRESH of 24 octets', code: 'invalid-route-refresh-length', notification: [7, 1], data: `${MARKER}0018050001000100`, action: 'session-reset',
    bytes: msg(ROUTE_REFRESH, '00 01 00 01  # AFI 1, subtype 0, SAFI 1\n 00  # one octet too many') },
];

for (const c of CASES) {
  test(`${c.name} → ${c.code} ${c.notification.join('/')}, ${c.action}`, () => {
    const r = decodeMessage(c.bytes, c.ctx ?? NEW);
    let error: BgpError;
    if (c.action === 'attribute-discard') {
      assert.ok(r.ok && r.value.type === 'update', 'attribute-discard leaves the UPDATE usable');
      const d = r.value.discarded[0];
      assert.ok(d, 'the discarded attribute is reported');
      error = d;
    } else {
      assert.ok(!r.ok, 'decodes to an error');
      error = r.error;
    }
    assert.equal(error.code, c.code);
    assert.deepEqual([error.notification.code, error.notification.subcode], c.notification);
    assert.equal(toHex(error.notification.data), c.data);
    assert.equal(error.action, c.action);
    assert.deepEqual(error.withdraw.map(formatPrefix), c.withdraw ?? []);
  });
}

test('duplicate ORIGIN: the later copy is dropped and the UPDATE processed (RFC 7606 §3g)', () => {
  const r = decodeMessage(update(`${ATTRS_OK}\n 40 01 01 02  # ORIGIN again, INCOMPLETE`), NEW);
  assert.ok(r.ok && r.value.type === 'update');
  assert.equal(r.value.update.attributes.origin, 'igp');
  assert.deepEqual(r.value.discarded.map((e) => [e.code, e.action]), [['malformed-attribute-list', 'attribute-discard']]);
});

test('LOCAL_PREF from an external peer is discarded, the UPDATE kept (RFC 7606 §7.5)', () => {
  const bytes = update(`${ATTRS_OK}\n 40 05 04 00 00 00 64  # LOCAL_PREF 100`);
  const ebgp = decodeMessage(bytes, { ...NEW, external: true });
  assert.ok(ebgp.ok && ebgp.value.type === 'update');
  assert.equal(ebgp.value.update.attributes.localPref, undefined);
  assert.deepEqual(ebgp.value.discarded.map((e) => [e.code, e.action]), [['local-pref-from-external', 'attribute-discard']]);
  const ibgp = decodeMessage(bytes, NEW);
  assert.ok(ibgp.ok && ibgp.value.type === 'update');
  assert.equal(ibgp.value.update.attributes.localPref, 100);
});

test('the most severe problem wins: a discard plus a withdraw is a withdraw (RFC 7606 §3)', () => {
  const r = decodeMessage(update(`40 01 01 00 40 02 00\n 40 06 01 00  # ATOMIC_AGGREGATE bad\n 40 03 04 e0 00 00 01  # NEXT_HOP multicast`), NEW);
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'invalid-next-hop');
});

// ---- the codec's one OPEN check past decoding (checkFourOctetAs); the RFC 4271 §6.2 checks
// that need configuration are the FSM's (test/bgp/fsm.test.ts, issue #9) -----------------------
const peerOpen = decodeMessage(msg(OPEN, `04 5b a0 00 5a c0 00 02 02  # AS_TRANS, hold 90, id 192.0.2.2
                                          08 02 06 41 04 00 01 00 0e   # capabilities: 4-octet AS 65550`), NEW);
const open = peerOpen.ok && peerOpen.value.type === 'open' ? peerOpen.value.open : null;

test('checkFourOctetAs: My AS must be AS_TRANS when the 4-octet AS needs 4 octets (RFC 6793 §4.1)', () => {
  assert.ok(open);
  assert.equal(checkFourOctetAs(open), null);
  const e = checkFourOctetAs({ ...open, myAs: 65000 });
  assert.equal(e?.code, 'bad-peer-as');
});
