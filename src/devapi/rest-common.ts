// What the REST handlers share: the API context, decoding a body into a typed object, and the
// filters (namespace, label and field selectors) lists and watches apply.
import { matchesLabelRequirements, parseLabelRequirements, type LabelRequirement } from '../api/label-selector.ts';
import { ApiError, badRequest, invalid } from './errors.ts';
import type { FieldError } from './field-errors.ts';
import { child, isObject, nameOf, namespaceOf, objAt, stringMap, type Json, type JsonObject } from './json.ts';
import type { Registry } from './registry.ts';
import { apiVersionOf, type ResourceType, type StoreView } from './resource-type.ts';
import { applyDefaults, microTimeDecodeError, prune } from './schema-prune.ts';
import { validateValue } from './schema-validate.ts';
import { matchesFields, parseFieldSelector, type FieldRequirement } from './selectors.ts';
import type { ObjectStore } from './store.ts';

export interface ApiContext {
  store: ObjectStore;
  registry: Registry;
  view: StoreView;
  /** Called after a CRD is stored (object) or removed (undefined). */
  crdChanged(name: string, crd: JsonObject | undefined): void;
}

export interface ResourceRequest {
  rt: ResourceType;
  /** Namespace from the URL; undefined for cluster-scoped types or all-namespace lists. */
  namespace: string | undefined;
  name: string | undefined;
  subresource: 'status' | undefined;
  query: URLSearchParams;
}

export function external(rt: ResourceType, stored: JsonObject): JsonObject {
  const { apiVersion: _v, kind: _k, ...rest } = rt.fromStorage(stored);
  return { apiVersion: apiVersionOf(rt), kind: rt.kind, ...rest };
}

/**
 * Typed decoding: schema defaults, pruning of unknown fields, type checks. For built-in types
 * a type error is a decode error (400), as Go's JSON decoder reports it; for custom resources
 * the schema errors are returned to become part of a 422 Invalid.
 */
export function decode(rt: ResourceType, raw: Json): { obj: JsonObject; schemaErrors: FieldError[] } {
  if (!isObject(raw)) throw badRequest(`${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: body must be a JSON object`);
  const apiVersion = raw['apiVersion'];
  const kind = raw['kind'];
  if (typeof apiVersion === 'string' && apiVersion !== '' && apiVersion !== apiVersionOf(rt)) {
    throw badRequest(`the API version in the data (${apiVersion}) does not match the expected API version (${apiVersionOf(rt)})`);
  }
  if (typeof kind === 'string' && kind !== '' && kind !== rt.kind) {
    throw badRequest(`${kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: the object provided is unrecognized (wrong kind)`);
  }
  const defaulted = applyDefaults({ ...raw, apiVersion: apiVersionOf(rt), kind: rt.kind }, rt.schema);
  if (rt.builtin) {
    const micro = microTimeDecodeError(defaulted, rt.schema);
    if (micro !== undefined) throw badRequest(`${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: ${micro}`);
  }
  const pruned = prune(defaulted, rt.schema);
  if (!isObject(pruned)) throw badRequest('body must be a JSON object');
  const errors = validateValue(pruned, rt.schema, '');
  if (rt.builtin && errors.length > 0) {
    const first = errors[0];
    throw badRequest(`${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: ${first === undefined ? '' : `${first.field}: ${first.body}`}`);
  }
  child(pruned, 'metadata');
  return { obj: pruned, schemaErrors: errors };
}

export function invalidError(rt: ResourceType, name: string, errors: readonly FieldError[]): ApiError {
  return invalid(rt.kind, rt.group, name, errors);
}

export interface Filter {
  namespace: string | undefined;
  labels: readonly LabelRequirement[];
  fields: FieldRequirement[];
}

export function parseFilter(rt: ResourceType, req: ResourceRequest): Filter {
  // A bad selector is a 400 BadRequest whose message is the parser's ("unable to parse requirement: ...").
  const labels = parseLabelRequirements(req.query.get('labelSelector') ?? '');
  if (!labels.ok) throw badRequest(labels.error.message);
  const fields = parseFieldSelector(req.query.get('fieldSelector') ?? '');
  for (const f of fields) {
    if (f.field === 'metadata.name' || f.field === 'metadata.namespace' || Object.hasOwn(rt.fieldLabels, f.field)) continue;
    if (rt.builtin) throw badRequest(`field label not supported: ${f.field}`);
    throw badRequest(`"${f.field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
  }
  return { namespace: req.namespace, labels: labels.requirements, fields };
}

/** Filter on the external form of an object. */
export function matches(rt: ResourceType, f: Filter, obj: JsonObject): boolean {
  if (f.namespace !== undefined && namespaceOf(obj) !== f.namespace) return false;
  if (!matchesLabelRequirements(f.labels, new Map(Object.entries(stringMap(objAt(obj, 'metadata')?.['labels']))))) return false;
  return matchesFields(f.fields, (field) => {
    if (field === 'metadata.name') return nameOf(obj);
    if (field === 'metadata.namespace') return namespaceOf(obj);
    const v = rt.fieldLabels[field]?.(obj);
    return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  });
}

/** RFC 3339 at second precision, as metav1.Time serialises. */
export function nowTime(): string {
  return new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
