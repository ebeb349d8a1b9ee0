// BGP words of the API: the families a BGPPeer names, AS_TRANS, and the sessions a speaker
// publishes. The objects' types are generated from their CRDs (src/api/generated/bgppeers.ts and
// bgpannouncementpolicies.ts, issue #9); src/bgp/config.ts parses them into the speaker's views.

export type BgpFamily = 'ipv4-unicast' | 'ipv6-unicast';
export const BGP_FAMILIES: readonly BgpFamily[] = ['ipv4-unicast', 'ipv6-unicast'];
/** RFC 6793 §9: AS_TRANS stands in for a 4-octet AS in 2-octet fields; never a real AS. */
export const AS_TRANS = 23456;

/** The value of the annotation ANN_BGP_SESSIONS on a speaker's node Lease is a JSON list of these. */
export interface SessionStatus {
  peer: string;
  state: string;
  /** ISO time of the last state change. */
  since: string;
  prefixes: { ipv4: number; ipv6: number };
  /** The BFD session beside it (BGPPeer spec.bfd); absent without BFD. */
  bfd?: BfdSessionStatus;
}

export interface BfdSessionStatus {
  /** RFC 5880 §4.1: AdminDown, Down, Init or Up. */
  state: string;
  /** Why it last left Up (or was refused), as a diagnostic name: `none`, `control-detection-time-expired`… */
  diag: string;
  /** ISO time of the last state change. */
  since: string;
}
