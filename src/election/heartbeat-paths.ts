// Which of a peer's addresses each heartbeat goes to (issue #10; docs/l2.md, "Liveness"). A
// dual-stack node lists two or more addresses in its node Lease; sending every heartbeat to each
// doubled an idle speaker's datagrams (and the receiver's MAC checks) for no news. So a peer gets
// one address, its path, kept while it works, as SCTP keeps a primary path (RFC 9260 §6.4):
//
// - **Blind.** A peer not heard for more than 2h gets every address: it is dead, or the path from
//   it is broken and the one to it may be too. Going blind also moves the path to the next address,
//   since a broken path is most often broken both ways.
// - **Told.** A peer that says it last heard us more than 2h ago (its `heard` entry for us), or
//   that leaves us out of three heartbeats in a row (the list holds the peers heard within D), is
//   not reached by the path: the path moves to the next address. One omission proves nothing: a
//   `heard` list too long for a datagram is cut, oldest first.
// - **Echoed.** A peer's heartbeat that arrives twice came on two of our addresses: the peer is
//   blind to us, so ours do not reach it: the path moves.
// A path moves at most once per 3h, the time for the new one to show it works. Pure, no clock.

/** Heartbeats in a row that leave us out before the path moves. */
const UNLISTED_MOVES = 3;

export interface PathEndpoint {
  address: string;
  port: number;
}

interface PeerPath {
  endpoints: readonly PathEndpoint[];
  /** The address heartbeats go to while the peer is heard. */
  index: number;
  heardAt: number | null;
  /** When the path last moved (-Infinity: never). */
  movedAt: number;
  /** Heartbeats in a row from the peer that did not list us. */
  unlisted: number;
  blind: boolean;
}

function sameEndpoints(a: readonly PathEndpoint[], b: readonly PathEndpoint[]): boolean {
  return a.length === b.length && a.every((e, i) => e.address === b[i]?.address && e.port === b[i]?.port);
}

export class HeartbeatPaths {
  readonly #h: number;
  readonly #peers = new Map<string, PeerPath>();

  constructor(heartbeatIntervalMs: number) {
    this.#h = heartbeatIntervalMs;
  }

  /** A peer's addresses from its node Lease (null: the Lease is gone). Unchanged addresses keep their path. */
  setPeer(node: string, endpoints: readonly PathEndpoint[] | null): void {
    if (endpoints === null) {
      this.#peers.delete(node);
      return;
    }
    const known = this.#peers.get(node);
    if (known !== undefined && sameEndpoints(known.endpoints, endpoints)) return;
    // New addresses start from the first, and going blind does not move a path not used yet.
    this.#peers.set(node, { endpoints: [...endpoints], index: 0, heardAt: known?.heardAt ?? null, movedAt: -Infinity, unlisted: 0, blind: true });
  }

  /** Every address a peer's node Lease lists (heartbeats may come from any of them). */
  endpoints(node: string): readonly PathEndpoint[] {
    return this.#peers.get(node)?.endpoints ?? [];
  }

  /**
   * A heartbeat from `node` counted at `now`. `heardUsAgoMs`: how long before sending it the peer
   * had last heard us, from its `heard` entry; null when it does not list us.
   */
  heard(node: string, heardUsAgoMs: number | null, now: number): void {
    const p = this.#peers.get(node);
    if (p === undefined) return;
    p.heardAt = now;
    p.unlisted = heardUsAgoMs === null ? p.unlisted + 1 : 0;
    if ((heardUsAgoMs ?? 0) > 2 * this.#h || p.unlisted >= UNLISTED_MOVES) this.#move(p, now);
  }

  /** Whether an echo from `node` would move its path now: only then is the echo worth verifying. */
  mayMove(node: string, now: number): boolean {
    const p = this.#peers.get(node);
    return p !== undefined && p.endpoints.length > 1 && now - p.movedAt > 3 * this.#h;
  }

  /** A verified heartbeat from `node` arrived again on another of our addresses. */
  echoed(node: string, now: number): void {
    const p = this.#peers.get(node);
    if (p !== undefined) this.#move(p, now);
  }

  /** Where this round's heartbeat goes. */
  destinations(now: number): PathEndpoint[] {
    const out: PathEndpoint[] = [];
    for (const p of this.#peers.values()) {
      const blind = p.heardAt === null || now - p.heardAt > 2 * this.#h;
      if (blind && !p.blind) this.#move(p, now);
      p.blind = blind;
      const path = p.endpoints[p.index];
      if (blind || path === undefined) out.push(...p.endpoints);
      else out.push(path);
    }
    return out;
  }

  /** The address each peer's path was on at the last round (null: blind then). */
  paths(): ReadonlyMap<string, PathEndpoint | null> {
    return new Map([...this.#peers].map(([node, p]) => [node, p.blind ? null : (p.endpoints[p.index] ?? null)]));
  }

  #move(p: PeerPath, now: number): void {
    if (now - p.movedAt <= 3 * this.#h) return;
    p.index = (p.index + 1) % Math.max(1, p.endpoints.length);
    p.movedAt = now;
    p.unlisted = 0;
  }
}
