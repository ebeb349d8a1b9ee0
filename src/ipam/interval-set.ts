// A set of bigints stored as sorted, disjoint, non-adjacent intervals. It holds the *taken*
// addresses of one family (held by a Service or reserved), so finding the lowest free address
// of a range is one binary search, whatever the range's size: allocating in a /64 costs what it
// costs in a /120, and 10,000 consecutive allocations are a single interval.

export class IntervalSet {
  // Parallel arrays: firsts[i] ≤ lasts[i] < firsts[i+1] - 1.
  private readonly firsts: bigint[] = [];
  // Stryker disable next-line ArrayDeclaration: an element past the end of lasts is never read (every index read is one of firsts too)
  private readonly lasts: bigint[] = [];
  private count = 0n;

  /** Number of members. */
  get size(): bigint {
    return this.count;
  }

  /** Index of the last interval starting at or before v, or -1. */
  private floor(v: bigint): number {
    let lo = 0;
    let hi = this.firsts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.firsts[mid] ?? 0n) <= v) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  has(v: bigint): boolean {
    const i = this.floor(v);
    // Stryker disable next-line UnaryOperator: the fallback is for noUncheckedIndexedAccess: lasts[i] exists whenever i >= 0
    return i >= 0 && (this.lasts[i] ?? -1n) >= v;
  }

  /** Adds v; returns false if it was already a member. */
  add(v: bigint): boolean {
    const i = this.floor(v);
    // Stryker disable next-line UnaryOperator: the fallback is for noUncheckedIndexedAccess: lasts[i] exists whenever i >= 0
    if (i >= 0 && (this.lasts[i] ?? -1n) >= v) return false;
    this.count += 1n;
    const joinsLeft = i >= 0 && this.lasts[i] === v - 1n;
    const joinsRight = this.firsts[i + 1] === v + 1n;
    if (joinsLeft && joinsRight) {
      this.lasts[i] = this.lasts[i + 1] ?? v;
      this.firsts.splice(i + 1, 1);
      this.lasts.splice(i + 1, 1);
    } else if (joinsLeft) {
      this.lasts[i] = v;
    } else if (joinsRight) {
      this.firsts[i + 1] = v;
    } else {
      this.firsts.splice(i + 1, 0, v);
      this.lasts.splice(i + 1, 0, v);
    }
    return true;
  }

  /** Removes v; returns false if it was not a member. */
  delete(v: bigint): boolean {
    const i = this.floor(v);
    const first = this.firsts[i];
    const last = this.lasts[i];
    if (first === undefined || last === undefined || last < v) return false;
    this.count -= 1n;
    if (first === last) {
      this.firsts.splice(i, 1);
      this.lasts.splice(i, 1);
    } else if (v === first) {
      this.firsts[i] = v + 1n;
    } else if (v === last) {
      this.lasts[i] = v - 1n;
    } else {
      this.lasts[i] = v - 1n;
      this.firsts.splice(i + 1, 0, v + 1n);
      this.lasts.splice(i + 1, 0, last);
    }
    return true;
  }

  /** The lowest non-member in [lo, hi], or undefined when all are members. */
  lowestFreeIn(lo: bigint, hi: bigint): bigint | undefined {
    if (lo > hi) return undefined;
    const i = this.floor(lo);
    const last = i >= 0 ? this.lasts[i] : undefined;
    // Intervals are non-adjacent, so the address right after the one covering lo is free.
    const candidate = last !== undefined && last >= lo ? last + 1n : lo;
    return candidate <= hi ? candidate : undefined;
  }

  /** Number of intervals (for tests: memory follows the number of runs, not of addresses). */
  get runs(): number {
    return this.firsts.length;
  }
}
