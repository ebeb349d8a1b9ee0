// Test helpers: prefixes and hex from literals (throwing: literals only) and the fixture reader.
import assert from 'node:assert/strict';
import { makePrefix, parsePrefix } from '../../../src/bgp/codec/prefix.ts';
import { type Prefix } from '../../../src/bgp/codec/family.ts';
import { decodeMessage, type SessionContext } from '../../../src/bgp/codec/message.ts';
import type { PathAttributes } from '../../../src/bgp/codec/attributes.ts';
import { loadHexFixtures, parseHexFixture } from '../../support/hex-fixtures.ts';

export function pfx(text: string): Prefix {
  const p = parsePrefix(text);
  if (p === null) throw new Error(`test literal: bad prefix ${text}`);
  return p;
}

export const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex'));
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The sessions of the captures: both sides sent the 4-octet AS capability. */
export const NEW: SessionContext = { fourOctetAs: true, maxLength: 4096 };
export const OLD: SessionContext = { fourOctetAs: false, maxLength: 4096 };

export const MARKER = 'ffffffffffffffffffffffffffffffff';

export const FIXTURE_DIR = new URL('./fixtures/', import.meta.url);

export { parseHexFixture };

/** Every `*.hex` fixture, by file name without the extension. */
export function loadFixtures(): Map<string, Uint8Array> {
  return loadHexFixtures(FIXTURE_DIR);
}

/** n distinct host prefixes: 10.x.y.z/32 or 2001:db8::x:y:z/128. */
export function hosts(family: 'ipv4' | 'ipv6', n: number): Prefix[] {
  const out: Prefix[] = [];
  const addr = new Uint8Array(family === 'ipv4' ? 4 : 16);
  if (family === 'ipv6') addr.set([0x20, 0x01, 0x0d, 0xb8]);
  for (let i = 0; i < n; i++) {
    addr[addr.length - 3] = (i >> 16) & 0xff;
    addr[addr.length - 2] = (i >> 8) & 0xff;
    addr[addr.length - 1] = i & 0xff;
    if (family === 'ipv4') addr[0] = 10;
    out.push(makePrefix(family, addr.length * 8, addr));
  }
  return out;
}

/** Decodes packed messages: the prefixes announced or withdrawn, in order, and the attributes seen. */
export function unpack(messages: readonly Uint8Array[], ctx: SessionContext): { prefixes: Prefix[]; attributes: PathAttributes[] } {
  const prefixes: Prefix[] = [];
  const attributes: PathAttributes[] = [];
  for (const m of messages) {
    assert.ok(m.length <= ctx.maxLength, `message of ${m.length} > ${ctx.maxLength}`);
    const r = decodeMessage(m, ctx);
    assert.ok(r.ok && r.value.type === 'update', r.ok ? 'not an update' : r.error.message);
    const { update } = r.value;
    const { mpReach, mpUnreach, ...rest } = update.attributes;
    prefixes.push(...update.nlri, ...update.withdrawn, ...(mpReach?.nlri ?? []), ...(mpUnreach?.withdrawn ?? []));
    attributes.push(mpReach ? { ...rest, mpReach: { ...mpReach, nlri: [] } } : rest);
  }
  return { prefixes, attributes };
}

