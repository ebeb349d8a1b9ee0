// Create, update (PUT) and the shared commit pipeline of every write, in the order of the real
// generic registry (apiserver/pkg/registry/generic/registry/store.go): decode → precondition
// checks → PrepareForCreate/Update → validation → allocation → no-op detection → storage.
import { randomUUID } from 'node:crypto';
import { ApiError, badRequest, conflict, forbiddenError, MODIFIED_MESSAGE, methodNotAllowed, notFound, alreadyExists } from './errors.ts';
import * as fe from './field-errors.ts';
import { arrAt, child, clone, deepEqual, strAt, type Json, type JsonObject } from './json.ts';
import { generateNameSuffix, validateObjectMeta } from './names.ts';
import { decode, external, invalidError, nowTime, type ApiContext, type ResourceRequest } from './rest-common.ts';
import { groupResource, type ResourceType } from './resource-type.ts';
import { validateValue } from './schema-validate.ts';

export interface WriteResult {
  code: number;
  body: JsonObject;
}

export const CRD_STORAGE = 'customresourcedefinitions.apiextensions.k8s.io';

/** Namespace from the URL wins; a different one in the body is a BadRequest (as the real server). */
export function placeObject(rt: ResourceType, req: ResourceRequest, obj: JsonObject): void {
  const meta = child(obj, 'metadata');
  if (rt.namespaced) {
    const ns = meta['namespace'];
    if (typeof ns === 'string' && ns !== '' && ns !== req.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta['namespace'] = req.namespace ?? '';
  } else delete meta['namespace'];
  if (req.name !== undefined) {
    const name = meta['name'];
    if (typeof name === 'string' && name !== '' && name !== req.name) {
      throw badRequest(`the name of the object (${name}) does not match the name on the URL (${req.name})`);
    }
    meta['name'] = req.name;
  }
}

function ensureNamespace(ctx: ApiContext, rt: ResourceType, obj: JsonObject): void {
  if (!rt.namespaced) return;
  const ns = strAt(obj, 'metadata', 'namespace') ?? '';
  const nsObj = ctx.store.get('namespaces', '', ns);
  if (nsObj === undefined) throw notFound({ group: '', resource: 'namespaces' }, ns);
  if (strAt(nsObj, 'metadata', 'deletionTimestamp') !== undefined) {
    throw forbiddenError(groupResource(rt), strAt(obj, 'metadata', 'name') ?? '', `unable to create new content in namespace ${ns} because it is being terminated`);
  }
}

/** Everything outside metadata (and status, when status is a subresource): changes bump generation. */
function specPart(rt: ResourceType, obj: JsonObject): JsonObject {
  const out: JsonObject = { ...obj };
  delete out['metadata'];
  delete out['apiVersion'];
  delete out['kind'];
  if (rt.statusSubresource) delete out['status'];
  return out;
}

function withoutVolatile(obj: JsonObject): JsonObject {
  const meta = { ...child({ ...obj }, 'metadata') };
  delete meta['resourceVersion'];
  delete meta['managedFields'];
  return { ...obj, metadata: meta };
}

function afterStore(ctx: ApiContext, rt: ResourceType, stored: JsonObject | undefined, name: string): void {
  if (rt.storage === CRD_STORAGE) ctx.crdChanged(name, stored);
}

function schemaErrors(rt: ResourceType, obj: JsonObject): fe.FieldError[] {
  // Built-in type errors were decode errors already; custom resources validate the final object.
  return rt.builtin ? [] : validateValue(obj, rt.schema, '');
}

export function createObject(ctx: ApiContext, req: ResourceRequest, raw: Json, dryRun: boolean): WriteResult {
  if (req.name !== undefined || req.subresource !== undefined) throw methodNotAllowed();
  const { obj } = decode(req.rt, raw);
  placeObject(req.rt, req, obj);
  const meta = child(obj, 'metadata');
  const gen = meta['generateName'];
  if ((meta['name'] === undefined || meta['name'] === '') && typeof gen === 'string' && gen !== '') meta['name'] = gen + generateNameSuffix();
  if (typeof meta['resourceVersion'] === 'string' && meta['resourceVersion'] !== '') {
    throw new ApiError(500, 'InternalError', 'resourceVersion should not be set on objects to be created');
  }
  return create(ctx, req.rt, obj, dryRun);
}

export function create(ctx: ApiContext, rt: ResourceType, obj: JsonObject, dryRun: boolean): WriteResult {
  const meta = child(obj, 'metadata');
  for (const k of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'resourceVersion', 'selfLink']) delete meta[k];
  if (rt.statusSubresource && !rt.keepStatusOnCreate) delete obj['status'];
  rt.strategy.defaults?.(obj, undefined);
  rt.strategy.prepareCreate?.(obj);
  rt.strategy.statusDefaults?.(obj);
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  const errors = [...validateObjectMeta(meta, rt.namespaced, rt.nameCheck), ...schemaErrors(rt, obj), ...(rt.strategy.validate?.(obj, undefined) ?? [])];
  if (errors.length > 0) throw invalidError(rt, name, errors);
  ensureNamespace(ctx, rt, obj);
  if (ctx.store.get(rt.storage, strAt(obj, 'metadata', 'namespace') ?? '', name) !== undefined) throw alreadyExists(groupResource(rt), name);
  const allocErrors = rt.strategy.allocate?.(obj, undefined, { view: ctx.view }) ?? [];
  if (allocErrors.length > 0) throw invalidError(rt, name, allocErrors);
  meta['uid'] = randomUUID();
  meta['creationTimestamp'] = nowTime();
  if (rt.generation) meta['generation'] = 1;
  if (dryRun) return { code: 201, body: obj };
  const stored = ctx.store.create(rt.storage, rt.toStorage(obj));
  afterStore(ctx, rt, stored, name);
  return { code: 201, body: external(rt, stored) };
}

/** Built-in etcd key prefixes that differ from the plural (pkg/registry/core/{node,service}/storage). */
const KEY_PREFIX: Readonly<Record<string, string>> = { nodes: 'minions', services: 'services/specs' };

/** The etcd key kube-apiserver would use, for messages only. */
function storageKey(rt: ResourceType, namespace: string | undefined, name: string): string {
  const prefix = rt.builtin ? (KEY_PREFIX[rt.plural] ?? rt.plural) : `${rt.group}/${rt.plural}`;
  return `/registry/${prefix}/${namespace === undefined || namespace === '' ? '' : `${namespace}/`}${name}`;
}

/** Optimistic concurrency (api-conventions.md#concurrency-control-and-consistency) and uid precondition. */
export function checkPreconditions(rt: ResourceType, obj: JsonObject, old: JsonObject): void {
  const name = strAt(old, 'metadata', 'name') ?? '';
  const rv = strAt(obj, 'metadata', 'resourceVersion') ?? '';
  if (rv === '') {
    if (!rt.allowUnconditionalUpdate) {
      throw invalidError(rt, name, [{ field: 'metadata.resourceVersion', reason: 'FieldValueInvalid', body: 'Invalid value: 0x0: must be specified for an update' }]);
    }
  } else if (rv !== strAt(old, 'metadata', 'resourceVersion')) {
    throw conflict(groupResource(rt), name, MODIFIED_MESSAGE);
  }
  const uid = strAt(obj, 'metadata', 'uid');
  const oldUid = strAt(old, 'metadata', 'uid') ?? '';
  if (uid !== undefined && uid !== '' && uid !== oldUid) {
    throw conflict(groupResource(rt), name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${oldUid}`);
  }
}

export function replaceObject(ctx: ApiContext, req: ResourceRequest, raw: Json, dryRun: boolean): WriteResult {
  const { rt } = req;
  if (req.name === undefined) throw methodNotAllowed();
  const { obj } = decode(rt, raw);
  placeObject(rt, req, obj);
  const storedOld = ctx.store.get(rt.storage, req.namespace ?? '', req.name);
  if (storedOld === undefined) {
    // Store.Update (apiserver registry/generic/registry/store.go) runs GuaranteedUpdate with
    // ignoreNotFound, so the storage precondition — the body's uid — is checked against an
    // empty object first: any uid is a 409 Conflict, whatever the strategy (kubernetes#89985).
    const uid = strAt(obj, 'metadata', 'uid') ?? '';
    if (uid !== '') {
      throw conflict(groupResource(rt), req.name, `StorageError: invalid object, Code: 4, Key: ${storageKey(rt, req.namespace, req.name)}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: ${uid}, UID in object meta: `);
    }
    if (req.subresource !== undefined || !rt.allowCreateOnUpdate) throw notFound(groupResource(rt), req.name);
    // Create-on-update: a resourceVersion in the body is not a precondition here; the storage
    // layer clears it (etcd3 store updateState → PrepareObjectForStorage) and the object is created.
    return create(ctx, rt, obj, dryRun);
  }
  const old = external(rt, storedOld);
  checkPreconditions(rt, obj, old);
  return update(ctx, rt, req.subresource, obj, old, storedOld, dryRun);
}

/** The update half of PUT and PATCH, on the external form; `old` is the current object. */
export function update(
  ctx: ApiContext,
  rt: ResourceType,
  subresource: 'status' | undefined,
  incoming: JsonObject,
  old: JsonObject,
  storedOld: JsonObject,
  dryRun: boolean,
): WriteResult {
  const name = strAt(old, 'metadata', 'name') ?? '';
  let obj: JsonObject;
  let errors: fe.FieldError[];
  if (subresource === 'status') {
    // A status write changes status only; metadata and spec come from the current object.
    obj = clone(old);
    if (incoming['status'] !== undefined) obj['status'] = incoming['status'];
    else delete obj['status'];
    rt.strategy.statusDefaults?.(obj);
    errors = [...schemaErrors(rt, obj), ...(rt.strategy.validateStatus?.(obj, old) ?? [])];
  } else {
    obj = incoming;
    const meta = child(obj, 'metadata');
    const oldMeta = child(clone(old), 'metadata');
    for (const k of ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'namespace', 'name', 'resourceVersion']) {
      const v = oldMeta[k];
      if (v === undefined) delete meta[k];
      else meta[k] = v;
    }
    if (rt.statusSubresource) {
      if (old['status'] !== undefined) obj['status'] = clone(old['status']);
      else delete obj['status'];
    }
    rt.strategy.defaults?.(obj, old);
    rt.strategy.statusDefaults?.(obj);
    errors = [...validateObjectMeta(meta, rt.namespaced, rt.nameCheck), ...schemaErrors(rt, obj), ...(rt.strategy.validate?.(obj, old) ?? [])];
    if (oldMeta['deletionTimestamp'] !== undefined) {
      const before = arrAt(oldMeta, 'finalizers') ?? [];
      const added = (arrAt(meta, 'finalizers') ?? []).filter((f) => !before.includes(f));
      if (added.length > 0) {
        errors.push(fe.forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`));
      }
    }
  }
  if (errors.length > 0) throw invalidError(rt, name, errors);
  if (subresource === undefined) {
    const allocErrors = rt.strategy.allocate?.(obj, old, { view: ctx.view }) ?? [];
    if (allocErrors.length > 0) throw invalidError(rt, name, allocErrors);
  }
  const meta = child(obj, 'metadata');
  const oldGen = typeof old['metadata'] === 'object' ? child(clone(old), 'metadata')['generation'] : undefined;
  if (rt.generation && !deepEqual(specPart(rt, obj), specPart(rt, old))) meta['generation'] = (typeof oldGen === 'number' ? oldGen : 0) + 1;
  if (deepEqual(withoutVolatile(obj), withoutVolatile(old))) return { code: 200, body: old };
  if (dryRun) return { code: 200, body: obj };
  if (meta['deletionTimestamp'] !== undefined && (arrAt(meta, 'finalizers')?.length ?? 0) === 0) {
    // The last finalizer is gone: the pending delete completes now (one DELETED event).
    ctx.store.remove(rt.storage, rt.toStorage(obj));
    afterStore(ctx, rt, undefined, name);
    return { code: 200, body: obj };
  }
  const stored = ctx.store.update(rt.storage, rt.toStorage(obj), storedOld);
  afterStore(ctx, rt, stored, name);
  return { code: 200, body: external(rt, stored) };
}
