// What each Herald ServiceAccount may do, three ways, in one spelling so they can be compared:
// as docs/operations.md ("Permissions (RBAC)") writes it, as deploy/'s RBAC grants it (read
// statically), and as a real kube-apiserver answers `kubectl auth can-i --list`. A grant is
// "verb resource[.group][/subresource] name", name `*` when the grant is not restricted to one
// object: the spelling `kubectl auth can-i --list` prints.
import { readFileSync } from 'node:fs';
import { arr, obj, str, type YamlDoc } from './schema-check.ts';

export const HERALD_NAMESPACE = 'herald-system';
export const SERVICE_ACCOUNTS = ['herald-controller', 'herald-speaker'] as const;
export const OPERATIONS_MD = new URL('../../docs/operations.md', import.meta.url);

export interface DocRow {
  serviceAccount: string;
  resource: string;
  name: string;
  verbs: string[];
  /** 'cluster' or a namespace. */
  scope: string;
  usedBy: string;
}

const cells = (line: string): string[] =>
  line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim().replaceAll('`', ''));

/** The rows of the table under "## Permissions (RBAC)" in docs/operations.md. */
export function docRows(markdown = readFileSync(OPERATIONS_MD, 'utf8')): DocRow[] {
  const start = markdown.indexOf('\n## Permissions (RBAC)\n');
  if (start < 0) throw new Error('docs/operations.md has no "## Permissions (RBAC)" section');
  const section = markdown.slice(start + 1).split(/\n## /)[0] ?? '';
  const lines = section.split('\n').filter((l) => l.startsWith('|'));
  const [header, rule, ...rows] = lines;
  const want = ['ServiceAccount', 'Resource', 'Name', 'Verbs', 'Scope', 'Used by'];
  if (header === undefined || JSON.stringify(cells(header)) !== JSON.stringify(want)) throw new Error(`the RBAC table's header is not ${want.join(' | ')}`);
  if (rule === undefined || !/^\|( *-+ *\|)+$/.test(rule.trim())) throw new Error('the RBAC table has no header rule');
  return rows.map((line) => {
    const c = cells(line);
    if (c.length !== want.length) throw new Error(`RBAC table row with ${c.length} cells: ${line}`);
    const [serviceAccount = '', resource = '', name = '', verbs = '', scope = '', usedBy = ''] = c;
    if (!/^src\//.test(usedBy)) throw new Error(`RBAC table row without the code that uses it: ${line}`);
    return { serviceAccount, resource, name, verbs: verbs.split(',').map((v) => v.trim()), scope, usedBy };
  });
}

const grant = (verb: string, resource: string, name: string): string => `${verb} ${resource} ${name === '' ? '*' : name}`;

/** What the table lets `serviceAccount` do in `namespace` (cluster rows apply in every namespace). */
export function docGrants(rows: readonly DocRow[], serviceAccount: string, namespace: string): Set<string> {
  return new Set(rows.filter((r) => r.serviceAccount === serviceAccount && (r.scope === 'cluster' || r.scope === namespace)).flatMap((r) => r.verbs.map((v) => grant(v, r.resource, r.name))));
}

/** `resource.group/subresource`, as kubectl prints it. */
function spelled(group: string, resource: string): string {
  const [res = '', sub] = resource.split('/');
  const full = group === '' ? res : `${res}.${group}`;
  return sub === undefined ? full : `${full}/${sub}`;
}

function rulesGrants(rules: unknown): string[] {
  return arr(rules, 'rules').flatMap((r) => {
    const rule = obj(r, 'rule');
    const names = rule['resourceNames'] === undefined ? [''] : arr(rule['resourceNames'], 'resourceNames').map((n) => str(n, 'resourceName'));
    return arr(rule['apiGroups'] ?? [], 'apiGroups').flatMap((g) =>
      arr(rule['resources'] ?? [], 'resources').flatMap((res) =>
        arr(rule['verbs'], 'verbs').flatMap((v) => names.map((n) => grant(str(v, 'verb'), spelled(str(g, 'apiGroup'), str(res, 'resource')), n))),
      ),
    );
  });
}

/**
 * What deploy/'s Roles and bindings let `serviceAccount` do in `namespace`, read from the
 * manifests (no aggregation, no wildcards: manifests.test.ts refuses both).
 */
export function manifestGrants(docs: readonly YamlDoc[], serviceAccount: string, namespace: string): Set<string> {
  const meta = (d: YamlDoc): Record<string, unknown> => obj(d.doc['metadata'], `${d.file} metadata`);
  const find = (kind: string, name: string, ns?: string): YamlDoc => {
    const d = docs.find((x) => x.doc['kind'] === kind && meta(x)['name'] === name && (ns === undefined || meta(x)['namespace'] === ns));
    if (d === undefined) throw new Error(`no ${kind} ${ns === undefined ? '' : `${ns}/`}${name}`);
    return d;
  };
  const bindsSa = (d: YamlDoc): boolean =>
    arr(d.doc['subjects'] ?? [], 'subjects').some((s) => {
      const sub = obj(s, 'subject');
      return sub['kind'] === 'ServiceAccount' && sub['name'] === serviceAccount && sub['namespace'] === HERALD_NAMESPACE;
    });
  const out = new Set<string>();
  for (const b of docs.filter((d) => (d.doc['kind'] === 'ClusterRoleBinding' || (d.doc['kind'] === 'RoleBinding' && meta(d)['namespace'] === namespace)) && bindsSa(d))) {
    const ref = obj(b.doc['roleRef'], 'roleRef');
    const role = ref['kind'] === 'ClusterRole' ? find('ClusterRole', str(ref['name'], 'roleRef.name')) : find('Role', str(ref['name'], 'roleRef.name'), namespace);
    for (const g of rulesGrants(role.doc['rules'])) out.add(g);
  }
  return out;
}

/** The resource grants of a `kubectl auth can-i --list` table (non-resource URLs left out). */
export function canIGrants(table: string): Set<string> {
  const [header, ...rows] = table.replace(/\n+$/, '').split('\n');
  if (header === undefined || !/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/.test(header.trim())) throw new Error(`not a can-i --list table: ${table.slice(0, 200)}`);
  const out = new Set<string>();
  for (const row of rows) {
    const m = /^(\S*)\s+\[(.*?)\]\s+\[(.*?)\]\s+\[(.*?)\]\s*$/.exec(row);
    if (m === null) throw new Error(`unexpected can-i --list row: ${row}`);
    const [, resource = '', , names = '', verbs = ''] = m;
    if (resource === '') continue;
    const nameList = names === '' ? [''] : names.split(' ');
    for (const v of verbs.split(' ')) for (const n of nameList) out.add(grant(v, resource, n));
  }
  return out;
}

/** [missing, extra] of `actual` against `expected`, sorted. */
export function difference(expected: ReadonlySet<string>, actual: ReadonlySet<string>): [string[], string[]] {
  return [[...expected].filter((g) => !actual.has(g)).sort(), [...actual].filter((g) => !expected.has(g)).sort()];
}
