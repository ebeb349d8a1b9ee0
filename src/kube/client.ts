// Loading credentials and making API clients: the one place that knows where the API server is.
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, DiscoveryV1Api, KubeConfig } from '@kubernetes/client-node';

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  discovery: DiscoveryV1Api;
  coordination: CoordinationV1Api;
  custom: CustomObjectsApi;
}

/** A kubeconfig file when given, else the in-cluster service account (KUBERNETES_SERVICE_HOST). */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
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
