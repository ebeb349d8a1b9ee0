// Per-VIP wake-up times as an indexed binary min-heap (issue #10): setting, moving or removing a
// VIP's deadline costs O(log n), the earliest one O(1). The election kept them in a Map and took
// `Math.min(...)` over every VIP after each event, so a 1,000-VIP join cost O(n²) in
// `nextWakeAt` alone. Pure: no clock, the caller passes times.

export class Deadlines {
  readonly #keys: string[] = [];
  readonly #times: number[] = [];
  readonly #index = new Map<string, number>();

  get size(): number {
    return this.#keys.length;
  }

  /** The deadline of `key`, or undefined. */
  get(key: string): number | undefined {
    const i = this.#index.get(key);
    return i === undefined ? undefined : this.#times[i];
  }

  /** Sets (or moves) the deadline of `key`. */
  set(key: string, at: number): void {
    const i = this.#index.get(key);
    if (i === undefined) {
      this.#keys.push(key);
      this.#times.push(at);
      this.#index.set(key, this.#keys.length - 1);
      this.#up(this.#keys.length - 1);
      return;
    }
    const before = this.#times[i] ?? at;
    this.#times[i] = at;
    if (at < before) this.#up(i);
    else this.#down(i);
  }

  delete(key: string): void {
    const i = this.#index.get(key);
    if (i === undefined) return;
    const last = this.#keys.length - 1;
    this.#swap(i, last);
    this.#keys.pop();
    this.#times.pop();
    this.#index.delete(key);
    if (i < last) {
      this.#up(i);
      this.#down(i);
    }
  }

  /** The earliest deadline, or null when there is none. */
  earliest(): number | null {
    return this.#times[0] ?? null;
  }

  /** Removes and returns every key whose deadline is at or before `now`, earliest first. */
  popThrough(now: number): string[] {
    const out: string[] = [];
    for (let t = this.#times[0]; t !== undefined && t <= now; t = this.#times[0]) {
      const key = this.#keys[0];
      if (key === undefined) break;
      out.push(key);
      this.delete(key);
    }
    return out;
  }

  #up(i0: number): void {
    let i = i0;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.#times[parent] ?? 0) <= (this.#times[i] ?? 0)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i0: number): void {
    let i = i0;
    const n = this.#keys.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && (this.#times[l] ?? 0) < (this.#times[m] ?? 0)) m = l;
      if (r < n && (this.#times[r] ?? 0) < (this.#times[m] ?? 0)) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }

  #swap(a: number, b: number): void {
    if (a === b) return;
    const ka = this.#keys[a];
    const kb = this.#keys[b];
    const ta = this.#times[a];
    const tb = this.#times[b];
    if (ka === undefined || kb === undefined || ta === undefined || tb === undefined) return;
    this.#keys[a] = kb;
    this.#keys[b] = ka;
    this.#times[a] = tb;
    this.#times[b] = ta;
    this.#index.set(kb, a);
    this.#index.set(ka, b);
  }
}
