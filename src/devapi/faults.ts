// Test hooks: request counters per verb × resource, injected failures and a simulated network
// partition. Plain state; the server consults it on every request and connection.
import type { Socket } from 'node:net';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** verb → resource key (`services`, `services/status`, `ippools.herald.dev`) → count. */
export type RequestCounters = Record<Verb, Record<string, number>>;

export interface FaultControl {
  /** Ends every open watch now; returns how many were open. */
  closeWatches(): number;
  /**
   * Fails the next `count` API requests with `code` (500 InternalError or 429 TooManyRequests);
   * with `match`, only requests of that verb and/or resource key (as in the counters) count, so one
   * informer can be held back while the others sync. `count` 0 cancels.
   */
  failNext(count: number, code: 500 | 429, match?: FailureMatch): void;
  /** For `seconds`, every connection is dropped without a response (open watches too), like a partitioned API server. */
  unreachable(seconds: number): void;
  resetCounters(): void;
}

/** Which API requests an injected failure applies to; an absent field matches anything. */
export interface FailureMatch {
  verb?: Verb;
  /** A counter key: `nodes`, `services/status`, `ippools.herald.dev`. */
  resource?: string;
}

interface FailureRule extends FailureMatch {
  remaining: number;
  code: 500 | 429;
}

function emptyCounters(): RequestCounters {
  return { get: {}, list: {}, watch: {}, create: {}, update: {}, patch: {}, delete: {}, deletecollection: {} };
}

export class FaultState {
  private counts = emptyCounters();
  /** One rule per distinct match; the untargeted rule is the one without verb and resource. */
  private failures: FailureRule[] = [];
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

  failNext(count: number, code: 500 | 429, match: FailureMatch = {}): void {
    const remaining = Math.max(0, Math.floor(count));
    this.failures = this.failures.filter((r) => r.verb !== match.verb || r.resource !== match.resource);
    if (remaining > 0) this.failures.push({ remaining, code, verb: match.verb, resource: match.resource });
  }

  /**
   * Consumes one injected failure that applies to this request, if any is pending. Requests
   * outside the resource API (discovery, /healthz) pass no verb and meet only untargeted rules.
   */
  takeFailure(verb?: Verb, resource?: string): 500 | 429 | undefined {
    const rule = this.failures.find((r) => (r.verb === undefined || r.verb === verb) && (r.resource === undefined || r.resource === resource));
    if (rule === undefined) return undefined;
    rule.remaining--;
    if (rule.remaining <= 0) this.failures = this.failures.filter((r) => r !== rule);
    return rule.code;
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
