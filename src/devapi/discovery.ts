// Discovery documents in the shape kube-apiserver serves them (the unaggregated v1 form):
// /api (APIVersions), /apis (APIGroupList), /apis/G (APIGroup), /api/v1 and /apis/G/V
// (APIResourceList), /version.
import type { JsonObject } from './json.ts';
import type { Registry } from './registry.ts';
import { VERBS, type ResourceType } from './resource-type.ts';

export function apiVersions(serverAddress: string): JsonObject {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupDoc(name: string, versions: string[]): JsonObject {
  const gv = (v: string): JsonObject => ({ groupVersion: `${name}/${v}`, version: v });
  return { name, versions: versions.map(gv), preferredVersion: gv(versions[0] ?? '') };
}

export function apiGroupList(reg: Registry): JsonObject {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: reg.groups().map((g) => groupDoc(g.name, g.versions)) };
}

export function apiGroup(reg: Registry, group: string): JsonObject | undefined {
  const g = reg.groups().find((x) => x.name === group);
  return g === undefined ? undefined : { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g.name, g.versions) };
}

function entries(t: ResourceType): JsonObject[] {
  const main: JsonObject = {
    name: t.plural,
    singularName: t.singular,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: [...VERBS],
  };
  if (t.shortNames.length > 0) main['shortNames'] = [...t.shortNames];
  if (t.categories.length > 0) main['categories'] = [...t.categories];
  const out = [main];
  if (t.statusSubresource) out.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
  return out;
}

export function apiResourceList(reg: Registry, group: string, version: string): JsonObject | undefined {
  if (!reg.hasGroupVersion(group, version)) return undefined;
  const resources = reg
    .all()
    .filter((t) => t.group === group && t.version === version)
    .flatMap(entries);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

export function versionInfo(): JsonObject {
  return {
    major: '1',
    minor: '33',
    emulationMajor: '1',
    emulationMinor: '33',
    gitVersion: 'v1.33.0-herald-dev',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.24',
    compiler: 'gc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}
