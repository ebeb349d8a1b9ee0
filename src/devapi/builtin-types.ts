// The built-in resources the stand-in serves, with the names, short names and flags that
// `kubectl api-resources` shows for a real cluster and the strategy flags of their registries.
import * as schemas from './builtin-schemas.ts';
import { coreEventStrategy, endpointsStrategy, namespaceStrategy, nodeStrategy, pathSegmentName, secretStrategy } from './core-strategies.ts';
import { crdStrategy } from './crd.ts';
import { endpointSliceStrategy, eventFromCore, eventsV1Strategy, eventToCore, leaseStrategy } from './group-strategies.ts';
import { objAt, strAt, type Json, type JsonObject } from './json.ts';
import { dns1035Label, dns1123Label, dns1123Subdomain } from '../api/k8s-names.ts';
import type { ResourceType } from './resource-type.ts';
import { serviceStrategy } from './service-strategy.ts';
import * as smp from './strategic-merge.ts';

type Def = Partial<ResourceType> & Pick<ResourceType, 'group' | 'version' | 'plural' | 'kind' | 'namespaced' | 'schema' | 'strategy'>;

function withApiVersion(apiVersion: string): (o: JsonObject) => JsonObject {
  return (o) => ({ ...o, apiVersion });
}

function define(d: Def): ResourceType {
  const apiVersion = d.group ? `${d.group}/${d.version}` : d.version;
  return {
    singular: d.kind.toLowerCase(),
    listKind: `${d.kind}List`,
    shortNames: [],
    categories: [],
    statusSubresource: false,
    keepStatusOnCreate: false,
    generation: false,
    storage: d.group ? `${d.plural}.${d.group}` : d.plural,
    counterKey: d.plural,
    allowCreateOnUpdate: false,
    allowUnconditionalUpdate: true,
    nameCheck: dns1123Subdomain,
    builtin: true,
    smp: smp.plainSmp,
    fieldLabels: {},
    toStorage: withApiVersion(apiVersion),
    fromStorage: withApiVersion(apiVersion),
    ...d,
  };
}

const ref = (field: string, key: string) => (o: JsonObject): Json | undefined => strAt(o, field, key);

/** core/v1 Event field selectors (pkg/registry/core/event/strategy.go ToSelectableFields). */
const coreEventFields: ResourceType['fieldLabels'] = {
  'involvedObject.kind': ref('involvedObject', 'kind'),
  'involvedObject.namespace': ref('involvedObject', 'namespace'),
  'involvedObject.name': ref('involvedObject', 'name'),
  'involvedObject.uid': ref('involvedObject', 'uid'),
  'involvedObject.apiVersion': ref('involvedObject', 'apiVersion'),
  'involvedObject.resourceVersion': ref('involvedObject', 'resourceVersion'),
  'involvedObject.fieldPath': ref('involvedObject', 'fieldPath'),
  reason: (o) => o['reason'],
  reportingComponent: (o) => o['reportingComponent'],
  source: (o) => objAt(o, 'source')?.['component'],
  type: (o) => o['type'],
};

export function builtinTypes(): ResourceType[] {
  return [
    define({
      group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ['all'],
      statusSubresource: true, allowCreateOnUpdate: true, nameCheck: dns1035Label, schema: schemas.serviceSchema,
      smp: smp.serviceSmp, strategy: serviceStrategy,
    }),
    define({
      group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'], statusSubresource: true,
      keepStatusOnCreate: true, schema: schemas.nodeSchema, smp: smp.nodeSmp, strategy: nodeStrategy,
    }),
    define({
      group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'], statusSubresource: true,
      nameCheck: dns1123Label, schema: schemas.namespaceSchema, smp: smp.namespaceSmp, strategy: namespaceStrategy,
    }),
    define({
      group: '', version: 'v1', plural: 'endpoints', singular: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'],
      allowCreateOnUpdate: true, schema: schemas.endpointsSchema, strategy: endpointsStrategy,
    }),
    define({
      group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'], allowCreateOnUpdate: true,
      nameCheck: pathSegmentName, schema: schemas.coreEventSchema, strategy: coreEventStrategy, fieldLabels: coreEventFields,
    }),
    define({
      group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true, schema: schemas.secretSchema, strategy: secretStrategy,
      fieldLabels: { type: (o) => o['type'] },
    }),
    define({
      group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', kind: 'EndpointSlice', namespaced: true,
      generation: true, schema: schemas.endpointSliceSchema, strategy: endpointSliceStrategy,
    }),
    define({
      group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true, allowCreateOnUpdate: true,
      schema: schemas.leaseSchema, strategy: leaseStrategy,
    }),
    define({
      group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'], allowCreateOnUpdate: true,
      storage: 'events', counterKey: 'events.events.k8s.io', nameCheck: pathSegmentName, schema: schemas.eventsV1Schema, strategy: eventsV1Strategy,
      toStorage: eventToCore, fromStorage: eventFromCore,
    }),
    define({
      group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false,
      shortNames: ['crd', 'crds'], statusSubresource: true, allowUnconditionalUpdate: false, generation: true, schema: schemas.crdSchema, smp: smp.crdSmp,
      strategy: crdStrategy,
    }),
  ];
}
