// Test helpers for deploy/: load every YAML document, and the checks of a CRD schema that a real
// kube-apiserver cannot make. Whether a schema is structural, its defaults valid, its patterns RE2,
// its CEL rules right and its fields described is judged by the real server through kubectl
// (kubectl-apply.test.ts, crd-validation.test.ts; issue #8), not by a copy of its rules here.
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

/**
 * The YAML files under root, as paths relative to it. deploy/chart/ is left out: a Helm chart's
 * templates are Go templates, not manifests; chart.test.ts checks what they render (issue #12).
 */
export function yamlFiles(root: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(root, { withFileTypes: true, recursive: true })) {
    const file = relative(root, join(e.parentPath, e.name)).split('\\').join('/');
    // The chart's templates are Go templates (chart.test.ts renders them); the PrometheusRule needs
    // the Prometheus Operator's CRD and is no manifest of the install (observability-assets.test.ts).
    if (e.isFile() && /\.ya?ml$/.test(e.name) && !file.startsWith('chart/') && !file.startsWith('prometheus/')) out.push(file);
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

/** Every `pattern` of a schema with its path. */
function patterns(schema: Obj, path = ''): [string, string][] {
  const out: [string, string][] = typeof schema['pattern'] === 'string' ? [[path === '' ? '<root>' : path, schema['pattern']]] : [];
  if (isObj(schema['properties'])) for (const [k, v] of Object.entries(schema['properties'])) if (isObj(v)) out.push(...patterns(v, `${path}.${k}`));
  if (isObj(schema['additionalProperties'])) out.push(...patterns(schema['additionalProperties'], `${path}.*`));
  if (isObj(schema['items'])) out.push(...patterns(schema['items'], `${path}[]`));
  return out;
}

/**
 * What the real server cannot judge about a schema's patterns; [] when fine. An OpenAPI pattern
 * matches anywhere in the value, so one without ^ and $ lets a typo through that the server
 * would accept as intended. The stand-in compiles patterns as JavaScript regexes in Unicode mode
 * (src/devapi/schema-validate.ts), where the server uses RE2; each must compile in both.
 */
export function patternProblems(schema: Obj): string[] {
  const p: string[] = [];
  for (const [at, pattern] of patterns(schema)) {
    if (!pattern.startsWith('^') || !pattern.endsWith('$')) p.push(`${at}: pattern is not anchored`);
    try {
      new RegExp(pattern, 'u');
    } catch (err) {
      p.push(`${at}: pattern does not compile as a JavaScript regex: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return p;
}
