// The API server as this process sees it (issue #13, issue #8 point 6): every answer and every
// failed request is classified (api-problem.ts); a problem is logged once when it appears, again
// at most once a minute while it lasts, and once more when it is over; /readyz shows the oldest
// one. The retries themselves (with backoff) stay with whoever makes the requests: the informers,
// the leader elector, the Lease adapter.
import type { Logger } from 'pino';
import { classifyOutcome, clearedBy, versionProblem } from './api-problem.ts';
import type { ApiOutcome, ApiProblem, ApiRequest, ProblemContext } from './api-problem.ts';

/** Sees every request a client makes (client.ts `observeApi`). */
export interface ApiObserver {
  /** An HTTP answer; `body` only for statuses ≥ 400 (at most a few KiB). */
  answered(req: ApiRequest, status: number, body: string | undefined): void;
  /** No answer: connection refused, DNS, TLS, timeout. */
  failed(req: ApiRequest, error: unknown): void;
  /**
   * True when an answer below 400 would change nothing (no problem is open), so the caller may
   * skip describing it: a cold start's 12,000 answers cost the controller 74 ms of parsing paths
   * into requests that were then dropped (issue #10).
   */
  readonly quiet?: boolean;
}

export interface ApiHealthOptions extends ProblemContext {
  log: Logger;
  /** Between two log lines of one lasting problem (default 60 s). */
  repeatMs?: number;
  /** A problem not met again for this long is over even without a clearing answer (default 3 min). */
  staleMs?: number;
  now?: () => number;
}

interface Active {
  problem: ApiProblem;
  since: number;
  lastSeen: number;
  lastLogged: number;
  /** Times met since it was last logged. */
  unlogged: number;
}

/** "65 s", "3 min". */
function duration(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}

export class ApiHealth implements ApiObserver {
  readonly #o: ApiHealthOptions;
  readonly #active = new Map<string, Active>();
  readonly #repeatMs: number;
  readonly #staleMs: number;

  constructor(o: ApiHealthOptions) {
    this.#o = o;
    this.#repeatMs = o.repeatMs ?? 60_000;
    this.#staleMs = o.staleMs ?? 180_000;
  }

  get context(): ProblemContext {
    return { server: this.#o.server, ...(this.#o.rbacFile === undefined ? {} : { rbacFile: this.#o.rbacFile }) };
  }

  #now(): number {
    return this.#o.now?.() ?? performance.now();
  }

  get quiet(): boolean {
    return this.#active.size === 0;
  }

  answered(req: ApiRequest, status: number, body: string | undefined): void {
    this.#outcome(req, { kind: 'answer', status, body });
  }

  failed(req: ApiRequest, error: unknown): void {
    this.#outcome(req, { kind: 'error', error });
  }

  #outcome(req: ApiRequest, outcome: ApiOutcome): void {
    const problem = classifyOutcome(outcome, req, this.context);
    if (outcome.kind === 'answer') {
      for (const [key, a] of this.#active) {
        if (key !== problem?.key && clearedBy(a.problem, req, outcome.status)) this.#clear(key, a);
      }
    }
    if (problem !== null) this.report(problem);
  }

  /** Records a problem met now (also for problems found outside a request, e.g. the version check). */
  report(problem: ApiProblem): void {
    const now = this.#now();
    const a = this.#active.get(problem.key);
    const { log } = this.#o;
    const fields = { code: problem.code, server: this.#o.server, ...(problem.request === undefined ? {} : { verb: problem.request.verb, path: problem.request.path.split('?')[0] }) };
    if (a === undefined) {
      this.#active.set(problem.key, { problem, since: now, lastSeen: now, lastLogged: now, unlogged: 0 });
      log.error(fields, problem.message);
      return;
    }
    a.problem = problem;
    a.lastSeen = now;
    a.unlogged++;
    if (now - a.lastLogged >= this.#repeatMs) {
      log.error({ ...fields, times: a.unlogged }, `still, for ${duration(now - a.since)}: ${problem.message}`);
      a.lastLogged = now;
      a.unlogged = 0;
    }
  }

  #clear(key: string, a: Active): void {
    this.#active.delete(key);
    this.#o.log.info({ code: a.problem.code, server: this.#o.server }, `resolved after ${duration(this.#now() - a.since)}: ${a.problem.message.split(';')[0] ?? ''}`);
  }

  /** The problems that last, oldest first. */
  problems(): ApiProblem[] {
    const now = this.#now();
    for (const [key, a] of this.#active) {
      if (a.problem.code !== 'API_VERSION_TOO_OLD' && now - a.lastSeen > this.#staleMs) this.#active.delete(key);
    }
    return [...this.#active.values()].sort((x, y) => x.since - y.since).map((a) => a.problem);
  }

  /** For /readyz: the oldest lasting problem and how many more there are; undefined when all is well. */
  readiness(): { ok: false; reason: string } | undefined {
    const [first, ...more] = this.problems();
    if (first === undefined) return undefined;
    return { ok: false, reason: more.length === 0 ? first.message : `${first.message} (and ${more.length} more problem${more.length === 1 ? '' : 's'} in the log)` };
  }

  /**
   * Asks /version until it answers (backoff 1 s doubling to 60 s), then reports a server older
   * than Herald needs. Transport failures meanwhile are reported by the observer as usual.
   */
  checkVersion(get: () => Promise<{ major?: string; minor?: string; gitVersion?: string }>): { stop(): void } {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    let delay = 1000;
    const attempt = (): void => {
      get().then(
        (info) => {
          if (stopped) return;
          const p = versionProblem(info, this.context);
          if (p !== null) this.report(p);
          else this.#o.log.debug({ server: this.#o.server, version: info.gitVersion }, 'API server version');
        },
        () => {
          if (stopped) return;
          timer = setTimeout(attempt, delay);
          timer.unref();
          delay = Math.min(delay * 2, 60_000);
        },
      );
    };
    attempt();
    return {
      stop: () => {
        stopped = true;
        if (timer !== undefined) clearTimeout(timer);
      },
    };
  }
}

/**
 * Once per cause, then at most once per `repeatMs`: for a component that logs its own failures
 * (the leader elector without an ApiHealth watching its client).
 */
export class CauseThrottle {
  readonly #last = new Map<string, number>();
  readonly #repeatMs: number;
  constructor(repeatMs = 60_000) {
    this.#repeatMs = repeatMs;
  }
  /** True when a line about `key` should be written now. */
  shouldLog(key: string, now: number): boolean {
    const last = this.#last.get(key);
    if (last !== undefined && now - last < this.#repeatMs) return false;
    this.#last.set(key, now);
    return true;
  }
  /** The cause is over: the next occurrence is news again. */
  reset(): void {
    this.#last.clear();
  }
}
