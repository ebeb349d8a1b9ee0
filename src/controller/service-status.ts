// The Service status Herald wants, computed apart from writing it: ingress addresses plus the
// herald.dev/IPAMRequestSatisfied condition. Other controllers' conditions are left as they are.
import type { V1Condition, V1Service, V1ServiceStatus } from '@kubernetes/client-node';
import type { ConditionReason } from '../ipam/types.ts';
import { ingressIPs } from '../api/service.ts';
import { sameStrings } from '../api/same.ts';
import { CONDITION_IPAM } from '../api/names.ts';

export interface Outcome {
  ips: readonly string[];
  satisfied: boolean;
  reason: ConditionReason;
  message: string;
}

export function heraldCondition(svc: V1Service): V1Condition | undefined {
  return svc.status?.conditions?.find((c) => c.type === CONDITION_IPAM);
}

/** The status to write, or null when the object already says exactly this. */
export function desiredServiceStatus(svc: V1Service, outcome: Outcome, now: Date): V1ServiceStatus | null {
  const current = heraldCondition(svc);
  const status = outcome.satisfied ? 'True' : 'False';
  const generation = svc.metadata?.generation;
  const conditionSame =
    current !== undefined && current.status === status && current.reason === outcome.reason && current.message === outcome.message && current.observedGeneration === generation;
  const ingressSame = sameStrings(ingressIPs(svc), outcome.ips) && (svc.status?.loadBalancer?.ingress ?? []).every((i) => i.ipMode === 'VIP');
  if (conditionSame && ingressSame) return null;
  const condition: V1Condition = {
    type: CONDITION_IPAM,
    status,
    reason: outcome.reason,
    message: outcome.message,
    observedGeneration: generation,
    // metav1.Condition: lastTransitionTime moves only when status flips.
    lastTransitionTime: current !== undefined && current.status === status ? current.lastTransitionTime : now,
  };
  const others = (svc.status?.conditions ?? []).filter((c) => c.type !== CONDITION_IPAM);
  return {
    ...svc.status,
    loadBalancer: { ...svc.status?.loadBalancer, ingress: outcome.ips.map((ip) => ({ ip, ipMode: 'VIP' })) },
    conditions: [...others, condition],
  };
}

/** For a Service that stopped being Herald's: drop our ingress and condition, if we wrote them. */
export function clearedServiceStatus(svc: V1Service): V1ServiceStatus | null {
  if (heraldCondition(svc) === undefined) return null;
  const others = (svc.status?.conditions ?? []).filter((c) => c.type !== CONDITION_IPAM);
  return { ...svc.status, loadBalancer: {}, conditions: others };
}

/**
 * For a Service that now has another controller's loadBalancerClass: only Herald's condition goes.
 * The class can only be set through a non-LoadBalancer state, where the API server cleared
 * status.loadBalancer, so any ingress there now is the other controller's and is left alone.
 */
export function withoutHeraldCondition(svc: V1Service): V1ServiceStatus | null {
  if (heraldCondition(svc) === undefined) return null;
  return { ...svc.status, conditions: (svc.status?.conditions ?? []).filter((c) => c.type !== CONDITION_IPAM) };
}
