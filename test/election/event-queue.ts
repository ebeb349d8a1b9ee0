// The simulator's event queues (test/election/sim.ts): a binary min-heap ordered by time, then by
// the order of scheduling, so events due at one time run in the order they were scheduled. The
// sorted arrays it replaced were re-sorted every step and emptied with `shift()` (O(n) each): at
// 10 nodes × 10,000 VIPs, 54 % of the simulator's time (bench/README.md, "Election at scale").

export interface Timed {
  at: number;
  order: number;
}

export class EventQueue<T extends Timed> {
  readonly #heap: T[] = [];

  get size(): number {
    return this.#heap.length;
  }

  push(item: T): void {
    const h = this.#heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as T;
      if (!before(item, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = item;
  }

  /** The earliest item if it is due at `now`, removed; otherwise undefined. */
  popDue(now: number): T | undefined {
    const h = this.#heap;
    const top = h[0];
    if (top === undefined || top.at > now) return undefined;
    const last = h.pop() as T;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(h[r] as T, h[l] as T) ? r : l;
        const child = h[c] as T;
        if (!before(child, last)) break;
        h[i] = child;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function before(a: Timed, b: Timed): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
