// Shared by the BFD tests: a packet with defaults, the real captured bytes, and actions as short
// strings for story tables.
import { loadHexFixtures } from '../support/hex-fixtures.ts';
import type { BfdAction, BfdControl } from '../../src/bfd/types.ts';

/** A valid Control packet (RFC 5880 §4.1); override what the test is about. */
export function control(over: Partial<BfdControl> = {}): BfdControl {
  return {
    version: 1, diag: 0, state: 'Down', poll: false, final: false, cpi: false, auth: false, demand: false, multipoint: false,
    detectMult: 3, myDiscriminator: 0x2222, yourDiscriminator: 0, desiredMinTxUs: 1_000_000, requiredMinRxUs: 300_000, requiredMinEchoRxUs: 0,
    ...over,
  };
}

/** test/bfd/fixtures/*.hex (README.md there): BIRD 2.0.12 and FRR bfdd 8.4.4, by file name. */
export function loadFixtures(): Map<string, Uint8Array> {
  return loadHexFixtures(new URL('./fixtures/', import.meta.url));
}

export function fixture(fixtures: Map<string, Uint8Array>, name: string): Uint8Array {
  const b = fixtures.get(name);
  if (b === undefined) throw new Error(`no test/bfd/fixtures/${name}.hex`);
  return b;
}

/**
 * Actions as short strings: "state Down>Init diag=0", "send Init P" (state and P/F bits, with
 * "your=0" when Your Discriminator is 0), "tx 750", "tx off", "detect 900", "detect off".
 */
export function brief(a: BfdAction): string {
  switch (a.kind) {
    case 'state':
      return `state ${a.from}>${a.to} diag=${a.diag}`;
    case 'send':
      return ['send', a.packet.state, a.packet.poll ? 'P' : '', a.packet.final ? 'F' : '', a.packet.yourDiscriminator === 0 ? 'your=0' : ''].filter(Boolean).join(' ');
    case 'timer':
      return `${a.timer} ${a.ms === null ? 'off' : round(a.ms)}`;
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
