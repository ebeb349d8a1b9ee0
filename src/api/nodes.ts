// Which nodes may announce at all (docs/l2.md, "Who may announce a VIP"), from Node objects.
import type { V1Node } from '@kubernetes/client-node';
import { LABEL_EXCLUDE_FROM_LB, TAINT_TO_BE_DELETED } from '../ipam/k8s-adapter.ts';

/** Why a node may not announce; shown in logs and the speaker's status. */
export type NodeProblem = 'NotReady' | 'NetworkUnavailable' | 'ExcludedByLabel' | 'Deleting';

function condition(node: V1Node, type: string): string | undefined {
  return node.status?.conditions?.find((c) => c.type === type)?.status;
}

export function nodeProblem(node: V1Node): NodeProblem | null {
  if (node.metadata?.deletionTimestamp !== undefined) return 'Deleting';
  // The label's presence excludes, whatever its value (the Kubernetes well-known label's meaning).
  if (node.metadata?.labels?.[LABEL_EXCLUDE_FROM_LB] !== undefined) return 'ExcludedByLabel';
  // A missing Ready condition is Unknown, which is not Ready.
  if (condition(node, 'Ready') !== 'True') return 'NotReady';
  if (condition(node, 'NetworkUnavailable') === 'True') return 'NetworkUnavailable';
  return null;
}

/** Eligible but last in every ranking: cordoned, or about to be removed by the cluster autoscaler. */
export function nodeDemoted(node: V1Node): boolean {
  return node.spec?.unschedulable === true || (node.spec?.taints ?? []).some((t) => t.key === TAINT_TO_BE_DELETED);
}
