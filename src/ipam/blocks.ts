// An IPPool's `spec.blocks` → validated address ranges. Ranges are [first, last] bigints per
// family; nothing here ever enumerates addresses, so a /48 costs what a /30 costs.
import { formatIP, formatRange, parseCIDR, parseIP } from '../api/addr.ts';
import type { BlockSpec, IpamError } from './types.ts';
import type { Family } from '../api/addr.ts';
import type { Result } from '../api/result.ts';

export interface BlockRange {
  readonly family: Family;
  /** The whole block: what overlap detection compares. */
  readonly first: bigint;
  readonly last: bigint;
  /** The part the pool may hand out: the whole block, minus first/last when the pool reserves them. */
  readonly usableFirst: bigint;
  readonly usableLast: bigint;
  /** The block as the user reads it, normalised: "192.0.2.0/28" or "192.0.2.8-192.0.2.20". */
  readonly text: string;
  /** True when the first and last addresses are reserved (CIDR block, allowFirstLastIPs=false). */
  readonly reservesEnds: boolean;
}

function fail<T>(code: IpamError['code'], message: string): Result<T, IpamError> {
  return { ok: false, error: { code, message } };
}

/**
 * Validates one block. `allowFirstLastIPs=false` reserves the network and last address of
 * CIDR blocks with more than 2 addresses (a /31 or /127 is a point-to-point link, RFC 3021 and
 * RFC 6164, where both addresses are usable); start/stop blocks are taken literally.
 */
export function parseBlock(spec: BlockSpec, allowFirstLastIPs: boolean): Result<BlockRange, IpamError> {
  const hasCidr = 'cidr' in spec && typeof spec.cidr === 'string';
  const hasStart = 'start' in spec && typeof spec.start === 'string';
  if (hasCidr === hasStart) return fail('InvalidBlock', 'a block needs exactly one of cidr or start');
  if (hasCidr && 'cidr' in spec) {
    const parsed = parseCIDR(spec.cidr);
    if (!parsed.ok) return parsed;
    const { family, first, last, prefix } = parsed.value;
    const reservesEnds = !allowFirstLastIPs && last - first + 1n > 2n;
    return {
      ok: true,
      value: {
        family,
        first,
        last,
        usableFirst: reservesEnds ? first + 1n : first,
        usableLast: reservesEnds ? last - 1n : last,
        text: `${formatIP({ family, value: first })}/${prefix}`,
        reservesEnds,
      },
    };
  }
  if (!('start' in spec)) return fail('InvalidBlock', 'a block needs exactly one of cidr or start');
  const start = parseIP(spec.start);
  if (!start.ok) return fail('InvalidRange', `start: ${start.error.message}`);
  const stopText = spec.stop ?? spec.start;
  const stop = parseIP(stopText);
  if (!stop.ok) return fail('InvalidRange', `stop: ${stop.error.message}`);
  const family = start.value.family;
  if (stop.value.family !== family) {
    return fail('InvalidRange', `start ${spec.start} and stop ${stopText} are of different families`);
  }
  const first = start.value.value;
  const last = stop.value.value;
  if (first > last) {
    return fail('InvalidRange', `start ${spec.start} is after stop ${stopText}`);
  }
  return {
    ok: true,
    value: { family, first, last, usableFirst: first, usableLast: last, text: formatRange(family, first, last), reservesEnds: false },
  };
}

export interface ParsedBlocks {
  /** Every block that parsed, in spec order (also those of an invalid pool, for messages). */
  ranges: BlockRange[];
  /** One error per block that did not parse, its index in the message. */
  errors: IpamError[];
}

export function parseBlocks(blocks: readonly BlockSpec[], allowFirstLastIPs: boolean): ParsedBlocks {
  const ranges: BlockRange[] = [];
  const errors: IpamError[] = [];
  if (blocks.length === 0) errors.push({ code: 'NoBlocks', message: 'the pool has no blocks' });
  blocks.forEach((spec, i) => {
    const parsed = parseBlock(spec, allowFirstLastIPs);
    if (parsed.ok) ranges.push(parsed.value);
    else errors.push({ code: parsed.error.code, message: `blocks[${i}]: ${parsed.error.message}` });
  });
  return { ranges, errors };
}

/**
 * Number of distinct usable addresses in the ranges: the union, so overlapping blocks inside one
 * (conflicting) pool are not counted twice.
 */
export function usableCount(ranges: readonly BlockRange[]): bigint {
  let total = 0n;
  for (const family of ['IPv4', 'IPv6'] as const) {
    // Stryker disable next-line EqualityOperator: the other family's ranges, counted in the other pass, give the same total
    const ofFamily = ranges.filter((r) => r.family === family);
    const sorted = ofFamily
      .map((r) => [r.usableFirst, r.usableLast] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let end = -1n; // last address already counted
    for (const [first, last] of sorted) {
      const from = first > end ? first : end + 1n;
      if (last >= from) {
        total += last - from + 1n;
        end = last;
      }
    }
  }
  return total;
}

/** Where an address sits relative to one block. */
export function locate(range: BlockRange, family: Family, value: bigint): 'outside' | 'usable' | 'reservedEnd' {
  if (range.family !== family || value < range.first || value > range.last) return 'outside';
  return value >= range.usableFirst && value <= range.usableLast ? 'usable' : 'reservedEnd';
}

/**
 * The blocks of an invalid pool as far as they can be read: the valid ones as they are, and a
 * CIDR with host bits set as its network (the one the message names). A controller that starts
 * while a pool is invalid never saw its last valid spec; keeping what Services hold inside these
 * blocks, disabled, is how "a restart never moves an address" holds then too (issue #14, IPAM
 * chaos). Never used to give addresses: only to keep them.
 */
export function readableBlocks(blocks: readonly BlockSpec[]): BlockSpec[] {
  const out: BlockSpec[] = [];
  for (const b of blocks) {
    // Stryker disable next-line BooleanLiteral: allowFirstLastIPs only moves usableFirst/usableLast; it never makes a block fail
    if (parseBlock(b, true).ok) {
      out.push(b);
      continue;
    }
    if (!('cidr' in b) || typeof b.cidr !== 'string') continue;
    const slash = b.cidr.indexOf('/');
    const addr = parseIP(b.cidr.slice(0, slash));
    const prefix = Number(b.cidr.slice(slash + 1));
    if (slash < 0 || !addr.ok || !Number.isInteger(prefix)) continue;
    const bits = addr.value.family === 'IPv4' ? 32 : 128;
    if (prefix < 0 || prefix > bits) continue;
    const hostMask = (1n << BigInt(bits - prefix)) - 1n;
    out.push({ cidr: `${formatIP({ family: addr.value.family, value: addr.value.value & ~hostMask })}/${prefix}` });
  }
  return out;
}
