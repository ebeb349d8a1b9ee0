// Structural schemas of the built-in types the stand-in serves, transcribed from the Go types
// in k8s.io/api (core/v1, discovery/v1, coordination/v1, events/v1, apiextensions/v1). They give
// built-ins what typed decoding gives the real server: wrong JSON types are rejected, unknown
// fields are dropped, metav1.Time/MicroTime are normalised. Deep, rarely-used parts are opaque.
import type { JsonObject } from './json.ts';
import { withObjectRoot } from './schema-prune.ts';

const s = { type: 'string' };
const i32 = { type: 'integer', format: 'int32' };
const i64 = { type: 'integer', format: 'int64' };
const b = { type: 'boolean' };
const time = { type: 'string', format: 'date-time', 'x-herald-time': 'second', nullable: true };
const micro = { type: 'string', format: 'date-time', 'x-herald-time': 'micro', nullable: true };
const opaque = { 'x-kubernetes-preserve-unknown-fields': true };
const intOrString = { 'x-kubernetes-int-or-string': true };
const obj = (properties: JsonObject): JsonObject => ({ type: 'object', properties });
const arr = (items: JsonObject): JsonObject => ({ type: 'array', items });
const map = (values: JsonObject): JsonObject => ({ type: 'object', additionalProperties: values });
const root = (properties: JsonObject): JsonObject => withObjectRoot(obj(properties));

const objectReference = obj({ kind: s, namespace: s, name: s, uid: s, apiVersion: s, resourceVersion: s, fieldPath: s });

const metaCondition = obj({ type: s, status: s, observedGeneration: i64, lastTransitionTime: time, reason: s, message: s });

export const serviceSchema = root({
  spec: obj({
    type: s,
    ports: arr(obj({ name: s, protocol: s, appProtocol: s, port: i32, targetPort: intOrString, nodePort: i32 })),
    selector: map(s),
    clusterIP: s,
    clusterIPs: arr(s),
    externalIPs: arr(s),
    sessionAffinity: s,
    loadBalancerIP: s,
    loadBalancerSourceRanges: arr(s),
    externalName: s,
    externalTrafficPolicy: s,
    healthCheckNodePort: i32,
    publishNotReadyAddresses: b,
    sessionAffinityConfig: opaque,
    ipFamilies: arr(s),
    ipFamilyPolicy: s,
    allocateLoadBalancerNodePorts: b,
    loadBalancerClass: s,
    internalTrafficPolicy: s,
    trafficDistribution: s,
  }),
  status: obj({
    loadBalancer: obj({
      ingress: arr(obj({ ip: s, hostname: s, ipMode: s, ports: arr(obj({ port: i32, protocol: s, error: s })) })),
    }),
    conditions: arr(metaCondition),
  }),
});

export const nodeSchema = root({
  spec: obj({
    podCIDR: s,
    podCIDRs: arr(s),
    providerID: s,
    unschedulable: b,
    taints: arr(obj({ key: s, value: s, effect: s, timeAdded: time })),
    configSource: opaque,
    externalID: s,
  }),
  status: obj({
    capacity: opaque,
    allocatable: opaque,
    phase: s,
    conditions: arr(obj({ type: s, status: s, lastHeartbeatTime: time, lastTransitionTime: time, reason: s, message: s })),
    addresses: arr(obj({ type: s, address: s })),
    daemonEndpoints: opaque,
    nodeInfo: opaque,
    images: opaque,
    volumesInUse: opaque,
    volumesAttached: opaque,
    config: opaque,
    runtimeHandlers: opaque,
    features: opaque,
  }),
});

export const namespaceSchema = root({
  spec: obj({ finalizers: arr(s) }),
  status: obj({ phase: s, conditions: arr(obj({ type: s, status: s, lastTransitionTime: time, reason: s, message: s })) }),
});

const endpointAddress = obj({ ip: s, hostname: s, nodeName: s, targetRef: objectReference });
export const endpointsSchema = root({
  subsets: arr(
    obj({
      addresses: arr(endpointAddress),
      notReadyAddresses: arr(endpointAddress),
      ports: arr(obj({ name: s, port: i32, protocol: s, appProtocol: s })),
    }),
  ),
});

export const endpointSliceSchema = root({
  addressType: s,
  endpoints: arr(
    obj({
      addresses: arr(s),
      conditions: obj({ ready: { ...b, nullable: true }, serving: { ...b, nullable: true }, terminating: { ...b, nullable: true } }),
      hostname: s,
      targetRef: objectReference,
      nodeName: s,
      zone: s,
      hints: opaque,
      deprecatedTopology: map(s),
    }),
  ),
  ports: arr(obj({ name: { ...s, nullable: true }, protocol: s, port: { ...i32, nullable: true }, appProtocol: s })),
});

export const leaseSchema = root({
  spec: obj({
    holderIdentity: { ...s, nullable: true },
    leaseDurationSeconds: { ...i32, nullable: true },
    acquireTime: micro,
    renewTime: micro,
    leaseTransitions: { ...i32, nullable: true },
    strategy: s,
    preferredHolder: s,
  }),
});

const eventSource = obj({ component: s, host: s });
const eventSeries = obj({ count: i32, lastObservedTime: micro });

export const coreEventSchema = root({
  involvedObject: objectReference,
  reason: s,
  message: s,
  source: eventSource,
  firstTimestamp: time,
  lastTimestamp: time,
  count: i32,
  type: s,
  eventTime: micro,
  series: eventSeries,
  action: s,
  related: objectReference,
  reportingComponent: s,
  reportingInstance: s,
});

export const eventsV1Schema = root({
  eventTime: micro,
  series: eventSeries,
  reportingController: s,
  reportingInstance: s,
  action: s,
  reason: s,
  regarding: objectReference,
  related: objectReference,
  note: s,
  type: s,
  deprecatedSource: eventSource,
  deprecatedFirstTimestamp: time,
  deprecatedLastTimestamp: time,
  deprecatedCount: i32,
});

export const secretSchema = root({
  data: map({ type: 'string', format: 'byte' }),
  stringData: map(s),
  type: s,
  immutable: b,
});

export const crdSchema = root({
  spec: obj({
    group: s,
    names: obj({ plural: s, singular: s, kind: s, listKind: s, shortNames: arr(s), categories: arr(s) }),
    scope: s,
    versions: arr(
      obj({
        name: s,
        served: b,
        storage: b,
        deprecated: b,
        deprecationWarning: s,
        schema: obj({ openAPIV3Schema: opaque }),
        subresources: opaque,
        additionalPrinterColumns: opaque,
        selectableFields: opaque,
      }),
    ),
    conversion: opaque,
    preserveUnknownFields: b,
  }),
  status: opaque,
});
