// DELETE and DELETE-collection: preconditions, finalizers (deletionTimestamp until the last
// finalizer is removed), Namespace contents and a CRD's custom resources go with their owner.
import { conflict, methodNotAllowed, notFound } from './errors.ts';
import { arrAt, child, clone, isObject, strAt, type Json, type JsonObject } from './json.ts';
import { external, matches, nowTime, parseFilter, type ApiContext, type ResourceRequest } from './rest-common.ts';
import { CRD_STORAGE, type WriteResult } from './rest-write.ts';
import { apiVersionOf, groupResource, type ResourceType } from './resource-type.ts';

function preconditions(rt: ResourceType, options: Json | undefined, old: JsonObject): void {
  if (!isObject(options) || !isObject(options['preconditions'])) return;
  const pre = options['preconditions'];
  const name = strAt(old, 'metadata', 'name') ?? '';
  const uid = pre['uid'];
  const oldUid = strAt(old, 'metadata', 'uid') ?? '';
  if (typeof uid === 'string' && uid !== oldUid) {
    throw conflict(groupResource(rt), name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${oldUid}`);
  }
  const rv = pre['resourceVersion'];
  const oldRv = strAt(old, 'metadata', 'resourceVersion') ?? '';
  if (typeof rv === 'string' && rv !== oldRv) {
    throw conflict(groupResource(rt), name, `Precondition failed: ResourceVersion in precondition: ${rv}, ResourceVersion in object meta: ${oldRv}`);
  }
}

/** Deletes one stored object now, or marks it for deletion when it has finalizers. */
export function deleteStored(ctx: ApiContext, rt: ResourceType, storedOld: JsonObject, dryRun: boolean): JsonObject {
  const old = external(rt, storedOld);
  const meta = child(clone(old), 'metadata');
  if ((arrAt(meta, 'finalizers')?.length ?? 0) > 0) {
    if (meta['deletionTimestamp'] !== undefined) return old;
    const marked = clone(old);
    const m = child(marked, 'metadata');
    m['deletionTimestamp'] = nowTime();
    m['deletionGracePeriodSeconds'] = 0;
    // rest.BeforeDelete bumps a generation that is set, whatever the type (differences, 12).
    const gen = m['generation'];
    if (typeof gen === 'number' && gen > 0) m['generation'] = gen + 1;
    if (dryRun) return marked;
    return external(rt, ctx.store.update(rt.storage, rt.toStorage(marked), storedOld));
  }
  if (dryRun) return old;
  const name = strAt(old, 'metadata', 'name') ?? '';
  if (rt.storage === 'namespaces') deleteNamespaceContents(ctx, name);
  if (rt.storage === CRD_STORAGE) deleteCustomResources(ctx, storedOld);
  ctx.store.remove(rt.storage, storedOld);
  if (rt.storage === CRD_STORAGE) ctx.crdChanged(name, undefined);
  return old;
}

/** The namespace controller's job, done at once (no Terminating phase is simulated). */
function deleteNamespaceContents(ctx: ApiContext, ns: string): void {
  const seen = new Set<string>();
  for (const rt of ctx.registry.all()) {
    if (!rt.namespaced || seen.has(rt.storage)) continue;
    seen.add(rt.storage);
    for (const o of ctx.store.list(rt.storage, ns)) deleteStored(ctx, rt, o, false);
  }
}

function deleteCustomResources(ctx: ApiContext, crd: JsonObject): void {
  const storage = `${strAt(crd, 'spec', 'names', 'plural') ?? ''}.${strAt(crd, 'spec', 'group') ?? ''}`;
  // apiextensions' cleanup finalizer removes every instance, whatever finalizers they carry.
  for (const o of ctx.store.list(storage)) ctx.store.remove(storage, o);
}

export function deleteObject(ctx: ApiContext, req: ResourceRequest, options: Json | undefined, dryRun: boolean): WriteResult {
  const { rt } = req;
  if (req.subresource !== undefined) throw methodNotAllowed();
  if (req.name === undefined) return deleteCollection(ctx, req, dryRun);
  const storedOld = ctx.store.get(rt.storage, req.namespace ?? '', req.name);
  if (storedOld === undefined) throw notFound(groupResource(rt), req.name);
  preconditions(rt, options, external(rt, storedOld));
  return { code: 200, body: deleteStored(ctx, rt, storedOld, dryRun) };
}

function deleteCollection(ctx: ApiContext, req: ResourceRequest, dryRun: boolean): WriteResult {
  const { rt } = req;
  const filter = parseFilter(rt, req);
  const items: JsonObject[] = [];
  for (const o of ctx.store.list(rt.storage, req.namespace)) {
    if (!matches(rt, filter, external(rt, o))) continue;
    items.push(deleteStored(ctx, rt, o, dryRun));
  }
  return { code: 200, body: { kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata: { resourceVersion: String(ctx.store.currentRV()) }, items } };
}
