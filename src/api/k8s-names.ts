// The one Kubernetes name and label validator (issue #9), with the API server's own messages
// (k8s.io/apimachinery/pkg/util/validation/validation.go): used by the dev API server, by the
// label selectors of Herald's CRDs and Services, and for names given on the command line, so a
// typo is one line at start-up rather than a 400 or 404 later (issue #13).

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

// ---- names given on the command line: one short line each

/** Why `name` is not a namespace name, or null. */
export function namespaceProblem(name: string): string | null {
  if (name.length > 63) return 'is longer than 63 characters';
  if (dns1123Label(name).length > 0) return 'is not a valid namespace name (lower-case letters, digits and "-", starting and ending with a letter or digit)';
  return null;
}

/** Why `name` is not a Node name, or null. */
export function nodeNameProblem(name: string): string | null {
  if (name.length > 253) return 'is longer than 253 characters';
  if (dns1123Subdomain(name).length > 0) return 'is not a valid Node name (lower-case letters, digits, "-" and ".")';
  return null;
}

/** Why `name` is not a Secret name (a DNS-1123 subdomain), or null. */
export function secretNameProblem(name: string): string | null {
  if (name.length > 253) return 'is longer than 253 characters';
  if (dns1123Subdomain(name).length > 0) return 'is not a valid Secret name (lower-case letters, digits, "-" and "."), or none';
  return null;
}

/**
 * Why the keys or values of a structured selector (matchLabels, matchExpressions) are not what
 * the API server allows in a metav1.LabelSelector (ValidateLabelSelector), the field named under
 * `path` (e.g. "spec.nodeSelector"); null when they are. The CRD schemas cannot say this (issue
 * #14: every invalid field value gets Valid=False naming the field). Operators and the values
 * they need are checked by the callers.
 */
export function selectorLabelProblem(sel: { matchLabels?: Readonly<Record<string, unknown>>; matchExpressions?: readonly { key?: unknown; values?: readonly unknown[] }[] } | null | undefined, path: string): string | null {
  if (sel === null || sel === undefined) return null;
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    const k = qualifiedName(key);
    if (k.length > 0) return `${path}.matchLabels: key ${JSON.stringify(key)}: ${k.join('; ')}`;
    const v = typeof value === 'string' ? labelValue(value) : ['must be a string'];
    if (v.length > 0) return `${path}.matchLabels[${JSON.stringify(key)}]: value ${JSON.stringify(value)}: ${v.join('; ')}`;
  }
  for (const [i, e] of (sel.matchExpressions ?? []).entries()) {
    const k = typeof e.key === 'string' ? qualifiedName(e.key) : ['must be a string'];
    if (k.length > 0) return `${path}.matchExpressions[${i}].key ${JSON.stringify(e.key)}: ${k.join('; ')}`;
    for (const [j, value] of (e.values ?? []).entries()) {
      const v = typeof value === 'string' ? labelValue(value) : ['must be a string'];
      if (v.length > 0) return `${path}.matchExpressions[${i}].values[${j}] ${JSON.stringify(value)}: ${v.join('; ')}`;
    }
  }
  return null;
}
