// The Adj-RIB-Out's way onto an established session: a whole table is `set` at any time, and
// what the peer lacks goes out a chunk per turn of the event loop, every route again after
// (re)establishment or a ROUTE-REFRESH, End-of-RIB after a full send (RFC 4724 §4.1). The session
// (session.ts) owns the connection and says when sending may start and must stop.
import type { Family } from './codec/index.ts';
import { endOfRibMessages, originate } from './origination.ts';
import type { OriginationContext } from './origination.ts';
import { AdjRibOut } from './rib-out.ts';
import type { RouteAttrs } from './rib-out.ts';

/** Prefixes the Adj-RIB-Out looks at per turn of the event loop (a few ms of work each). */
const CHUNK = 1024;

export interface RibSenderOptions {
  write(bytes: Uint8Array): void;
  /** Prefixes the peer has from us now, by family. */
  onAdvertised?(counts: Record<Family, number>): void;
  onSkipped?(prefix: string, reason: string): void;
}

export class RibSender {
  readonly #o: RibSenderOptions;
  readonly #rib = new AdjRibOut();
  #origination: OriginationContext | null = null;
  /** The next chunk of the Adj-RIB-Out's delta, queued for the next turn of the event loop. */
  #pumping: ReturnType<typeof setImmediate> | null = null;
  #endOfRibDue = false;

  constructor(o: RibSenderOptions) {
    this.#o = o;
  }

  /** Sets the whole table of routes (prefix text → attributes); it is kept, not copied: do not change it afterwards. */
  set(routes: ReadonlyMap<string, RouteAttrs>): void {
    this.#rib.load(routes);
    if (this.#origination !== null) this.#pump();
  }

  /** The session is established with these parameters: every route, then End-of-RIB. */
  start(ctx: OriginationContext): void {
    this.#origination = ctx;
    this.sendAll();
  }

  /** After (re)connecting or a ROUTE-REFRESH (RFC 2918 §4): every route, then End-of-RIB (RFC 4724 §4.1). */
  sendAll(): void {
    if (this.#origination === null) return;
    this.#rib.restart();
    this.#endOfRibDue = true;
    this.#pump();
  }

  /** The session went down: nothing is sent, and the peer has nothing from us. */
  stop(): void {
    if (this.#pumping !== null) clearImmediate(this.#pumping);
    this.#pumping = null;
    this.#endOfRibDue = false;
    this.#rib.reset();
    this.#origination = null;
    this.#o.onAdvertised?.({ ipv4: 0, ipv6: 0 });
  }

  /**
   * Sends the Adj-RIB-Out's delta a chunk per turn of the event loop (CHUNK prefixes looked at
   * per turn): 100k routes set at once held the loop ~1 s (issue #10), which stalls the L2
   * speaker's heartbeats in the same process and every other session's keepalives. Chunks go out
   * in order, and a table set meanwhile only restarts the walk, so the peer still ends at the
   * last table; End-of-RIB follows the last chunk of a full send.
   */
  #pump(): void {
    const ctx = this.#origination;
    if (ctx === null || this.#pumping !== null) return;
    const delta = this.#rib.next(CHUNK);
    const out = originate(delta, ctx);
    for (const s of out.skipped) this.#o.onSkipped?.(s.prefix, s.reason);
    for (const m of out.messages) this.#o.write(m);
    if (this.#rib.pending()) {
      this.#pumping = setImmediate(() => {
        this.#pumping = null;
        this.#pump();
      });
      return;
    }
    if (this.#endOfRibDue) {
      this.#endOfRibDue = false;
      for (const m of endOfRibMessages(ctx)) this.#o.write(m);
    }
    this.#o.onAdvertised?.({ ...this.#rib.desiredCounts() });
  }
}
