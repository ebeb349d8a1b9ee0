// Test helpers: typed constants from text (throwing, for literals only) and the fixture reader.
import { readdirSync, readFileSync } from 'node:fs';
import { parseMac, type Mac } from '../../src/l2/ethernet.ts';
import { parseIpv4, parseIpv6, type IpAddress, type Ipv4, type Ipv6 } from '../../src/l2/ip.ts';
import type { L2Interface, ResponderView } from '../../src/l2/responder.ts';
import type { L2Result } from '../../src/l2/result.ts';

function unwrap<T>(result: L2Result<T>): T {
  if (!result.ok) throw new Error(`test literal: ${result.error.message}`);
  return result.value;
}

export const mac = (text: string): Mac => unwrap(parseMac(text));
export const v4 = (text: string): Ipv4 => unwrap(parseIpv4(text));
export const v6 = (text: string): Ipv6 => unwrap(parseIpv6(text));

export const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The two hosts of the captures (test/l2/fixtures/README.md). */
export const MAC_A = mac('02:00:00:00:00:0a');
export const MAC_B = mac('02:00:00:00:00:0b');
export const IFACE_A: L2Interface = { name: 'va', ifindex: 2, mac: MAC_A };
export const IFACE_B: L2Interface = { name: 'vb', ifindex: 3, mac: MAC_B };

export function view(iface: L2Interface, held: readonly IpAddress[], own: readonly IpAddress[] = []): ResponderView {
  return { iface, held: new Set(held), own: new Set(own) };
}

export const FIXTURE_DIR = new URL('./fixtures/', import.meta.url);

/** Parses an annotated hex file: `#` starts a comment, the rest must be pairs of hex digits. */
export function parseHexFixture(text: string, name: string): Uint8Array {
  const bytes: number[] = [];
  text.split('\n').forEach((line, i) => {
    for (const token of (line.split('#')[0] ?? '').trim().split(/\s+/).filter(Boolean)) {
      if (!/^[0-9a-f]{2}$/i.test(token)) throw new Error(`${name}:${i + 1}: "${token}" is not a hex byte`);
      bytes.push(parseInt(token, 16));
    }
  });
  return Uint8Array.from(bytes);
}

/** Every `*.hex` fixture, by file name without the extension. */
export function loadFixtures(): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const file of readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.hex')).sort()) {
    out.set(file.slice(0, -'.hex'.length), parseHexFixture(readFileSync(new URL(file, FIXTURE_DIR), 'utf8'), file));
  }
  return out;
}

export function fixture(name: string): Uint8Array {
  return parseHexFixture(readFileSync(new URL(`${name}.hex`, FIXTURE_DIR), 'utf8'), name);
}
