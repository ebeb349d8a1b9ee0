// What the L2 driver (l2-driver.ts) is given: its three I/O ports (Kubernetes, heartbeats, the
// announcer), its clock, the hooks it reports through, and its options. Types only, apart from
// the driver so that it stays one job (carrying out the election's actions).
import type { Election } from '../election/election.ts';
import type { HeartbeatKey } from '../election/heartbeat.ts';
import type { WriteAction } from '../election/lease-objects.ts';
import type { NodeStamp } from '../election/peers.ts';
import type { LeaseRecord, LeaseView, StartCause, StopReason, WriteResult } from '../election/vip-machine.ts';
import type { AnnouncerPort, HoldClock, HoldEnd } from './announcer-table.ts';
import type { ResyncPort } from './lease-resync.ts';

export interface Endpoint {
  address: string;
  port: number;
}

/** The Kubernetes side: VIP Lease writes, the own node Lease, a fresh list of VIP Leases (and the catch-up, lease-resync.ts). */
export interface LeasePort extends ResyncPort {
  write(action: WriteAction): Promise<WriteResult>;
  /** true: written; 'refused': 401 Unauthorized; false: any other failure. */
  renewNodeLease(stamp: NodeStamp): Promise<boolean | 'refused'>;
  /** One VIP Lease as the API has it now. */
  readVipLease(ip: string): Promise<LeaseView>;
  /** The VIP Leases in the watch's cache now (no request): what the self-check compares with. */
  cachedVipLeases(): ReadonlyMap<string, LeaseRecord>;
}

export interface HeartbeatPort {
  send(bytes: Uint8Array, to: readonly Endpoint[]): void;
}

/** The driver's clock: monotonic ms, and timers (virtual in tests). */
export type Clock = HoldClock;

export interface DriverHooks {
  onStart?(ip: string, cause: StartCause, from: string | null, interfaces: readonly string[], services: readonly string[]): void;
  onStop?(ip: string, reason: StopReason): void;
  /**
   * A handover's old holder stopped answering for `ip` (docs/l2.md, "Planned handover"): `announced`
   * when the successor's announcement arrived, `deadline` when none came within the hold, `resumed`
   * when the write failed and we answer again, `gone` when the VIP is no longer wanted or the
   * driver stopped. `ms`: how long the hold lasted.
   */
  onHandoverHoldEnd?(ip: string, how: HoldEnd, ms: number): void;
  /** A VIP Lease write answered; `ms`: from its sending to its answer (the debug line's round trip, issue #10). */
  onWrite?(action: WriteAction, result: WriteResult, ms: number): void;
  onHeartbeatError?(code: string): void;
  /** A peer's heartbeat note changed the holder this node believes a VIP has (debug: set it only when it is logged). */
  onNote?(ip: string, holder: string, epoch: number, from: string): void;
  onHeartbeat?(): void;
  /** A take from a dead holder: ms from its last heartbeat heard here to answering. */
  onFailover?(ms: number): void;
  /**
   * The self-check repaired something (issue #10): `lease`, VIPs whose view was behind the watch's
   * cache; `table`, VIPs the announcer's table had wrong (either is a bug to report); `note`, a
   * VIP whose view a stale or forged heartbeat note had set.
   */
  onRepair?(what: 'lease' | 'table' | 'note', ips: readonly string[]): void;
  onError?(what: string, err: unknown): void;
  /**
   * This node stopped answering for everything (`fenced`: cut off from its peers and the API for
   * F, or refused by the API), or may answer again (revalidated). `peerContactMsAgo` and
   * `apiOkMsAgo`: how long before now it last heard a peer and last had an API write succeed (sent),
   * null for never. Once per transition, judged at each round. `cutOff` false on a start: the fence
   * began and its contact came back between two rounds (a wake-up in between saw it), and only the
   * revalidation it requires is left.
   */
  onFence?(fenced: boolean, why: { peerContactMsAgo: number | null; apiOkMsAgo: number | null; cutOff: boolean }): void;
}

export interface L2DriverOptions {
  election: Election;
  leases: LeasePort;
  heartbeats: HeartbeatPort;
  announcer: AnnouncerPort;
  clock: Clock;
  /** HMAC key for heartbeats, or a rotation's two (docs/l2.md; issue #14); none = unauthenticated. */
  key?: HeartbeatKey;
  heartbeatIntervalMs: number;
  /**
   * A clock every node shares (the wall clock), read only to place the rounds: each starts at a
   * multiple of h by it, so all nodes send at once (issue #10). Absent: every h from the start.
   */
  sharedNow?: () => number;
  /** How often the self-check runs (issue #10; default 5 s). */
  selfCheckMs?: number;
  /**
   * How long a handover's old holder keeps answering when it sees no announcement from the
   * successor (docs/l2.md, "Planned handover"; default 1 s, 0 = stop as the write goes out).
   */
  handoverHoldMs?: number;
  hooks?: DriverHooks;
}
