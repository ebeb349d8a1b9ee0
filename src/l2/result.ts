import type { Result } from '../api/result.ts';
// Errors of the L2 codecs as values with stable codes (STYLE.md lesson 3). A decode never throws:
// it returns one of these, and the responder turns the code into a drop reason as it is, so a
// malformed frame from the wire is counted and logged by code without a lookup table.

export type L2ErrorCode =
  // Any layer: the bytes end before the header or the length field says they should.
  | 'truncated'
  // Ethernet: a frame of another protocol than the decoder was asked for.
  | 'unsupported-ethertype'
  // Ethernet: 802.1Q/802.1ad tag in the bytes (the speaker binds per interface; a tagged frame
  // belongs to a VLAN sub-interface, not to us).
  | 'vlan-tagged'
  // ARP, RFC 826: only Ethernet (htype 1) / IPv4 (ptype 0x0800, hlen 6, plen 4), op 1 or 2.
  | 'bad-htype'
  | 'bad-ptype'
  | 'bad-hlen'
  | 'bad-plen'
  | 'unknown-op'
  // IPv6 header (RFC 8200 §3).
  | 'bad-ip-version'
  | 'not-icmpv6'
  // ICMPv6 (RFC 4443 §2.3) and NDP validation (RFC 4861 §7.1.1, §7.1.2).
  | 'bad-checksum'
  | 'not-ndp'
  | 'bad-hop-limit'
  | 'bad-code'
  | 'bad-icmp-length'
  | 'target-multicast'
  | 'bad-option-length'
  | 'dad-bad-destination'
  | 'dad-with-source-lla'
  | 'solicited-to-multicast'
  // Text forms handed in by callers.
  | 'bad-mac'
  | 'bad-ip';

export interface L2Error {
  readonly code: L2ErrorCode;
  readonly message: string;
}

export function ok<T>(value: T): Result<T, L2Error> {
  return { ok: true, value };
}

export function fail<T>(code: L2ErrorCode, message: string): Result<T, L2Error> {
  return { ok: false, error: { code, message } };
}

/** `truncated` with what was needed and what was there, the most common failure on the wire. */
export function truncated<T>(what: string, need: number, have: number): Result<T, L2Error> {
  return fail('truncated', `${what}: need ${need} bytes, have ${have}`);
}
