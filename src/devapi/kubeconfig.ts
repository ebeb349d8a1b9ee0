// A kubeconfig for the stand-in: plain HTTP, no credentials (it accepts any or none).
import { stringify } from 'yaml';

export function kubeconfigYaml(serverUrl: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'herald-dev', cluster: { server: serverUrl } }],
    users: [{ name: 'herald-dev', user: {} }],
    contexts: [{ name: 'herald-dev', context: { cluster: 'herald-dev', user: 'herald-dev', namespace: 'default' } }],
    'current-context': 'herald-dev',
    preferences: {},
  });
}
