// What the REST layer knows about one served resource (one group/version/plural). Built-in
// types and custom resources are both described this way; the REST handlers are generic.
import type { FieldError } from './field-errors.ts';
import type { Json, JsonObject } from './json.ts';
import type { NameCheck } from '../api/k8s-names.ts';
import type { SmpSchema } from './strategic-merge.ts';
import type { ServiceUsage } from './service-usage.ts';

/** Read access to stored objects (external form of their own type), for cross-object rules. */
export interface StoreView {
  listStorage(storage: string): readonly JsonObject[];
  /** The cluster IPs and node ports the stored Services hold, kept from the store's events. */
  serviceUsage(): ServiceUsage;
}

export interface WriteContext {
  view: StoreView;
}

/** Per-type rules, mirroring a registry strategy (PrepareForCreate/Update, Validate, ...). */
export interface Strategy {
  /** Defaulting on every write of the main resource; `old` is undefined on create. */
  defaults?(obj: JsonObject, old: JsonObject | undefined): void;
  /** Type-specific validation of the main resource (metadata is validated generically). */
  validate?(obj: JsonObject, old: JsonObject | undefined): FieldError[];
  /** After validation: allocations (e.g. Service cluster IPs). Returns field errors on failure. */
  allocate?(obj: JsonObject, old: JsonObject | undefined, ctx: WriteContext): FieldError[];
  /** Defaulting of status on every write that carries status (e.g. Service ingress ipMode). */
  statusDefaults?(obj: JsonObject): void;
  /** Validation of a `/status` write. */
  validateStatus?(obj: JsonObject, old: JsonObject): FieldError[];
  /** Last step of a create (e.g. Namespace phase Active, CRD status). */
  prepareCreate?(obj: JsonObject): void;
}

export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: readonly string[];
  categories: readonly string[];
  /** Has a `/status` subresource: main writes keep the old status, status writes change only status. */
  statusSubresource: boolean;
  /** Create through the main resource keeps the given status (Nodes) instead of dropping it. */
  keepStatusOnCreate: boolean;
  /**
   * Its registry maintains metadata.generation (1 on create, +1 when the spec changes): custom
   * resources, CRDs and EndpointSlices. Services, Nodes, Leases and the other built-ins here have
   * none; a generation a client sends on create is kept and never moves (docs/devapi.md,
   * differences, 11).
   */
  generation: boolean;
  /** Store bucket: versions of one resource (and events/events.k8s.io) share storage. */
  storage: string;
  /** Key in request counters: `services`, `leases`, `ippools.herald.dev`. */
  counterKey: string;
  allowCreateOnUpdate: boolean;
  allowUnconditionalUpdate: boolean;
  nameCheck: NameCheck;
  /** Structural schema of the whole object (typing, pruning, defaulting). */
  schema: JsonObject;
  /** Built-in: type errors are decode errors (400), list items carry no kind/apiVersion. */
  builtin: boolean;
  /** null: strategic merge patch is not supported (custom resources → 415). */
  smp: SmpSchema | null;
  /** Field selector labels beyond metadata.name and metadata.namespace. */
  fieldLabels: Readonly<Record<string, (obj: JsonObject) => Json | undefined>>;
  strategy: Strategy;
  /** Conversion between this version's form and the storage form. */
  toStorage(obj: JsonObject): JsonObject;
  fromStorage(obj: JsonObject): JsonObject;
}

export function apiVersionOf(rt: Pick<ResourceType, 'group' | 'version'>): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

export function groupResource(rt: Pick<ResourceType, 'group' | 'plural'>): { group: string; resource: string } {
  return { group: rt.group, resource: rt.plural };
}

export const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
