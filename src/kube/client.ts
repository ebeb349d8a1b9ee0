// Loading credentials and the way to the API server: the one place that knows where it is.
// client-node's generated clients are made in api-clients.ts, which the speaker does not load
// (issue #10: they and their 900 model classes cost a process ~10 MB of RSS).
import { KubeConfig } from '@kubernetes/client-node';
import type { ApiConstructor, ApiType, CoordinationV1Api, CoreV1Api, CustomObjectsApi, DiscoveryV1Api } from '@kubernetes/client-node';
import type { ApiObserver } from './api-health.ts';
import { describeRequest, outcomeOfThrown, parseStatus, rootCause } from './api-problem.ts';
import { transportConfiguration } from './http-library.ts';
import { KubeHttp } from './http.ts';
import { transportOf } from './transport.ts';

/** What the speaker talks to the API with: watches (informer.ts) and plain requests (http.ts). */
export interface KubeLink {
  kc: KubeConfig;
  /** Requests sent as JSON and answers read as JSON, no model classes (http.ts; issue #10). */
  http: KubeHttp;
}

/** The controller's, the status command's and the tests': client-node's generated clients too (api-clients.ts). */
export interface KubeClients extends KubeLink {
  core: CoreV1Api;
  discovery: DiscoveryV1Api;
  coordination: CoordinationV1Api;
  custom: CustomObjectsApi;
}

/** The speaker's link to the API server. */
export function makeLink(kc: KubeConfig): KubeLink {
  return { kc, http: new KubeHttp(kc) };
}

/**
 * The kubeconfig Herald loads: every request and watch through its transport (transport.ts,
 * node:http with one keep-alive pool, issue #10), shown to an ApiHealth observer when one is set
 * (issue #13).
 */
export class PooledKubeConfig extends KubeConfig {
  #stopObserving: (() => void) | undefined;

  /** From now on every request and watch is shown to `observer` (api-health.ts; issue #13). */
  observe(observer: ApiObserver): void {
    this.#stopObserving?.();
    this.#stopObserving = transportOf(this).observe({
      answered: (method, path, status, body) => {
        if (status < 400 && observer.quiet === true) return;
        observer.answered(describeRequest(method, path), status, body);
      },
      failed: (method, path, error) => observer.failed(describeRequest(method, path), error),
    });
  }

  /** Is an observer told of every request (so callers need not log API problems themselves)? */
  get observed(): boolean {
    return this.#stopObserving !== undefined;
  }

  /** client-node's generated client, sending through the transport instead of undici's fetch. */
  override makeApiClient<T extends ApiType>(apiClientType: ApiConstructor<T>): T {
    return new apiClientType(transportConfiguration(transportOf(this)));
  }
}

/** A kubeconfig file when given, else the in-cluster service account (KUBERNETES_SERVICE_HOST). */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new PooledKubeConfig();
  if (path !== undefined) kc.loadFromFile(path);
  else kc.loadFromCluster();
  return kc;
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
