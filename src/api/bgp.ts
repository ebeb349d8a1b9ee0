// The BGP custom resources as stored (deploy/crds/herald.dev_bgppeers.yaml and
// herald.dev_bgpannouncementpolicies.yaml): names, and the objects' shapes as the API returns
// them. src/bgp/config.ts parses them into the views the speaker uses.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { Condition } from '../kube/ippool-types.ts';
import type { SelectorSpec } from '../speaker/policy.ts';

export const BGP_GROUP = 'herald.dev';
export const BGP_VERSION = 'v1alpha1';
export const BGPPEER_PLURAL = 'bgppeers';
export const BGPPEER_KIND = 'BGPPeer';
export const BGPPOLICY_PLURAL = 'bgpannouncementpolicies';
export const BGPPOLICY_KIND = 'BGPAnnouncementPolicy';

export type BgpFamily = 'ipv4-unicast' | 'ipv6-unicast';
export const BGP_FAMILIES: readonly BgpFamily[] = ['ipv4-unicast', 'ipv6-unicast'];
/** RFC 6793 §9: AS_TRANS stands in for a 4-octet AS in 2-octet fields; never a real AS. */
export const AS_TRANS = 23456;

/** The objects as stored (watch events carry plain JSON; parse* takes `unknown`). */
export interface BGPPeer {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta;
  spec: {
    peerAddress: string;
    peerASN: number;
    localASN: number;
    peerPort?: number;
    holdTimeSeconds?: number;
    keepaliveTimeSeconds?: number;
    connectRetrySeconds?: number;
    passwordSecretRef?: { name: string; key: string };
    nodeSelector?: SelectorSpec;
    ebgpMultihop?: number;
    routerID?: string;
    families?: BgpFamily[];
    gracefulRestart?: { enabled?: boolean; restartTimeSeconds?: number };
    sourceAddress?: string;
    gtsm?: boolean;
    passive?: boolean;
  };
  status?: { observedGeneration?: number; conditions?: Condition[] };
}

export interface BGPAnnouncementPolicy {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta;
  spec: {
    serviceSelector?: SelectorSpec;
    nodeSelector?: SelectorSpec;
    peerSelector?: SelectorSpec;
    communities?: string[];
    localPreference?: number;
    aggregationLengthIPv4?: number;
    aggregationLengthIPv6?: number;
    loadBalancerIPs?: boolean;
    externalIPs?: boolean;
  };
  status?: { observedGeneration?: number; conditions?: Condition[] };
}
