// The Node and EndpointSlice caches the controller and the speaker both keep: every object slim
// (src/api/slim.ts) and no event for an update that changed nothing kept (issue #10).
import type { V1EndpointSlice, V1Node } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { slimEndpointSlice, slimNode } from '../api/slim.ts';
import type { KubeLink } from './client.ts';
import { isKubeObject } from './http.ts';
import { watchResource } from './informer.ts';
import type { WatchEvent, WatchedCache } from './informer.ts';

export function watchNodes(clients: KubeLink, log: Logger, onEvent: (event: WatchEvent, node: V1Node) => void): WatchedCache<V1Node> {
  return watchResource<V1Node>({ kc: clients.kc, path: '/api/v1/nodes', list: (keep) => clients.http.list<V1Node>('/api/v1/nodes', isKubeObject, { keep }), transform: slimNode, skipUnchanged: true, log, onEvent });
}

export function watchEndpointSlices(clients: KubeLink, log: Logger, onEvent: (event: WatchEvent, slice: V1EndpointSlice) => void): WatchedCache<V1EndpointSlice> {
  return watchResource<V1EndpointSlice>({
    kc: clients.kc,
    path: '/apis/discovery.k8s.io/v1/endpointslices',
    list: (keep) => clients.http.list<V1EndpointSlice>('/apis/discovery.k8s.io/v1/endpointslices', isKubeObject, { keep }),
    transform: slimEndpointSlice,
    skipUnchanged: true,
    log,
    onEvent,
  });
}
