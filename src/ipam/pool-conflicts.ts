// Overlap detection between IPPools. The older pool (creationTimestamp, then name) keeps an
// overlapping range; the newer one is Conflicting and gives no new addresses until the overlap
// is gone. Blocks overlapping inside one pool make that pool Conflicting too.
import type { BlockRange } from './blocks.ts';

export interface ConflictCandidate {
  name: string;
  createdAt: number;
  ranges: readonly BlockRange[];
}

function overlaps(a: BlockRange, b: BlockRange): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

/** Older first: the order in which pools claim their ranges. */
export function seniority(a: { name: string; createdAt: number }, b: { name: string; createdAt: number }): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Pool name → conflict message, for conflicting pools only. Compares every pair of blocks: pools
 * have a handful of blocks each, and this runs only when the pool set changes.
 */
export function findPoolConflicts(pools: readonly ConflictCandidate[]): Map<string, string> {
  const ordered = [...pools].sort(seniority);
  const result = new Map<string, string>();
  ordered.forEach((pool, index) => {
    const found: string[] = [];
    pool.ranges.forEach((range, i) => {
      for (const other of pool.ranges.slice(i + 1)) {
        if (overlaps(range, other)) found.push(`block ${range.text} overlaps block ${other.text} of the same pool`);
      }
      for (const older of ordered.slice(0, index)) {
        for (const other of older.ranges) {
          if (overlaps(range, other)) found.push(`block ${range.text} overlaps block ${other.text} of older pool "${older.name}"`);
        }
      }
    });
    const [first] = found;
    if (first !== undefined) {
      result.set(pool.name, found.length === 1 ? first : `${first} (and ${found.length - 1} more overlaps)`);
    }
  });
  return result;
}
