// The Lease transitions a speaker repeats in its heartbeats for a while (docs/l2.md, "Notes"):
// one per VIP, the newest kept. A Map in insertion order makes each transition O(1) (issue #10:
// the array it replaced was filtered over every note on every transition, O(n²) over a join).
// Pure: the caller passes the time.
import type { LeaseNote } from './heartbeat.ts';

export class NoteLog {
  readonly #ttlMs: number;
  readonly #max: number;
  /** ip → its newest transition, oldest first; `own` when this node's write made it. */
  readonly #notes = new Map<string, { note: LeaseNote; at: number; own: boolean }>();

  constructor(ttlMs: number, max: number) {
    this.#ttlMs = ttlMs;
    this.#max = max;
  }

  /** A transition seen; `own` when it is this node's own write, answered. */
  add(note: LeaseNote, now: number, own = false): void {
    // Delete first: the VIP's note moves to the end, newest.
    this.#notes.delete(note.ip);
    this.#notes.set(note.ip, { note, at: now, own });
  }

  /**
   * Drops the notes older than the TTL, then returns up to `max` of the rest: this node's own
   * writes first, then what it passes on, each newest first. Passed-on notes used to crowd out
   * our own: at a crash every survivor's takes reach every node within a few hundred ms, and a
   * take of ours answered amid them could leave the newest `max` before the next round, so no
   * peer ever heard it; its next choice then took beside it (10 speakers on kube-apiserver: 3 of
   * one node's 13 takes never noted, bench/README.md, the election at scale, Finding 3).
   */
  current(now: number): LeaseNote[] {
    for (const [ip, n] of this.#notes) {
      if (now - n.at <= this.#ttlMs) break;
      this.#notes.delete(ip);
    }
    const all = [...this.#notes.values()];
    const out: LeaseNote[] = [];
    for (const own of [true, false]) {
      for (let i = all.length - 1; i >= 0 && out.length < this.#max; i--) {
        const n = all[i];
        if (n !== undefined && n.own === own) out.push(n.note);
      }
    }
    return out;
  }
}
