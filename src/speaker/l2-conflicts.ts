// Another device answers or announces a VIP this node answers for (the responder's `conflict`,
// RFC 5227 §2.4 (a)): what the speaker makes of it. A handover's successor announcing is expected;
// a Lease that names another node means this node's view was behind (it has stopped); a Lease that
// still names this node is a duplicate address on the segment, reported and defended at most once
// per DEFEND_INTERVAL.
import type { Logger } from 'pino';
import { errorMessage } from '../kube/client.ts';
import { familyLabel } from './metrics.ts';
import type { SpeakerMetrics } from './metrics.ts';

/** RFC 5227 §1.1 DEFEND_INTERVAL. */
export const DEFEND_INTERVAL_MS = 10_000;

export interface ConflictsOptions {
  node: string;
  log: Logger;
  metrics: SpeakerMetrics;
  /** Monotonic ms. */
  now(): number;
  /** The successor of a handover this node made announced the VIP: its hold ends, no conflict (docs/l2.md). */
  successorAnnounced(ip: string): boolean;
  /** Reads the VIP's Lease: does it still name this node? */
  confirmHeld(ip: string): Promise<boolean>;
  holderOf(ip: string): string | null;
  /** The Services (namespace/name) that use the VIP, for their Events. */
  servicesOf(ip: string): readonly string[];
  emit(serviceKey: string, type: 'Warning', reason: string, message: string): void;
  /** Announces the VIP again (gratuitous ARP or unsolicited NA). */
  announce(ip: string): void;
}

export class Conflicts {
  readonly #o: ConflictsOptions;
  readonly #defended = new Map<string, number>();

  constructor(o: ConflictsOptions) {
    this.#o = o;
  }

  /** Another MAC (`null`: not shown by an ICMPv6 socket) claims `ip` on `iface`. */
  seen(ip: string, mac: string | null, iface: string): void {
    if (this.#o.successorAnnounced(ip)) return;
    // The Lease first: under load most conflicts were a peer's takeover this node had not seen.
    this.#o.confirmHeld(ip).then(
      (held) => (held ? this.#duplicate(ip, mac, iface) : this.#overtaken(ip, mac, iface)),
      (err: unknown) => {
        this.#o.log.warn({ ip, iface, mac, err: errorMessage(err) }, 'another device answers for a VIP this node holds, and its Lease could not be read: taken as a duplicate address');
        this.#duplicate(ip, mac, iface);
      },
    );
  }

  /** The Lease names another node: this node's view was behind, and it has stopped answering. */
  #overtaken(ip: string, mac: string | null, iface: string): void {
    this.#o.metrics.staleConflicts.inc({ family: familyLabel(ip) });
    this.#o.log.info({ ip, iface, mac, holder: this.#o.holderOf(ip) }, 'another node announced a VIP this node answered, and its Lease names that node: a takeover this node had not seen yet; stopped');
  }

  /** The Lease still names this node: another device claims the VIP. */
  #duplicate(ip: string, mac: string | null, iface: string): void {
    const o = this.#o;
    o.metrics.conflicts.inc({ family: familyLabel(ip) });
    o.log.warn({ ip, iface, mac }, 'another device answers for a VIP this node holds');
    for (const key of o.servicesOf(ip)) {
      o.emit(key, 'Warning', 'DuplicateAddress', `another device (${mac ?? 'unknown MAC'}) on ${iface} answers for ${ip}, which ${o.node} announces: find the host configured with ${ip} and remove the address, or exclude it from the IPPool`);
    }
    // Defend at most once per DEFEND_INTERVAL (RFC 5227 §2.4 (b)): two devices re-announcing
    // at each other forever would flap every neighbour cache on the segment.
    const now = o.now();
    if (now - (this.#defended.get(ip) ?? -Infinity) >= DEFEND_INTERVAL_MS) {
      this.#defended.set(ip, now);
      o.announce(ip);
    }
  }
}
