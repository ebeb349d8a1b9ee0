// Herald's CRDs as the tests discover them from deploy/crds: names, printer columns, the object
// nodes `kubectl explain` describes, and every CEL rule (x-kubernetes-validations) with the
// schema path it sits at. Tables keyed by these fail when a CRD grows a rule or a field nobody
// tested.
import { fileURLToPath } from 'node:url';
import { arr, isObj, loadYamlDocs, obj, str, type Obj } from './schema-check.ts';

export const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));

export interface Crd {
  file: string;
  name: string;
  group: string;
  kind: string;
  plural: string;
  shortNames: string[];
  version: string;
  schema: Obj;
  columns: { name: string; type: string; jsonPath: string; priority: number }[];
}

export function loadCrds(): Crd[] {
  const crds = loadYamlDocs(DEPLOY).filter((d) => d.file.startsWith('crds/') && d.doc['kind'] === 'CustomResourceDefinition');
  return crds.map(({ file, doc }) => {
    const spec = obj(doc['spec'], `${file} spec`);
    const names = obj(spec['names'], `${file} names`);
    const versions = arr(spec['versions'], `${file} versions`).map((v) => obj(v, 'version'));
    const [version] = versions;
    if (version === undefined || versions.length !== 1) throw new Error(`${file}: expected one version, the tests know no conversion`);
    return {
      file,
      name: str(obj(doc['metadata'], 'metadata')['name'], `${file} name`),
      group: str(spec['group'], 'group'),
      kind: str(names['kind'], 'kind'),
      plural: str(names['plural'], 'plural'),
      shortNames: arr(names['shortNames'] ?? [], 'shortNames').map((s) => str(s, 'shortName')),
      version: str(version['name'], 'version name'),
      schema: obj(obj(version['schema'], 'schema')['openAPIV3Schema'], 'openAPIV3Schema'),
      columns: arr(version['additionalPrinterColumns'] ?? [], 'columns').map((c) => {
        const col = obj(c, 'column');
        return { name: str(col['name'], 'column name'), type: str(col['type'], 'column type'), jsonPath: str(col['jsonPath'], 'jsonPath'), priority: typeof col['priority'] === 'number' ? col['priority'] : 0 };
      }),
    };
  });
}

/** Schema path segments: property names, and '[]' for the items of an array. */
export type SchemaPath = readonly string[];

export const pathText = (p: SchemaPath): string => p.map((s) => (s === '[]' ? '[]' : `.${s}`)).join('');

/** Every schema node with its path, depth first, the root first. Maps (additionalProperties) are leaves. */
export function schemaNodes(schema: Obj, path: SchemaPath = []): { path: SchemaPath; node: Obj }[] {
  const out = [{ path, node: schema }];
  if (isObj(schema['properties'])) for (const [k, v] of Object.entries(schema['properties'])) out.push(...schemaNodes(obj(v, `${pathText(path)}.${k}`), [...path, k]));
  if (isObj(schema['items'])) out.push(...schemaNodes(schema['items'], [...path, '[]']));
  return out;
}

export interface CelPlacement {
  crd: Crd;
  path: SchemaPath;
  rule: string;
  message: string;
}

export function celPlacements(crds: readonly Crd[]): CelPlacement[] {
  return crds.flatMap((crd) =>
    schemaNodes(crd.schema).flatMap(({ path, node }) =>
      arr(node['x-kubernetes-validations'] ?? [], `${crd.file} ${pathText(path)} validations`).map((v) => {
        const rule = obj(v, 'validation');
        // A rule without a message reports its own CEL text, which no user should have to read.
        return { crd, path, rule: str(rule['rule'], 'rule'), message: str(rule['message'], `${crd.file} ${pathText(path)}: message of ${String(rule['rule'])}`) };
      }),
    ),
  );
}
