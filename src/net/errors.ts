// Turning what the addon throws into NetError values, and the argument checks shared by the
// native sockets and the fakes (so both refuse the same inputs with the same codes).
import { isIPv6 } from 'node:net';
import { netError } from './types.ts';
import type { ErrnoName, NetError, NetResult } from './types.ts';

export const OK: NetResult<void> = { ok: true, value: undefined };

export function isErrnoName(text: string): text is ErrnoName {
  return /^E[A-Z0-9]+$/.test(text);
}

/** The addon throws Node-style system errors (`code`, `syscall`) or TypeErrors for bad arguments. */
export function toNetError(thrown: unknown): NetError {
  if (thrown instanceof TypeError) return { code: 'InvalidArgument', message: thrown.message };
  if (!(thrown instanceof Error)) return { code: 'EUNKNOWN', message: String(thrown) };
  const code = 'code' in thrown && typeof thrown.code === 'string' && isErrnoName(thrown.code) ? thrown.code : 'EUNKNOWN';
  const syscall = 'syscall' in thrown && typeof thrown.syscall === 'string' ? thrown.syscall : undefined;
  return syscall === undefined ? { code, message: thrown.message } : { code, message: thrown.message, syscall };
}

/** Runs one addon call, turning a throw into an error value. */
export function attempt<T>(call: () => T): NetResult<T> {
  try {
    return { ok: true, value: call() };
  } catch (thrown) {
    return { ok: false, error: toNetError(thrown) };
  }
}

export function checkIfindex(ifindex: number): NetResult<void> {
  return Number.isInteger(ifindex) && ifindex > 0 && ifindex <= 0x7fffffff
    ? OK
    : netError('InvalidArgument', `ifindex must be a positive integer, got ${ifindex}`);
}

export function checkProtocol(protocol: number): NetResult<void> {
  return Number.isInteger(protocol) && protocol >= 0 && protocol <= 0xffff
    ? OK
    : netError('InvalidArgument', `protocol must be an ethertype (0..0xffff), got ${protocol}`);
}

export function checkHopLimit(hopLimit: number): NetResult<void> {
  return Number.isInteger(hopLimit) && hopLimit >= 0 && hopLimit <= 255
    ? OK
    : netError('InvalidArgument', `hop limit must be 0..255, got ${hopLimit}`);
}

export function checkIcmp6Types(types: readonly number[]): NetResult<void> {
  const bad = types.find((t) => !Number.isInteger(t) || t < 0 || t > 255);
  return bad === undefined ? OK : netError('InvalidArgument', `ICMPv6 types must be 0..255, got ${bad}`);
}

/** Plain IPv6 text without a zone: the interface is the socket's, never part of the address. */
export function checkIPv6(address: string, what: string): NetResult<void> {
  return isIPv6(address) && !address.includes('%')
    ? OK
    : netError('InvalidArgument', `${what} must be an IPv6 address without a zone, got ${JSON.stringify(address)}`);
}

export function checkMulticastGroup(group: string): NetResult<void> {
  const address = checkIPv6(group, 'group');
  if (!address.ok) return address;
  return /^ff/i.test(group) ? OK : netError('InvalidArgument', `group must be an IPv6 multicast address (ff00::/8), got ${group}`);
}

/** A Buffer over the same bytes (no copy): the addon accepts Buffers only. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
