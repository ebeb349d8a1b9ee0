// A kubeconfig for the stand-in: plain HTTP, no credentials (it accepts any or none).
import { stringify } from 'yaml';

export function kubeconfigYaml(serverUrl: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // client-node 2.x refuses plain http unless TLS verification is (vacuously) skipped.
    clusters: [{ name: 'herald-dev', cluster: { server: serverUrl, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'herald-dev', user: {} }],
    contexts: [{ name: 'herald-dev', context: { cluster: 'herald-dev', user: 'herald-dev', namespace: 'default' } }],
    'current-context': 'herald-dev',
    preferences: {},
  });
}
