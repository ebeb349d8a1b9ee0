// Names Herald is given on its command line, checked the way the API server would check them
// (k8s.io/apimachinery validation: a namespace is a DNS-1123 label, a Node name a DNS-1123
// subdomain), so a typo is one line at start-up rather than a 400 or 404 later (issue #13).

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `name` is not a namespace name, or null. */
export function namespaceProblem(name: string): string | null {
  if (name.length > 63) return 'is longer than 63 characters';
  if (!LABEL.test(name)) return 'is not a valid namespace name (lower-case letters, digits and "-", starting and ending with a letter or digit)';
  return null;
}

/** Why `name` is not a Node name, or null. */
export function nodeNameProblem(name: string): string | null {
  if (name.length > 253) return 'is longer than 253 characters';
  if (!SUBDOMAIN.test(name)) return 'is not a valid Node name (lower-case letters, digits, "-" and ".")';
  return null;
}

/** Why `name` is not a Secret name (a DNS-1123 subdomain), or null. */
export function secretNameProblem(name: string): string | null {
  if (name.length > 253) return 'is longer than 253 characters';
  if (!SUBDOMAIN.test(name)) return 'is not a valid Secret name (lower-case letters, digits, "-" and "."), or none';
  return null;
}
