// Fuzz target: one datagram → decodeHeartbeat, without a key and with one. Oracle: nothing throws;
// an unsigned heartbeat that decodes re-encodes to exactly its bytes (the decoder accepts one
// spelling of each heartbeat, so nothing can be smuggled past a comparison of decoded values);
// with a key, only a datagram whose tag is the HMAC of its body decodes, and then to the same
// heartbeat as without the key, and the same during a key rotation that still accepts it.
import { createHmac } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { decodeHeartbeat, encodeHeartbeat, type Heartbeat } from '../src/election/heartbeat.ts';
import { UTF8_EDGES, type MutationContext } from './engine/mutate.ts';
import { check, type FuzzTarget } from './engine/target.ts';

const KEY = new TextEncoder().encode('fuzz-heartbeat-key-0123456789abcdef');
const NEXT_KEY = new TextEncoder().encode('fuzz-heartbeat-next-key-abcdef012');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const SAMPLE: Heartbeat = {
  node: 'node-a', incarnation: 1_700_000_000_000, seq: 42, fenced: false, leaving: false, warming: true, apiAgeMs: 1500,
  policies: ['default', 'edge'],
  heard: [{ node: 'node-b', incarnation: 7, seq: 41, ageMs: 120 }, { node: 'nöde-c', incarnation: 2 ** 53 - 1, seq: 0xffffffff, ageMs: 65535 }],
  notes: [{ ip: '192.0.2.10', holder: 'node-a', epoch: 3 }, { ip: '2001:db8::10', holder: '', epoch: 0xffffffff }, { ip: '::ffff:192.0.2.1', holder: 'node-b', epoch: 1 }],
};

function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const variants: Heartbeat[] = [SAMPLE, { ...SAMPLE, fenced: true, leaving: true, warming: false, apiAgeMs: null, policies: [], heard: [], notes: [] }];
  for (const v of variants) {
    for (const key of [undefined, KEY]) {
      const r = encodeHeartbeat(v, key);
      if (r.ok) out.push(r.value);
    }
  }
  return out;
}

const ODD_CHARACTERS = ['\uFEFF', '\u0000', '\uFFFD', '\u202E', 'é', '\u{10FFFF}', ' ', '/'];

/**
 * Structure-aware mutation (libFuzzer's custom mutator): decode, change one field (a character in
 * a name, a number at a bound, an entry dropped or doubled), encode. Reaches what two coordinated
 * byte edits would need, e.g. a character added to a name together with its length octet.
 */
function mutateHeartbeat(d: Uint8Array, c: MutationContext): Uint8Array | null {
  const r = decodeHeartbeat(d);
  if (!r.ok) return null;
  const policies = [...r.value.policies];
  const heard = r.value.heard.map((h) => ({ ...h }));
  const notes = r.value.notes.map((n) => ({ ...n }));
  const m: Heartbeat = { ...r.value, policies, heard, notes };
  const odd = (s: string): string => {
    const at = c.rng.below(s.length + 1);
    return s.slice(0, at) + (c.rng.pick(ODD_CHARACTERS) ?? '') + s.slice(at);
  };
  switch (c.rng.below(6)) {
    case 0: m.node = odd(m.node); break;
    case 1: if (policies.length > 0) policies[0] = odd(policies[0] ?? ''); else policies.push(odd('p')); break;
    case 2: { const h = heard[0]; if (h !== undefined) h.node = odd(h.node); break; }
    case 3: { const n = notes[0]; if (n !== undefined) n.holder = odd(n.holder); break; }
    case 4: m.seq = c.rng.pick([0, 1, 0xffffffff, c.rng.u32()]) ?? 0; m.incarnation = c.rng.pick([0, 2 ** 53 - 1, c.rng.u32()]) ?? 0; break;
    default: heard.push(...heard); notes.reverse(); break;
  }
  const signed = ((d[3] ?? 0) & 4) !== 0;
  const out = encodeHeartbeat(m, signed ? KEY : undefined, 65535);
  return out.ok ? out.value : null;
}

/** Signs the body with the test key, so that mutated signed datagrams also reach the decoder past the tag check. */
function resign(d: Uint8Array): Uint8Array {
  if (d.length < 20 || ((d[3] ?? 0) & 4) === 0) return d;
  const out = d.slice();
  out.set(createHmac('sha256', KEY).update(d.subarray(0, d.length - 16)).digest().subarray(0, 16), d.length - 16);
  return out;
}

export const target: FuzzTarget = {
  name: 'heartbeat',
  description: 'datagram → decodeHeartbeat without and with a key; exact re-encoding, HMAC acceptance',
  covers: ['/src/election/heartbeat.ts'],
  maxLen: 1500,
  seeds,
  dictionary: UTF8_EDGES,
  mutate: mutateHeartbeat,
  fixup: (d, rng) => (rng.chance(2) ? resign(d) : d),
  run(data) {
    const plain = decodeHeartbeat(data);
    const keyed = decodeHeartbeat(data, KEY);
    // During a key rotation (sign with the next key, accept the old one too) the answer is the same.
    const rotating = decodeHeartbeat(data, { sign: NEXT_KEY, also: KEY });
    check(rotating.ok === keyed.ok && (!keyed.ok || isDeepStrictEqual(rotating, keyed)), 'a rotation that still accepts the key decides differently');
    const signed = data.length >= 4 && ((data[3] ?? 0) & 4) !== 0;
    if (keyed.ok) {
      const tag = createHmac('sha256', KEY).update(data.subarray(0, data.length - 16)).digest().subarray(0, 16);
      check(signed && hex(tag) === hex(data.subarray(data.length - 16)), 'accepted with the key, but not signed with it');
      check(plain.ok && isDeepStrictEqual(plain.value, keyed.value), 'the key changes what a signed heartbeat says');
    }
    if (!plain.ok) return;
    const again = encodeHeartbeat(plain.value, signed ? KEY : undefined, 65535);
    check(again.ok, () => `a decoded heartbeat does not encode: ${again.ok ? '' : again.error.message}`);
    const body = signed ? data.subarray(0, data.length - 16) : data;
    const bodyAgain = signed ? again.value.subarray(0, again.value.length - 16) : again.value;
    check(hex(bodyAgain) === hex(body), () => `heartbeat does not re-encode to its bytes:\n  in  ${hex(body)}\n  out ${hex(bodyAgain)}`);
  },
};
