// What the session reads from OPENs and puts in its own (RFC 4271 §4.2): the facts of a
// received OPEN the FSM decides on, our OPEN with its capabilities, and the BGP Identifier as a
// number for collision resolution (§6.8). Pure.
import { buildOpen, findCapability, formatAddress, openAsn } from './codec/index.ts';
import type { Capability, Family, Open } from './codec/index.ts';
import type { LocalConfig, PeerOpen } from './fsm-types.ts';

export const FAMILY_OF: Readonly<Record<string, Family>> = { 'ipv4-unicast': 'ipv4', 'ipv6-unicast': 'ipv6' };
/** The FSM's name of an AFI/SAFI pair Herald speaks (RFC 4760), or null. */
export const familyName = (afi: number, safi: number): string | null => (safi !== 1 ? null : afi === 1 ? 'ipv4-unicast' : afi === 2 ? 'ipv6-unicast' : null);

function dotted(id: number): string {
  return formatAddress(Uint8Array.of((id >>> 24) & 0xff, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff));
}

/** A dotted BGP Identifier as the number RFC 4271 §6.8 compares. */
export function idOf(bgpId: string): number {
  const parts = bgpId.split('.').map(Number);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

/** The facts of a decoded OPEN the FSM decides on. */
export function peerOpenOf(open: Open): PeerOpen {
  const gr = findCapability(open.capabilities, 'graceful-restart');
  const families = open.capabilities.flatMap((c) => (c.kind === 'multiprotocol' ? [familyName(c.afi, c.safi)].filter((f): f is string => f !== null) : []));
  return {
    version: 4, // decodeOpen refuses every other version with its NOTIFICATION
    asn: openAsn(open),
    asField: open.myAs,
    holdTime: open.holdTime,
    routerId: idOf(open.bgpId),
    fourOctetAs: findCapability(open.capabilities, 'four-octet-as') !== undefined,
    routeRefresh: findCapability(open.capabilities, 'route-refresh') !== undefined,
    families,
    gracefulRestart: gr === undefined ? null : { restarting: gr.restarting, timeSeconds: gr.time, families: gr.families.flatMap((f) => { const n = familyName(f.afi, f.safi); return n === null ? [] : [{ family: n, forwardingPreserved: f.forwarding }]; }) },
  };
}

/** Our OPEN (RFC 4271 §4.2) with the capabilities of RFC 4760, 2918, 6793, 4724 and 8654. */
export function localOpen(local: LocalConfig, restarted: boolean): Open {
  const caps: Capability[] = local.families.map((f) => ({ kind: 'multiprotocol' as const, afi: f === 'ipv6-unicast' ? 2 : 1, safi: 1 }));
  caps.push({ kind: 'route-refresh' }, { kind: 'extended-message' }, { kind: 'four-octet-as', asn: local.asn });
  if (local.gracefulRestart.enabled) {
    // F bit set: forwarding does not depend on the speaker (kube-proxy keeps serving the VIPs
    // while it restarts), so the peer may keep using our routes (RFC 4724 §3).
    caps.push({ kind: 'graceful-restart', restarting: restarted, notification: false, time: local.gracefulRestart.restartTimeSeconds, families: local.families.map((f) => ({ afi: f === 'ipv6-unicast' ? 2 : 1, safi: 1, forwarding: true })) });
  }
  return buildOpen({ asn: local.asn, holdTime: local.holdTimeSeconds, bgpId: dotted(local.routerId), capabilities: caps });
}
