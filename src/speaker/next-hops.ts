// Next hop self (issue #4): the addresses of this node that a peer should forward VIP traffic
// to, for a session whose TCP connection has local address `localAddress`. IPv4 routes carry an
// IPv4 NEXT_HOP, IPv6 routes a global IPv6 one in MP_REACH_NLRI, plus the interface's link-local
// address when the peer is on the same link (RFC 2545 §3). Pure: interfaces are passed in.
import type { V1Node } from '@kubernetes/client-node';
import ipaddr from 'ipaddr.js';
import type { NextHops } from '../bgp/session.ts';

export interface IfaceAddress {
  address: string;
  family: string | number;
  cidr?: string | null;
  internal?: boolean;
}

function unmapped(a: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return m?.[1] ?? a;
}

function kind(a: string): 'ipv4' | 'ipv6' | null {
  return ipaddr.isValid(a) ? ipaddr.parse(a).kind() : null;
}

function onLink(peer: string, cidr: string | null | undefined): boolean {
  if (cidr === null || cidr === undefined || !ipaddr.isValid(peer)) return false;
  try {
    const [net, bits] = ipaddr.parseCIDR(cidr);
    const p = ipaddr.parse(peer);
    return p.kind() === net.kind() && p.match(net, bits);
  } catch {
    return false; // an unparsable interface prefix is simply not this peer's link
  }
}

export function nextHopsFor(localAddress: string, peerAddress: string, node: V1Node | undefined, interfaces: NodeJS.Dict<IfaceAddress[]>): NextHops {
  const local = unmapped(localAddress);
  const internal = (node?.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);
  // The interface the session runs over: the one holding its local address.
  const iface = Object.values(interfaces).find((list) => (list ?? []).some((a) => a.address === local)) ?? [];
  const on = (a: string): boolean => iface.some((x) => x.address === a);
  const globalV6 = (a: string): boolean => kind(a) === 'ipv6' && !a.toLowerCase().startsWith('fe80');
  // Prefer the node's own InternalIP on the session's interface: a second address there (a
  // management network, say) may be off the router's connected networks, and an eBGP router
  // treats a route with an unreachable next hop as withdrawn (RFC 7606 §7.3, RFC 4271 §5.1.3).
  const pick = (fits: (a: string) => boolean): string | null =>
    internal.find((a) => fits(a) && on(a)) ?? internal.find(fits) ?? iface.find((a) => fits(a.address) && a.internal !== true)?.address ?? null;
  const v4 = kind(local) === 'ipv4' ? local : pick((a) => kind(a) === 'ipv4');
  const v6 = globalV6(local) ? local : pick(globalV6);
  const sameLink = iface.some((a) => onLink(unmapped(peerAddress), a.cidr));
  const linkLocal = sameLink ? (iface.find((a) => a.address.toLowerCase().startsWith('fe80'))?.address.split('%')[0] ?? null) : null;
  return { v4, v6, linkLocalV6: v6 === null ? null : linkLocal };
}
