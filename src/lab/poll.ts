// Bounded polling: the lab waits for the world to change, never forever.
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from './errors.ts';

export interface PollOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Added to the timeout message (e.g. the speakers' log tails). */
  readonly context?: () => string;
}

export interface Polled<T> {
  readonly value: T;
  /** From the first call to the call that returned the value. */
  readonly elapsedMs: number;
}

/**
 * Calls `probe` until it returns something other than undefined (the value), at most every
 * `intervalMs` (default 100) for `timeoutMs` (default 10 s); then throws a LabError (code
 * Timeout) that says what was awaited and what the last probe saw (`seen`).
 */
export async function pollUntil<T>(what: string, probe: () => Promise<{ done: true; value: T } | { done: false; seen: string }>, opts: PollOptions = {}): Promise<Polled<T>> {
  const timeout = opts.timeoutMs ?? 10_000;
  const interval = opts.intervalMs ?? 100;
  const start = performance.now();
  let seen = 'nothing yet';
  for (;;) {
    const round = performance.now();
    const r = await probe();
    if (r.done) return { value: r.value, elapsedMs: performance.now() - start };
    seen = r.seen;
    if (performance.now() - start >= timeout) break;
    await sleep(Math.max(0, interval - (performance.now() - round)));
  }
  const extra = opts.context?.();
  throw new LabError('Timeout', `${what}: not within ${timeout} ms; last seen: ${seen}${extra === undefined ? '' : `\n${extra}`}`);
}
