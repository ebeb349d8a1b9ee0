// What Node and EndpointSlice objects say, as every folder reads it (issue #9): which nodes may
// announce at all (docs/l2.md, "Who may announce a VIP"), which have ready endpoints, and which
// addresses are never VIPs.
import type { V1EndpointSlice, V1Node } from '@kubernetes/client-node';
import { canonicalIP } from './addr.ts';
import { LABEL_EXCLUDE_FROM_LB, TAINT_TO_BE_DELETED } from './names.ts';

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

/** Addresses that are never VIPs: every Node's InternalIP/ExternalIP and the API server's endpoints. */
export function reservedAddresses(nodes: readonly V1Node[], apiServerSlices: readonly V1EndpointSlice[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const node of nodes) {
    for (const a of node.status?.addresses ?? []) {
      if (a.type !== 'InternalIP' && a.type !== 'ExternalIP') continue;
      const ip = canonicalIP(a.address);
      if (ip !== null && !out.has(ip)) out.set(ip, `${a.type} of node ${node.metadata?.name ?? '?'}`);
    }
  }
  for (const slice of apiServerSlices) {
    for (const ep of slice.endpoints ?? []) {
      for (const text of ep.addresses) {
        const ip = canonicalIP(text);
        if (ip !== null && !out.has(ip)) out.set(ip, 'the API server (endpoints of default/kubernetes)');
      }
    }
  }
  return out;
}

/** Nodes with a ready endpoint of the Service, for externalTrafficPolicy: Local. */
export function nodesWithReadyEndpoints(slices: readonly V1EndpointSlice[]): Set<string> {
  const out = new Set<string>();
  for (const slice of slices) {
    for (const ep of slice.endpoints ?? []) {
      // EndpointSlice API: a nil ready condition means ready (discovery.k8s.io/v1 EndpointConditions).
      if (ep.conditions?.ready !== false && ep.nodeName !== undefined) out.add(ep.nodeName);
    }
  }
  return out;
}
