// Turns an IPPool into allocator terms (MetalLB's k8salloc.go plays this part). What a Service
// asks for is read by src/api/service.ts, which every folder shares (issue #9); this adapter is
// the allocator's own. Pure: type-only imports of the Kubernetes models, no client.
import type { BlockSpec, PoolView } from './types.ts';
import type { IPPool } from '../api/generated/ippools.ts';
import type { LabelSelector } from '../api/selector.ts';
import { isSelectorOperator } from '../api/selector.ts';
import { timestampMs } from '../api/service.ts';

/** IPPool → allocator's PoolView. Shape errors are caught by isIPPool before this is called. */
export function poolView(pool: IPPool): PoolView {
  const blocks: BlockSpec[] = pool.spec.blocks.map((b) => (b.cidr !== undefined ? { cidr: b.cidr } : b.stop !== undefined ? { start: b.start ?? '', stop: b.stop } : { start: b.start ?? '' }));
  const sel = pool.spec.serviceSelector;
  const serviceSelector: LabelSelector | null =
    sel === undefined
      ? null
      : {
          matchLabels: sel.matchLabels ?? {},
          // poolShapeError has already refused unknown operators (the controller calls it first).
          matchExpressions: (sel.matchExpressions ?? []).flatMap((e) => (isSelectorOperator(e.operator) ? [{ key: e.key, operator: e.operator, values: e.values ?? [] }] : [])),
        };
  return {
    name: pool.metadata.name ?? '',
    createdAt: timestampMs(pool.metadata.creationTimestamp),
    blocks,
    allowFirstLastIPs: pool.spec.allowFirstLastIPs !== 'No',
    disabled: pool.spec.disabled === true,
    serviceSelector,
  };
}
