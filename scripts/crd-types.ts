// Generates src/api/generated/*.ts from the CRD schemas in deploy/crds/ (issue #9: one source of
// truth per CRD; the YAML is it). `node scripts/crd-types.ts` writes the files;
// test/api/crd-types.test.ts regenerates them in memory and fails when they drift. The mapping
// is the structural-schema subset the CRDs use: object, array, string (enum → union), integer,
// number, boolean, additionalProperties (→ Record), x-kubernetes-int-or-string. `metadata` is
// the Kubernetes ObjectMeta, and present: the API server sets it on every stored object. Defaults
// are the API server's business: every other field stays as optional as the schema says.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

interface Schema {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  additionalProperties?: Schema | boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

interface Crd {
  spec: { names: { kind: string }; versions: { name: string; storage?: boolean; schema: { openAPIV3Schema: Schema } }[] };
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function comment(text: string | undefined, indent: string): string {
  if (text === undefined || text.trim() === '') return '';
  const one = text.trim().replace(/\s+/g, ' ').replace(/\*\//g, '*\\/');
  return `${indent}/** ${one} */\n`;
}

function typeOf(s: Schema, indent: string, path: string): string {
  if (s['x-kubernetes-int-or-string'] === true) return 'number | string';
  if (s.enum !== undefined) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  switch (s.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array': {
      const item = s.items === undefined ? 'unknown' : typeOf(s.items, indent, `${path}[]`);
      return /[|{]/.test(item) && !item.startsWith('{') ? `(${item})[]` : `${item}[]`;
    }
    case 'object':
    case undefined: {
      if (path === '.metadata') return 'V1ObjectMeta';
      if (s.properties !== undefined) return objectType(s, indent, path);
      if (typeof s.additionalProperties === 'object') return `Record<string, ${typeOf(s.additionalProperties, indent, `${path}{}`)}>`;
      return 'Record<string, unknown>';
    }
    default:
      throw new Error(`${path}: schema type ${String(s.type)} has no mapping`);
  }
}

function objectType(s: Schema, indent: string, path: string): string {
  const inner = `${indent}  `;
  const required = new Set(s.required ?? []);
  let out = '{\n';
  for (const [name, prop] of Object.entries(s.properties ?? {})) {
    const key = IDENT.test(name) ? name : JSON.stringify(name);
    out += comment(prop.description, inner);
    const present = required.has(name) || `${path}.${name}` === '.metadata';
    out += `${inner}${key}${present ? '' : '?'}: ${typeOf(prop, inner, `${path}.${name}`)};\n`;
  }
  return `${out}${indent}}`;
}

/** The TypeScript module for one CRD file's text; `source` is named in the header. */
export function generateCrdTypes(yamlText: string, source: string): string {
  const crd = parse(yamlText) as Crd;
  const kind = crd.spec.names.kind;
  const version = crd.spec.versions.find((v) => v.storage === true) ?? crd.spec.versions[0];
  if (version === undefined) throw new Error(`${source}: no version`);
  const schema = version.schema.openAPIV3Schema;
  return [
    `// Generated from ${source} (${version.name}) by scripts/crd-types.ts (issue #9). Do not edit:`,
    '// change the CRD and run `npm run generate:crd-types`; test/api/crd-types.test.ts fails on drift.',
    "import type { V1ObjectMeta } from '@kubernetes/client-node';",
    '',
    comment(schema.description, '').trimEnd(),
    `export interface ${kind} ${objectType(schema, '', '')}`,
    '',
  ].filter((l, i) => i !== 4 || l !== '').join('\n');
}

export const CRD_DIR = fileURLToPath(new URL('../deploy/crds/', import.meta.url));
export const OUT_DIR = fileURLToPath(new URL('../src/api/generated/', import.meta.url));

/** CRD file → generated file name: herald.dev_ippools.yaml → ippools.ts. */
export function outputName(crdFile: string): string {
  return `${basename(crdFile, '.yaml').replace(/^herald\.dev_/, '')}.ts`;
}

export function crdFiles(): string[] {
  return readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).sort();
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const f of crdFiles()) {
    writeFileSync(join(OUT_DIR, outputName(f)), generateCrdTypes(readFileSync(join(CRD_DIR, f), 'utf8'), `deploy/crds/${f}`));
  }
}
