// The Lease transitions a speaker repeats in its heartbeats for a while (docs/l2.md, "Notes"):
// one per VIP, the newest kept. A Map in insertion order makes each transition O(1) (issue #10:
// the array it replaced was filtered over every note on every transition, O(n²) over a join).
// Pure: the caller passes the time.
import type { LeaseNote } from './heartbeat.ts';

export class NoteLog {
  readonly #ttlMs: number;
  readonly #max: number;
  /** ip → its newest transition, oldest first. */
  readonly #notes = new Map<string, { note: LeaseNote; at: number }>();

  constructor(ttlMs: number, max: number) {
    this.#ttlMs = ttlMs;
    this.#max = max;
  }

  add(note: LeaseNote, now: number): void {
    // Delete first: the VIP's note moves to the end, newest.
    this.#notes.delete(note.ip);
    this.#notes.set(note.ip, { note, at: now });
  }

  /** Drops the notes older than the TTL, then returns up to `max` of the rest, newest first. */
  current(now: number): LeaseNote[] {
    for (const [ip, n] of this.#notes) {
      if (now - n.at <= this.#ttlMs) break;
      this.#notes.delete(ip);
    }
    const all = [...this.#notes.values()];
    const out: LeaseNote[] = [];
    for (let i = all.length - 1; i >= 0 && out.length < this.#max; i--) {
      const n = all[i];
      if (n !== undefined) out.push(n.note);
    }
    return out;
  }
}
