// URL paths of the Kubernetes REST API (api-concepts.md#resource-uris):
//   /api/v1/[namespaces/NS/]PLURAL[/NAME[/SUBRESOURCE]]
//   /apis/GROUP/VERSION/[namespaces/NS/]PLURAL[/NAME[/SUBRESOURCE]]
export type Route =
  | { kind: 'api' }
  | { kind: 'apis' }
  | { kind: 'group'; group: string }
  | { kind: 'resources'; group: string; version: string }
  | {
      kind: 'resource';
      group: string;
      version: string;
      plural: string;
      namespace: string | undefined;
      name: string | undefined;
      subresource: string | undefined;
    }
  | { kind: 'unknown' };

export function parsePath(pathname: string): Route {
  const segs = pathname.split('/').filter((s) => s !== '');
  let parts: string[];
  try {
    parts = segs.map((s) => decodeURIComponent(s));
  } catch {
    return { kind: 'unknown' };
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'api' };
    group = '';
    version = parts[1] ?? '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'apis' };
    group = parts[1] ?? '';
    if (parts.length === 2) return { kind: 'group', group };
    version = parts[2] ?? '';
    rest = parts.slice(3);
  } else return { kind: 'unknown' };
  if (rest.length === 0) return { kind: 'resources', group, version };
  let namespace: string | undefined;
  // `namespaces/NS/PLURAL...` addresses a namespaced resource; `namespaces/NAME[/status]` the Namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(group === '' && rest.length === 3 && rest[2] === 'status')) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length > 3) return { kind: 'unknown' };
  return { kind: 'resource', group, version, plural: rest[0] ?? '', namespace, name: rest[1], subresource: rest[2] };
}
