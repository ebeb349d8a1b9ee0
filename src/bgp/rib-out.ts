// The Adj-RIB-Out of one peer (RFC 4271 §3.2), declaratively (STYLE.md lesson 5, MetalLB's
// native session): the speaker sets the whole desired table; `set` answers with what changed
// since the last one — withdrawals, and announcements grouped by family and path attributes so
// each group packs into as few UPDATEs as fit. After a reconnect `replay` gives everything.
// Pure: no codec, no socket.

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
  return out.sort((a, b) => (a.family === b.family ? attrsKey(a.attrs).localeCompare(attrsKey(b.attrs)) : a.family === 'ipv4' ? -1 : 1));
}

export class AdjRibOut {
  /** What the peer has from us now: prefix → attribute key (and the attributes). */
  #sent = new Map<string, { key: string; attrs: RouteAttrs }>();
  #desired = new Map<string, RouteAttrs>();

  get size(): number {
    return this.#sent.size;
  }

  desired(): ReadonlyMap<string, RouteAttrs> {
    return this.#desired;
  }

  /** Replaces the desired table; returns what to send if the session is up (and records it as sent). */
  set(desired: ReadonlyMap<string, RouteAttrs>): RibDelta {
    this.#desired = new Map(desired);
    return this.#diff();
  }

  /** The session came up: nothing has been sent yet; everything desired goes out. */
  replay(): RibDelta {
    this.#sent.clear();
    return this.#diff();
  }

  /** The session went down: the peer has nothing of ours (or keeps it stale, RFC 4724). */
  reset(): void {
    this.#sent.clear();
  }

  #diff(): RibDelta {
    const withdraw = new Map<RouteFamily, string[]>(FAMILIES.map((f) => [f, []]));
    for (const prefix of this.#sent.keys()) {
      if (!this.#desired.has(prefix)) withdraw.get(familyOfPrefix(prefix))?.push(prefix);
    }
    const changed: [string, RouteAttrs, string][] = [];
    // Most routes of a table share one attribute object (NO_ATTRS, or one per policy): key it once.
    let lastAttrs: RouteAttrs | null = null;
    let lastKey = '';
    for (const [prefix, attrs] of this.#desired) {
      if (attrs !== lastAttrs) {
        lastAttrs = attrs;
        lastKey = attrsKey(attrs);
      }
      if (this.#sent.get(prefix)?.key !== lastKey) changed.push([prefix, attrs, lastKey]);
    }
    for (const list of withdraw.values()) for (const p of list) this.#sent.delete(p);
    for (const [prefix, attrs, key] of changed) this.#sent.set(prefix, { key, attrs });
    return {
      withdraw: FAMILIES.map((family) => ({ family, prefixes: (withdraw.get(family) ?? []).sort() })).filter((w) => w.prefixes.length > 0),
      announce: grouped(changed),
    };
  }
}
