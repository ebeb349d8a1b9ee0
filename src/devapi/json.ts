// Plain JSON values and the few helpers every devapi module needs. Stored objects are JSON
// trees: the stand-in is schemaless at its core, like an apiserver's unstructured path.

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isJson(v: unknown): v is Json {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(isJson);
  if (isObject(v)) return Object.values(v).every(isJson);
  return false;
}

export function clone<T extends Json>(v: T): T {
  return structuredClone(v);
}

/** Structural equality; object key order does not matter (JSON objects are unordered). */
export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** The object at `key`, created when missing or not an object. */
export function child(obj: JsonObject, key: string): JsonObject {
  const v = obj[key];
  if (isObject(v)) return v;
  const fresh: JsonObject = {};
  obj[key] = fresh;
  return fresh;
}

export function objAt(obj: JsonObject, ...path: string[]): JsonObject | undefined {
  let cur: Json | undefined = obj;
  for (const k of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[k];
  }
  return isObject(cur) ? cur : undefined;
}

export function strAt(obj: JsonObject, ...path: string[]): string | undefined {
  const last = path[path.length - 1];
  const parent = objAt(obj, ...path.slice(0, -1));
  if (parent === undefined || last === undefined) return undefined;
  const v = parent[last];
  return typeof v === 'string' ? v : undefined;
}

export function arrAt(obj: JsonObject, ...path: string[]): Json[] | undefined {
  const last = path[path.length - 1];
  const parent = objAt(obj, ...path.slice(0, -1));
  if (parent === undefined || last === undefined) return undefined;
  const v = parent[last];
  return Array.isArray(v) ? v : undefined;
}

export function nameOf(obj: JsonObject): string {
  return strAt(obj, 'metadata', 'name') ?? '';
}

export function namespaceOf(obj: JsonObject): string {
  return strAt(obj, 'metadata', 'namespace') ?? '';
}

export function stringMap(v: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(v)) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** Go's %v-ish rendering of a value inside a field error ("Invalid value: <this>: ..."). */
export function renderValue(v: Json | undefined): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return JSON.stringify(v);
  return '"object"';
}

/** A JSON type name as Kubernetes' OpenAPI validator reports it. */
export function jsonTypeName(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}
