// What the controller keeps of each Service in its cache (issue #10, bench/README.md IPAM
// Finding 6: 10,000 Services at a cold start, each replaced on every status write): the fields
// classifyService, desiredServiceStatus, the status writer and the Events read. Dropped:
// managedFields (kilobytes per object on a real server), annotations Herald never reads, kind and
// apiVersion. Kept whole: spec (small, and any field of it may matter to a future rule) and status
// (a merge patch writes the other controllers' conditions back as they are).
import type { V1ObjectMeta, V1Service } from '@kubernetes/client-node';
import { readsAnnotation } from '../api/service.ts';

function readAnnotations(all: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
  if (all === undefined) return undefined;
  let kept: Record<string, string> | undefined;
  for (const name in all) {
    if (!Object.hasOwn(all, name) || !readsAnnotation(name)) continue;
    kept ??= {};
    const value = all[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}

export function slimService(svc: V1Service): V1Service {
  const m = svc.metadata;
  const metadata: V1ObjectMeta | undefined =
    m === undefined
      ? undefined
      : {
          name: m.name,
          namespace: m.namespace,
          uid: m.uid,
          resourceVersion: m.resourceVersion,
          generation: m.generation,
          creationTimestamp: m.creationTimestamp,
          deletionTimestamp: m.deletionTimestamp,
          labels: m.labels,
          annotations: readAnnotations(m.annotations),
        };
  return { metadata, spec: svc.spec, status: svc.status };
}

/** A listed item the controller can use: an object with a metadata object (client-node checks no more). */
export function isService(v: unknown): v is V1Service {
  return typeof v === 'object' && v !== null && 'metadata' in v && typeof v.metadata === 'object' && v.metadata !== null;
}
