// Generated from deploy/crds/herald.dev_ippools.yaml (v1alpha1) by scripts/crd-types.ts (issue #9). Do not edit:
// change the CRD and run `npm run generate:crd-types`; test/api/crd-types.test.ts fails on drift.
import type { V1ObjectMeta } from '@kubernetes/client-node';

/** IPPool is a set of addresses that Herald allocates to Services of type LoadBalancer. A Service receives addresses from the pools whose serviceSelector matches it. */
export interface IPPool {
  /** APIVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources */
  apiVersion?: string;
  /** Kind is a string value representing the REST resource this object represents. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds */
  kind?: string;
  metadata: V1ObjectMeta;
  /** The addresses this pool owns and which Services may use them. */
  spec: {
    /** Address blocks of the pool, IPv4 and IPv6 may be mixed. Each block is either a cidr, or a start address with an optional stop address (inclusive). Blocks must not overlap each other or blocks of an older pool: an overlapping pool is marked with the Conflict condition and gives no new addresses until the overlap is removed. */
    blocks: {
      /** A block in CIDR notation, for example 192.0.2.0/24 or 2001:db8::/64. Host bits must be zero. Cannot be combined with start or stop. */
      cidr?: string;
      /** First address of a range, for example 192.0.2.10. Without stop the block is this single address. Cannot be combined with cidr. */
      start?: string;
      /** Last address of the range that begins at start (inclusive); same address family as start and not below it. Only valid together with start. */
      stop?: string;
    }[];
    /** Yes (default) lets Services receive every address of a cidr block. No reserves the first (network) and last (broadcast) address of each cidr block larger than two addresses, for networks where those addresses are not usable. Ranges given with start and stop are not affected. Quote the value ('No'): YAML 1.1 parsers, kubectl's among them, read a bare Yes or No as a boolean, which is rejected. */
    allowFirstLastIPs?: "Yes" | "No";
    /** When true the pool gives no new addresses. Services keep the addresses they already hold from it. */
    disabled?: boolean;
    /** Selects the Services that may receive addresses from this pool, by their labels. When absent, the pool serves every Service. An empty selector ({}) also selects every Service. The requirements of matchLabels and matchExpressions are ANDed. Besides its own labels a Service matches the keys io.kubernetes.service.namespace and io.kubernetes.service.name, so a pool can select Services by namespace or name. */
    serviceSelector?: {
      /** Label key/value pairs a Service must carry, each equivalent to a matchExpressions requirement with operator In and a single value. */
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
  };
  /** What the controller observed. Address counts are decimal strings because an IPv6 pool can hold more addresses than a 64-bit number. */
  status?: {
    /** Number of addresses in all blocks of the pool. */
    ipsTotal?: string;
    /** Number of addresses of the pool held by Services. */
    ipsUsed?: string;
    /** Number of addresses of the pool that are never allocated, such as node and API-server addresses that fall inside it. */
    ipsReserved?: string;
    /** Number of addresses that can still be allocated (total - used - reserved). */
    ipsAvailable?: string;
    /** The metadata.generation of the spec this status describes. */
    observedGeneration?: number;
    /** Current state of the pool. Conflict is True (reason Overlap) when the pool's blocks overlap an older pool or each other; the message says which, and the pool gives no new addresses. Valid is False (reason InvalidBlock) when a block is not usable, for example host bits set in a cidr or a stop below its start, or (reason InvalidSelector) when the serviceSelector has a key or value no Kubernetes selector allows; the message names the field, and an invalid pool gives no addresses until it is fixed. */
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
