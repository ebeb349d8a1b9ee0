// ObjectMeta validation with the real messages (k8s.io/apimachinery api/validation/objectmeta.go);
// the name and label checks themselves are src/api/k8s-names.ts, Herald's one validator (issue #9).
import { forbidden, invalid, key, required, tooLong, type FieldError } from './field-errors.ts';
import { isObject, type Json, type JsonObject } from './json.ts';
import { dns1123Label, labelValue, qualifiedName, type NameCheck } from '../api/k8s-names.ts';

function validateLabels(labels: Json | undefined, path: string): FieldError[] {
  if (!isObject(labels)) return [];
  const out: FieldError[] = [];
  for (const [k, v] of Object.entries(labels)) {
    for (const m of qualifiedName(k)) out.push(invalid(path, k, m));
    if (typeof v === 'string') for (const m of labelValue(v)) out.push(invalid(key(path, k), v, m));
  }
  return out;
}

const TOTAL_ANNOTATION_SIZE = 256 * 1024;

function validateAnnotations(annotations: Json | undefined, path: string): FieldError[] {
  if (!isObject(annotations)) return [];
  const out: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const m of qualifiedName(k.toLowerCase())) out.push(invalid(path, k, m));
    size += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (size > TOTAL_ANNOTATION_SIZE) out.push(tooLong(path, TOTAL_ANNOTATION_SIZE));
  return out;
}

/** ValidateObjectMeta: name, namespace presence, labels, annotations, finalizers. */
export function validateObjectMeta(meta: JsonObject, namespaced: boolean, nameCheck: NameCheck): FieldError[] {
  const out: FieldError[] = [];
  const name = meta['name'];
  if (typeof name !== 'string' || name === '') {
    out.push(required('metadata.name', 'name or generateName is required'));
  } else {
    for (const m of nameCheck(name)) out.push(invalid('metadata.name', name, m));
  }
  const ns = meta['namespace'];
  if (namespaced) {
    if (typeof ns !== 'string' || ns === '') out.push(required('metadata.namespace', ''));
    else for (const m of dns1123Label(ns)) out.push(invalid('metadata.namespace', ns, m));
  } else if (typeof ns === 'string' && ns !== '') {
    out.push(forbidden('metadata.namespace', 'not allowed on this type'));
  }
  out.push(...validateLabels(meta['labels'], 'metadata.labels'));
  out.push(...validateAnnotations(meta['annotations'], 'metadata.annotations'));
  const fin = meta['finalizers'];
  if (Array.isArray(fin)) {
    fin.forEach((f, i) => {
      if (typeof f !== 'string') return;
      for (const m of qualifiedName(f)) out.push(invalid(`metadata.finalizers[${i}]`, f, m));
    });
  }
  return out;
}

/** `generateName` + 5 random characters from the real alphabet (no vowels, no confusables). */
export function generateNameSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < 5; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}
