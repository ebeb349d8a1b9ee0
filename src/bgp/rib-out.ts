// The Adj-RIB-Out of one peer (RFC 4271 §3.2), declaratively (STYLE.md lesson 5, MetalLB's
// native session): the speaker sets the whole desired table; `set` answers with what changed
// since the last one — withdrawals, and announcements grouped by family and path attributes so
// each group packs into as few UPDATEs as fit. After a reconnect `replay` gives everything.
// `load` + `next(budget)` give the same delta in bounded chunks for the session to send between
// turns of the event loop. Pure: no codec, no socket.

export type RouteFamily = 'ipv4' | 'ipv6';

import type { RouteAttrs } from './desired.ts';

export type { RouteAttrs };

export interface AnnounceGroup {
  family: RouteFamily;
  attrs: RouteAttrs;
  /** Canonical prefix text, e.g. 192.0.2.10/32, sorted. */
  prefixes: string[];
}

export interface RibDelta {
  withdraw: { family: RouteFamily; prefixes: string[] }[];
  announce: AnnounceGroup[];
}

export const NO_ATTRS: RouteAttrs = { communities: [], largeCommunities: [], localPreference: null };

/** One string per distinct attribute set: equal attributes pack into one UPDATE. */
export function attrsKey(a: RouteAttrs): string {
  return `${a.communities.join(',')}|${a.largeCommunities.map((l) => `${l.global}:${l.local1}:${l.local2}`).join(',')}|${a.localPreference ?? ''}`;
}

export function familyOfPrefix(prefix: string): RouteFamily {
  return prefix.includes(':') ? 'ipv6' : 'ipv4';
}

const FAMILIES: readonly RouteFamily[] = ['ipv4', 'ipv6'];

/**
 * Code-unit order, for a deterministic order of UPDATEs (a sort key, not text for people):
 * localeCompare's ICU collator mapped ~9 MB more of the node binary into each BGP speaker
 * (issue #10, measured with /proc/self/smaps).
 */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Entries carry their attribute key, computed once per route (bench/bgp Finding 2). */
function grouped(entries: Iterable<[string, RouteAttrs, string]>): AnnounceGroup[] {
  const groups = new Map<string, AnnounceGroup>();
  for (const [prefix, attrs, attrKey] of entries) {
    const family = familyOfPrefix(prefix);
    const key = `${family}|${attrKey}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { family, attrs, prefixes: [prefix] });
    else g.prefixes.push(prefix);
  }
  const out = [...groups.values()];
  for (const g of out) g.prefixes.sort();
  return out.sort((a, b) => (a.family === b.family ? byCodeUnits(attrsKey(a.attrs), attrsKey(b.attrs)) : a.family === 'ipv4' ? -1 : 1));
}

/**
 * Where the diff between what was sent and what is desired stands: first the sent prefixes no
 * longer desired (withdrawals), then the desired ones not sent as they are (announcements).
 * Iterating a Map visits entries added during the walk and skips deleted ones, so the cursor
 * stays right while chunks update `#sent`; a new desired table starts it again from the top.
 */
type Cursor =
  | { phase: 'withdraw'; it: Iterator<string> }
  | { phase: 'announce'; it: Iterator<[string, RouteAttrs]> }
  | { phase: 'done' };

export class AdjRibOut {
  /** What the peer has from us now: prefix → attribute key (and the attributes). */
  #sent = new Map<string, { key: string; attrs: RouteAttrs }>();
  #desired: ReadonlyMap<string, RouteAttrs> = new Map<string, RouteAttrs>();
  #cursor: Cursor = { phase: 'done' };
  #counts = { ipv4: 0, ipv6: 0 };
  /** Counted during the announce phase of the walk under way. */
  #counting = { ipv4: 0, ipv6: 0 };

  get size(): number {
    return this.#sent.size;
  }

  desired(): ReadonlyMap<string, RouteAttrs> {
    return this.#desired;
  }

  /** Desired prefixes by family, as of the last walk that reached its end (counted on the way). */
  desiredCounts(): Readonly<Record<RouteFamily, number>> {
    return this.#counts;
  }

  /** Replaces the desired table; returns what to send if the session is up (and records it as sent). */
  set(desired: ReadonlyMap<string, RouteAttrs>): RibDelta {
    this.load(desired);
    return this.next(Infinity);
  }

  /** The session came up: nothing has been sent yet; everything desired goes out. */
  replay(): RibDelta {
    this.restart();
    return this.next(Infinity);
  }

  /** The session went down: the peer has nothing of ours (or keeps it stale, RFC 4724). */
  reset(): void {
    this.#sent.clear();
    this.#cursor = { phase: 'done' };
  }

  /**
   * Replaces the desired table without computing the delta: `next` then gives it in chunks, so
   * a table of 100k routes never holds the event loop for long (issue #10: `set` of 100k routes
   * blocked the speaker's loop ~1 s).
   */
  load(desired: ReadonlyMap<string, RouteAttrs>): void {
    // Kept, not copied (a copy of 100k entries alone held the loop 20-55 ms): the table is the
    // caller's promise not to change it, as every desired state here is built afresh.
    this.#desired = desired;
    this.#cursor = { phase: 'withdraw', it: this.#sent.keys() };
  }

  /** After a reconnect: nothing has been sent; `next` gives the whole desired table. */
  restart(): void {
    this.#sent.clear();
    this.#cursor = { phase: 'withdraw', it: this.#sent.keys() };
  }

  /** Whether `next` has more to give. */
  pending(): boolean {
    return this.#cursor.phase !== 'done';
  }

  /**
   * The next part of the delta, looking at no more than `budget` prefixes (sent and desired
   * together), recorded as sent. Chunks applied in order bring the peer to the desired table.
   */
  next(budget: number): RibDelta {
    const withdraw = new Map<RouteFamily, string[]>(FAMILIES.map((f) => [f, []]));
    const changed: [string, RouteAttrs, string][] = [];
    let seen = 0;
    while (seen < budget && this.#cursor.phase === 'withdraw') {
      const r = this.#cursor.it.next();
      if (r.done === true) {
        this.#cursor = { phase: 'announce', it: this.#desired.entries() };
        this.#counting = { ipv4: 0, ipv6: 0 };
        break;
      }
      seen++;
      if (this.#desired.has(r.value)) continue;
      withdraw.get(familyOfPrefix(r.value))?.push(r.value);
      this.#sent.delete(r.value);
    }
    // Most routes of a table share one attribute object (NO_ATTRS, or one per policy): key it once.
    let lastAttrs: RouteAttrs | null = null;
    let lastKey = '';
    while (seen < budget && this.#cursor.phase === 'announce') {
      const r = this.#cursor.it.next();
      if (r.done === true) {
        this.#cursor = { phase: 'done' };
        this.#counts = this.#counting;
        break;
      }
      seen++;
      const [prefix, attrs] = r.value;
      this.#counting[familyOfPrefix(prefix)]++;
      if (attrs !== lastAttrs) {
        lastAttrs = attrs;
        lastKey = attrsKey(attrs);
      }
      if (this.#sent.get(prefix)?.key === lastKey) continue;
      changed.push([prefix, attrs, lastKey]);
      this.#sent.set(prefix, { key: lastKey, attrs });
    }
    return {
      withdraw: FAMILIES.map((family) => ({ family, prefixes: (withdraw.get(family) ?? []).sort() })).filter((w) => w.prefixes.length > 0),
      announce: grouped(changed),
    };
  }
}
