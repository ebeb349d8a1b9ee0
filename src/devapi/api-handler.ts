// Dispatch of Kubernetes API requests: discovery documents and resource verbs. Counts each
// resource request, then applies injected failures, then serves it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.ts';
import { ApiError, internalError, methodNotAllowed, pathNotFound, tooManyRequests, unsupportedMediaType } from './errors.ts';
import type { FaultState, Verb } from './faults.ts';
import { mediaType, parseBody, readBody, sendError, sendJson } from './http-io.ts';
import type { Json, JsonObject } from './json.ts';
import { deleteObject } from './rest-delete.ts';
import { parseFilter, type ApiContext, type ResourceRequest } from './rest-common.ts';
import { checkPatchType, patchObject } from './rest-patch.ts';
import { getObject, listObjects } from './rest-read.ts';
import { createObject, replaceObject } from './rest-write.ts';
import { parsePath } from './router.ts';
import type { WatchHub } from './watch.ts';

export interface ApiDeps {
  ctx: ApiContext;
  faults: FaultState;
  watches: WatchHub;
  serverAddress: string;
}

/** Go's strconv.ParseBool, which the real server uses for `watch` and friends. */
function parseBool(v: string | null): boolean | undefined {
  if (v === null) return undefined;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False', ''].includes(v)) return false;
  return undefined;
}

function injectFailure(faults: FaultState, verb?: Verb, resource?: string): void {
  const code = faults.takeFailure(verb, resource);
  if (code === 429) throw tooManyRequests(1);
  if (code === 500) throw internalError('herald-dev injected fault');
}

const BODY_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

export async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, d: ApiDeps): Promise<void> {
  const method = req.method ?? 'GET';
  const route = parsePath(url.pathname);
  const reg = d.ctx.registry;
  if (route.kind !== 'resource') {
    injectFailure(d.faults);
    if (url.pathname === '/version' || url.pathname === '/version/') {
      sendJson(res, 200, versionInfo());
      return;
    }
    if (route.kind === 'unknown') throw pathNotFound();
    if (method !== 'GET') throw methodNotAllowed();
    let doc: JsonObject | undefined;
    if (route.kind === 'api') doc = apiVersions(d.serverAddress);
    else if (route.kind === 'apis') doc = apiGroupList(reg);
    else if (route.kind === 'group') doc = apiGroup(reg, route.group);
    else doc = apiResourceList(reg, route.group, route.version);
    if (doc === undefined) throw pathNotFound();
    sendJson(res, 200, doc);
    return;
  }
  const rt = reg.find(route.group, route.version, route.plural);
  if (rt === undefined) throw pathNotFound();
  if (!rt.namespaced && route.namespace !== undefined) throw pathNotFound();
  if (rt.namespaced && route.namespace === undefined && route.name !== undefined) throw pathNotFound();
  if (route.subresource !== undefined && (route.subresource !== 'status' || !rt.statusSubresource)) throw pathNotFound();
  const query = url.searchParams;
  const watch = parseBool(query.get('watch')) === true;
  let verb: Verb;
  switch (method) {
    case 'GET':
      verb = route.name !== undefined ? 'get' : watch ? 'watch' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = route.name !== undefined ? 'delete' : 'deletecollection';
      break;
    default:
      throw methodNotAllowed();
  }
  if (route.name === undefined && ['update', 'patch'].includes(verb)) throw methodNotAllowed();
  if (verb === 'create' && (route.name !== undefined || (rt.namespaced && route.namespace === undefined))) throw methodNotAllowed();
  if (verb === 'deletecollection' && rt.namespaced && route.namespace === undefined) throw methodNotAllowed();
  const counterKey = route.subresource === undefined ? rt.counterKey : `${rt.counterKey}/${route.subresource}`;
  d.faults.count(verb, counterKey);
  injectFailure(d.faults, verb, counterKey);
  const r: ResourceRequest = { rt, namespace: route.namespace, name: route.name, subresource: route.subresource === 'status' ? 'status' : undefined, query };
  const dryRun = query.get('dryRun') === 'All';
  if (query.get('dryRun') !== null && !dryRun) throw new ApiError(400, 'BadRequest', `dryRun: Unsupported value: ${JSON.stringify(query.get('dryRun'))}: supported values: "All"`);
  const contentType = mediaType(req.headers['content-type']);
  const needsBody = verb === 'create' || verb === 'update' || verb === 'patch';
  const rawBody = method === 'GET' ? Buffer.alloc(0) : await readBody(req);
  let body: Json | undefined;
  if (needsBody) {
    if (verb === 'patch') checkPatchType(rt, contentType);
    else {
      if (contentType === 'application/vnd.kubernetes.protobuf' || (contentType !== '' && !BODY_TYPES.includes(contentType))) {
        throw unsupportedMediaType(contentType, ['application/json', 'application/yaml']);
      }
    }
    body = parseBody(rawBody, contentType, verb !== 'patch');
  } else if (verb === 'delete' || verb === 'deletecollection') {
    body = rawBody.length > 0 && rawBody.toString('utf8').trim() !== '' ? parseBody(rawBody, 'application/json', false) : undefined;
  }
  switch (verb) {
    case 'get':
      sendJson(res, 200, getObject(d.ctx, r));
      return;
    case 'list':
      sendJson(res, 200, listObjects(d.ctx, r));
      return;
    case 'watch': {
      const ts = query.get('timeoutSeconds');
      d.watches.start(res, {
        rt,
        filter: parseFilter(rt, r),
        resourceVersion: query.get('resourceVersion') ?? undefined,
        allowBookmarks: parseBool(query.get('allowWatchBookmarks')) === true,
        sendInitialEvents: parseBool(query.get('sendInitialEvents')),
        timeoutSeconds: ts === null || ts === '' || !Number.isFinite(Number(ts)) ? undefined : Number(ts),
      });
      return;
    }
    case 'create':
    case 'update':
    case 'patch': {
      const payload = body ?? null;
      const result =
        verb === 'create' ? createObject(d.ctx, r, payload, dryRun) : verb === 'update' ? replaceObject(d.ctx, r, payload, dryRun) : patchObject(d.ctx, r, contentType, payload, dryRun);
      sendJson(res, result.code, result.body);
      return;
    }
    case 'delete':
    case 'deletecollection': {
      const result = deleteObject(d.ctx, r, body, dryRun);
      sendJson(res, result.code, result.body);
      return;
    }
  }
  sendError(res, methodNotAllowed());
}
