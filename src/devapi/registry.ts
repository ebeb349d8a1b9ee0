// Which resources are served right now: the built-ins plus one entry per served version of
// every registered CRD. Discovery and routing read it; CRD writes change it.
import type { ResourceType } from './resource-type.ts';

export interface GroupInfo {
  name: string;
  /** Highest priority first; the first is the preferred version. */
  versions: string[];
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first, others alphabetical last. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (m === null) return undefined;
    const rank = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [rank, Number(m[1]), Number(m[3] ?? 0)];
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa === undefined || pb === undefined) return pa !== undefined ? -1 : pb !== undefined ? 1 : a.localeCompare(b);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pb[i] ?? 0) - (pa[i] ?? 0);
  return 0;
}

export class Registry {
  private readonly builtins: readonly ResourceType[];
  private readonly custom = new Map<string, ResourceType[]>();

  constructor(builtins: readonly ResourceType[]) {
    this.builtins = builtins;
  }

  all(): ResourceType[] {
    return [...this.builtins, ...[...this.custom.values()].flat()];
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  /** The type for `storage` in a given version, or any served one. */
  forStorage(storage: string): ResourceType[] {
    return this.all().filter((t) => t.storage === storage);
  }

  hasGroupVersion(group: string, version: string): boolean {
    return this.all().some((t) => t.group === group && t.version === version);
  }

  /** Replaces the types served for one CRD; returns the ones no longer served. */
  setCustom(crdName: string, types: ResourceType[]): ResourceType[] {
    const before = this.custom.get(crdName) ?? [];
    if (types.length === 0) this.custom.delete(crdName);
    else this.custom.set(crdName, types);
    return before.filter((b) => !types.some((t) => t.version === b.version && t.plural === b.plural && t.group === b.group));
  }

  groups(): GroupInfo[] {
    const order: string[] = [];
    const versions = new Map<string, Set<string>>();
    for (const t of this.all()) {
      if (t.group === '') continue;
      if (!versions.has(t.group)) {
        versions.set(t.group, new Set());
        order.push(t.group);
      }
      versions.get(t.group)?.add(t.version);
    }
    return order.map((name) => ({ name, versions: [...(versions.get(name) ?? [])].sort(compareVersions) }));
  }
}
