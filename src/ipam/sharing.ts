// When two Services may hold the same address. Two levels, because they are enforced differently:
//  - the *key* level (same sharing key, namespaces accepted both ways): failing it releases an
//    address, the younger holder loses it;
//  - the *spec* level (ports, externalTrafficPolicy, Local selectors): checked before giving an
//    address, but failing it later never releases one. MetalLB releases a shared IP when its
//    holders become incompatible mid-edit (two Services switching Cluster→Local one after the
//    other lose their IP at the first switch); Herald keeps it and reports IncompatibleSharing
//    until the second edit makes them compatible again.
import type { ServiceView } from '../api/service.ts';

export type SharingParty = Pick<ServiceView, 'key' | 'namespace' | 'sharing' | 'ports' | 'externalTrafficPolicy' | 'selector'>;

function accepts(svc: SharingParty, namespace: string): boolean {
  if (svc.namespace === namespace) return true;
  const list = svc.sharing?.crossNamespaces ?? [];
  return list.includes('*') || list.includes(namespace);
}

/** Why `a` and `b` cannot hold one address at all (key level), or null if their keys agree. */
export function keyMismatch(a: SharingParty, b: SharingParty): string | null {
  if (a.sharing === null) return `${a.key} has no sharing key (Services without one never share)`;
  if (b.sharing === null) return `${b.key} has no sharing key (Services without one never share)`;
  if (a.sharing.key !== b.sharing.key) {
    return `their sharing keys differ ("${a.sharing.key}" on ${a.key}, "${b.sharing.key}" on ${b.key})`;
  }
  // Both sides must consent: a namespace cannot push itself into another's address.
  if (!accepts(a, b.namespace)) return `${a.key} does not list namespace "${b.namespace}" in its sharing crossNamespaces`;
  if (!accepts(b, a.namespace)) return `${b.key} does not list namespace "${a.namespace}" in its sharing crossNamespaces`;
  return null;
}

function portId(protocol: string, port: number): string {
  return `${protocol.toUpperCase()}/${port}`;
}

function sameSelector(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  return ak.every((k) => Object.hasOwn(b, k) && b[k] === a[k]);
}

/** Why `a` and `b`, whose keys agree, cannot serve traffic on one address, or null. */
export function specConflict(a: SharingParty, b: SharingParty): string | null {
  const aPorts = new Set(a.ports.map((p) => portId(p.protocol, p.port)));
  const common = b.ports.map((p) => portId(p.protocol, p.port)).filter((id) => aPorts.has(id));
  if (common.length > 0) return `both use ${[...new Set(common)].join(', ')}`;
  if (a.externalTrafficPolicy !== b.externalTrafficPolicy) {
    return `externalTrafficPolicy differs (${a.externalTrafficPolicy} on ${a.key}, ${b.externalTrafficPolicy} on ${b.key})`;
  }
  // With Local, only nodes with local endpoints may announce the address, so both Services must
  // have the same endpoints: identical, non-empty pod selectors.
  if (a.externalTrafficPolicy === 'Local') {
    if (Object.keys(a.selector).length === 0 || Object.keys(b.selector).length === 0) {
      return 'externalTrafficPolicy Local needs both to have a pod selector';
    }
    if (!sameSelector(a.selector, b.selector)) return 'externalTrafficPolicy Local needs identical pod selectors, and theirs differ';
  }
  return null;
}

/** Why `a` and `b` cannot share an address (key level first), or null when they can. */
export function sharingConflict(a: SharingParty, b: SharingParty): string | null {
  return keyMismatch(a, b) ?? specConflict(a, b);
}
