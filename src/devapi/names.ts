// Name, label and annotation validation with the real messages
// (k8s.io/apimachinery/pkg/util/validation/validation.go, api/validation/objectmeta.go).
import { forbidden, invalid, key, required, tooLong, type FieldError } from './field-errors.ts';
import { isObject, type Json, type JsonObject } from './json.ts';

const LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const SUBDOMAIN_FMT = `${LABEL_FMT}(\\.${LABEL_FMT})*`;
const DNS1035_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const QNAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_RE = new RegExp(`^${LABEL_FMT}$`);
const SUBDOMAIN_RE = new RegExp(`^${SUBDOMAIN_FMT}$`);
const DNS1035_RE = new RegExp(`^${DNS1035_FMT}$`);
const QNAME_RE = new RegExp(`^${QNAME_FMT}$`);

/** A name check returns the problems as messages (empty = valid), as apimachinery's IsXxx do. */
export type NameCheck = (name: string) => string[];

export const dns1123Label: NameCheck = (v) => {
  const out: string[] = [];
  if (v.length > 63) out.push('must be no more than 63 characters');
  if (!LABEL_RE.test(v)) {
    out.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '" +
        LABEL_FMT +
        "')",
    );
  }
  return out;
};

export const dns1123Subdomain: NameCheck = (v) => {
  const out: string[] = [];
  if (v.length > 253) out.push('must be no more than 253 characters');
  if (!SUBDOMAIN_RE.test(v)) {
    out.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '" +
        SUBDOMAIN_FMT +
        "')",
    );
  }
  return out;
};

export const dns1035Label: NameCheck = (v) => {
  const out: string[] = [];
  if (v.length > 63) out.push('must be no more than 63 characters');
  if (!DNS1035_RE.test(v)) {
    out.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '" +
        DNS1035_FMT +
        "')",
    );
  }
  return out;
};

/** IsQualifiedName: `[prefix/]name`, prefix a DNS subdomain, name ≤ 63 of [-A-Za-z0-9_.]. */
export function qualifiedName(v: string): string[] {
  const parts = v.split('/');
  let name = v;
  const out: string[] = [];
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) out.push('prefix part must be non-empty');
    else for (const m of dns1123Subdomain(prefix)) out.push(`prefix part ${m}`);
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '" +
        QNAME_FMT +
        "') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else if (name.length > 63) out.push('name part must be no more than 63 characters');
  if (name.length > 0 && !QNAME_RE.test(name)) {
    out.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '" +
        QNAME_FMT +
        "')",
    );
  }
  return out;
}

export function labelValue(v: string): string[] {
  const out: string[] = [];
  if (v.length > 63) out.push('must be no more than 63 characters');
  if (v.length > 0 && !QNAME_RE.test(v)) {
    out.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(" +
        QNAME_FMT +
        ")?')",
    );
  }
  return out;
}

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
