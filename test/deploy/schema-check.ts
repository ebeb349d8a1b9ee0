// Test helpers for deploy/: load every YAML document, check that a CRD schema is structural,
// and validate an object against it. Deliberately small and strict; it is not the dev API
// server's validator (written apart, so the two can catch each other's mistakes).
// Structural schema rules: https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new Error(`${what} is not an object`);
  return v;
}

export function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what} is not an array`);
  return v;
}

export function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what} is not a string`);
  return v;
}

export interface YamlDoc {
  /** Path relative to the root given to loadYamlDocs, with forward slashes. */
  file: string;
  index: number;
  doc: Obj;
}

export function yamlFiles(root: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && /\.ya?ml$/.test(e.name)) out.push(relative(root, join(e.parentPath, e.name)).split('\\').join('/'));
  }
  return out.sort();
}

/** Every non-empty document of every YAML file under root; throws on any parse error or warning. */
export function loadYamlDocs(root: string): YamlDoc[] {
  const out: YamlDoc[] = [];
  for (const file of yamlFiles(root)) {
    const docs = parseAllDocuments(readFileSync(join(root, file), 'utf8'), { prettyErrors: true, uniqueKeys: true });
    if (!Array.isArray(docs)) throw new Error(`${file}: not a YAML stream`);
    docs.forEach((d, index) => {
      const problems = [...d.errors, ...d.warnings];
      if (problems.length > 0) throw new Error(`${file}#${index}: ${problems.map((p) => p.message).join('; ')}`);
      const value: unknown = d.toJS();
      if (value === null || value === undefined) return;
      out.push({ file, index, doc: obj(value, `${file}#${index}`) });
    });
  }
  return out;
}

const JUNCTORS = ['allOf', 'anyOf', 'oneOf', 'not'] as const;
const KEYWORDS = new Set([
  'type', 'format', 'description', 'title', 'properties', 'additionalProperties', 'items', 'required', 'enum', 'pattern',
  'minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'minimum', 'maximum',
  'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'default', 'nullable', 'example', ...JUNCTORS,
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string', 'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-validations',
]);
const FORBIDDEN_IN_JUNCTOR = ['description', 'type', 'default', 'additionalProperties', 'nullable'];
// RE2 (the API server's regexp engine) has no lookaround and no backreferences.
const NOT_RE2 = /\(\?[=!]|\(\?<[=!]|\\[1-9]/;

/** Children of a schema node: [path suffix, schema]. */
function children(node: Obj): [string, unknown][] {
  const out: [string, unknown][] = [];
  if (isObj(node['properties'])) for (const [k, v] of Object.entries(node['properties'])) out.push([`.${k}`, v]);
  if (isObj(node['additionalProperties'])) out.push(['.*', node['additionalProperties']]);
  if (node['items'] !== undefined) out.push(['[]', node['items']]);
  return out;
}

/** Problems that make a schema non-structural or unfit for `kubectl explain`; [] when fine. */
export function structuralProblems(schema: Obj, path = '', root = true): string[] {
  const p: string[] = [];
  const at = path === '' ? '<root>' : path;
  for (const k of Object.keys(schema)) if (!KEYWORDS.has(k)) p.push(`${at}: unknown keyword ${k}`);
  const exempt = schema['x-kubernetes-int-or-string'] === true || schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (!exempt && (typeof schema['type'] !== 'string' || schema['type'] === '')) p.push(`${at}: no type`);
  // kube-apiserver forbids anything but `type: object` at the root's metadata (issue #8: the CRDs
  // carried a description there and a real server refused all four).
  if (!root && path !== '.metadata' && (typeof schema['description'] !== 'string' || schema['description'].trim() === '')) p.push(`${at}: no description`);
  if (schema['properties'] !== undefined && schema['additionalProperties'] !== undefined) p.push(`${at}: both properties and additionalProperties`);
  if (typeof schema['pattern'] === 'string') {
    if (NOT_RE2.test(schema['pattern'])) p.push(`${at}: pattern uses lookaround or a backreference (not RE2)`);
    // Unicode mode is the strict dialect (the dev API server compiles patterns with it).
    try {
      new RegExp(schema['pattern'], 'u');
    } catch (err) {
      p.push(`${at}: pattern does not compile: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!schema['pattern'].startsWith('^') || !schema['pattern'].endsWith('$')) p.push(`${at}: pattern is not anchored`);
  }
  if (schema['default'] !== undefined) {
    for (const e of validate(schema, schema['default'], new Map(), `${at}(default)`)) p.push(`default does not validate: ${e}`);
  }
  if (schema['x-kubernetes-list-type'] === 'map') {
    const items = isObj(schema['items']) ? schema['items'] : {};
    const keys = Array.isArray(schema['x-kubernetes-list-map-keys']) ? schema['x-kubernetes-list-map-keys'] : [];
    const required = Array.isArray(items['required']) ? items['required'] : [];
    if (keys.length === 0) p.push(`${at}: list-type map without list-map-keys`);
    for (const k of keys) if (!required.includes(k)) p.push(`${at}: list-map key ${String(k)} is not required`);
  }
  for (const j of JUNCTORS) {
    const branches = j === 'not' ? (schema[j] === undefined ? [] : [schema[j]]) : Array.isArray(schema[j]) ? schema[j] : [];
    for (const b of branches) p.push(...junctorProblems(obj(b, `${at}.${j}`), schema, `${at}.${j}`));
  }
  for (const [suffix, child] of children(schema)) {
    if (!isObj(child)) p.push(`${path}${suffix}: not a schema`);
    else p.push(...structuralProblems(child, `${path}${suffix}`, false));
  }
  return p;
}

/** Inside allOf/anyOf/oneOf/not: value validation only, over fields the outer schema specifies. */
function junctorProblems(branch: Obj, outer: Obj, at: string): string[] {
  const p: string[] = [];
  for (const k of FORBIDDEN_IN_JUNCTOR) if (branch[k] !== undefined) p.push(`${at}: ${k} inside a junctor`);
  const outerProps = isObj(outer['properties']) ? outer['properties'] : {};
  if (isObj(branch['properties'])) {
    for (const [k, v] of Object.entries(branch['properties'])) {
      if (!(k in outerProps)) p.push(`${at}.${k}: not specified outside the junctor`);
      else if (isObj(v) && isObj(outerProps[k])) p.push(...junctorProblems(v, outerProps[k], `${at}.${k}`));
    }
  }
  if (isObj(branch['items'])) {
    if (!isObj(outer['items'])) p.push(`${at}[]: items not specified outside the junctor`);
    else p.push(...junctorProblems(branch['items'], outer['items'], `${at}[]`));
  }
  return p;
}

/** JavaScript twins of the schema's CEL rules, keyed by the exact rule text. */
export type CelTwins = ReadonlyMap<string, (self: Obj) => boolean>;

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function typeMatches(type: unknown, v: unknown): boolean {
  switch (type) {
    case 'object': return isObj(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'boolean': return typeof v === 'boolean';
    case 'integer': return Number.isInteger(v);
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    default: return false;
  }
}

/**
 * Errors of `value` against `schema`; [] when valid. Stricter than the API server in one way:
 * an unknown field is an error here (the server would silently prune it, hiding a typo).
 */
export function validate(schema: Obj, value: unknown, cel: CelTwins, path = '', strict = true): string[] {
  const e: string[] = [];
  const at = path === '' ? '<root>' : path;
  if (schema['type'] !== undefined && !typeMatches(schema['type'], value)) return [`${at}: expected ${String(schema['type'])}`];
  if (Array.isArray(schema['enum']) && !schema['enum'].includes(value)) e.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if (typeof value === 'string') {
    const len = [...value].length;
    if (typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern']).test(value)) e.push(`${at}: "${value}" does not match pattern`);
    if (typeof schema['maxLength'] === 'number' && len > schema['maxLength']) e.push(`${at}: longer than ${schema['maxLength']}`);
    if (typeof schema['minLength'] === 'number' && len < schema['minLength']) e.push(`${at}: shorter than ${schema['minLength']}`);
    if (schema['format'] === 'date-time' && !RFC3339.test(value)) e.push(`${at}: not an RFC 3339 date-time`);
  }
  if (typeof value === 'number') {
    if (typeof schema['minimum'] === 'number' && value < schema['minimum']) e.push(`${at}: below ${schema['minimum']}`);
    if (typeof schema['maximum'] === 'number' && value > schema['maximum']) e.push(`${at}: above ${schema['maximum']}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema['minItems'] === 'number' && value.length < schema['minItems']) e.push(`${at}: fewer than ${schema['minItems']} items`);
    if (typeof schema['maxItems'] === 'number' && value.length > schema['maxItems']) e.push(`${at}: more than ${schema['maxItems']} items`);
    if (isObj(schema['items'])) {
      const items = schema['items'];
      value.forEach((v, i) => e.push(...validate(items, v, cel, `${path}[${i}]`, strict)));
    }
  }
  if (isObj(value)) e.push(...validateObject(schema, value, cel, path, strict));
  for (const j of ['allOf', 'anyOf', 'oneOf'] as const) {
    const branches = Array.isArray(schema[j]) ? schema[j].map((b) => obj(b, `${at}.${j}`)) : [];
    if (branches.length === 0) continue;
    const passing = branches.filter((b) => validate(b, value, cel, path, false).length === 0).length;
    if (j === 'allOf' && passing !== branches.length) e.push(`${at}: allOf not satisfied`);
    if (j === 'anyOf' && passing === 0) e.push(`${at}: anyOf not satisfied`);
    if (j === 'oneOf' && passing !== 1) e.push(`${at}: oneOf matched ${passing} branches, not exactly 1`);
  }
  if (isObj(schema['not']) && validate(schema['not'], value, cel, path, false).length === 0) e.push(`${at}: matches a "not" schema`);
  return e;
}

function validateObject(schema: Obj, value: Obj, cel: CelTwins, path: string, strict: boolean): string[] {
  const e: string[] = [];
  const at = path === '' ? '<root>' : path;
  const props = isObj(schema['properties']) ? schema['properties'] : undefined;
  for (const r of Array.isArray(schema['required']) ? schema['required'] : []) {
    if (typeof r === 'string' && !Object.hasOwn(value, r)) e.push(`${at}: missing required field ${r}`);
  }
  const n = Object.keys(value).length;
  if (typeof schema['maxProperties'] === 'number' && n > schema['maxProperties']) e.push(`${at}: more than ${schema['maxProperties']} properties`);
  if (typeof schema['minProperties'] === 'number' && n < schema['minProperties']) e.push(`${at}: fewer than ${schema['minProperties']} properties`);
  // metadata is ObjectMeta, validated by the API server itself (structural rule for metadata).
  const opaque = path === '.metadata' || schema['x-kubernetes-preserve-unknown-fields'] === true;
  for (const [k, v] of Object.entries(value)) {
    const child = props?.[k] ?? schema['additionalProperties'];
    if (isObj(child)) e.push(...validate(child, v, cel, `${path}.${k}`, strict));
    else if (strict && !opaque) e.push(`${path}.${k}: unknown field`);
  }
  for (const rule of Array.isArray(schema['x-kubernetes-validations']) ? schema['x-kubernetes-validations'] : []) {
    const text = str(obj(rule, `${at} rule`)['rule'], `${at} rule`);
    const twin = cel.get(text);
    if (twin === undefined) e.push(`${at}: CEL rule without a JavaScript twin in the test: ${text}`);
    else if (!twin(value)) e.push(`${at}: ${String(obj(rule, 'rule')['message'] ?? text)}`);
  }
  return e;
}
