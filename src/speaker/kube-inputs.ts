// The speaker's view of the cluster: self-healing list-watch caches of Services, EndpointSlices,
// Nodes and L2AnnouncementPolicies, and one snapshot of them for `desiredAnnouncements`. An
// adapter only: what to announce is decided in desired.ts, never here.
import type { KubernetesObject, V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeLink } from '../kube/client.ts';
import { isKubeObject } from '../kube/http.ts';
import { watchResource } from '../kube/informer.ts';
import type { WatchedCache } from '../kube/informer.ts';
import { parsePolicies } from '../api/l2-policy.ts';
import { slimService } from '../api/slim.ts';
import { watchEndpointSlices, watchNodes } from '../kube/slim-caches.ts';
import { HERALD_GROUP, L2POLICY_PLURAL, HERALD_VERSION, LABEL_SERVICE_NAME } from '../api/names.ts';
import type { ParsedPolicies } from '../api/l2-policy.ts';

export interface ClusterSnapshot {
  services: readonly V1Service[];
  slices: readonly V1EndpointSlice[];
  nodes: readonly V1Node[];
  policies: ParsedPolicies;
}

export interface KubeInputsOptions {
  clients: KubeLink;
  log: Logger;
  /** Something changed (batched by the caller). */
  onChange: () => void;
}

type PolicyObject = KubernetesObject & { spec?: unknown };

/**
 * Does a change of this EndpointSlice change what the speaker announces? Only through a Service
 * with externalTrafficPolicy: Local (desired.ts and bgp/desired.ts read endpoints for nothing
 * else). A slice whose Service is not cached yet does not matter now: the Service's own add
 * event makes the pass that reads it.
 */
export function sliceMatters(slice: V1EndpointSlice, service: (name: string, namespace: string | undefined) => V1Service | undefined): boolean {
  const name = slice.metadata?.labels?.[LABEL_SERVICE_NAME];
  return name !== undefined && service(name, slice.metadata?.namespace)?.spec?.externalTrafficPolicy === 'Local';
}

export class KubeInputs {
  readonly #services: WatchedCache<V1Service>;
  readonly #slices: WatchedCache<V1EndpointSlice>;
  readonly #nodes: WatchedCache<V1Node>;
  readonly #policies: WatchedCache<PolicyObject>;
  /** Resolves once every cache has delivered its first full list (STYLE.md lesson 9). */
  readonly synced: Promise<void>;

  constructor(o: KubeInputsOptions) {
    const { clients, log } = o;
    const onEvent = (): void => o.onChange();
    // Every cache keeps slim objects (src/api/slim.ts; issue #10): a speaker on each node holds
    // every Service, EndpointSlice and Node of the cluster, and a real server's managedFields and
    // a Node's image list are most of their bytes.
    // An update that changed nothing Herald keeps is no event (`skipUnchanged`), and a slice
    // matters only to a Service with externalTrafficPolicy: Local, the one rule that reads
    // endpoints: most slices of a cluster belong to ClusterIP Services whose pods come and go.
    this.#services = watchResource<V1Service>({ kc: clients.kc, path: '/api/v1/services', list: (keep) => clients.http.list<V1Service>('/api/v1/services', isKubeObject, { keep }), transform: slimService, skipUnchanged: true, log, onEvent });
    this.#slices = watchEndpointSlices(clients, log, (_event, slice) => {
      if (sliceMatters(slice, (name, namespace) => this.#services.get(name, namespace))) o.onChange();
    });
    this.#nodes = watchNodes(clients, log, onEvent);
    this.#policies = watchResource<PolicyObject>({
      kc: clients.kc,
      path: `/apis/${HERALD_GROUP}/${HERALD_VERSION}/${L2POLICY_PLURAL}`,
      // A missing CRD is a 404, which ApiHealth names with the fix (issue #13).
      list: () => clients.http.list<PolicyObject>(`/apis/${HERALD_GROUP}/${HERALD_VERSION}/${L2POLICY_PLURAL}`, isKubeObject),
      log,
      onEvent,
    });
    this.synced = Promise.all([this.#services.synced, this.#slices.synced, this.#nodes.synced, this.#policies.synced]).then(() => undefined);
  }

  isSynced(): boolean {
    return this.#services.isSynced() && this.#slices.isSynced() && this.#nodes.isSynced() && this.#policies.isSynced();
  }

  snapshot(): ClusterSnapshot {
    return { services: this.#services.list(), slices: this.#slices.list(), nodes: this.#nodes.list(), policies: parsePolicies(this.#policies.list()) };
  }

  /** The L2AnnouncementPolicies, parsed (without the Services, slices and Nodes of `snapshot`). */
  policies(): ParsedPolicies {
    return parsePolicies(this.#policies.list());
  }

  /** The cached Service, if any (an Event's involved object). */
  service(namespace: string, name: string): V1Service | undefined {
    return this.#services.get(name, namespace);
  }

  node(name: string): V1Node | undefined {
    return this.#nodes.get(name);
  }

  async stop(): Promise<void> {
    await Promise.all([this.#services.stop(), this.#slices.stop(), this.#nodes.stop(), this.#policies.stop()]);
  }
}
