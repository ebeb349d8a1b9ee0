// Strategic merge patch for built-in types
// (https://github.com/kubernetes/community/blob/master/contributors/devel/sig-api-machinery/strategic-merge-patch.md).
// Lists replace unless the Go type declares `patchStrategy:"merge"`; this table carries the
// patchMergeKey of the fields Herald touches. Directives: `$patch: replace|delete|merge`,
// `$deleteFromPrimitiveList/<f>`, `$retainKeys`; `$setElementOrder/<f>` is accepted and ignored.
import { badRequest } from './errors.ts';
import { clone, deepEqual, isObject, type Json, type JsonObject } from './json.ts';

export interface SmpSchema {
  fields?: Record<string, SmpSchema>;
  /** A list of maps merged by this key (patchMergeKey). */
  mergeKey?: string;
  /** A list of primitives merged as a set (patchStrategy merge without key, e.g. finalizers). */
  primitiveMerge?: boolean;
}

const conditionsByType: SmpSchema = { mergeKey: 'type' };

export const metadataSmp: SmpSchema = {
  fields: { finalizers: { primitiveMerge: true }, ownerReferences: { mergeKey: 'uid' } },
};

export function withMetadata(fields: Record<string, SmpSchema>): SmpSchema {
  return { fields: { metadata: metadataSmp, ...fields } };
}

export const serviceSmp = withMetadata({
  // status.loadBalancer.ingress has no patch strategy in core/v1 types.go: it is replaced whole.
  spec: { fields: { ports: { mergeKey: 'port' } } },
  status: { fields: { conditions: conditionsByType } },
});

export const nodeSmp = withMetadata({
  spec: { fields: { taints: { mergeKey: 'key' }, podCIDRs: { primitiveMerge: true } } },
  status: { fields: { conditions: conditionsByType, addresses: { mergeKey: 'type' } } },
});

export const namespaceSmp = withMetadata({ status: { fields: { conditions: conditionsByType } } });
export const crdSmp = withMetadata({ status: { fields: { conditions: conditionsByType } } });
export const plainSmp = withMetadata({});

const DIRECTIVE = '$patch';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';
const SET_ORDER = '$setElementOrder/';
const RETAIN = '$retainKeys';

export function applyStrategicMerge(original: JsonObject, patch: Json, schema: SmpSchema): JsonObject {
  if (!isObject(patch)) throw badRequest('strategic merge patch must be a JSON object');
  const out = mergeMap(original, patch, schema);
  if (out === undefined) throw badRequest('strategic merge patch may not delete the whole object');
  return out;
}

function mergeMap(original: JsonObject, patch: JsonObject, schema: SmpSchema | undefined): JsonObject | undefined {
  const directive = patch[DIRECTIVE];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return stripDirectives(patch);
  if (directive !== undefined && directive !== 'merge') throw badRequest(`Unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(patch)}`);
  const out: JsonObject = { ...original };
  const retain = patch[RETAIN];
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === DIRECTIVE || k === RETAIN || k.startsWith(SET_ORDER)) continue;
    if (k.startsWith(DELETE_PRIMITIVE)) {
      const field = k.slice(DELETE_PRIMITIVE.length);
      const cur = out[field];
      if (Array.isArray(v) && Array.isArray(cur)) out[field] = cur.filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    const sub = schema?.fields?.[k];
    const cur = out[k];
    if (v === null) delete out[k];
    else if (isObject(v)) {
      const merged = mergeMap(isObject(cur) ? cur : {}, v, sub);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v)) {
      out[k] = mergeList(Array.isArray(cur) ? cur : [], v, sub);
    } else out[k] = v;
  }
  return out;
}

function mergeList(original: Json[], patch: Json[], schema: SmpSchema | undefined): Json[] {
  const replace = patch.some((x) => isObject(x) && x[DIRECTIVE] === 'replace');
  if (replace) return patch.filter((x) => !(isObject(x) && x[DIRECTIVE] === 'replace')).map(stripAny);
  if (schema?.primitiveMerge) {
    const out = [...original];
    for (const x of patch) if (!out.some((o) => deepEqual(o, x))) out.push(clone(x));
    return out;
  }
  const mk = schema?.mergeKey;
  if (mk === undefined) return patch.map(stripAny);
  const out = [...original];
  for (const item of patch) {
    if (!isObject(item)) throw badRequest(`strategic merge patch: list item ${JSON.stringify(item)} is not a map`);
    const keyVal = item[mk];
    if (keyVal === undefined) throw badRequest(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mk}`);
    const at = out.findIndex((o) => isObject(o) && deepEqual(o[mk], keyVal));
    if (item[DIRECTIVE] === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    const base = at >= 0 ? out[at] : undefined;
    const merged = mergeMap(isObject(base) ? base : {}, item, schema);
    if (merged === undefined) continue;
    if (at >= 0) out[at] = merged;
    else out.push(merged);
  }
  return out;
}

function stripAny(v: Json): Json {
  if (isObject(v)) return stripDirectives(v);
  if (Array.isArray(v)) return v.map(stripAny);
  return v;
}

function stripDirectives(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === DIRECTIVE || k === RETAIN || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE)) continue;
    out[k] = stripAny(v);
  }
  return out;
}
