// The lab's names and addresses, decided before anything is created. Documentation addresses
// only: the segment is 192.0.2.0/24 (RFC 5737 TEST-NET-1) and 2001:db8::/64 (RFC 3849), and
// the IPv6 address of a host repeats its IPv4 host number (192.0.2.11 ↔ 2001:db8::11).
//
//   .1        reserved for the router namespace (BGP, issue #4)
//   .11–.36   node-a … node-z
//   .100      the client
//
// The root namespace (controller, API server stand-in) is NOT put on 192.0.2.0/24: a machine's
// own uplink may be there (the CI sandbox's is: 192.0.2.2/24 via 192.0.2.1), and a second
// connected route to it would either break the lab or the machine. The host link carries a
// management network of its own instead, one per lab so that labs run side by side: slot k
// (host-slot.ts) is 198.19.k.0/24 and 2001:db8:19:k::/64 (RFC 2544 benchmarking range;
// 198.18.0.0/16 is the API server stand-in's Service CIDR). The root end is .254, each node has
// .11… as a second address on eth0 (same host numbers), the client none.
import ipaddr from 'ipaddr.js';
import { LabError } from './errors.ts';

/** Management networks of all slots: 256 × /24 and 256 × /64. */
export const MGMT_SLOTS = 256;
export const ROUTER_HOST_NUMBER = 1;
export const CLIENT_HOST_NUMBER = 100;
export const HOST_LINK_HOST_NUMBER = 254;
export const FIRST_NODE_HOST_NUMBER = 11;
export const MAX_NODES = 26;

/** Linux IFNAMSIZ is 16 including the NUL; the host link is `<prefix>-h`. */
const PREFIX_SHAPE = /^[a-z][a-z0-9]{0,11}$/;

/** One end of the segment inside its own namespace (a node or the client). */
export interface EndpointPlan {
  /** `node-a` … or `client`; also the name of its bridge port in the segment namespace. */
  readonly name: string;
  readonly ns: string;
  /** The bridge port's ifindex in the segment namespace: fixed and different from the peer's,
   *  because the kernel reports carrier changes of a veth whose ifindex equals its peer's up to a
   *  second late (net/core/link_watch.c, linkwatch_urgent_event). */
  readonly portIndex: number;
  readonly mac: string;
  readonly ipv4: string;
  readonly ipv6: string | null;
  /** Its address on the management network when the lab has a host link (nodes only). */
  readonly mgmt: Addresses | null;
}

export interface Addresses {
  readonly ipv4: string;
  readonly ipv6: string | null;
}

export interface NetworkPlan {
  readonly prefix: string;
  readonly segmentNs: string;
  readonly nodes: readonly EndpointPlan[];
  readonly client: EndpointPlan;
  /** The top-of-rack router of the BGP lab (192.0.2.1), when asked for. */
  readonly router: EndpointPlan | null;
  readonly hostLink: (Addresses & { readonly iface: string; readonly portIndex: number; readonly mac: string }) | null;
}

let counter = 0;

/** `hl<pid>n<counter>`: unique per process and per lab, and the pid tells stale from live. */
export function defaultPrefix(): string {
  return `hl${process.pid}n${(counter++).toString(36)}`;
}

/** Locally administered (bit 1 of the first octet), "hl" in the next two, the host number last. */
function macFor(hostNumber: number): string {
  return `02:68:6c:00:00:${hostNumber.toString(16).padStart(2, '0')}`;
}

/** The management networks of slot k. */
export function mgmtNets(slot: number): { ipv4: string; ipv6: string } {
  return { ipv4: `198.19.${slot}.0/24`, ipv6: `2001:db8:19:${slot.toString(16)}::/64` };
}

function mgmtAddresses(slot: number, hostNumber: number, ipv6: boolean): Addresses {
  // RFC 5952 text, as the kernel and Node print it (slot 0: 2001:db8:19::11, not 2001:db8:19:0::11).
  return { ipv4: `198.19.${slot}.${hostNumber}`, ipv6: ipv6 ? ipaddr.parse(`2001:db8:19:${slot.toString(16)}::${hostNumber}`).toString() : null };
}

function endpoint(prefix: string, name: string, hostNumber: number, portIndex: number, ipv6: boolean, slot: number | null): EndpointPlan {
  return {
    name,
    ns: `${prefix}-${name}`,
    portIndex,
    mac: macFor(hostNumber),
    ipv4: `192.0.2.${hostNumber}`,
    ipv6: ipv6 ? `2001:db8::${hostNumber}` : null,
    mgmt: slot === null ? null : mgmtAddresses(slot, hostNumber, ipv6),
  };
}

/** The root namespace's end of the host link. */
export function hostIfaceName(prefix: string): string {
  return `${prefix}-h`;
}

export function nodeName(index: number): string {
  return `node-${String.fromCharCode(0x61 + index)}`;
}

/** The lab's names and addresses; `slot` is its management network's (null: no host link). */
export function planNetwork(opts: { prefix?: string; nodes: number; ipv6: boolean; router?: boolean }, slot: number | null): NetworkPlan {
  const prefix = opts.prefix ?? defaultPrefix();
  if (!PREFIX_SHAPE.test(prefix)) throw new LabError('InvalidOptions', `prefix must match ${PREFIX_SHAPE} (interface names are at most 15 characters), got ${JSON.stringify(prefix)}`);
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > MAX_NODES) throw new LabError('InvalidOptions', `nodes must be 1..${MAX_NODES}, got ${opts.nodes}`);
  const nodes = Array.from({ length: opts.nodes }, (_, i) => endpoint(prefix, nodeName(i), FIRST_NODE_HOST_NUMBER + i, 100 + i, opts.ipv6, slot));
  return {
    prefix,
    segmentNs: `${prefix}-seg`,
    nodes,
    client: endpoint(prefix, 'client', CLIENT_HOST_NUMBER, 150, opts.ipv6, null),
    router: opts.router === true ? endpoint(prefix, 'router', ROUTER_HOST_NUMBER, 140, opts.ipv6, null) : null,
    hostLink: slot === null ? null : { iface: hostIfaceName(prefix), portIndex: 160, mac: macFor(HOST_LINK_HOST_NUMBER), ...mgmtAddresses(slot, HOST_LINK_HOST_NUMBER, opts.ipv6) },
  };
}

/** True when `address` is inside slot k's management network (either family). */
export function inMgmtNet(slot: number, address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const addr = ipaddr.parse(address);
  const nets = mgmtNets(slot);
  const net = ipaddr.parseCIDR(addr.kind() === 'ipv4' ? nets.ipv4 : nets.ipv6);
  return addr.kind() === net[0].kind() && addr.match(net);
}
