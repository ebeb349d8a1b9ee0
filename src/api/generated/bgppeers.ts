// Generated from deploy/crds/herald.dev_bgppeers.yaml (v1alpha1) by scripts/crd-types.ts (issue #9). Do not edit:
// change the CRD and run `npm run generate:crd-types`; test/api/crd-types.test.ts fails on drift.
import type { V1ObjectMeta } from '@kubernetes/client-node';

/** BGPPeer is a BGP router the Herald speaker opens a session with, from every node its nodeSelector selects. Over that session each node advertises the Service addresses that BGPAnnouncementPolicies select for it, with itself as the next hop, so the router spreads traffic over the nodes (ECMP). */
export interface BGPPeer {
  /** APIVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources */
  apiVersion?: string;
  /** Kind is a string value representing the REST resource this object represents. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds */
  kind?: string;
  metadata: V1ObjectMeta;
  /** The router, the session's parameters, and which nodes peer with it. */
  spec: {
    /** The router's IPv4 or IPv6 address, for example 192.0.2.1 or 2001:db8::1. */
    peerAddress: string;
    /** The router's autonomous system number (1 to 4294967295; 4-octet ASNs per RFC 6793). */
    peerASN: number;
    /** Herald's autonomous system number on this session. Equal to peerASN makes the session iBGP; different, eBGP. */
    localASN: number;
    /** The router's TCP port. */
    peerPort?: number;
    /** Hold time offered in OPEN (RFC 4271 §4.2); the session uses the smaller of both sides'. 0 disables keepalives and the hold timer; otherwise at least 3. */
    holdTimeSeconds?: number;
    /** Interval between KEEPALIVEs. When absent, a third of the negotiated hold time. Must be less than holdTimeSeconds, and 0 only when that is 0. */
    keepaliveTimeSeconds?: number;
    /** ConnectRetry timer (RFC 4271 §8): the wait between connection attempts. RFC 4271 suggests 120 s; Herald defaults to 5 s (as GoBGP does) so a node peers again quickly after a router or speaker restart. */
    connectRetrySeconds?: number;
    /** Bidirectional Forwarding Detection (RFC 5880, single hop per RFC 5881) beside the session: when BFD declares the path down, the BGP session is torn down at once (Cease, BFD Down, RFC 9384) instead of waiting for the hold timer. Absent: no BFD. An empty object takes the defaults, FRR's: 300 ms × 3, so a dead path is detected in about 0.9 s. The router must run BFD for this peer too. */
    bfd?: {
      /** The shortest interval between received BFD packets this node asks for (Required Min RX Interval), in milliseconds. */
      minRxMs?: number;
      /** The interval this node would like to send at (Desired Min TX Interval), in milliseconds; the router may ask for slower. While the session is not Up, packets go once a second (RFC 5880 §6.8.3). */
      minTxMs?: number;
      /** Packets the router may miss before this node declares the path down (the Detection Time is this many of the router's intervals). */
      detectMultiplier?: number;
    };
    /** TCP MD5 signature (RFC 2385) key, from a Secret in the speaker's namespace (herald-system). The key is at most 80 bytes (the kernel's limit). When absent, segments are not signed. */
    passwordSecretRef?: {
      /** Name of the Secret, in the speaker's namespace. */
      name: string;
      /** The key within the Secret's data that holds the password. */
      key: string;
    };
    /** Selects the nodes that peer with this router, by their labels. When absent, every node does. Nodes that are not Ready, have NetworkUnavailable, carry the label node.kubernetes.io/exclude-from-external-load-balancers or are being deleted advertise nothing, but keep their sessions up. */
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
    /** eBGP only: how many hops away the router may be. Without gtsm it is the TTL of Herald's packets (absent = 1, a directly connected router). With gtsm Herald sends TTL 255 and accepts packets with a TTL of at least 256 minus this (absent = 1, i.e. 255). iBGP sessions always send TTL 255. */
    ebgpMultihop?: number;
    /** BGP Identifier in dotted-quad form, for example 192.0.2.21. When absent, the node's first IPv4 InternalIP, else its first IPv4 ExternalIP, else a stable 32-bit hash of the node's name. It must be unique among the router's peers, so set it only on a peer whose nodeSelector picks one node. */
    routerID?: string;
    /** Address families offered (RFC 4760 multiprotocol capability). Routes of a family the session does not carry are not advertised. IPv6 routes over an IPv4 session need an IPv6 address on the node for the next hop. */
    families?: ("ipv4-unicast" | "ipv6-unicast")[];
    /** Graceful restart (RFC 4724): the router keeps Herald's routes while a speaker restarts (an upgrade); a drain or a SIGTERM still withdraws them at once. */
    gracefulRestart?: {
      /** Offer the graceful restart capability. */
      enabled?: boolean;
      /** How long the router keeps the routes after the session drops (12-bit field). */
      restartTimeSeconds?: number;
    };
    /** The local address to connect from, when the node has several in the peer's family. Same family as peerAddress. When absent, the kernel chooses. */
    sourceAddress?: string;
    /** Generalized TTL Security Mechanism (RFC 5082): send TTL 255 and drop segments that arrived from further away than ebgpMultihop hops. The router must enable it too (ttl-security). */
    gtsm?: boolean;
    /** Never connect; only accept the router's connections. */
    passive?: boolean;
  };
  /** What Herald observed about this peer. */
  status?: {
    /** The metadata.generation of the spec this status describes. */
    observedGeneration?: number;
    /** Current state of the peer. Valid is False (reason InvalidSpec, InvalidSelector or InvalidAddress) when the peer cannot be used; the message says which field is wrong and why, and the peer is ignored until it is fixed. Other peers are unaffected. */
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
