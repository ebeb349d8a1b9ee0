// The `ip` and sysctl operations the lab is built from, each one call with a typed result.
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from './errors.ts';
import { mustRun } from './exec.ts';

const CARRIER_WAIT_MS = 5000;

/** `ip [-n ns] args…`, which must succeed; its stdout. null: the root namespace. */
export function ipIn(ns: string | null, ...args: string[]): Promise<string> {
  return mustRun(ns === null ? ['ip', ...args] : ['ip', '-n', ns, ...args]);
}

function where(ns: string | null, iface: string): string {
  return ns === null ? iface : `${iface} in ${ns}`;
}

/** One object of `ip -j link show dev X`. */
export async function linkInfo(ns: string | null, iface: string): Promise<{ ifindex: number; mac: string; operstate: string }> {
  const parsed: unknown = JSON.parse(await ipIn(ns, '-j', 'link', 'show', 'dev', iface));
  const first: unknown = Array.isArray(parsed) ? parsed[0] : undefined;
  if (typeof first === 'object' && first !== null && 'ifindex' in first && 'address' in first && 'operstate' in first) {
    const { ifindex, address, operstate } = first;
    if (typeof ifindex === 'number' && typeof address === 'string' && typeof operstate === 'string') return { ifindex, mac: address, operstate };
  }
  throw new LabError('CommandFailed', `ip -j link show dev ${where(ns, iface)}: unexpected output`);
}

/** Polls the operational state (RFC 2863, as the kernel reports it) until `want` accepts it. */
export async function waitOperstate(ns: string | null, iface: string, want: 'UP' | 'not UP'): Promise<void> {
  const deadline = Date.now() + CARRIER_WAIT_MS;
  for (;;) {
    const { operstate } = await linkInfo(ns, iface);
    if ((operstate === 'UP') === (want === 'UP')) return;
    if (Date.now() >= deadline) throw new LabError('Timeout', `${where(ns, iface)} is ${operstate}, still not ${want === 'UP' ? 'UP' : 'down'} after ${CARRIER_WAIT_MS} ms`);
    await sleep(10);
  }
}

/** Every address of the root namespace (`ip -j addr show`). */
export async function rootAddresses(): Promise<string[]> {
  const parsed: unknown = JSON.parse(await ipIn(null, '-j', 'addr', 'show'));
  const found: string[] = [];
  for (const link of Array.isArray(parsed) ? parsed : []) {
    if (typeof link !== 'object' || link === null || !('addr_info' in link) || !Array.isArray(link.addr_info)) continue;
    for (const a of link.addr_info) if (typeof a === 'object' && a !== null && 'local' in a && typeof a.local === 'string') found.push(a.local);
  }
  return found;
}

/** Hosts on the segment: addresses usable at once (no duplicate address detection, RFC 4862
 *  §5.4, which would leave them "tentative" for a second) and only the routes the lab gives. */
export const HOST_SYSCTLS: Readonly<Record<string, number>> = {
  'net.ipv6.conf.all.accept_dad': 0,
  'net.ipv6.conf.default.accept_dad': 0,
  'net.ipv6.conf.all.accept_ra': 0,
  'net.ipv6.conf.default.accept_ra': 0,
};

/** The switch has no addresses: nothing on the segment comes from it (no RS, MLD or DAD). */
export const SEGMENT_SYSCTLS: Readonly<Record<string, number>> = { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 };

/** Writes sysctls inside `ns` (/proc/sys/net shows the namespace of the process that reads it). */
export function nsSysctls(ns: string, settings: Readonly<Record<string, number>>): Promise<string> {
  const script = Object.entries(settings).map(([key, value]) => `echo ${value} > /proc/sys/${key.replaceAll('.', '/')}`).join('\n');
  return mustRun(['ip', 'netns', 'exec', ns, 'sh', '-ec', script]);
}

/** The root namespace's end of the host link takes nothing from the lab: no ARP replies for the
 *  machine's other addresses (arp_ignore 1: only for addresses on this link; the uplink may be
 *  in 192.0.2.0/24, as the segment is), no ARP requests sourced from them (arp_announce 2), and
 *  no routes from router advertisements or redirects (the BGP lab's router, issue #4). Only this
 *  interface's own settings: the machine's are never touched. */
export function hostLinkSysctls(iface: string): void {
  const settings = {
    [`ipv4/conf/${iface}/arp_ignore`]: 1,
    [`ipv4/conf/${iface}/arp_announce`]: 2,
    [`ipv4/conf/${iface}/accept_redirects`]: 0,
    [`ipv6/conf/${iface}/accept_ra`]: 0,
    [`ipv6/conf/${iface}/autoconf`]: 0,
    [`ipv6/conf/${iface}/accept_redirects`]: 0,
  };
  for (const [key, value] of Object.entries(settings)) writeFileSync(`/proc/sys/net/${key}`, String(value));
}
