// GET of one object and LIST with selectors and limit/continue pagination
// (api-concepts.md#retrieving-large-results-sets-in-chunks).
import { badRequest, methodNotAllowed, notFound } from './errors.ts';
import { isObject, nameOf, namespaceOf, type JsonObject } from './json.ts';
import { external, matches, parseFilter, type ApiContext, type ResourceRequest } from './rest-common.ts';
import { apiVersionOf, groupResource } from './resource-type.ts';

export function getObject(ctx: ApiContext, req: ResourceRequest): JsonObject {
  const { rt } = req;
  if (req.name === undefined) throw methodNotAllowed();
  const stored = ctx.store.get(rt.storage, req.namespace ?? '', req.name);
  if (stored === undefined) throw notFound(groupResource(rt), req.name);
  return external(rt, stored);
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: t.start })).toString('base64url');
}

function decodeContinue(s: string): ContinueToken {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (!isObject(v) || typeof v['rv'] !== 'number' || typeof v['start'] !== 'string') {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  return { rv: v['rv'], start: v['start'] };
}

function keyOf(o: JsonObject): string {
  return `${namespaceOf(o)}\u0000${nameOf(o)}`;
}

export function listObjects(ctx: ApiContext, req: ResourceRequest): JsonObject {
  const { rt } = req;
  const filter = parseFilter(rt, req);
  const limitText = req.query.get('limit');
  const limit = limitText === null || limitText === '' ? 0 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`limit: Invalid value: ${JSON.stringify(limitText)}: must be a non-negative integer`);
  const cont = req.query.get('continue');
  const token = cont === null || cont === '' ? undefined : decodeContinue(cont);
  const rv = token?.rv ?? ctx.store.currentRV();
  let all = ctx.store
    .list(rt.storage, req.namespace)
    .map((o) => external(rt, o))
    .filter((o) => matches(rt, filter, o));
  if (token !== undefined) all = all.filter((o) => keyOf(o) >= token.start);
  const page = limit > 0 ? all.slice(0, limit) : all;
  const rest = limit > 0 ? all.slice(limit) : [];
  const metadata: JsonObject = { resourceVersion: String(rv) };
  const next = rest[0];
  if (next !== undefined) {
    metadata['continue'] = encodeContinue({ rv, start: keyOf(next) });
    // remainingItemCount is only exact without a selector, so the real server omits it otherwise.
    if (filter.labels.length === 0 && filter.fields.length === 0) metadata['remainingItemCount'] = rest.length;
  }
  const items = page.map((o) => {
    if (!rt.builtin) return o;
    const item = { ...o };
    delete item['apiVersion'];
    delete item['kind'];
    return item;
  });
  return { kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata, items };
}
