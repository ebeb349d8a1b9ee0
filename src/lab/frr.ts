// FRR as the lab's top-of-rack router (issue #4, "The same e2e set runs against FRR's bgpd"):
// zebra + bgpd in the router namespace, eBGP with a different AS per node, so equal-length
// AS_PATHs from different neighbour ASes merge into one ECMP route only with
// `bgp bestpath as-path multipath-relax`. zebra installs the routes into the namespace's kernel
// table. Every path (pid files, zserv socket, vty sockets, logs) is in the lab's own directory.
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from './errors.ts';
import type { LabNetwork } from './netns.ts';
import type { LabBfd } from './bird.ts';

export const ZEBRA = '/usr/lib/frr/zebra';
export const BGPD = '/usr/lib/frr/bgpd';
export const BFDD = '/usr/lib/frr/bfdd';

export interface FrrNeighbor {
  name: string;
  address: string;
  asn: number;
  /** TCP MD5 key (RFC 2385), when the session has one. */
  password?: string;
}

export interface FrrOptions {
  routerId: string;
  asn: number;
  neighbors: readonly FrrNeighbor[];
  /** Activate the IPv6 unicast family on the (IPv4) sessions: MP-BGP, RFC 4760. */
  ipv6: boolean;
  /** Seconds FRR keeps a restarting peer's stale routes (`bgp graceful-restart stalepath-time`; FRR's default 360). */
  gracefulRestartSeconds?: number;
  /** BFD on every session (bfdd, RFC 5880), at these timers (issue #11). */
  bfd?: LabBfd;
}

/** The BFD profile the sessions use. */
const BFD_PROFILE = 'lab';

/** Pure: bfdd's configuration text (its profile; bgpd asks bfdd for each neighbour's session). */
export function bfddConfig(b: LabBfd): string {
  return ['hostname lab-tor', 'bfd', ` profile ${BFD_PROFILE}`, `  receive-interval ${b.intervalMs}`, `  transmit-interval ${b.intervalMs}`, `  detect-multiplier ${b.multiplier}`, ' !', '!', ''].join('\n');
}

/** FRR's CLI takes the key up to the end of the line; keep it one printable word. */
function safeKey(key: string): string {
  return key.replace(/[^\x21-\x7e]/g, '');
}

/** Pure: bgpd's configuration text. */
export function frrConfig(o: FrrOptions): string {
  const per = (f: (n: FrrNeighbor) => string[]): string[] => o.neighbors.flatMap(f);
  return [
    'hostname lab-tor',
    '!',
    `router bgp ${o.asn}`,
    ` bgp router-id ${o.routerId}`,
    // RFC 8212: by default FRR neither accepts nor sends eBGP routes without a policy.
    ' no bgp ebgp-requires-policy',
    ' bgp bestpath as-path multipath-relax',
    ' bgp graceful-restart',
    ...(o.gracefulRestartSeconds === undefined ? [] : [` bgp graceful-restart stalepath-time ${o.gracefulRestartSeconds}`]),
    ...per((n) => [
      ` neighbor ${n.address} remote-as ${n.asn}`,
      ` neighbor ${n.address} description ${n.name}`,
      // keepalive 1 s, hold 3 s: a crashed node's route goes within seconds.
      ` neighbor ${n.address} timers 1 3`,
      ` neighbor ${n.address} timers connect 1`,
      ...(n.password === undefined ? [] : [` neighbor ${n.address} password ${safeKey(n.password)}`]),
      ...(o.bfd === undefined ? [] : [` neighbor ${n.address} bfd`, ` neighbor ${n.address} bfd profile ${BFD_PROFILE}`]),
    ]),
    ' address-family ipv4 unicast',
    '  maximum-paths 8',
    '  maximum-paths ibgp 8',
    ' exit-address-family',
    ...(o.ipv6 ? [' address-family ipv6 unicast', '  maximum-paths 8', '  maximum-paths ibgp 8', ...per((n) => [`  neighbor ${n.address} activate`]), ' exit-address-family'] : []),
    '!',
    '',
  ].join('\n');
}

export interface FrrPeerState {
  name: string;
  address: string;
  state: string;
}

export interface RunningFrr {
  dir: string;
  processes: readonly ChildProcess[];
  /** `vtysh -c` output for a command (e.g. `show bgp ipv4 unicast 198.51.100.1/32 json`). */
  query(command: string): Promise<string>;
  /** Every neighbour's FSM state from `show bgp ipv4 unicast summary json`. */
  peers(): Promise<FrrPeerState[]>;
  /** Names of the neighbours whose session is Established. */
  established(): Promise<string[]>;
  /** The last lines of bgpd's log (and zebra's), for failure messages. */
  logTail(lines?: number): string;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The daemons drop to user frr (whose group frrvty may open vty sockets): it must own `dir`. */
function frrIds(): { uid: number; gid: number } {
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'frr'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new LabError('CommandNotFound', 'FRR: no user frr (apt-get install frr creates it)');
  }
}

export async function startFrr(lab: LabNetwork, dir: string, o: FrrOptions): Promise<RunningFrr> {
  const router = lab.router;
  if (router === null) throw new LabError('InvalidOptions', 'the lab has no router namespace (build it with router: true)');
  for (const bin of [ZEBRA, BGPD, ...(o.bfd === undefined ? [] : [BFDD])]) if (!existsSync(bin)) throw new LabError('CommandNotFound', `${bin} not found (apt-get install frr)`);
  mkdirSync(dir, { recursive: true });
  // The lab's temp dir is 0700 root; user frr must be able to reach its own directory in it.
  chmodSync(dirname(dir), 0o711);
  const { uid, gid } = frrIds();
  chownSync(dir, uid, gid);
  const zserv = join(dir, 'zserv.api');
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    chownSync(path, uid, gid);
    return path;
  };
  // -P 0: no TCP vty; --vty_socket: `vtysh --vty_socket dir` finds zebra.vty and bgpd.vty there.
  const common = (daemon: string): string[] => ['-i', join(dir, `${daemon}.pid`), '-z', zserv, '--vty_socket', dir, '-P', '0', '--log', `file:${join(dir, `${daemon}.log`)}`];
  const zebra = lab.spawnIn(router.ns, [ZEBRA, '-f', file('zebra.conf', 'hostname lab-tor\n'), ...common('zebra')], { stdio: 'ignore' });
  // bgpd retries zebra, but starting after zserv exists avoids a second's delay.
  for (let i = 0; i < 50 && !existsSync(zserv); i++) await sleep(100);
  const bfd = o.bfd;
  const bfdd = bfd === undefined ? [] : [lab.spawnIn(router.ns, [BFDD, '-f', file('bfdd.conf', bfddConfig(bfd)), ...common('bfdd'), '--bfdctl', join(dir, 'bfdd.sock')], { stdio: 'ignore' })];
  const bgpd = lab.spawnIn(router.ns, [BGPD, '-f', file('bgpd.conf', frrConfig(o)), ...common('bgpd')], { stdio: 'ignore' });
  const byAddress = new Map(o.neighbors.map((n) => [n.address, n.name]));
  const query = async (command: string): Promise<string> => {
    const r = await lab.exec(router.ns, ['vtysh', '--vty_socket', dir, '-c', command], { timeoutMs: 5000 });
    return r.stdout;
  };
  const peers = async (): Promise<FrrPeerState[]> => {
    const out = await query('show bgp ipv4 unicast summary json');
    let parsed: unknown;
    try {
      parsed = JSON.parse(out);
    } catch {
      return []; // bgpd not up yet
    }
    const table = isRecord(parsed) && isRecord(parsed['peers']) ? parsed['peers'] : {};
    return Object.entries(table).map(([address, p]) => ({ address, name: byAddress.get(address) ?? address, state: isRecord(p) && typeof p['state'] === 'string' ? p['state'] : 'unknown' }));
  };
  const tail = (name: string, lines: number): string => {
    try {
      return readFileSync(join(dir, name), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(none)';
    }
  };
  return {
    dir,
    processes: [zebra, bgpd, ...bfdd],
    query,
    peers,
    async established() {
      return (await peers()).filter((p) => p.state === 'Established').map((p) => p.name);
    },
    logTail: (lines = 20) => `--- bgpd.log\n${tail('bgpd.log', lines)}\n--- zebra.log\n${tail('zebra.log', Math.ceil(lines / 2))}${bfd === undefined ? '' : `\n--- bfdd.log\n${tail('bfdd.log', Math.ceil(lines / 2))}`}`,
  };
}
