// Generated from deploy/crds/herald.dev_bgpannouncementpolicies.yaml (v1alpha1) by scripts/crd-types.ts (issue #9). Do not edit:
// change the CRD and run `npm run generate:crd-types`; test/api/crd-types.test.ts fails on drift.
import type { V1ObjectMeta } from '@kubernetes/client-node';

/** BGPAnnouncementPolicy selects Services whose addresses the Herald speaker advertises over BGP, the nodes that advertise them, the BGPPeers they are advertised to, and the path attributes they carry. Every selected node advertises every selected address with itself as the next hop, so routers spread traffic over them (ECMP). */
export interface BGPAnnouncementPolicy {
  /** APIVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources */
  apiVersion?: string;
  /** Kind is a string value representing the REST resource this object represents. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds */
  kind?: string;
  metadata: V1ObjectMeta;
  /** What is advertised, from which nodes, to which peers, with which attributes. */
  spec: {
    /** Selects the Services whose addresses are advertised, by their labels. When absent, every Service of class herald.dev/bgp (or without a class) is selected. Besides its own labels a Service matches the keys io.kubernetes.service.namespace and io.kubernetes.service.name. The requirements are ANDed. */
    serviceSelector?: {
      /** Label key/value pairs a Service must carry. */
      matchLabels?: Record<string, string>;
      /** Label requirements a Service must satisfy, all of them. */
      matchExpressions?: {
        /** The label key the requirement applies to. */
        key: string;
        /** How the key relates to the values. In and NotIn need at least one value; Exists and DoesNotExist take none. */
        operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
        /** The values the operator compares the label's value with. */
        values?: string[];
      }[];
    };
    /** Selects the nodes that advertise, by their labels. When absent, every node does. Nodes that are not Ready, have NetworkUnavailable, carry the label node.kubernetes.io/exclude-from-external-load-balancers or are being deleted never advertise. With externalTrafficPolicy Local, only nodes with a ready endpoint of the Service do. */
    nodeSelector?: {
      /** Label key/value pairs a node must carry. */
      matchLabels?: Record<string, string>;
      /** Label requirements a node must satisfy, all of them. */
      matchExpressions?: {
        /** The label key the requirement applies to. */
        key: string;
        /** How the key relates to the values. In and NotIn need at least one value; Exists and DoesNotExist take none. */
        operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
        /** The values the operator compares the label's value with. */
        values?: string[];
      }[];
    };
    /** Selects the BGPPeers the routes are advertised to, by the BGPPeers' labels. When absent, every BGPPeer is. */
    peerSelector?: {
      /** Label key/value pairs a BGPPeer must carry. */
      matchLabels?: Record<string, string>;
      /** Label requirements a BGPPeer must satisfy, all of them. */
      matchExpressions?: {
        /** The label key the requirement applies to. */
        key: string;
        /** How the key relates to the values. In and NotIn need at least one value; Exists and DoesNotExist take none. */
        operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
        /** The values the operator compares the label's value with. */
        values?: string[];
      }[];
    };
    /** BGP communities attached to the routes: standard ones as ASN:value (RFC 1997, both 0 to 65535, e.g. 65000:100), the well-known names no-export, no-advertise, no-export-subconfed, no-peer (RFC 3765) and blackhole (RFC 7999), and large communities as global:local1:local2 (RFC 8092, each 0 to 4294967295). When several policies select a route to a peer, their communities are merged. */
    communities?: string[];
    /** LOCAL_PREF of the routes (RFC 4271 §5.1.5), sent to iBGP peers only (peerASN equal to localASN); eBGP peers never receive it. When several policies select a route to a peer, the highest value is sent. */
    localPreference?: number;
    /** Prefix length IPv4 addresses are advertised with: 24 advertises 192.0.2.200 as 192.0.2.0/24. Ignored (always 32) for Services with externalTrafficPolicy Local, whose routes must follow their endpoints. */
    aggregationLengthIPv4?: number;
    /** Prefix length IPv6 addresses are advertised with. Ignored (always 128) for Services with externalTrafficPolicy Local. */
    aggregationLengthIPv6?: number;
    /** Advertise the Services' load-balancer addresses (status.loadBalancer.ingress). */
    loadBalancerIPs?: boolean;
    /** Advertise the Services' spec.externalIPs. */
    externalIPs?: boolean;
  };
  /** What Herald observed about this policy. */
  status?: {
    /** The metadata.generation of the spec this status describes. */
    observedGeneration?: number;
    /** Current state of the policy. Valid is False (reason InvalidSpec, InvalidSelector or InvalidCommunity) when the policy cannot be used; the message says which field is wrong and why, and the policy is ignored until it is fixed. Other policies are unaffected. */
    conditions?: {
      /** Type of condition in CamelCase or in foo.example.com/CamelCase. */
      type: string;
      /** Status of the condition, one of True, False, Unknown. */
      status: "True" | "False" | "Unknown";
      /** The metadata.generation the condition was set for. */
      observedGeneration?: number;
      /** Last time the condition changed from one status to another. */
      lastTransitionTime: string;
      /** Machine-readable CamelCase reason for the condition's last transition. */
      reason: string;
      /** Human-readable details of the transition and what to do next. */
      message: string;
    }[];
  };
}
