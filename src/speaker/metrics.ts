// The speaker's Prometheus metrics, `herald_l2_*` (docs/l2.md "Metrics", docs/metrics.md). One
// Registry per process, as for the controller; no per-VIP series (cardinality stays low: the
// holder of one VIP is visible in its Lease and in the Service Event).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectRuntimeMetrics } from '../observability/metrics.ts';
import type { PeerState } from '../election/peers.ts';

export type L2Family = 'ipv4' | 'ipv6';
export type L2Proto = 'arp' | 'ndp';
export type TransitionOp = 'take' | 'handover' | 'release' | 'lost';

/** The `family` label of an address in canonical text. */
export function familyLabel(ip: string): L2Family {
  return ip.includes(':') ? 'ipv6' : 'ipv4';
}

export interface SpeakerMetrics {
  readonly registry: Registry;
  readonly vipsHeld: Gauge<'family'>;
  readonly vipsEligible: Gauge<'family'>;
  readonly requestsAnswered: Counter<'family'>;
  readonly requestsDropped: Counter<'reason'>;
  readonly gratuitousSent: Counter<'family'>;
  readonly leaseTransitions: Counter<'op'>;
  readonly handoverHolds: Counter<'end'>;
  readonly leaseWriteErrors: Counter<'reason'>;
  readonly failoverSeconds: Histogram;
  readonly peers: Gauge<'state'>;
  readonly fenced: Gauge;
  /** herald_l2_standby: 1 while no L2AnnouncementPolicy selects this node and L2 does not run (l2-gate.ts). */
  readonly standby: Gauge;
  readonly heartbeatsReceived: Counter;
  readonly heartbeatErrors: Counter<'code'>;
  /** herald_l2_heartbeat_key_info{sign,also}: 1, the ids of the keys in use ("none" without); issue #14. */
  readonly heartbeatKeyInfo: Gauge<'sign' | 'also'>;
  readonly conflicts: Counter<'family'>;
  readonly staleConflicts: Counter<'family'>;
  readonly selfCheckRepairs: Counter<'what'>;
  readonly socketErrors: Counter<'code'>;
  readonly kubeRequestErrors: Counter<'verb' | 'resource'>;
  /** herald_bgp_session_state{peer,state}: 1 for the state the session is in, 0 for the others. */
  readonly bgpSessionState: Gauge<'peer' | 'state'>;
  readonly bgpSessionsEstablished: Counter<'peer'>;
  readonly bgpMessages: Counter<'peer' | 'direction' | 'type'>;
  readonly bgpNotifications: Counter<'peer' | 'direction' | 'code' | 'subcode'>;
  readonly bgpPrefixesAdvertised: Gauge<'peer' | 'family'>;
  readonly bgpPrefixesSkipped: Counter<'peer' | 'reason'>;
  /** herald_bfd_session_state{peer,state}: 1 for the BFD state of the peer's session (RFC 5880 §4.1). */
  readonly bfdSessionState: Gauge<'peer' | 'state'>;
  readonly bfdSessionDowns: Counter<'peer' | 'diag'>;
  readonly bfdPackets: Counter<'peer' | 'direction'>;
  readonly bfdDiscarded: Counter<'reason'>;
  /** Sets the session-state gauge of one peer; `null` forgets the peer. */
  setBgpState(peer: string, state: string | null): void;
  /** The same for the peer's BFD session. */
  setBfdState(peer: string, state: string | null): void;
  /** Sets the peer gauge from the election's view (every state, so absent ones read 0). */
  setPeers(states: Iterable<string>): void;
  /**
   * What to run before herald_l2_peers, herald_l2_fenced and herald_l2_vips_held are read, so a
   * scrape sees the election as it is at that moment: a timer refreshing them once a second was
   * read stale by the spoofing e2e test at load, and cost a wake-up a second for nothing.
   */
  refreshOnCollect(fn: () => void): void;
}

const PEER_STATES: readonly PeerState[] = ['alive', 'unreachable', 'pending', 'dead'];
const BGP_STATES = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'] as const;
const BFD_STATES = ['AdminDown', 'Down', 'Init', 'Up'] as const;
// Failover is ~0.6 s by design (docs/l2.md); the top buckets catch the degraded modes (E = 4 s,
// an API outage that delays a take).
const FAILOVER_BUCKETS = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30];

export function createSpeakerMetrics(opts: { defaultMetrics?: boolean } = {}): SpeakerMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.defaultMetrics !== false) collectRuntimeMetrics(registry);
  let refresh: (() => void) | undefined;
  // Each of the three calls it: prom-client collects every metric of a scrape before it
  // serialises any, but in registration order, so the first to be collected refreshes all three.
  const collect = (): void => refresh?.();
  const peers = new Gauge({ name: 'herald_l2_peers', help: 'Peer speakers by state as this node sees them: alive, unreachable (alive by API evidence only), pending, dead.', labelNames: ['state'] as const, registers, collect });
  for (const s of PEER_STATES) peers.set({ state: s }, 0);
  const bgpSessionState = new Gauge({ name: 'herald_bgp_session_state', help: 'BGP session state per peer (RFC 4271 §8): 1 for the current state, 0 for the others.', labelNames: ['peer', 'state'] as const, registers });
  const bfdSessionState = new Gauge({ name: 'herald_bfd_session_state', help: 'BFD session state per BGP peer (RFC 5880 §4.1): 1 for the current state, 0 for the others.', labelNames: ['peer', 'state'] as const, registers });
  const bgpPrefixesAdvertised = new Gauge({ name: 'herald_bgp_prefixes_advertised', help: 'Prefixes this node advertises to a peer now, by family.', labelNames: ['peer', 'family'] as const, registers });
  return {
    registry,
    vipsHeld: new Gauge({ name: 'herald_l2_vips_held', help: 'VIPs this node answers ARP/NDP for now.', labelNames: ['family'] as const, registers, collect }),
    vipsEligible: new Gauge({ name: 'herald_l2_vips_eligible', help: 'VIPs this node may announce (the desired state).', labelNames: ['family'] as const, registers }),
    requestsAnswered: new Counter({ name: 'herald_l2_requests_answered_total', help: 'ARP requests and Neighbor Solicitations answered.', labelNames: ['family'] as const, registers }),
    requestsDropped: new Counter({ name: 'herald_l2_requests_dropped_total', help: 'Frames not answered, by the responder\'s drop reason.', labelNames: ['reason'] as const, registers }),
    gratuitousSent: new Counter({ name: 'herald_l2_gratuitous_sent_total', help: 'Gratuitous ARPs and unsolicited Neighbor Advertisements sent.', labelNames: ['family'] as const, registers }),
    handoverHolds: new Counter({ name: 'herald_l2_handover_holds_total', help: 'Handovers this node made, by how its hold ended: announced (the successor announced the VIP), deadline (no announcement within the hold), resumed (the write failed), gone.', labelNames: ['end'] as const, registers }),
    leaseTransitions: new Counter({ name: 'herald_l2_lease_transitions_total', help: 'VIP ownership changes made or suffered by this node: take, handover, release, lost.', labelNames: ['op'] as const, registers }),
    leaseWriteErrors: new Counter({ name: 'herald_l2_lease_write_errors_total', help: 'Failed VIP Lease writes: conflict (normal in races) or error.', labelNames: ['reason'] as const, registers }),
    failoverSeconds: new Histogram({ name: 'herald_l2_failover_seconds', help: 'On a take from a dead holder: time from its last heartbeat heard here to this node answering.', buckets: FAILOVER_BUCKETS, registers }),
    peers,
    fenced: new Gauge({ name: 'herald_l2_fenced', help: '1 while this node is self-fenced (answers nothing, writes nothing).', registers, collect }),
    standby: new Gauge({ name: 'herald_l2_standby', help: '1 while L2 is on standby: no L2AnnouncementPolicy selects this node, so this speaker runs no election and sends no heartbeats.', registers }),
    heartbeatsReceived: new Counter({ name: 'herald_l2_heartbeats_received_total', help: 'Valid heartbeats received from peers.', registers }),
    heartbeatErrors: new Counter({ name: 'herald_l2_heartbeat_errors_total', help: 'Heartbeats dropped: malformed, unauthenticated, or from an address not of the node they name.', labelNames: ['code'] as const, registers }),
    heartbeatKeyInfo: new Gauge({ name: 'herald_l2_heartbeat_key_info', help: 'Always 1: the ids of the heartbeat keys in use (8 hex digits of a keyed hash, never the key), sign and also ("none" when absent).', labelNames: ['sign', 'also'] as const, registers }),
    selfCheckRepairs: new Counter({ name: 'herald_l2_self_check_repairs_total', help: 'VIPs the periodic self-check found wrong and repaired: lease (view behind the watch), table (announcer table), note (a stale or forged heartbeat note). lease and table should stay 0.', labelNames: ['what'] as const, registers }),
    conflicts: new Counter({ name: 'herald_l2_conflicts_total', help: 'Another MAC answered or announced a VIP this node holds, and its Lease still names this node (a duplicate address on the segment).', labelNames: ['family'] as const, registers }),
    staleConflicts: new Counter({ name: 'herald_l2_stale_conflicts_total', help: 'Another speaker announced a VIP this node answered, and its Lease named that speaker: a takeover this node had not seen yet (it stopped).', labelNames: ['family'] as const, registers }),
    socketErrors: new Counter({ name: 'herald_l2_socket_errors_total', help: 'Errors of the raw sockets (open, send, receive), by code (errno name).', labelNames: ['code'] as const, registers }),
    kubeRequestErrors: new Counter({ name: 'herald_kube_request_errors_total', help: 'Failed Kubernetes API requests, by verb and resource.', labelNames: ['verb', 'resource'] as const, registers }),
    bgpSessionState,
    bgpSessionsEstablished: new Counter({ name: 'herald_bgp_sessions_established_total', help: 'Times a BGP session reached Established, per peer (flaps show as a rate).', labelNames: ['peer'] as const, registers }),
    bgpMessages: new Counter({ name: 'herald_bgp_messages_total', help: 'BGP messages sent and received, per peer, by direction and type.', labelNames: ['peer', 'direction', 'type'] as const, registers }),
    bgpNotifications: new Counter({ name: 'herald_bgp_notifications_total', help: 'BGP NOTIFICATIONs sent and received, per peer, by error code and subcode (RFC 4271 §4.5).', labelNames: ['peer', 'direction', 'code', 'subcode'] as const, registers }),
    bgpPrefixesAdvertised,
    bgpPrefixesSkipped: new Counter({ name: 'herald_bgp_prefixes_skipped_total', help: 'Prefixes not advertised to a peer: family not negotiated or no next hop of that family.', labelNames: ['peer', 'reason'] as const, registers }),
    bfdSessionState,
    bfdSessionDowns: new Counter({ name: 'herald_bfd_session_down_total', help: 'Times a BFD session left Up, per peer, by the diagnostic (RFC 5880 §4.1): control-detection-time-expired is a path failure.', labelNames: ['peer', 'diag'] as const, registers }),
    bfdPackets: new Counter({ name: 'herald_bfd_packets_total', help: 'BFD Control packets sent and accepted, per peer.', labelNames: ['peer', 'direction'] as const, registers }),
    bfdDiscarded: new Counter({ name: 'herald_bfd_packets_discarded_total', help: 'BFD packets dropped on receipt, by reason: ttl (below 255, RFC 5881 §5), a decode error code, no-session, wrong-source, a session check.', labelNames: ['reason'] as const, registers }),
    setBfdState(peer, state) {
      for (const st of BFD_STATES) {
        if (state === null) bfdSessionState.remove({ peer, state: st });
        else bfdSessionState.set({ peer, state: st }, st === state ? 1 : 0);
      }
    },
    setBgpState(peer, state) {
      for (const st of BGP_STATES) {
        if (state === null) bgpSessionState.remove({ peer, state: st });
        else bgpSessionState.set({ peer, state: st }, st === state ? 1 : 0);
      }
      if (state === null) for (const family of ['ipv4', 'ipv6']) bgpPrefixesAdvertised.remove({ peer, family });
    },
    refreshOnCollect(fn) {
      refresh = fn;
    },
    setPeers(states) {
      const counts = new Map<string, number>(PEER_STATES.map((s) => [s, 0]));
      for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
      for (const [state, n] of counts) peers.set({ state }, n);
    },
  };
}
