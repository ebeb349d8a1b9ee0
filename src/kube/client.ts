// Loading credentials and making API clients: the one place that knows where the API server is.
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, DiscoveryV1Api, KubeConfig } from '@kubernetes/client-node';
import type { ApiObserver } from './api-health.ts';
import { describeRequest, outcomeOfThrown, parseStatus, rootCause } from './api-problem.ts';
import { KubeHttp, keepAliveDispatcher } from './http.ts';

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  discovery: DiscoveryV1Api;
  coordination: CoordinationV1Api;
  custom: CustomObjectsApi;
  /** The lean path for the controller's hot writes (http.ts; issue #10). */
  http: KubeHttp;
}

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];
type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;
type Dispatch = Dispatcher['dispatch'];
type DispatchOptions = Parameters<Dispatch>[0];
type DispatchHandler = Parameters<Dispatch>[1];

/** Error bodies are Status objects of a few hundred bytes; keep at most this much of one. */
const MAX_ERROR_BODY = 16_384;

/**
 * Shows every request to `observer` (issue #13): the status of each answer (the body too when
 * it is an error), or the error when there was none. Requests and watches alike, since
 * client-node 2.x sends both through the dispatcher set on the request context. An error after
 * a successful answer began (a watch closed) is not an API problem and is not shown.
 */
function observing(dispatcher: Dispatcher, observer: ApiObserver): Dispatcher {
  return dispatcher.compose((dispatch: Dispatch) => (opts: DispatchOptions, handler: DispatchHandler) => {
    const req = describeRequest(String(opts.method), opts.path);
    // Watching must never break what it watches.
    const tell = (f: () => void): void => {
      try {
        f();
      } catch {
        // An observer's failure is its own.
      }
    };
    let status: number | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (): void => {
      if (status === undefined || status < 400) return;
      const s = status;
      status = undefined;
      tell(() => observer.answered(req, s, Buffer.concat(chunks).toString('utf8')));
    };
    const wrapped = new Proxy(handler, {
      get(target, prop) {
        // The handler itself as `this` (undici's handlers keep state in private fields).
        const v: unknown = Reflect.get(target, prop);
        if (typeof v !== 'function') return v;
        const call = (args: unknown[]): unknown => Reflect.apply(v, target, args);
        switch (prop) {
          case 'onResponseStart':
            return (...args: unknown[]) => {
              const code = args[1];
              if (typeof code === 'number' && code >= 200) {
                status = code;
                // A success is known at once (a watch's body never ends); an error waits for its body.
                if (code < 400) tell(() => observer.answered(req, code, undefined));
              }
              return call(args);
            };
          case 'onResponseData':
            return (...args: unknown[]) => {
              const chunk = args[1];
              if (status !== undefined && status >= 400 && Buffer.isBuffer(chunk) && size < MAX_ERROR_BODY) {
                chunks.push(chunk);
                size += chunk.length;
              }
              return call(args);
            };
          case 'onResponseEnd':
            return (...args: unknown[]) => {
              settle();
              return call(args);
            };
          case 'onResponseError':
            return (...args: unknown[]) => {
              if (status === undefined) tell(() => observer.failed(req, args[1]));
              else settle();
              return call(args);
            };
          default:
            return (...args: unknown[]) => call(args);
        }
      },
    });
    return dispatch(opts, wrapped);
  });
}

/**
 * client-node 2.0 builds a new undici Agent (a new connection pool) for every request whenever
 * the cluster has any TLS setting — a CA, a client certificate, or insecure-skip-tls-verify,
 * i.e. always in practice — so each request opens a TCP connection that then lingers. A cold
 * start over 3,000 Services held 3,600 sockets and 60 MB of pools (bench/README.md). This keeps
 * one dispatcher per (cluster, user), as client-go keeps one transport.
 */
export class PooledKubeConfig extends KubeConfig {
  readonly #dispatchers = new Map<string, Dispatcher>();
  #observer: ApiObserver | undefined;

  /** From now on every request and watch is shown to `observer` (api-health.ts; issue #13). */
  observe(observer: ApiObserver): void {
    this.#observer = observer;
    this.#dispatchers.clear();
  }

  /** Is an observer told of every request (so callers need not log API problems themselves)? */
  get observed(): boolean {
    return this.#observer !== undefined;
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const key = `${this.getCurrentCluster()?.name ?? ''}/${this.getCurrentUser()?.name ?? ''}`;
    const shared = this.#dispatchers.get(key);
    if (shared === undefined) {
      // client-node gives none when the cluster has no TLS option at all (a publicly signed
      // server certificate and a token): its requests then went through undici's global pool,
      // unseen by the observer (issue #13) and out of reach of KubeHttp (issue #10).
      const fresh = context.getDispatcher() ?? keepAliveDispatcher();
      const observer = this.#observer;
      const d = observer === undefined ? fresh : observing(fresh, observer);
      this.#dispatchers.set(key, d);
      context.setDispatcher(d);
      return;
    }
    // The fresh pool never connected: it holds no socket and is garbage like any object.
    context.setDispatcher(shared);
  }
}

/** A kubeconfig file when given, else the in-cluster service account (KUBERNETES_SERVICE_HOST). */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new PooledKubeConfig();
  if (path !== undefined) kc.loadFromFile(path);
  else kc.loadFromCluster();
  return kc;
}

export function makeClients(kc: KubeConfig): KubeClients {
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    discovery: kc.makeApiClient(DiscoveryV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    http: new KubeHttp(kc),
  };
}

/** The HTTP status of a failed API call (client-node throws ApiException with `code`), or undefined. */
export function apiStatus(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number') return err.code;
  return undefined;
}

/**
 * One line about a failed call: "HTTP 403: <the Status message>" rather than client-node's
 * "HTTP-Code: 403", and the cause of "fetch failed" ("connect ECONNREFUSED 127.0.0.1:6443").
 */
export function errorMessage(err: unknown): string {
  const o = outcomeOfThrown(err);
  if (o.kind === 'answer') {
    const message = parseStatus(o.body)?.message ?? (o.body !== undefined && o.body.length < 200 && !o.body.trimStart().startsWith('{') ? o.body.trim().split('\n')[0] : undefined);
    return message === undefined || message === '' ? `HTTP ${o.status}` : `HTTP ${o.status}: ${message}`;
  }
  if (err instanceof Error && err.message === 'fetch failed') {
    const c = rootCause(err);
    return c.code === undefined || c.message.includes(c.code) ? c.message : `${c.message} (${c.code})`;
  }
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.message;
  return String(err);
}
