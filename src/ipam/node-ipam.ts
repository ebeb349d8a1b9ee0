// Node IPAM: a Service of class herald.dev/node-ipam gets the addresses of the nodes that may
// carry its traffic instead of pool addresses (what Cilium's node-ipam and klipper-lb do).
// Pure: nodes and EndpointSlices in, addresses out.
import type { V1EndpointSlice, V1Node } from '@kubernetes/client-node';
import type { ConditionReason } from './types.ts';
import type { Family } from '../api/addr.ts';
import type { NodeIpamServiceView } from '../api/service.ts';
import { canonicalIP, compareIPs, familyOf } from '../api/addr.ts';
import { LABEL_EXCLUDE_FROM_LB, TAINT_TO_BE_DELETED } from '../api/names.ts';
import { matchesSelector } from '../api/selector.ts';
import { nodesWithReadyEndpoints } from '../api/nodes.ts';

export interface NodeIpamResult {
  ips: string[];
  satisfied: boolean;
  reason: ConditionReason;
  message: string;
}

function nodeEligible(node: V1Node): boolean {
  if (node.metadata?.deletionTimestamp !== undefined) return false;
  if (node.metadata?.labels?.[LABEL_EXCLUDE_FROM_LB] !== undefined) return false;
  return !(node.spec?.taints ?? []).some((t) => t.key === TAINT_TO_BE_DELETED);
}

function wantedFamilies(svc: NodeIpamServiceView): Family[] {
  if (svc.ipFamilyPolicy === 'SingleStack') return [svc.ipFamilies[0] ?? 'IPv4'];
  const first = svc.ipFamilies[0] ?? 'IPv4';
  return [first, first === 'IPv4' ? 'IPv6' : 'IPv4'];
}

export function nodeIpamAddresses(svc: NodeIpamServiceView, nodes: readonly V1Node[], slices: readonly V1EndpointSlice[]): NodeIpamResult {
  const withEndpoints = svc.externalTrafficPolicy === 'Local' ? nodesWithReadyEndpoints(slices) : null;
  const eligible = nodes.filter((n) => {
    if (!nodeEligible(n)) return false;
    if (svc.nodeSelector !== null && !matchesSelector(svc.nodeSelector, n.metadata?.labels ?? {})) return false;
    return withEndpoints === null || withEndpoints.has(n.metadata?.name ?? '');
  });
  const ips: string[] = [];
  const missing: Family[] = [];
  for (const family of wantedFamilies(svc)) {
    // Per family: ExternalIPs when any eligible node has one, else InternalIPs.
    const pick = (type: string): string[] => {
      const found = new Set<string>();
      for (const n of eligible) {
        for (const a of n.status?.addresses ?? []) {
          const ip = a.type === type ? canonicalIP(a.address) : null;
          if (ip !== null && familyOf(ip) === family) found.add(ip);
        }
      }
      return [...found].sort(compareIPs);
    };
    const external = pick('ExternalIP');
    const chosen = external.length > 0 ? external : pick('InternalIP');
    if (chosen.length === 0) missing.push(family);
    ips.push(...chosen);
  }
  const why = withEndpoints !== null ? 'eligible nodes with a ready endpoint (externalTrafficPolicy: Local)' : 'eligible nodes';
  if (ips.length === 0) {
    return { ips, satisfied: false, reason: 'NoEligibleNodes', message: `no ${why} have an address of family ${missing.join(' or ')}; check node labels (${LABEL_EXCLUDE_FROM_LB}), taints and the annotation herald.dev/node-ipam-match-labels` };
  }
  if (missing.length > 0 && svc.ipFamilyPolicy === 'RequireDualStack') {
    return { ips: [], satisfied: false, reason: 'DualStackUnsatisfied', message: `RequireDualStack: no ${why} have an ${missing.join(' and ')} address` };
  }
  const note = missing.length > 0 ? `; no ${missing.join(' ')} address among ${why}` : '';
  return { ips, satisfied: true, reason: 'Satisfied', message: `using addresses of ${eligible.length} ${why}${note}` };
}
