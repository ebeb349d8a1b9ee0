// BIRD 2 as the lab's top-of-rack router (issue #4): a config that peers with every node,
// imports their VIP routes into the router namespace's kernel table as ECMP routes, exports
// nothing, and a few read-only queries. BIRD merges equal paths into one multipath kernel route
// only with `merge paths yes` in its kernel protocol (../shared/BENCH-NOTES.md).
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabNetwork } from './netns.ts';

export interface BirdNeighbor {
  name: string;
  address: string;
  asn: number;
  /** TCP MD5 key (RFC 2385), when the session has one. */
  password?: string;
}

export interface BirdOptions {
  routerId: string;
  asn: number;
  neighbors: readonly BirdNeighbor[];
  /** Let eBGP paths with different neighbour ASes tie (they do when AS_PATH lengths match). */
  ipv6: boolean;
  /** Seconds BIRD keeps a restarting peer's routes (RFC 4724); its default is 120. */
  gracefulRestartSeconds?: number;
  /** BFD on every session (RFC 5880), at these timers (issue #11). */
  bfd?: LabBfd;
}

/** The router's BFD timers: both intervals, and the multiplier. */
export interface LabBfd {
  intervalMs: number;
  multiplier: number;
}

function protoName(n: BirdNeighbor): string {
  return n.name.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** Pure: the bird.conf text. */
export function birdConfig(o: BirdOptions): string {
  // An iBGP neighbour is on the link too: its next hop is used as it is, not resolved recursively
  // through an IGP the lab does not run.
  const channels = (ipv6: boolean, ibgp: boolean): string => {
    const gw = ibgp ? ' gateway direct;' : '';
    return [`ipv4 { import all; export none;${gw} };`, ...(ipv6 ? [`ipv6 { import all; export none;${gw} };`] : [])].map((l) => `  ${l}`).join('\n');
  };
  const sessions = o.neighbors.map((n) =>
    [
      `protocol bgp ${protoName(n)} {`,
      `  local as ${o.asn};`,
      `  neighbor ${n.address} as ${n.asn};`,
      // The nodes connect to us; BIRD also tries them, and RFC 4271 §6.8 resolves the collision.
      `  hold time 9;`,
      `  connect retry time 1;`,
      `  error wait time 1, 5;`,
      `  graceful restart on;`,
      ...(o.gracefulRestartSeconds === undefined ? [] : [`  graceful restart time ${o.gracefulRestartSeconds};`]),
      ...(n.password === undefined ? [] : [`  password "${n.password.replace(/["\\]/g, '')}";`]),
      ...(n.asn === o.asn ? ['  direct;'] : []),
      // BIRD shuts the session down when its BFD session for the neighbour goes down.
      ...(o.bfd === undefined ? [] : ['  bfd on;']),
      channels(o.ipv6, n.asn === o.asn),
      `}`,
    ].join('\n'),
  );
  return [
    `router id ${o.routerId};`,
    `protocol device { scan time 10; }`,
    `protocol kernel k4 { merge paths yes; ipv4 { export all; import none; }; }`,
    ...(o.ipv6 ? [`protocol kernel k6 { merge paths yes; ipv6 { export all; import none; }; }`] : []),
    ...(o.bfd === undefined ? [] : [`protocol bfd lab_bfd { interface "*" { min rx interval ${o.bfd.intervalMs} ms; min tx interval ${o.bfd.intervalMs} ms; multiplier ${o.bfd.multiplier}; }; }`]),
    ...sessions,
    '',
  ].join('\n');
}

export interface RunningBird {
  socket: string;
  process: ChildProcess;
  /** `birdc` output for a command (e.g. `show protocols`). */
  query(command: string): Promise<string>;
  /** Established sessions by protocol name. */
  established(): Promise<string[]>;
}

export function startBird(lab: LabNetwork, dir: string, o: BirdOptions): RunningBird {
  const router = lab.router;
  if (router === null) throw new Error('the lab has no router namespace (build it with router: true)');
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'bird.conf');
  const socket = join(dir, 'bird.ctl');
  writeFileSync(conf, birdConfig(o));
  const child = lab.spawnIn(router.ns, ['bird', '-f', '-c', conf, '-s', socket], { stdio: ['ignore', 'ignore', 'pipe'] });
  const query = async (command: string): Promise<string> => {
    const r = await lab.exec(router.ns, ['birdc', '-s', socket, ...command.split(' ')], { timeoutMs: 5000 });
    return r.stdout;
  };
  return {
    socket,
    process: child,
    query,
    async established() {
      const out = await query('show protocols');
      return out
        .split('\n')
        .filter((l) => /\sBGP\s/.test(l) && /Established/.test(l))
        .map((l) => l.split(/\s+/)[0] ?? '');
    },
  };
}
