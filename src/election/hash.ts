// Rendezvous (highest-random-weight) hashing of VIP × node: every speaker ranks a VIP's
// nodes the same way without talking to the others. When a node leaves, only its VIPs move,
// each to its own next-ranked node, so they spread evenly over the rest (Thaler & Ravishankar,
// "Using name-based mappings to increase hit rates", IEEE/ACM ToN 1998). See docs/l2.md.
// Pure and I/O-free.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
// A second, independent seed for the low bits of the weight.
const SEED_2 = 0x9e3779b9;

/** FNV-1a over UTF-16 code units, from a seed. */
function fnv1a32(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** murmur3's 32-bit finaliser: full avalanche, so weights of similar keys are independent. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The rendezvous weight of a node for a VIP: an integer below 2^53, the same on every node. */
export function weight(vip: string, node: string): number {
  const key = `${vip}\n${node}`;
  const hi = fmix32(fnv1a32(key, FNV_OFFSET));
  const lo = fmix32(fnv1a32(key, (FNV_OFFSET ^ SEED_2) >>> 0)) >>> 11;
  return hi * 2 ** 21 + lo;
}

function better(a: string, wa: number, b: string, wb: number): boolean {
  // Ties (probability ~ n² / 2^54) are broken by name so every node agrees.
  return wa > wb || (wa === wb && a < b);
}

/**
 * The nodes best first: highest weight first; `demoted` nodes (cordoned, being scaled down)
 * after all others, ranked among themselves the same way. Duplicates are dropped.
 */
export function rankNodes(vip: string, nodes: Iterable<string>, demoted: ReadonlySet<string> = new Set()): string[] {
  const scored = [...new Set(nodes)].map((node) => ({ node, w: weight(vip, node), last: demoted.has(node) }));
  scored.sort((a, b) => {
    if (a.last !== b.last) return a.last ? 1 : -1;
    if (a.w !== b.w) return b.w - a.w;
    // Equal weights (probability ~ n² / 2^54): by name. Names are distinct here (the Set above).
    return a.node < b.node ? -1 : 1;
  });
  return scored.map((s) => s.node);
}

/** The first of rankNodes, in one pass; null when there are no nodes. */
export function desiredOwner(vip: string, nodes: Iterable<string>, demoted: ReadonlySet<string> = new Set()): string | null {
  let best: string | null = null;
  // Stryker disable next-line UnaryOperator: never read before the first node is taken on best === null
  let bestW = -1;
  // Stryker disable next-line BooleanLiteral: never read before the first node is taken on best === null
  let bestLast = true;
  for (const node of nodes) {
    const w = weight(vip, node);
    const last = demoted.has(node);
    if (best === null || (bestLast && !last) || (last === bestLast && better(node, w, best, bestW))) {
      best = node;
      bestW = w;
      bestLast = last;
    }
  }
  return best;
}
