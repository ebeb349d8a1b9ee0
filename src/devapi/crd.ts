// CustomResourceDefinitions: their own validation (a subset of apiextensions-apiserver's
// ValidateCustomResourceDefinition, including the structural-schema rule) and the resource
// types a CRD serves, one per served version, all sharing one storage bucket.
import * as fe from './field-errors.ts';
import { arrAt, child, deepEqual, isObject, objAt, strAt, type Json, type JsonObject } from './json.ts';
import { dns1035Label, dns1123Label, dns1123Subdomain } from '../api/k8s-names.ts';
import type { ResourceType, Strategy } from './resource-type.ts';
import { applyDefaults, withObjectRoot } from './schema-prune.ts';

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];

/** Every specified field needs a type unless int-or-string or preserve-unknown-fields (structural schemas). */
function structuralErrors(s: Json, path: string, root: boolean): fe.FieldError[] {
  if (!isObject(s)) return [];
  const out: fe.FieldError[] = [];
  const type = s['type'];
  const open = s['x-kubernetes-int-or-string'] === true || s['x-kubernetes-preserve-unknown-fields'] === true;
  if (type === undefined && !open) out.push(fe.required(`${path}.type`, root ? 'must not be empty at the root' : 'must not be empty for specified object fields'));
  else if (type !== undefined && (typeof type !== 'string' || !TYPES.includes(type))) out.push(fe.notSupported(`${path}.type`, type, TYPES));
  if (root && type !== undefined && type !== 'object') out.push(fe.invalid(`${path}.type`, type, 'must be object at the root'));
  if (root) out.push(...rootMetadataErrors(s, path));
  const pattern = s['pattern'];
  if (typeof pattern === 'string') {
    try {
      new RegExp(pattern, 'u');
    } catch (e) {
      // kube-apiserver appends RE2's parse error; this is the JavaScript parser's (docs/devapi.md).
      out.push(fe.invalid(`${path}.pattern`, pattern, `must be a valid regular expression, but isn't: ${e instanceof Error ? e.message : String(e)}`));
    }
  }
  const props = s['properties'];
  if (isObject(props)) for (const [k, v] of Object.entries(props)) out.push(...structuralErrors(v, `${path}.properties[${k}]`, false));
  if (isObject(s['items'])) out.push(...structuralErrors(s['items'], `${path}.items`, false));
  if (isObject(s['additionalProperties'])) out.push(...structuralErrors(s['additionalProperties'], `${path}.additionalProperties`, false));
  return out;
}

/** Keys of a schema node that are not part of a structural schema, so they restrict nothing. */
const NON_STRUCTURAL = new Set(['example', 'externalDocs']);

/**
 * The root `metadata` is ObjectMeta, which the server validates itself: a schema may say
 * `type: object` and restrict `name` and `generateName`, nothing else (apiextensions-apiserver
 * validateStructuralMetadataInvariants; docs/devapi.md, differences, 1).
 */
function rootMetadataErrors(root: JsonObject, path: string): fe.FieldError[] {
  const meta = objAt(root, 'properties', 'metadata');
  if (meta === undefined) return [];
  const at = `${path}.properties[metadata]`;
  const out: fe.FieldError[] = [];
  const type = meta['type'];
  if (type !== 'object') out.push(fe.invalid(`${at}.type`, typeof type === 'string' ? type : '', 'must be object'));
  const props = meta['properties'];
  const names = isObject(props) ? Object.keys(props) : [];
  const onlyNames = names.length > 0 && names.every((k) => k === 'name' || k === 'generateName');
  const rest = Object.keys(meta).filter((k) => k !== 'type' && k !== 'default' && !NON_STRUCTURAL.has(k) && !(k === 'properties' && onlyNames));
  if (rest.length > 0) out.push(fe.forbidden(at, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
  return out;
}

/**
 * The errors of one openAPIV3Schema at `path`: the structural ones sorted by their text, as
 * ValidateStructural sorts them, then the API validation's default check.
 */
function schemaErrors(schema: JsonObject, path: string): fe.FieldError[] {
  const out = structuralErrors(schema, path, true).sort((a, b) => {
    const [x, y] = [fe.fieldErrorText(a), fe.fieldErrorText(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  });
  if (objAt(schema, 'properties', 'metadata')?.['default'] !== undefined) out.push(fe.forbidden(`${path}.properties[metadata].default`, 'must not be set in top-level metadata'));
  return out;
}

function storageVersion(crd: JsonObject): string | undefined {
  const v = (arrAt(crd, 'spec', 'versions') ?? []).find((x) => isObject(x) && x['storage'] === true);
  return isObject(v) && typeof v['name'] === 'string' ? v['name'] : undefined;
}

function validate(crd: JsonObject, old: JsonObject | undefined): fe.FieldError[] {
  const out: fe.FieldError[] = [];
  const spec = child(crd, 'spec');
  const group = spec['group'];
  if (typeof group !== 'string' || group === '') out.push(fe.required('spec.group', ''));
  else {
    for (const m of dns1123Subdomain(group)) out.push(fe.invalid('spec.group', group, m));
    if (!group.includes('.')) out.push(fe.invalid('spec.group', group, 'should be a domain with at least one dot'));
  }
  const names = child(spec, 'names');
  const plural = names['plural'];
  if (typeof plural !== 'string' || plural === '') out.push(fe.required('spec.names.plural', ''));
  else for (const m of dns1123Label(plural)) out.push(fe.invalid('spec.names.plural', plural, m));
  if (typeof names['kind'] !== 'string' || names['kind'] === '') out.push(fe.required('spec.names.kind', ''));
  const scope = spec['scope'];
  if (scope !== 'Namespaced' && scope !== 'Cluster') out.push(fe.notSupported('spec.scope', scope, ['Cluster', 'Namespaced']));
  const name = strAt(crd, 'metadata', 'name');
  if (typeof plural === 'string' && typeof group === 'string' && name !== `${plural}.${group}`) {
    out.push(fe.invalid('metadata.name', name ?? '', 'must be spec.names.plural+"."+spec.group'));
  }
  const versions = arrAt(spec, 'versions') ?? [];
  if (versions.length === 0) out.push(fe.required('spec.versions', 'must have exactly one version marked as storage version'));
  else if (versions.filter((v) => isObject(v) && v['storage'] === true).length !== 1) {
    out.push(fe.invalid('spec.versions', versions.length, 'must have exactly one version marked as storage version'));
  }
  // The v1 → internal conversion moves a schema that every version shares to spec.validation,
  // so its errors carry that path; schemas that differ are validated per version (docs/devapi.md,
  // differences, 2).
  const schemas = versions.map((v) => (isObject(v) ? objAt(v, 'schema', 'openAPIV3Schema') : undefined));
  const first = schemas[0];
  const shared = first !== undefined && schemas.every((x) => x !== undefined && deepEqual(x, first));
  if (shared) out.push(...schemaErrors(first, 'spec.validation.openAPIV3Schema'));
  versions.forEach((v, i) => {
    if (!isObject(v)) return;
    const p = `spec.versions[${i}]`;
    const vn = v['name'];
    if (typeof vn !== 'string' || vn === '') out.push(fe.required(`${p}.name`, ''));
    else for (const m of dns1035Label(vn)) out.push(fe.invalid(`${p}.name`, vn, m));
    const schema = schemas[i];
    if (schema === undefined) out.push(fe.required(`${p}.schema.openAPIV3Schema`));
    else if (!shared) out.push(...schemaErrors(schema, `${p}.schema.openAPIV3Schema`));
  });
  // Without a storage version the new CRD's status.storedVersions stays empty (differences, 9).
  if (old === undefined && !versions.some((v) => isObject(v) && v['storage'] === true)) out.push(fe.invalid('status.storedVersions', null, 'must have at least one stored version'));
  if (old !== undefined) {
    const o = child(old, 'spec');
    if (o['group'] !== group) out.push(fe.invalid('spec.group', group ?? '', 'field is immutable'));
    if (o['scope'] !== scope) out.push(fe.invalid('spec.scope', scope ?? '', 'field is immutable'));
  }
  return out;
}

function defaults(crd: JsonObject): void {
  const spec = child(crd, 'spec');
  const names = child(spec, 'names');
  if (typeof names['kind'] === 'string') {
    names['singular'] ??= names['kind'].toLowerCase();
    names['listKind'] ??= `${names['kind']}List`;
  }
  spec['conversion'] ??= { strategy: 'None' };
}

function prepareCreate(crd: JsonObject): void {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const cond = (type: string, reason: string, message: string): JsonObject => ({ type, status: 'True', lastTransitionTime: now, reason, message });
  const sv = storageVersion(crd);
  crd['status'] = {
    conditions: [cond('NamesAccepted', 'NoConflicts', 'no conflicts found'), cond('Established', 'InitialNamesAccepted', 'the initial names have been accepted')],
    acceptedNames: objAt(crd, 'spec', 'names') ?? {},
    storedVersions: sv === undefined ? [] : [sv],
  };
}

export const crdStrategy: Strategy = { defaults, validate, prepareCreate };

const crStrategy: Strategy = {};

/** One ResourceType per served version of a (valid, stored) CRD. */
export function customTypes(crd: JsonObject): ResourceType[] {
  const spec = child(crd, 'spec');
  const group = String(spec['group'] ?? '');
  const names = child(spec, 'names');
  const plural = String(names['plural'] ?? '');
  const kind = String(names['kind'] ?? '');
  const sv = storageVersion(crd) ?? '';
  const strings = (v: Json | undefined): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const out: ResourceType[] = [];
  for (const v of arrAt(spec, 'versions') ?? []) {
    if (!isObject(v) || v['served'] !== true || typeof v['name'] !== 'string') continue;
    const version = v['name'];
    const status = isObject(objAt(v, 'subresources')?.['status']);
    const schema = withObjectRoot(objAt(v, 'schema', 'openAPIV3Schema') ?? { type: 'object' });
    const apiVersion = `${group}/${version}`;
    out.push({
      group,
      version,
      plural,
      singular: String(names['singular'] ?? kind.toLowerCase()),
      kind,
      listKind: String(names['listKind'] ?? `${kind}List`),
      namespaced: spec['scope'] === 'Namespaced',
      shortNames: strings(names['shortNames']),
      categories: strings(names['categories']),
      statusSubresource: status,
      keepStatusOnCreate: !status,
      generation: true,
      storage: `${plural}.${group}`,
      counterKey: `${plural}.${group}`,
      allowCreateOnUpdate: false,
      allowUnconditionalUpdate: false,
      nameCheck: dns1123Subdomain,
      schema,
      builtin: false,
      smp: null,
      fieldLabels: {},
      strategy: crStrategy,
      toStorage: (o) => ({ ...o, apiVersion: `${group}/${sv}` }),
      // Defaults apply when reading from storage as well (apiextensions-apiserver's codec).
      fromStorage: (o) => {
        const d = applyDefaults({ ...o, apiVersion }, schema);
        return isObject(d) ? d : o;
      },
    });
  }
  return out;
}
