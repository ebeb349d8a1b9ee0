// `herald dev apiserver`: a strict, in-memory stand-in for kube-apiserver over plain HTTP, for
// tests, the demo and development. Never for production: no authentication, no persistence.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import { bootstrap } from './bootstrap.ts';
import { builtinTypes } from './builtin-types.ts';
import { customTypes } from './crd.ts';
import { loadCrdDir } from './crd-loader.ts';
import { ApiError, internalError } from './errors.ts';
import { FaultState, type FaultControl, type RequestCounters } from './faults.ts';
import { handleHook } from './hooks.ts';
import { sendError, sendText } from './http-io.ts';
import { kubeconfigYaml } from './kubeconfig.ts';
import { Registry } from './registry.ts';
import { handleApi } from './api-handler.ts';
import type { ApiContext } from './rest-common.ts';
import { create } from './rest-write.ts';
import { ObjectStore } from './store.ts';
import { WatchHub } from './watch.ts';
import { ServiceUsage } from './service-usage.ts';
import { slotOf } from './service-alloc.ts';

export interface DevApiServerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  crdDirs: string[];
  /** Watch history kept, in events (default 1000); older resourceVersions get 410 Expired. */
  historyLimit?: number;
  /** Address in the `default/kubernetes` Endpoints/EndpointSlice (default: host). */
  advertiseAddress?: string;
  /**
   * Also load the package's own `deploy/crds/` (default true), so in-process callers get Herald's
   * CRDs without knowing where the package lives. A directory listed twice is loaded once.
   */
  includeDeployCrds?: boolean;
  /**
   * Interval of BOOKMARK events on watches that allow them: 60 s by default, as kube-apiserver's
   * watch cache (`defaultBookmarkFrequency`), which clients size their inactivity timers by.
   */
  bookmarkIntervalMs?: number;
}

export interface DevApiServer {
  url: string;
  host: string;
  port: number;
  kubeconfigYaml(): string;
  writeKubeconfig(path: string): Promise<void>;
  counters(): RequestCounters;
  faults: FaultControl;
  close(): Promise<void>;
}

/** `deploy/crds` of this package: two levels up from src/devapi (or dist/devapi after a build). */
export const DEPLOY_CRDS = fileURLToPath(new URL('../../deploy/crds', import.meta.url));

function hostForUrl(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

function defaultAdvertise(host: string): string {
  if (isIP(host) === 0 || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

export async function startDevApiServer(opts: DevApiServerOptions): Promise<DevApiServer> {
  const store = new ObjectStore(opts.historyLimit ?? 1000);
  const serviceUsage = new ServiceUsage(slotOf);
  store.subscribe((e) => serviceUsage.onEvent(e));
  const registry = new Registry(builtinTypes());
  const faults = new FaultState();
  let hub: WatchHub | undefined;
  const ctx: ApiContext = {
    store,
    registry,
    view: { listStorage: (s) => store.list(s), serviceUsage: () => serviceUsage },
    crdChanged: (name, crd) => {
      const removed = registry.setCustom(name, crd === undefined ? [] : customTypes(crd));
      hub?.close((rt) => removed.some((r) => r.storage === rt.storage && r.version === rt.version));
    },
  };
  const watches = new WatchHub(ctx, opts.bookmarkIntervalMs ?? 60_000);
  hub = watches;

  const crdType = registry.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  if (crdType === undefined) throw new Error('devapi: CRD type missing');
  const dirs = [...(opts.includeDeployCrds === false ? [] : [DEPLOY_CRDS]), ...opts.crdDirs].map((d) => resolvePath(d));
  for (const dir of [...new Set(dirs)]) {
    if (dir === DEPLOY_CRDS && !existsSync(dir)) continue;
    for (const { file, crd } of await loadCrdDir(dir)) {
      try {
        create(ctx, crdType, crd, false);
      } catch (e) {
        if (e instanceof ApiError) throw new Error(`${file}: ${e.message}`, { cause: e });
        throw e;
      }
    }
  }

  const advertise = opts.advertiseAddress ?? defaultAdvertise(opts.host);
  let port = 0;
  const server = createServer((req, res) => {
    void dispatch(req, res);
  });
  server.on('connection', (socket) => faults.track(socket));

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://devapi.invalid');
      if (url.pathname.startsWith('/herald-dev/')) {
        handleHook(req, res, url, { faults, watches, counters: () => faults.snapshot() });
        return;
      }
      if (['/healthz', '/readyz', '/livez'].includes(url.pathname)) {
        const failure = faults.takeFailure();
        if (failure !== undefined) {
          sendText(res, failure, failure === 429 ? 'Too many requests' : 'injected failure');
          return;
        }
        sendText(res, 200, 'ok');
        return;
      }
      await handleApi(req, res, url, { ctx, faults, watches, serverAddress: `${hostForUrl(advertise)}:${port}` });
    } catch (e) {
      const err = e instanceof ApiError ? e : internalError(e instanceof Error ? e.message : String(e));
      if (!res.headersSent) sendError(res, err);
      else res.destroy(err);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('devapi: listening on an unexpected address');
  port = (addr satisfies AddressInfo).port;
  const urlHost = opts.host === '0.0.0.0' || opts.host === '::' ? advertise : opts.host;
  const url = `http://${hostForUrl(urlHost)}:${port}`;
  bootstrap(ctx, advertise, port);

  let closed = false;
  return {
    url,
    host: opts.host,
    port,
    kubeconfigYaml: () => kubeconfigYaml(url),
    writeKubeconfig: (path) => writeFile(path, kubeconfigYaml(url), { mode: 0o600 }),
    counters: () => faults.snapshot(),
    faults: {
      closeWatches: () => watches.close(),
      failNext: (count, code, match) => faults.failNext(count, code, match),
      unreachable: (seconds) => faults.unreachable(seconds),
      resetCounters: () => faults.reset(),
    },
    close: async () => {
      if (closed) return;
      closed = true;
      watches.stop();
      faults.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
