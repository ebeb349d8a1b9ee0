// Generated from deploy/crds/herald.dev_l2announcementpolicies.yaml (v1alpha1) by scripts/crd-types.ts (issue #9). Do not edit:
// change the CRD and run `npm run generate:crd-types`; test/api/crd-types.test.ts fails on drift.
import type { V1ObjectMeta } from '@kubernetes/client-node';

/** L2AnnouncementPolicy selects Services whose addresses the Herald speaker announces on the local network segment (ARP for IPv4, NDP for IPv6), the nodes that may announce them and the interfaces they answer on. Exactly one eligible node answers for each address at a time. */
export interface L2AnnouncementPolicy {
  /** APIVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources */
  apiVersion?: string;
  /** Kind is a string value representing the REST resource this object represents. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds */
  kind?: string;
  metadata: V1ObjectMeta;
  /** What is announced, from where, and on which interfaces. */
  spec: {
    /** Selects the Services whose addresses are announced, by their labels. When absent, every Service of class herald.dev/l2 (or without a class) is selected. Besides its own labels a Service matches the keys io.kubernetes.service.namespace and io.kubernetes.service.name. The requirements are ANDed. */
    serviceSelector?: {
      /** Label key/value pairs a Service must carry. */
      matchLabels?: Record<string, string>;
      /** Label requirements a Service must satisfy, all of them. */
      matchExpressions?: {
        /** The label key the requirement applies to. */
        key: string;
        /** How the key relates to the values. In and NotIn need at least one value; Exists and DoesNotExist take no values. */
        operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
        /** The values the operator compares the label's value with. */
        values?: string[];
      }[];
    };
    /** Selects the nodes that may announce, by their labels. When absent, every node may. Nodes that are not Ready, have NetworkUnavailable, carry the label node.kubernetes.io/exclude-from-external-load-balancers or are being deleted never announce. With externalTrafficPolicy Local, only nodes with a ready endpoint of the Service do. */
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
    /** Regular expressions selecting the interfaces to answer on; each must match the whole interface name (eth[0-9]+ selects eth0 but not veth0a). An interface chosen by a pattern must still be up, ARP-enabled and not a loopback. When empty or absent, every interface that is up, broadcast-capable, ARP-enabled, not a loopback and not enslaved to a bond or bridge is used. */
    interfaces?: string[];
    /** Announce the Services' load-balancer addresses (status.loadBalancer.ingress). */
    loadBalancerIPs?: boolean;
    /** Announce the Services' spec.externalIPs. */
    externalIPs?: boolean;
  };
  /** What Herald observed about this policy. */
  status?: {
    /** The metadata.generation of the spec this status describes. */
    observedGeneration?: number;
    /** Current state of the policy. Valid is False (reason InvalidSelector, InvalidInterfaceRegex or InvalidSpec) when the policy cannot be used; the message says which field is wrong and why, and the policy is ignored until it is fixed. Other policies are unaffected. */
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
