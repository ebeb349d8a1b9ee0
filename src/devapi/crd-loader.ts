// Reads CustomResourceDefinitions from YAML files (multi-document) in a set of directories.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isJson, isObject, type JsonObject } from './json.ts';

export class CrdLoadError extends Error {
  readonly code = 'CRD_LOAD';
  readonly file: string;
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'CrdLoadError';
    this.file = file;
  }
}

export interface LoadedCrd {
  file: string;
  crd: JsonObject;
}

/** Every CustomResourceDefinition document in `*.yaml`/`*.yml`/`*.json` files of `dir` (not recursive). */
export async function loadCrdDir(dir: string): Promise<LoadedCrd[]> {
  const names = (await readdir(dir)).filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
  const out: LoadedCrd[] = [];
  for (const n of names) {
    const file = join(dir, n);
    const docs = parseAllDocuments(await readFile(file, 'utf8'));
    for (const doc of docs) {
      if (doc.errors.length > 0) throw new CrdLoadError(file, doc.errors[0]?.message ?? 'invalid YAML');
      const v: unknown = doc.toJS();
      if (v === null || v === undefined) continue;
      if (!isJson(v) || !isObject(v)) throw new CrdLoadError(file, 'document is not an object');
      if (v['kind'] !== 'CustomResourceDefinition') continue;
      if (v['apiVersion'] !== 'apiextensions.k8s.io/v1') throw new CrdLoadError(file, `unsupported apiVersion ${JSON.stringify(v['apiVersion'])} (want apiextensions.k8s.io/v1)`);
      out.push({ file, crd: v });
    }
  }
  return out;
}
