// Loading credentials and making API clients: the one place that knows where the API server is.
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, DiscoveryV1Api, KubeConfig } from '@kubernetes/client-node';

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  discovery: DiscoveryV1Api;
  coordination: CoordinationV1Api;
  custom: CustomObjectsApi;
}

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];
type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * client-node 2.0 builds a new undici Agent (a new connection pool) for every request whenever
 * the cluster has any TLS setting — a CA, a client certificate, or insecure-skip-tls-verify,
 * i.e. always in practice — so each request opens a TCP connection that then lingers. A cold
 * start over 3,000 Services held 3,600 sockets and 60 MB of pools (bench/README.md). This keeps
 * one dispatcher per (cluster, user), as client-go keeps one transport.
 */
export class PooledKubeConfig extends KubeConfig {
  readonly #dispatchers = new Map<string, Dispatcher>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (fresh === undefined) return;
    const key = `${this.getCurrentCluster()?.name ?? ''}/${this.getCurrentUser()?.name ?? ''}`;
    const shared = this.#dispatchers.get(key);
    if (shared === undefined) {
      this.#dispatchers.set(key, fresh);
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
  };
}

/** The HTTP status of a failed API call (client-node throws ApiException with `code`), or undefined. */
export function apiStatus(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number') return err.code;
  return undefined;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.message;
  return String(err);
}
