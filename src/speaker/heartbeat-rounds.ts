// When this node's heartbeat rounds go out (docs/l2.md, "Liveness"): one per tick, on the shared
// clock's multiples of h, and extra rounds that carry a take's or handover's note ahead of the
// next tick, merged. The driver says when; this times them and sends what the election says.
import type { Election } from '../election/election.ts';
import type { HeartbeatLink } from './heartbeat-link.ts';
import type { HoldClock } from './announcer-table.ts';

/**
 * Extra rounds (a take's or handover's note, ahead of the next tick) come at most this often,
 * and the notes of one turn of the event loop share one. One per change made a 5,000-VIP join's
 * ten rounds a second into about a hundred, each signed, sent and verified by every peer: a sixth
 * of a speaker's CPU then (bench/README.md, "Thirteenth session").
 */
export const NOTE_ROUND_GAP_MS = 25;

export interface HeartbeatRoundsOptions {
  election: Election;
  link: HeartbeatLink;
  clock: HoldClock;
  heartbeatIntervalMs: number;
  /** The wall clock (ms), shared by the nodes; absent: rounds every h from the start. */
  sharedNow?: () => number;
  send(bytes: Uint8Array, to: readonly { address: string; port: number }[]): void;
  onError(what: string, err: Error): void;
}

export class HeartbeatRounds {
  readonly #o: HeartbeatRoundsOptions;
  /** An extra round for new notes, due (`noteSoon`). */
  #noteTimer: unknown = null;
  #lastRoundAt = -Infinity;
  #stopped = false;

  constructor(o: HeartbeatRoundsOptions) {
    this.#o = o;
  }

  /**
   * Until the next tick: rounds on the shared clock's multiples of h (issue #10), so every node
   * sends at the same moment, and a node's peers' heartbeats arrive together and are read in one
   * or two wakeups of its event loop, not one each (the idle speaker's CPU is per wakeup,
   * bench/README.md "Speaker footprint"). Nodes whose clocks are apart only lose the batching. A
   * round never comes sooner than h/4 after the last, nor later than 1.25 h (the stall check is at 2h).
   */
  untilNextRound(): number {
    const h = this.#o.heartbeatIntervalMs;
    if (this.#o.sharedNow === undefined) return h;
    const until = h - (((this.#o.sharedNow() % h) + h) % h);
    return until < h / 4 ? until + h : until;
  }

  /** An extra round for the notes of a take or handover: after this turn of the event loop, and NOTE_ROUND_GAP_MS after the last round. */
  noteSoon(): void {
    if (this.#noteTimer !== null || this.#stopped) return;
    const wait = Math.max(0, this.#lastRoundAt + NOTE_ROUND_GAP_MS - this.#o.clock.now());
    this.#noteTimer = this.#o.clock.setTimeout(() => {
      this.#noteTimer = null;
      if (!this.#stopped) this.send();
    }, wait);
  }

  /** A round now, to every peer with a path. */
  send(): void {
    const now = this.#o.clock.now();
    this.#lastRoundAt = now;
    const r = this.#o.link.round(this.#o.election.heartbeat(now), now);
    if ('error' in r) this.#o.onError('heartbeat encode', new Error(r.error));
    else if (r.to.length > 0) this.#o.send(r.bytes, r.to);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#noteTimer !== null) this.#o.clock.clearTimeout(this.#noteTimer);
    this.#noteTimer = null;
  }
}
