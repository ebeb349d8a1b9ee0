// The BFD Control packet on the wire (RFC 5880 §4.1, mandatory section; RFC 5881 carries it in
// UDP to port 3784). Pure: bytes in, a value or a refusal out, never a throw. The decoder applies
// the packet-level reception checks of §6.8.6 in the RFC's order; the session-level ones
// (discriminators, AdminDown) are the FSM's (fsm.ts `sessionCheck`).
import { put32, u32, u8 } from '../api/bytes.ts';
import type { Result } from '../api/result.ts';
import { BFD_STATES, DIAG_NAMES, type BfdControl, type BfdDecodeError, type BfdDecodeErrorCode, type BfdState } from './types.ts';

/** RFC 5880 §4.1: the version this codec speaks. */
export const BFD_VERSION = 1;
/** RFC 5880 §4.1: the mandatory section, which is all a packet without authentication holds. */
export const BFD_CONTROL_LENGTH = 24;

// Octet 1: Sta (2 bits), then P F C A D M (§4.1).
const POLL = 0x20;
const FINAL = 0x10;
const CPI = 0x08;
const AUTH = 0x04;
const DEMAND = 0x02;
const MULTIPOINT = 0x01;

/** The 24 octets of `p` (§4.1), Length 24. Fields are written modulo their widths. */
export function encodeControl(p: BfdControl): Uint8Array {
  const b = new Uint8Array(BFD_CONTROL_LENGTH);
  b[0] = ((p.version & 0x07) << 5) | (p.diag & 0x1f);
  b[1] = (BFD_STATES.indexOf(p.state) << 6) | flag(p.poll, POLL) | flag(p.final, FINAL) | flag(p.cpi, CPI) | flag(p.auth, AUTH) | flag(p.demand, DEMAND) | flag(p.multipoint, MULTIPOINT);
  b[2] = p.detectMult & 0xff;
  b[3] = BFD_CONTROL_LENGTH;
  put32(b, 4, p.myDiscriminator);
  put32(b, 8, p.yourDiscriminator);
  put32(b, 12, p.desiredMinTxUs);
  put32(b, 16, p.requiredMinRxUs);
  put32(b, 20, p.requiredMinEchoRxUs);
  return b;
}

function flag(set: boolean, bit: number): number {
  return set ? bit : 0;
}

function refuse(code: BfdDecodeErrorCode, message: string): Result<BfdControl, BfdDecodeError> {
  return { ok: false, error: { code, message } };
}

/**
 * One received UDP payload as a Control packet, or the §6.8.6 check that refuses it, tried in this
 * order: size, version, A bit (§6.7: no authentication is configured, so an authenticated packet
 * is discarded), Length, Detect Mult, M bit, My Discriminator. Octets past Length are ignored.
 */
export function decodeControl(b: Uint8Array): Result<BfdControl, BfdDecodeError> {
  if (b.length < BFD_CONTROL_LENGTH) return refuse('short-packet', `${b.length} octets < ${BFD_CONTROL_LENGTH}, the mandatory section`);
  const version = u8(b, 0) >>> 5;
  if (version !== BFD_VERSION) return refuse('bad-version', `version ${version}, not ${BFD_VERSION}`);
  const flags = u8(b, 1);
  if ((flags & AUTH) !== 0) return refuse('auth-unsupported', 'A bit set, and this session has no authentication (§6.7)');
  const length = u8(b, 3);
  if (length < BFD_CONTROL_LENGTH) return refuse('bad-length', `Length ${length} < ${BFD_CONTROL_LENGTH}`);
  if (length > b.length) return refuse('bad-length', `Length ${length} > ${b.length} octets received`);
  const detectMult = u8(b, 2);
  if (detectMult === 0) return refuse('zero-detect-mult', 'Detect Mult 0');
  if ((flags & MULTIPOINT) !== 0) return refuse('multipoint-set', 'M bit set');
  const myDiscriminator = u32(b, 4);
  if (myDiscriminator === 0) return refuse('zero-my-discriminator', 'My Discriminator 0');
  return {
    ok: true,
    value: {
      version,
      diag: u8(b, 0) & 0x1f,
      state: stateOf(flags >>> 6),
      poll: (flags & POLL) !== 0,
      final: (flags & FINAL) !== 0,
      cpi: (flags & CPI) !== 0,
      auth: false,
      demand: (flags & DEMAND) !== 0,
      multipoint: false,
      detectMult,
      myDiscriminator,
      yourDiscriminator: u32(b, 8),
      desiredMinTxUs: u32(b, 12),
      requiredMinRxUs: u32(b, 16),
      requiredMinEchoRxUs: u32(b, 20),
    },
  };
}

function stateOf(sta: number): BfdState {
  return BFD_STATES[sta] as BfdState; // two bits (0–3): always one of the four
}

/** One line for logs: `Up diag=0 P mult=3 my=0x0000002a your=0x00000007 tx=300ms rx=300ms echo=0ms`. */
export function formatControl(p: BfdControl): string {
  const flags = [p.poll && 'P', p.final && 'F', p.cpi && 'C', p.auth && 'A', p.demand && 'D', p.multipoint && 'M'].filter(Boolean);
  const diag = DIAG_NAMES[p.diag] === undefined || p.diag === 0 ? `${p.diag}` : `${p.diag}(${DIAG_NAMES[p.diag]})`;
  return [
    p.version === BFD_VERSION ? p.state : `v${p.version} ${p.state}`,
    `diag=${diag}`,
    ...flags,
    `mult=${p.detectMult}`,
    `my=${hex32(p.myDiscriminator)}`,
    `your=${hex32(p.yourDiscriminator)}`,
    `tx=${p.desiredMinTxUs / 1000}ms`,
    `rx=${p.requiredMinRxUs / 1000}ms`,
    `echo=${p.requiredMinEchoRxUs / 1000}ms`,
  ].join(' ');
}

function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}
