// Which of this node's interfaces answer for a policy's VIPs (docs/l2.md, L2AnnouncementPolicy).
// The shell reads the interface list from the kernel (src/net/); this is the pure choice.

export interface LocalInterface {
  name: string;
  /** IFF_UP (administratively up) and, when known, the carrier is present. */
  up: boolean;
  /** IFF_BROADCAST. */
  broadcast: boolean;
  /** IFF_NOARP: the interface does no neighbour resolution (ARP or NDP). */
  noarp: boolean;
  /** IFF_LOOPBACK. */
  loopback: boolean;
  /**
   * The bond or bridge this interface is enslaved to; frames for the node arrive on the master.
   * null for a VRF member: a routed port answers for itself (issue #9).
   */
  master: string | null;
  /** Addresses on the interface, canonical text: never VIPs. */
  addresses: readonly string[];
}

/** The default rule: up, broadcast-capable, ARP-enabled, not loopback, not enslaved. */
export function usableByDefault(i: LocalInterface): boolean {
  return i.up && i.broadcast && !i.noarp && !i.loopback && i.master === null;
}

/**
 * The interfaces to answer on: by the default rule when there are no patterns, else those whose
 * whole name matches a pattern and that can answer at all (up, ARP-enabled, not loopback). A
 * pattern may name an enslaved or non-broadcast interface on purpose. Sorted by name.
 */
export function selectInterfaces(ifaces: readonly LocalInterface[], patterns: readonly RegExp[]): string[] {
  const chosen = patterns.length === 0 ? ifaces.filter(usableByDefault) : ifaces.filter((i) => i.up && !i.noarp && !i.loopback && patterns.some((p) => p.test(i.name)));
  return chosen.map((i) => i.name).sort();
}
