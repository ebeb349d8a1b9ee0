// Structural defaulting and pruning, in the order apiextensions-apiserver applies them when it
// decodes a request: nulls of non-nullable fields without a default are dropped, `default`s
// are filled in, then fields the schema does not know are pruned
// (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#field-pruning).
import { clone, isObject, type Json, type JsonObject } from './json.ts';
import { microTimeError } from './go-time.ts';
import { normaliseTime } from './schema-format.ts';

function props(s: JsonObject): JsonObject | undefined {
  return isObject(s['properties']) ? s['properties'] : undefined;
}

/** Fills `default`s into a copy of `v`, recursively. */
export function applyDefaults(v: Json, s: JsonObject): Json {
  if (isObject(v)) {
    const out: JsonObject = { ...v };
    const p = props(s);
    if (p !== undefined) {
      for (const [k, sub] of Object.entries(p)) {
        if (!isObject(sub)) continue;
        const cur = out[k];
        if ((cur === undefined || (cur === null && sub['nullable'] !== true)) && Object.hasOwn(sub, 'default')) {
          out[k] = clone(sub['default'] ?? null);
        } else if (cur === null && sub['nullable'] !== true) {
          delete out[k];
        }
      }
    }
    const add = s['additionalProperties'];
    for (const [k, x] of Object.entries(out)) {
      const sub = p?.[k] ?? (isObject(add) ? add : undefined);
      if (isObject(sub) && x !== null) out[k] = applyDefaults(x, sub);
    }
    return out;
  }
  if (Array.isArray(v)) {
    const items = s['items'];
    return isObject(items) ? v.map((x) => (x === null ? x : applyDefaults(x, items))) : v;
  }
  return v;
}

/**
 * The first MicroTime field (`x-herald-time: micro`) that Go would not decode, as Go's parse
 * error; undefined when every one decodes. Built-in types only: their time fields are typed.
 */
export function microTimeDecodeError(v: Json, s: JsonObject): string | undefined {
  if (typeof v === 'string') return s['x-herald-time'] === 'micro' ? (microTimeError(v) ?? undefined) : undefined;
  const items = s['items'];
  if (Array.isArray(v)) {
    for (const x of v) {
      const e = isObject(items) ? microTimeDecodeError(x, items) : undefined;
      if (e !== undefined) return e;
    }
    return undefined;
  }
  if (!isObject(v)) return undefined;
  const p = props(s);
  const add = s['additionalProperties'];
  for (const [k, x] of Object.entries(v)) {
    const sub = p?.[k] ?? (isObject(add) ? add : undefined);
    const e = isObject(sub) ? microTimeDecodeError(x, sub) : undefined;
    if (e !== undefined) return e;
  }
  return undefined;
}

/**
 * Drops fields the schema does not specify, unless `x-kubernetes-preserve-unknown-fields`.
 * Also normalises the built-in schemas' time fields (`x-herald-time`), as Go's metav1.Time
 * round-trip does.
 */
export function prune(v: Json, s: JsonObject): Json {
  if (typeof v === 'string') {
    const t = s['x-herald-time'];
    if (t === 'second' || t === 'micro') return normaliseTime(v, t) ?? v;
    return v;
  }
  if (Array.isArray(v)) {
    const items = s['items'];
    return isObject(items) ? v.map((x) => prune(x, items)) : v;
  }
  if (!isObject(v)) return v;
  const p = props(s);
  const add = s['additionalProperties'];
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true || add === true;
  if (p === undefined && !isObject(add)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    const sub = p?.[k];
    if (isObject(sub)) out[k] = prune(x, sub);
    else if (isObject(add)) out[k] = prune(x, add);
    else if (preserve) out[k] = x;
  }
  return out;
}

const str = { type: 'string' };
const strMap = { type: 'object', additionalProperties: str };
const time = { type: 'string', format: 'date-time', 'x-herald-time': 'second' };

/** metav1.ObjectMeta as a structural schema: what survives in `metadata`. */
export const objectMetaSchema: JsonObject = {
  type: 'object',
  properties: {
    name: str,
    generateName: str,
    namespace: str,
    selfLink: str,
    uid: str,
    resourceVersion: str,
    generation: { type: 'integer', format: 'int64' },
    creationTimestamp: { ...time, nullable: true },
    deletionTimestamp: { ...time, nullable: true },
    deletionGracePeriodSeconds: { type: 'integer', format: 'int64' },
    labels: strMap,
    annotations: strMap,
    ownerReferences: {
      type: 'array',
      items: {
        type: 'object',
        required: ['apiVersion', 'kind', 'name', 'uid'],
        properties: { apiVersion: str, kind: str, name: str, uid: str, controller: { type: 'boolean' }, blockOwnerDeletion: { type: 'boolean' } },
      },
    },
    finalizers: { type: 'array', items: str },
    managedFields: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
  },
};

/** A root schema with apiVersion/kind/metadata added the way the real server treats them. */
export function withObjectRoot(root: JsonObject): JsonObject {
  const p = props(root) ?? {};
  return { ...root, type: 'object', properties: { ...p, apiVersion: str, kind: str, metadata: objectMetaSchema } };
}
