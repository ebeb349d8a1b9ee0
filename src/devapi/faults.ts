// Test hooks: request counters per verb × resource, injected failures and a simulated network
// partition. Plain state; the server consults it on every request and connection.
import type { Socket } from 'node:net';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** verb → resource key (`services`, `services/status`, `ippools.herald.dev`) → count. */
export type RequestCounters = Record<Verb, Record<string, number>>;

export interface FaultControl {
  /** Ends every open watch now; returns how many were open. */
  closeWatches(): number;
  /** Fails the next `count` API requests with `code` (500 InternalError or 429 TooManyRequests). */
  failNext(count: number, code: 500 | 429): void;
  /** For `seconds`, every connection is dropped without a response (open watches too), like a partitioned API server. */
  unreachable(seconds: number): void;
  resetCounters(): void;
}

function emptyCounters(): RequestCounters {
  return { get: {}, list: {}, watch: {}, create: {}, update: {}, patch: {}, delete: {}, deletecollection: {} };
}

export class FaultState {
  private counts = emptyCounters();
  private failures: { remaining: number; code: 500 | 429 } = { remaining: 0, code: 500 };
  private unreachableUntil = 0;
  private readonly sockets = new Set<Socket>();

  count(verb: Verb, resource: string): void {
    const byVerb = this.counts[verb];
    byVerb[resource] = (byVerb[resource] ?? 0) + 1;
  }

  snapshot(): RequestCounters {
    return structuredClone(this.counts);
  }

  reset(): void {
    this.counts = emptyCounters();
  }

  failNext(count: number, code: 500 | 429): void {
    this.failures = { remaining: Math.max(0, Math.floor(count)), code };
  }

  /** Consumes one injected failure, if any is pending. */
  takeFailure(): 500 | 429 | undefined {
    if (this.failures.remaining <= 0) return undefined;
    this.failures.remaining--;
    return this.failures.code;
  }

  track(socket: Socket): void {
    if (this.isUnreachable()) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  isUnreachable(): boolean {
    return Date.now() < this.unreachableUntil;
  }

  /** Starts the partition now; `spare` (the hook's own connection) is left to the caller. */
  unreachable(seconds: number, spare?: Socket): void {
    this.unreachableUntil = Date.now() + Math.max(0, seconds) * 1000;
    for (const s of this.sockets) if (s !== spare) s.destroy();
  }

  /** Drops the partition early (used by close()). */
  clear(): void {
    this.unreachableUntil = 0;
  }

  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
}
