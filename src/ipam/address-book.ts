// The allocator's one global address → holders map, plus the reserved addresses, plus the
// per-family index of taken addresses (held or reserved) used to find the lowest free one.
// Because there is one map for all pools, overlapping pools can never hand one address to two
// Services that may not share it.
import { formatIP, parseIP, type Addr } from '../api/addr.ts';
import { IntervalSet } from './interval-set.ts';
import type { Family } from '../api/addr.ts';

export interface Holding {
  readonly addr: Addr;
  readonly text: string;
  readonly keys: Set<string>;
}

export interface Reservation {
  readonly addr: Addr;
  readonly text: string;
  readonly why: string;
}

const NONE: ReadonlySet<string> = new Set();

export class AddressBook {
  private readonly held = new Map<string, Holding>();
  private reserved = new Map<string, Reservation>();
  private readonly taken: Record<Family, IntervalSet> = { IPv4: new IntervalSet(), IPv6: new IntervalSet() };

  holders(text: string): ReadonlySet<string> {
    return this.held.get(text)?.keys ?? NONE;
  }

  attach(addr: Addr, text: string, key: string): void {
    let h = this.held.get(text);
    if (h === undefined) {
      h = { addr, text, keys: new Set() };
      this.held.set(text, h);
      this.taken[addr.family].add(addr.value);
    }
    h.keys.add(key);
  }

  detach(text: string, key: string): void {
    const h = this.held.get(text);
    if (h === undefined || !h.keys.delete(key) || h.keys.size > 0) return;
    this.held.delete(text);
    if (!this.reserved.has(text)) this.taken[h.addr.family].delete(h.addr.value);
  }

  /** Why the address is reserved (e.g. "InternalIP of node n1"), or undefined. */
  reservation(text: string): string | undefined {
    return this.reserved.get(text)?.why;
  }

  /** Replaces the reserved set; returns the entries that are not IP addresses (they reserve nothing). */
  setReserved(reserved: ReadonlyMap<string, string>): string[] {
    const next = new Map<string, Reservation>();
    const invalid: string[] = [];
    for (const [ip, why] of reserved) {
      const parsed = parseIP(ip);
      if (!parsed.ok) {
        invalid.push(ip);
        continue;
      }
      const text = formatIP(parsed.value);
      if (!next.has(text)) next.set(text, { addr: parsed.value, text, why });
    }
    for (const [text, r] of this.reserved) {
      if (!next.has(text) && !this.held.has(text)) this.taken[r.addr.family].delete(r.addr.value);
    }
    for (const r of next.values()) this.taken[r.addr.family].add(r.addr.value);
    this.reserved = next;
    return invalid;
  }

  /** Lowest address in [lo, hi] that is neither held nor reserved. */
  lowestFree(family: Family, lo: bigint, hi: bigint): bigint | undefined {
    return this.taken[family].lowestFreeIn(lo, hi);
  }

  get heldCount(): number {
    return this.held.size;
  }

  get reservedCount(): number {
    return this.reserved.size;
  }

  holdings(): IterableIterator<Holding> {
    return this.held.values();
  }

  reservations(): IterableIterator<Reservation> {
    return this.reserved.values();
  }

  /** Intervals in the taken index (tests: memory follows allocations, not pool sizes). */
  takenRuns(): number {
    return this.taken.IPv4.runs + this.taken.IPv6.runs;
  }
}
