// This node's interfaces as the desired state needs them: kernel facts from sysfs (src/net)
// joined with each interface's addresses (which are never VIPs). Read-only: Herald never adds an
// address to an interface (a lesson from the field: kube-vip binds the VIP, Herald does not).
import { networkInterfaces } from 'node:os';
import { listInterfaces } from '../net/interfaces.ts';
import type { NetInterface } from '../net/interfaces.ts';
import type { NetResult } from '../net/types.ts';
import { canonicalIP } from '../api/addr.ts';
import type { LocalInterface } from './interfaces.ts';

/** Pure: sysfs facts + addresses by interface name → LocalInterface. */
/** Addresses by interface name, as `os.networkInterfaces()` returns them. */
export type InterfaceAddresses = Readonly<Record<string, readonly { address: string }[] | undefined>>;

export function toLocalInterfaces(facts: readonly NetInterface[], addresses: InterfaceAddresses): LocalInterface[] {
  return facts.map((f) => ({
    name: f.name,
    // operstate "unknown" is what veth and many virtual drivers report while passing traffic.
    up: f.up && f.operState !== 'down' && f.operState !== 'lowerlayerdown' && f.operState !== 'notpresent',
    broadcast: f.broadcast,
    noarp: f.noArp,
    loopback: f.loopback,
    // A VRF member is a routed port, its own L2 segment: not enslaved in the sense of the default
    // rule, unlike a bond slave or bridge port (issue #9).
    master: f.master === undefined || f.master.kind === 'vrf' ? null : f.master.name,
    addresses: (addresses[f.name] ?? []).map((a) => canonicalIP(a.address.split('%')[0] ?? '')).filter((a): a is string => a !== null),
  }));
}

export function readLocalInterfaces(list: () => NetResult<NetInterface[]> = listInterfaces, addrs: () => InterfaceAddresses = networkInterfaces): NetResult<LocalInterface[]> {
  const facts = list();
  if (!facts.ok) return facts;
  return { ok: true, value: toLocalInterfaces(facts.value, addrs()) };
}
