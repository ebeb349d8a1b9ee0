// Validation of a value against a structural OpenAPI v3 schema, reporting every failing field
// the way apiextensions-apiserver does (kube-openapi validate errors converted to field errors).
import { checkIntegerFormat, checkStringFormat } from './schema-format.ts';
import * as fe from './field-errors.ts';
import { deepEqual, isObject, jsonTypeName, type Json, type JsonObject } from './json.ts';

type FieldError = fe.FieldError;

const regexCache = new Map<string, RegExp | null>();
function regex(pattern: string): RegExp | null {
  let r = regexCache.get(pattern);
  if (r === undefined) {
    try {
      r = new RegExp(pattern, 'u');
    } catch {
      r = null; // an invalid pattern is rejected when the CRD is created; here it just cannot match
    }
    regexCache.set(pattern, r);
  }
  return r;
}

function num(s: JsonObject, k: string): number | undefined {
  const v = s[k];
  return typeof v === 'number' ? v : undefined;
}

function inBody(path: string): string {
  return path === '' ? 'body' : `${path} in body`;
}

function typeMatches(type: string, v: Json): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

export function validateValue(v: Json, s: JsonObject, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (v === null) {
    if (s['nullable'] === true || (s['x-kubernetes-preserve-unknown-fields'] === true && s['type'] === undefined)) return out;
    if (typeof s['type'] === 'string') {
      out.push(fe.typeInvalid(path, v, `${inBody(path)} must be of type ${s['type']}: "null"`));
      return out;
    }
  }
  if (s['x-kubernetes-int-or-string'] === true) {
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)))) {
      out.push(fe.typeInvalid(path, v, `${inBody(path)} must be of type integer or string: ${JSON.stringify(jsonTypeName(v))}`));
      return out;
    }
  } else if (typeof s['type'] === 'string' && !typeMatches(s['type'], v)) {
    out.push(fe.typeInvalid(path, v, `${inBody(path)} must be of type ${s['type']}: ${JSON.stringify(jsonTypeName(v))}`));
    return out;
  }
  const en = s['enum'];
  if (Array.isArray(en) && !en.some((e) => deepEqual(e, v))) {
    out.push(fe.notSupported(path, v, en.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)))));
  }
  if (typeof v === 'string') out.push(...validateString(v, s, path));
  else if (typeof v === 'number') out.push(...validateNumber(v, s, path));
  else if (Array.isArray(v)) out.push(...validateArray(v, s, path));
  else if (isObject(v)) out.push(...validateObject(v, s, path));
  out.push(...validateCombinators(v, s, path));
  return out;
}

function validateString(v: string, s: JsonObject, path: string): FieldError[] {
  const out: FieldError[] = [];
  const max = num(s, 'maxLength');
  const min = num(s, 'minLength');
  const chars = [...v].length;
  if (max !== undefined && chars > max) out.push(fe.tooLong(path, max));
  if (min !== undefined && chars < min) out.push(fe.invalid(path, v, `${inBody(path)} should be at least ${min} chars long`));
  const pattern = s['pattern'];
  if (typeof pattern === 'string') {
    const r = regex(pattern);
    if (r !== null && !r.test(v)) out.push(fe.invalid(path, v, `${inBody(path)} should match '${pattern}'`));
  }
  const format = s['format'];
  if (typeof format === 'string' && !checkStringFormat(format, v)) {
    out.push(fe.invalid(path, v, `${inBody(path)} must be of type ${format}: ${JSON.stringify(v)}`));
  }
  return out;
}

function validateNumber(v: number, s: JsonObject, path: string): FieldError[] {
  const out: FieldError[] = [];
  const max = num(s, 'maximum');
  const min = num(s, 'minimum');
  if (max !== undefined) {
    if (s['exclusiveMaximum'] === true ? v >= max : v > max) {
      out.push(fe.invalid(path, v, `${inBody(path)} should be less than ${s['exclusiveMaximum'] === true ? '' : 'or equal to '}${max}`));
    }
  }
  if (min !== undefined) {
    if (s['exclusiveMinimum'] === true ? v <= min : v < min) {
      out.push(fe.invalid(path, v, `${inBody(path)} should be greater than ${s['exclusiveMinimum'] === true ? '' : 'or equal to '}${min}`));
    }
  }
  const mult = num(s, 'multipleOf');
  if (mult !== undefined && mult > 0 && !Number.isInteger(v / mult)) out.push(fe.invalid(path, v, `${inBody(path)} should be a multiple of ${mult}`));
  const format = s['format'];
  if (typeof format === 'string' && Number.isInteger(v) && !checkIntegerFormat(format, v)) {
    out.push(fe.invalid(path, v, `${inBody(path)} must be of type ${format}: ${v}`));
  }
  return out;
}

function validateArray(v: Json[], s: JsonObject, path: string): FieldError[] {
  const out: FieldError[] = [];
  const max = num(s, 'maxItems');
  const min = num(s, 'minItems');
  if (max !== undefined && v.length > max) out.push(fe.tooMany(path, v.length, max));
  if (min !== undefined && v.length < min) out.push(fe.invalid(path, v.length, `${inBody(path)} should have at least ${min} items`));
  const items = s['items'];
  if (isObject(items)) v.forEach((x, i) => out.push(...validateValue(x, items, fe.idx(path, i))));
  const listType = s['x-kubernetes-list-type'];
  const mapKeys = s['x-kubernetes-list-map-keys'];
  if (s['uniqueItems'] === true || listType === 'set') {
    v.forEach((x, i) => {
      if (v.findIndex((y) => deepEqual(x, y)) < i) out.push(fe.duplicate(fe.idx(path, i), x));
    });
  } else if (listType === 'map' && Array.isArray(mapKeys)) {
    const keyOf = (x: Json): Json => (isObject(x) ? mapKeys.map((k) => (typeof k === 'string' ? (x[k] ?? null) : null)) : null);
    v.forEach((x, i) => {
      if (v.findIndex((y) => deepEqual(keyOf(x), keyOf(y))) < i) {
        const shown: JsonObject = {};
        if (isObject(x)) for (const k of mapKeys) if (typeof k === 'string') shown[k] = x[k] ?? null;
        out.push({ field: fe.idx(path, i), reason: 'FieldValueDuplicate', body: `Duplicate value: ${JSON.stringify(shown)}` });
      }
    });
  }
  return out;
}

function validateObject(v: JsonObject, s: JsonObject, path: string): FieldError[] {
  const out: FieldError[] = [];
  const props = isObject(s['properties']) ? s['properties'] : undefined;
  const req = s['required'];
  if (Array.isArray(req)) {
    for (const r of req) if (typeof r === 'string' && !Object.hasOwn(v, r)) out.push(fe.required(fe.key(path, r), ''));
  }
  const maxP = num(s, 'maxProperties');
  const minP = num(s, 'minProperties');
  const count = Object.keys(v).length;
  if (maxP !== undefined && count > maxP) out.push(fe.tooMany(path, count, maxP));
  if (minP !== undefined && count < minP) out.push(fe.invalid(path, count, `${inBody(path)} should have at least ${minP} properties`));
  const additional = s['additionalProperties'];
  for (const [k, x] of Object.entries(v)) {
    const sub = props?.[k];
    if (isObject(sub)) out.push(...validateValue(x, sub, fe.key(path, k)));
    else if (isObject(additional)) out.push(...validateValue(x, additional, fe.key(path, k)));
  }
  return out;
}

function validateCombinators(v: Json, s: JsonObject, path: string): FieldError[] {
  const out: FieldError[] = [];
  const branches = (k: string): JsonObject[] => {
    const b = s[k];
    return Array.isArray(b) ? b.filter(isObject) : [];
  };
  for (const b of branches('allOf')) out.push(...validateValue(v, b, path));
  const anyOf = branches('anyOf');
  if (anyOf.length > 0) {
    const results = anyOf.map((b) => validateValue(v, b, path));
    if (!results.some((r) => r.length === 0)) {
      out.push(fe.invalid(path, v, `${inBody(path)} must validate at least one schema (anyOf)`));
      for (const r of results) out.push(...r);
    }
  }
  const oneOf = branches('oneOf');
  if (oneOf.length > 0) {
    const results = oneOf.map((b) => validateValue(v, b, path));
    const valid = results.filter((r) => r.length === 0).length;
    if (valid === 0) {
      out.push(fe.invalid(path, v, `${inBody(path)} must validate one and only one schema (oneOf). Found none valid`));
      for (const r of results) out.push(...r);
    } else if (valid > 1) {
      out.push(fe.invalid(path, v, `${inBody(path)} must validate one and only one schema (oneOf). Found ${valid} valid alternatives`));
    }
  }
  const not = s['not'];
  if (isObject(not) && validateValue(v, not, path).length === 0) out.push(fe.invalid(path, v, `${inBody(path)} must not validate the schema (not)`));
  return out;
}
