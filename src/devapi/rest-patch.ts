// PATCH: the patch applies to the current object in the request's version, then the result goes
// through the same update pipeline as a PUT (apiserver/pkg/endpoints/handlers/patch.go).
import { ApiError, badRequest, notFound, unsupportedMediaType } from './errors.ts';
import { child, isObject, strAt, type Json } from './json.ts';
import { applyJsonPatch, JsonPatchError } from './json-patch.ts';
import { applyMergePatch } from './merge-patch.ts';
import { decode, external, type ApiContext, type ResourceRequest } from './rest-common.ts';
import { checkPreconditions, placeObject, update, type WriteResult } from './rest-write.ts';
import { groupResource, type ResourceType } from './resource-type.ts';
import { applyStrategicMerge } from './strategic-merge.ts';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** Throws 415 for a patch type this resource does not take; checked before the body is parsed. */
export function checkPatchType(rt: ResourceType, contentType: string): void {
  const accepted = rt.smp === null ? [JSON_PATCH, MERGE_PATCH, APPLY_PATCH] : [JSON_PATCH, MERGE_PATCH, APPLY_PATCH, STRATEGIC_PATCH];
  if (contentType === APPLY_PATCH) {
    throw new ApiError(415, 'UnsupportedMediaType', 'server-side apply (application/apply-patch+yaml) is not implemented by herald dev apiserver; use a merge, JSON or strategic merge patch');
  }
  if (!accepted.includes(contentType)) throw unsupportedMediaType(contentType, accepted);
}

export function patchObject(ctx: ApiContext, req: ResourceRequest, contentType: string, patch: Json, dryRun: boolean): WriteResult {
  const { rt } = req;
  if (req.name === undefined) throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  checkPatchType(rt, contentType);
  const storedOld = ctx.store.get(rt.storage, req.namespace ?? '', req.name);
  if (storedOld === undefined) throw notFound(groupResource(rt), req.name);
  const old = external(rt, storedOld);
  let patched: Json;
  if (contentType === MERGE_PATCH) {
    if (!isObject(patch)) throw badRequest('json: cannot unmarshal into Go value of type map[string]interface {}');
    patched = applyMergePatch(old, patch);
  } else if (contentType === JSON_PATCH) {
    try {
      patched = applyJsonPatch(old, patch);
    } catch (e) {
      if (!(e instanceof JsonPatchError)) throw e;
      if (e.kind === 'decode') throw badRequest(e.message);
      // The real server reports 422 with a generic message; the cause carries the patch error.
      throw new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
        causes: [{ reason: 'FieldValueInvalid', message: e.message }],
      });
    }
  } else {
    patched = applyStrategicMerge(old, patch, rt.smp ?? {});
  }
  const { obj } = decode(rt, patched);
  placeObject(rt, req, obj);
  const meta = child(obj, 'metadata');
  // A patch that does not mention resourceVersion applies to whatever is current.
  if (strAt(obj, 'metadata', 'resourceVersion') === undefined) meta['resourceVersion'] = strAt(old, 'metadata', 'resourceVersion') ?? '';
  checkPreconditions(rt, obj, old);
  return update(ctx, rt, req.subresource, obj, old, storedOld, dryRun);
}
