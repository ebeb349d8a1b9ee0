// The well-known names of Herald's API (issue #9): the herald.dev group, the resources, the
// loadBalancerClass values, and the annotations, labels and condition types that Herald reads or
// writes. One place, so a grep for a name finds its meaning.

// herald.dev/v1alpha1 (deploy/crds/).
export const HERALD_GROUP = 'herald.dev';
export const HERALD_VERSION = 'v1alpha1';
export const IPPOOL_PLURAL = 'ippools';
export const L2POLICY_PLURAL = 'l2announcementpolicies';
export const L2POLICY_KIND = 'L2AnnouncementPolicy';
export const BGPPEER_PLURAL = 'bgppeers';
export const BGPPEER_KIND = 'BGPPeer';
export const BGPPOLICY_PLURAL = 'bgpannouncementpolicies';
export const BGPPOLICY_KIND = 'BGPAnnouncementPolicy';

// spec.loadBalancerClass values.
export const CLASS_L2 = 'herald.dev/l2';
export const CLASS_BGP = 'herald.dev/bgp';
export const CLASS_NODE_IPAM = 'herald.dev/node-ipam';

// Annotations on Services (docs/services.md) and on the speaker's Lease.
export const ANN_IPS = 'herald.dev/ips';
export const ANN_SHARING_KEY = 'herald.dev/sharing-key';
export const ANN_SHARING_CROSS_NS = 'herald.dev/sharing-cross-namespace';
export const ANN_NODE_IPAM_MATCH_LABELS = 'herald.dev/node-ipam-match-labels';
export const ANN_BGP_SESSIONS = 'herald.dev/bgp-sessions';

// Labels and taints Kubernetes defines, and the keys a pool's serviceSelector also sees.
export const LABEL_EXCLUDE_FROM_LB = 'node.kubernetes.io/exclude-from-external-load-balancers';
export const TAINT_TO_BE_DELETED = 'ToBeDeletedByClusterAutoscaler';
/** EndpointSlice label naming its Service (discovery.k8s.io/v1). */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const SERVICE_NAMESPACE_KEY = 'io.kubernetes.service.namespace';
export const SERVICE_NAME_KEY = 'io.kubernetes.service.name';

// Condition types Herald writes.
export const CONDITION_VALID = 'Valid';
export const CONDITION_IPAM = 'herald.dev/IPAMRequestSatisfied';
