// client-node's generated API clients, for the controller, `herald status`, the lab and the tests.
// The speaker does without them (client.ts makeLink; issue #10): each API group and the
// ObjectSerializer with its 900 model classes are code and objects a process keeps for good.
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, DiscoveryV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { makeLink } from './client.ts';
import type { KubeClients } from './client.ts';

export function makeClients(kc: KubeConfig): KubeClients {
  return {
    ...makeLink(kc),
    core: kc.makeApiClient(CoreV1Api),
    discovery: kc.makeApiClient(DiscoveryV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
  };
}
