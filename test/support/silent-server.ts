// An API server address that accepts connections and never answers: for request timeouts.
import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { PooledKubeConfig } from '../../src/kube/client.ts';
import type { ApiSuite } from './api-suite.ts';

/** The suite's kubeconfig (TLS and token on the real server) pointed at a port that never answers. */
export async function silentApiServer(suite: ApiSuite): Promise<{ kc: PooledKubeConfig; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const silent = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  const address = silent.address();
  assert.ok(address !== null && typeof address === 'object');
  const kc = new PooledKubeConfig();
  kc.loadFromString(suite.cp.kubeconfigYaml().replace(suite.cp.url, `${new URL(suite.cp.url).protocol}//127.0.0.1:${address.port}`));
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  };
  return { kc, close };
}
