// Address families as BGP names them (RFC 4760 §3 AFI/SAFI) and the Prefix value the codec
// carries. A leaf: errors.ts and prefix.ts both import it (issue #9 broke their import cycle).
export type Family = 'ipv4' | 'ipv6';

/** RFC 4760 §3 Address Family Identifier (IANA) and Subsequent AFI. */
export const AFI_IPV4 = 1;
export const AFI_IPV6 = 2;
export const SAFI_UNICAST = 1;

export interface AfiSafi {
  readonly afi: number;
  readonly safi: number;
}

export const FAMILY_AFI: Readonly<Record<Family, number>> = { ipv4: AFI_IPV4, ipv6: AFI_IPV6 };
export const FAMILY_BITS: Readonly<Record<Family, number>> = { ipv4: 32, ipv6: 128 };

export function familyOf(afi: number, safi: number): Family | null {
  if (safi !== SAFI_UNICAST) return null;
  return afi === AFI_IPV4 ? 'ipv4' : afi === AFI_IPV6 ? 'ipv6' : null;
}

export interface Prefix {
  readonly family: Family;
  /** Prefix length in bits: 0..32 or 0..128. */
  readonly length: number;
  /** ceil(length / 8) octets, bits past `length` zero. */
  readonly bytes: Uint8Array;
}
