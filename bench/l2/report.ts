// Small helpers the L2 benches share: number formatting, request-counter arithmetic and a
// bounded poll. No timing decisions live here; each bench says what it measures and how.

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const fmt = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : '—');

/** "a ÷ b = 0.025 (40× fewer)" style ratio text; `lowerIsBetter` picks the wording. */
export function ratio(herald: number, peer: number): string {
  if (!(peer > 0) || !Number.isFinite(herald)) return 'ratio —';
  const r = herald / peer;
  const times = r === 0 ? '∞' : r < 1 ? `${fmt(1 / r, 1)}× less` : `${fmt(r, 2)}× more`;
  return `ratio ${r.toFixed(r < 0.1 ? 4 : 3)} (Herald ${times})`;
}

/** after − before, per key ("verb resource"), dropping zeros. */
export function counterDelta(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, n] of after) if (n !== (before.get(k) ?? 0)) out.set(k, n - (before.get(k) ?? 0));
  return out;
}

/** Calls `probe` every `everyMs` until it returns a value, or throws after `timeoutMs` with what it last saw. */
export async function waitFor<T>(what: string, probe: () => Promise<{ done: true; value: T } | { done: false; seen: string }>, timeoutMs: number, everyMs = 250, progress?: (seen: string) => void): Promise<T> {
  const start = performance.now();
  const deadline = start + timeoutMs;
  let seen = 'nothing yet';
  let told = start;
  while (performance.now() < deadline) {
    try {
      const r = await probe();
      if (r.done) return r.value;
      seen = r.seen;
    } catch (err) {
      seen = describeError(err);
    }
    if (progress !== undefined && performance.now() - told >= 10_000) {
      told = performance.now();
      progress(`${((told - start) / 1000).toFixed(0)} s: ${seen}`);
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen}`);
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      const item = items[i];
      if (item !== undefined) await fn(item, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The `n`-th IPv4 address after `base` (a dotted quad), for pools and VIP lists. */
export function ipv4Plus(base: string, n: number): string {
  const [a = 0, b = 0, c = 0, d = 0] = base.split('.').map(Number);
  const v = (((a << 24) >>> 0) + (b << 16) + (c << 8) + d + n) >>> 0;
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

/** An error's message with its causes (undici's "fetch failed" hides the reason in `cause`). */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 4 && e !== undefined && e !== null; i++) {
    parts.push(e instanceof Error ? `${e.message}${'code' in e && typeof e.code === 'string' ? ` (${e.code})` : ''}` : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(' ← ');
}
