// What the speaker needs to know about an interface and os.networkInterfaces() does not say:
// its ifindex (sockets bind to it), its flags (IFF_NOARP, IFF_BROADCAST…), its MAC even when it
// has no address, and whether it is enslaved to a bond or bridge. Read from sysfs
// (Documentation/ABI/testing/sysfs-class-net), which `ip netns exec` remounts per namespace.
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isErrnoName } from './errors.ts';
import { netError } from './types.ts';
import type { NetError, NetResult } from './types.ts';

export const SYSFS_NET = '/sys/class/net';

/** linux/if.h net_device_flags, as /sys/class/net/<if>/flags shows them. */
export const IFF = {
  UP: 0x1,
  BROADCAST: 0x2,
  LOOPBACK: 0x8,
  POINTOPOINT: 0x10,
  NOARP: 0x80,
  MASTER: 0x400,
  SLAVE: 0x800,
  MULTICAST: 0x1000,
} as const;

export interface NetInterface {
  name: string;
  ifindex: number;
  /** Lowercase `aa:bb:cc:dd:ee:ff`; empty for interfaces without a link-layer address. */
  mac: string;
  /** The raw IFF_* bits; the booleans below are the ones the speaker asks about. */
  flags: number;
  up: boolean;
  broadcast: boolean;
  loopback: boolean;
  noArp: boolean;
  multicast: boolean;
  /** RFC 2863 operational state as the kernel reports it: `up`, `down`, `lowerlayerdown`, `unknown`… */
  operState: string;
  mtu: number;
  /** DEVTYPE from uevent: `bridge`, `bond`, `vlan`, `vrf`…; empty for plain Ethernet and veth. */
  kind: string;
  /** The interface this one is enslaved to (a bond, bridge or VRF), and that master's kind. */
  master?: { name: string; kind: string };
}

export function readInterface(name: string, sysfs: string = SYSFS_NET): NetResult<NetInterface> {
  if (name === '' || name.includes('/') || name === '.' || name === '..') return netError('InvalidArgument', `not an interface name: ${JSON.stringify(name)}`);
  const dir = join(sysfs, name);
  if (!existsSync(dir)) return netError('ENODEV', `no interface ${name}`);
  try {
    const text = (file: string) => readFileSync(join(dir, file), 'utf8').trim();
    const flags = Number.parseInt(text('flags'), 16);
    const iface: NetInterface = {
      name,
      ifindex: Number.parseInt(text('ifindex'), 10),
      mac: Number.parseInt(text('addr_len'), 10) === 6 ? text('address').toLowerCase() : '',
      flags,
      up: (flags & IFF.UP) !== 0,
      broadcast: (flags & IFF.BROADCAST) !== 0,
      loopback: (flags & IFF.LOOPBACK) !== 0,
      noArp: (flags & IFF.NOARP) !== 0,
      multicast: (flags & IFF.MULTICAST) !== 0,
      operState: text('operstate'),
      mtu: Number.parseInt(text('mtu'), 10),
      kind: deviceType(dir),
    };
    // `master` is a symlink to the upper device, present for bond slaves, bridge ports and VRF members.
    if (existsSync(join(dir, 'master'))) {
      const master = basename(readlinkSync(join(dir, 'master')));
      iface.master = { name: master, kind: deviceType(join(sysfs, master)) };
    }
    if (!Number.isInteger(iface.ifindex) || Number.isNaN(flags)) return netError('EUNKNOWN', `unreadable sysfs entry for ${name} in ${dir}`);
    return { ok: true, value: iface };
  } catch (thrown) {
    return fsError(thrown, `reading ${dir}`);
  }
}

/** Every interface of this network namespace, by ifindex; one that vanishes meanwhile is left out. */
export function listInterfaces(sysfs: string = SYSFS_NET): NetResult<NetInterface[]> {
  let names: string[];
  try {
    names = readdirSync(sysfs);
  } catch (thrown) {
    return fsError(thrown, `listing ${sysfs}`);
  }
  const found: NetInterface[] = [];
  for (const name of names) {
    const iface = readInterface(name, sysfs);
    if (iface.ok) found.push(iface.value);
    else if (iface.error.code !== 'ENODEV' && iface.error.code !== 'ENOENT') return iface;
  }
  return { ok: true, value: found.sort((a, b) => a.ifindex - b.ifindex) };
}

function deviceType(dir: string): string {
  try {
    const line = readFileSync(join(dir, 'uevent'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('DEVTYPE='));
    return line === undefined ? '' : line.slice('DEVTYPE='.length).trim();
  } catch {
    // No uevent: an older kernel or a trimmed sysfs; the type is then simply unknown.
    return '';
  }
}

function fsError(thrown: unknown, doing: string): { ok: false; error: NetError } {
  const code = thrown instanceof Error && 'code' in thrown && typeof thrown.code === 'string' && isErrnoName(thrown.code) ? thrown.code : 'EUNKNOWN';
  return netError(code, `${doing}: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
}
