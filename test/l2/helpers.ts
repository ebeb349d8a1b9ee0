// Test helpers: typed constants from text (throwing, for literals only) and the fixture reader.
import { readFileSync } from 'node:fs';
import { parseMac, type Mac } from '../../src/l2/ethernet.ts';
import { parseIpv4, parseIpv6, type IpAddress, type Ipv4, type Ipv6 } from '../../src/l2/ip.ts';
import type { L2Interface, ResponderView } from '../../src/l2/responder.ts';
import { loadHexFixtures, parseHexFixture } from '../support/hex-fixtures.ts';
import type { Result } from '../../src/api/result.ts';
import type { L2Error } from '../../src/l2/result.ts';

function unwrap<T>(result: Result<T, L2Error>): T {
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

export { parseHexFixture };

/** Every `*.hex` fixture, by file name without the extension. */
export function loadFixtures(): Map<string, Uint8Array> {
  return loadHexFixtures(FIXTURE_DIR);
}

export function fixture(name: string): Uint8Array {
  return parseHexFixture(readFileSync(new URL(`${name}.hex`, FIXTURE_DIR), 'utf8'), name);
}
