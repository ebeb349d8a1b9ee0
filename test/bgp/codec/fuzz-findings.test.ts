// Regression tests for what the fuzzers found in the BGP codec (fuzz/bgp-message.ts,
// fuzz/bgp-session.ts; docs/fuzzing.md). Each names the finding; the bytes are hand-written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, formatPrefix } from '../../../src/bgp/codec/index.ts';
import { hex, MARKER, NEW, toHex } from './helpers.ts';

function msg(type: number, body: string): Buffer {
  const b = hex(body);
  // A Buffer, as the socket's 'data' event and the framer's subarrays hand it to the decoder.
  return Buffer.from(Uint8Array.of(...hex(MARKER), (19 + b.length) >> 8, (19 + b.length) & 0xff, type, ...b));
}

const isPlain = (b: Uint8Array): boolean => Object.getPrototypeOf(b) === Uint8Array.prototype;

test('regression: decoding a Buffer does not write into it (prefix host bits were masked in place)', () => {
  const bytes = msg(2, `
    00 00                    # Withdrawn Routes Length 0
    00 0e                    # Total Path Attribute Length 14
    40 01 01 00              # ORIGIN IGP
    40 02 00                 # AS_PATH empty
    40 03 04 c0 00 02 01     # NEXT_HOP 192.0.2.1
    17 c0 00 03              # NLRI 192.0.3.0/23: the last bit of the third octet is past the length`);
  const before = toHex(bytes);
  const r = decodeMessage(bytes, NEW);
  assert.ok(r.ok && r.value.type === 'update');
  assert.deepEqual(r.value.update.nlri.map(formatPrefix), ['192.0.2.0/23']);
  assert.equal(toHex(bytes), before, 'the received bytes are left as they came');
});

test('regression: decoded values own their bytes when the input is a Buffer (Buffer#slice is a view, not a copy)', () => {
  const open = msg(1, `
    04 fd e8 00 5a c0 00 02 01  # version 4, AS 65000, hold 90, identifier 192.0.2.1
    06                       # Opt Parm Len 6
    02 04                    # parameter: capabilities, 4 octets
    49 02 68 6c              # capability 73 (FQDN), 2 octets "hl": unknown to the codec, kept raw`);
  const update = msg(2, `
    00 00                    # Withdrawn Routes Length 0
    00 09                    # Total Path Attribute Length 9
    40 01 02 00 00           # ORIGIN of 2 octets: an error whose data is the attribute
    c0 63 01 2a              # attribute 99, optional transitive: kept raw`);
  const notification = msg(3, '06 02 02 68 6c  # Cease / Administrative Shutdown, communication "hl"');
  const o = decodeMessage(open, NEW);
  const u = decodeMessage(update, NEW);
  const n = decodeMessage(notification, NEW);
  for (const b of [open, update, notification]) b.fill(0);
  assert.ok(o.ok && o.value.type === 'open');
  const cap = o.value.open.capabilities[0];
  assert.ok(cap?.kind === 'unknown' && isPlain(cap.value));
  assert.equal(toHex(cap.value), '686c');
  assert.ok(!u.ok && isPlain(u.error.notification.data));
  assert.equal(toHex(u.error.notification.data), '4001020000');
  assert.ok(n.ok && n.value.type === 'notification' && isPlain(n.value.notification.data));
  assert.equal(toHex(n.value.notification.data), '02686c');
});

test('regression: a leading U+FEFF in an RFC 9003 shutdown communication is text, not stripped', () => {
  const r = decodeMessage(msg(3, `
    06 02                    # Cease / Administrative Shutdown
    04                       # communication of 4 octets
    ef bb bf 41              # U+FEFF, "A"`), NEW);
  assert.ok(r.ok && r.value.type === 'notification');
  assert.equal(r.value.notification.communication, '\uFEFFA');
});
