// Fuzz target: one BGP message → decodeMessage (header, OPEN, UPDATE with every attribute and
// MP_REACH/MP_UNREACH, NOTIFICATION, KEEPALIVE, ROUTE-REFRESH) in four session contexts (2- and
// 4-octet AS, eBGP, RFC 8654 extended messages). Oracle (fuzz/oracles/bgp-rfc.ts): no throw; header
// errors equal an independent RFC 4271 §6.1 check; every NOTIFICATION and RFC 7606 action agrees
// with the table; UPDATE framing (RFC 7606 §4, §5.3) re-derived without the codec; whatever
// decodes re-encodes and decodes to the same value.
import { isDeepStrictEqual } from 'node:util';
import { decodeMessage, encodeOpen, encodeUpdate, type BgpMessage, type SessionContext } from '../src/bgp/codec/index.ts';
import { UTF8_EDGES } from './engine/mutate.ts';
import { check, type FuzzTarget } from './engine/target.ts';
import { checkNotification, checkUpdateError, expectedHeaderError, FLAGS, repairMessage, updateFraming } from './oracles/bgp-rfc.ts';
import { bgpMessageSeeds, spliceAttribute } from './oracles/bgp-seeds.ts';
import type { Result } from '../src/api/result.ts';
import type { BgpError } from '../src/bgp/codec/errors.ts';

const OLD: SessionContext = { fourOctetAs: false, maxLength: 4096 };
const NEW: SessionContext = { fourOctetAs: true, maxLength: 4096 };
const EXTERNAL: SessionContext = { fourOctetAs: true, maxLength: 4096, external: true };
const EXTENDED: SessionContext = { fourOctetAs: true, maxLength: 65535 };
const TYPES = ['', 'open', 'update', 'notification', 'keepalive', 'route-refresh'];
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function checkDecoded(frame: Uint8Array, ctx: SessionContext, r: Result<BgpMessage, BgpError>): void {
  const header = expectedHeaderError(frame, ctx.maxLength);
  if (header !== null) {
    check(!r.ok, () => `header error ${header.join('/')} expected, the message decoded`);
    const n = r.error.notification;
    check(isDeepStrictEqual([n.code, n.subcode, hex(n.data)], header) && r.error.action === 'session-reset', () => `header: got ${n.code}/${n.subcode} data ${hex(n.data)} ${r.error.action}, RFC 4271 §6.1 says ${header.join('/')}`);
    return;
  }
  const type = frame[18] ?? 0;
  const body = frame.subarray(19);
  const where = `${TYPES[type] ?? type} (${ctx.fourOctetAs ? 4 : 2}-octet AS${ctx.external === true ? ', eBGP' : ''}, max ${ctx.maxLength})`;
  if (!r.ok) {
    const e = r.error;
    const { code, subcode, data } = e.notification;
    checkNotification(code, subcode, where);
    if (type === 1) {
      check(code === 2 && e.action === 'session-reset', `${where}: OPEN error ${code}/${subcode} ${e.action}`);
      if (body[0] !== 4) check(subcode === 1, `${where}: version ${body[0] ?? 0} must be Unsupported Version Number, got 2/${subcode}`);
      check(hex(data) === (subcode === 1 ? '0004' : ''), `${where}: OPEN error 2/${subcode} data ${hex(data)}`);
    } else if (type === 2) {
      const f = updateFraming(body);
      if (f.lengthsOverrun) check(code === 3 && subcode === 1 && e.action === 'session-reset', `${where}: overrunning lengths must be 3/1 session reset (RFC 7606 §4), got ${code}/${subcode} ${e.action}`);
      else if (f.nlriInvalid) check(e.action === 'session-reset', `${where}: unparsable NLRI must reset the session (RFC 7606 §5.3), got ${e.action}`);
      else if (f.attributesOverrun) check(e.action !== 'attribute-discard', `${where}: an overrunning attribute list is treat-as-withdraw at least (RFC 7606 §4)`);
      checkUpdateError(e, frame, ctx.external === true);
      check(e.action !== 'attribute-discard', `${where}: an attribute-discard error must not fail the UPDATE`);
    } else if (type === 5) {
      check(frame.length !== 23 && code === 7 && subcode === 1 && hex(data) === hex(frame), `${where}: ROUTE-REFRESH error ${code}/${subcode}`);
    } else {
      check(false, `${where}: a well-framed ${TYPES[type]} cannot fail, got ${e.code}`);
    }
    return;
  }
  const m = r.value;
  check(m.type === TYPES[type], `${where}: decoded as ${m.type}`);
  switch (m.type) {
    case 'open': {
      const o = m.open;
      check(body[0] === 4 && o.myAs !== 0 && o.holdTime !== 1 && o.holdTime !== 2 && o.bgpId !== '0.0.0.0', `${where}: accepted OPEN breaks §6.2: AS ${o.myAs}, hold ${o.holdTime}, id ${o.bgpId}`);
      const again = decodeMessage(encodeOpen(o), ctx);
      check(again.ok && again.value.type === 'open' && isDeepStrictEqual(again.value.open, o), `${where}: OPEN does not survive encode → decode`);
      break;
    }
    case 'update': {
      const f = updateFraming(body);
      check(!f.lengthsOverrun && !f.nlriInvalid && !f.attributesOverrun, `${where}: badly framed UPDATE accepted`);
      check(f.types.filter((t) => t === 14).length <= 1 && f.types.filter((t) => t === 15).length <= 1, `${where}: duplicate MP attribute accepted (RFC 7606 §3g)`);
      // Only the first of each type counts: later copies are discarded whatever they are (RFC 7606 §3g).
      f.types.forEach((t, i) => check(f.types.indexOf(t) !== i || FLAGS.has(t) || ((f.flags[i] ?? 0) & 0x80) !== 0, `${where}: unrecognized well-known attribute ${t} accepted`));
      for (const d of m.discarded) {
        check(d.action === 'attribute-discard', `${where}: discarded error with action ${d.action}`);
        checkUpdateError(d, frame, ctx.external === true);
      }
      let again: Uint8Array;
      try {
        again = encodeUpdate(m.update, ctx, 65535);
      } catch (e) {
        throw new Error(`${where}: a decoded UPDATE does not encode: ${e instanceof Error ? e.message : String(e)}`);
      }
      const back = decodeMessage(again, { ...ctx, maxLength: 65535 });
      check(back.ok && back.value.type === 'update' && back.value.discarded.length === 0 && isDeepStrictEqual(back.value.update, m.update), () => `${where}: UPDATE does not survive encode → decode: ${hex(again)}`);
      break;
    }
    case 'notification': {
      const n = m.notification;
      check(n.code === body[0] && n.subcode === body[1] && hex(n.data) === hex(body.subarray(2)), `${where}: NOTIFICATION fields differ from the bytes`);
      if (n.communication !== null) {
        const len = n.data[0] ?? 0;
        check(n.code === 6 && (n.subcode === 2 || n.subcode === 4) && Buffer.from(n.communication, 'utf8').length === len, `${where}: shutdown communication not per RFC 9003`);
      }
      break;
    }
    case 'route-refresh':
      check(frame.length === 23, `${where}: ROUTE-REFRESH of ${frame.length} octets accepted`);
      break;
    case 'keepalive':
      break;
  }
}

export const target: FuzzTarget = {
  name: 'bgp-message',
  description: 'one message → decodeMessage in 2-/4-octet AS, eBGP and extended-message contexts; RFC 4271 §6 / RFC 7606 oracle, round trip',
  covers: ['/src/bgp/codec/'],
  maxLen: 4200,
  seeds: bgpMessageSeeds,
  dictionary: UTF8_EDGES,
  mutate: (d, c) => spliceAttribute(d, c.rng),
  fixup: (d, rng) => (rng.chance(4) ? d : repairMessage(d, rng.chance(2), rng.chance(16))),
  run(data) {
    const update = data[18] === 2;
    for (const ctx of update ? [OLD, NEW, EXTERNAL] : [OLD]) checkDecoded(data, ctx, decodeMessage(data, ctx));
    // Once more from a Buffer, as a socket delivers bytes: decoding must not write into its input.
    const buffer = Buffer.from(data);
    checkDecoded(buffer, EXTENDED, decodeMessage(buffer, EXTENDED));
    check(buffer.equals(data), 'decoding wrote into the bytes it was given');
  },
};
