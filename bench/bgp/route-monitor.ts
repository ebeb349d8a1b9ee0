// The router's kernel table as a stream of changes: `ip -4 monitor route` in its namespace,
// each line stamped on arrival (bench clock, children.ts). A line is "198.18.224.5 via
// 192.0.2.11 dev eth0 proto bird metric 32", or the same after "Deleted "; a multipath route
// starts with its destination and lists "nexthop via …" on the next lines, which are skipped.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { nowMs } from './children.ts';

type Change = 'added' | 'deleted';

export class RouteMonitor {
  readonly #child: ChildProcess;
  /** Destination (no /32) → the last change and when it arrived. */
  readonly #last = new Map<string, { change: Change; at: number }>();
  readonly #waiters = new Map<string, { change: Change; since: number; resolve: (at: number | null) => void }>();

  constructor(child: ChildProcess) {
    this.#child = child;
    if (child.stdout === null) throw new Error('ip monitor: no stdout');
    child.stderr?.resume();
    createInterface({ input: child.stdout }).on('line', (l) => this.#line(l, nowMs()));
  }

  /** Destinations in the table now, as far as the monitor has seen. */
  present(): Set<string> {
    return new Set([...this.#last].filter(([, v]) => v.change === 'added').map(([k]) => k));
  }

  /** When `dst` next shows `change` at or after `since`; null after `timeoutMs`. */
  waitFor(dst: string, change: Change, since: number, timeoutMs: number): Promise<number | null> {
    const seen = this.#last.get(dst);
    if (seen !== undefined && seen.change === change && seen.at >= since) return Promise.resolve(seen.at);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#waiters.delete(dst);
        resolve(null);
      }, timeoutMs);
      this.#waiters.set(dst, {
        change,
        since,
        resolve: (at) => {
          clearTimeout(t);
          resolve(at);
        },
      });
    });
  }

  close(): void {
    this.#child.kill('SIGTERM');
  }

  #line(l: string, at: number): void {
    if (/^\s/.test(l)) return; // nexthop lines of a multipath route
    const deleted = l.startsWith('Deleted ');
    const dst = (deleted ? l.slice(8) : l).split(' ')[0]?.replace(/\/32$/, '') ?? '';
    if (dst === '') return;
    const change: Change = deleted ? 'deleted' : 'added';
    this.#last.set(dst, { change, at });
    const w = this.#waiters.get(dst);
    if (w !== undefined && w.change === change && at >= w.since) {
      this.#waiters.delete(dst);
      w.resolve(at);
    }
  }
}
