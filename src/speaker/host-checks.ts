// What the speaker needs from its host, checked before it touches the cluster and said plainly
// when missing (issue #13): CAP_NET_RAW for ARP/NDP, CAP_NET_BIND_SERVICE for BGP on port 179,
// the native addon built for this Node.js, its heartbeat port free, TCP MD5 in the kernel, and an
// interface for each policy that selects this node. The decisions are pure functions of what was
// read; the reads are small and cheap (/proc, one bind, one socket).
import { closeSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { LabelSelector } from '../api/selector.ts';
import { matchesSelector } from '../api/selector.ts';
import { ADDON_PATH } from '../net/native.ts';
import type { NativeAddon } from '../net/native.ts';
import type { NetError } from '../net/types.ts';
import { environmentFailure, listenFailure } from '../observability/failure.ts';
import type { Failure } from '../observability/failure.ts';
import { selectInterfaces } from './interfaces.ts';
import type { LocalInterface } from './interfaces.ts';

/** linux/capability.h */
export const CAP_NET_BIND_SERVICE = 10;
export const CAP_NET_RAW = 13;

/** The effective capability set from /proc/self/status ("CapEff:\t000001ffffffffff"), or undefined. */
export function effectiveCapabilities(procStatus: string): bigint | undefined {
  const m = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(procStatus);
  return m?.[1] === undefined ? undefined : BigInt(`0x${m[1]}`);
}

export function hasCapability(set: bigint, cap: number): boolean {
  return ((set >> BigInt(cap)) & 1n) === 1n;
}

export interface CapabilityFacts {
  /** undefined when /proc could not be read (then nothing is claimed). */
  effective: bigint | undefined;
  bgpListenPort: number;
  /** net.ipv4.ip_unprivileged_port_start (1024 unless changed). */
  unprivilegedPortStart: number;
}

/** Pure: the first capability the speaker lacks, as a start-up failure. */
export function capabilityFailure(f: CapabilityFacts): Failure | null {
  if (f.effective === undefined) return null;
  if (!hasCapability(f.effective, CAP_NET_RAW)) {
    return environmentFailure('HERALD_NO_NET_RAW', "this process lacks CAP_NET_RAW, which L2 answers (ARP and NDP on packet sockets) need; add NET_RAW to the container's securityContext.capabilities.add (deploy/speaker.yaml does)");
  }
  if (f.bgpListenPort > 0 && f.bgpListenPort < f.unprivilegedPortStart && !hasCapability(f.effective, CAP_NET_BIND_SERVICE)) {
    return environmentFailure('HERALD_NO_NET_BIND_SERVICE', `this process lacks CAP_NET_BIND_SERVICE, which listening for BGP on port ${f.bgpListenPort} needs; add NET_BIND_SERVICE to the container's securityContext.capabilities.add (deploy/speaker.yaml does), or pass --bgp-listen-port 0 (active sessions only) or a port from ${f.unprivilegedPortStart}`);
  }
  return null;
}

/** Reads the facts of this process (cheap: two small /proc files). */
export function readCapabilityFacts(bgpListenPort: number): CapabilityFacts {
  let effective: bigint | undefined;
  let start = 1024;
  try {
    effective = effectiveCapabilities(readFileSync('/proc/self/status', 'utf8'));
  } catch {
    effective = undefined;
  }
  try {
    start = Number.parseInt(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'), 10);
  } catch {
    start = 1024;
  }
  return { effective, bgpListenPort, unprivilegedPortStart: Number.isInteger(start) ? start : 1024 };
}

// Node's message when an addon was built for another ABI (src/node_binding.cc): "The module
// '<path>'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This
// version of Node.js requires\nNODE_MODULE_VERSION 137. ..."
const ABI = /NODE_MODULE_VERSION (\d+)\. This version of Node\.js requires\s+NODE_MODULE_VERSION (\d+)/;

/**
 * Pure: why the addon cannot be used. `fullMessage` is the loader's whole message (native.ts
 * keeps only its first line, which for an ABI mismatch names the file but not the versions).
 */
export function addonFailure(error: NetError, fullMessage: string | undefined, nodeVersion: string = process.version): Failure {
  if (error.code === 'AddonMissing') {
    return environmentFailure('HERALD_ADDON_MISSING', `the native addon ${ADDON_PATH} is not built, and the speaker needs it for raw sockets; run \`npm run build:native\` (docs/native.md)`);
  }
  const text = fullMessage ?? error.message;
  const rebuild = 'rebuild it with `npm run build:native` on this host, with this Node.js (docs/native.md)';
  const abi = ABI.exec(text);
  if (abi !== null) {
    return environmentFailure('HERALD_ADDON_ABI', `the native addon ${ADDON_PATH} was built for another Node.js (NODE_MODULE_VERSION ${abi[1]}; this Node.js ${nodeVersion} needs ${abi[2]}); ${rebuild}`);
  }
  // Node-API keeps one build good across Node.js versions, unless it needs a newer Node-API.
  const napi = /undefined symbol: (napi_\w+)/.exec(text);
  if (napi !== null) {
    return environmentFailure('HERALD_ADDON_ABI', `the native addon ${ADDON_PATH} needs a newer Node-API than this Node.js ${nodeVersion} has (${napi[1]} is missing); run Herald with the Node.js it was built for (24), or ${rebuild}`);
  }
  if (/wrong ELF class|ELF file's (?:OS ABI|machine)|invalid ELF header|cannot open shared object|Exec format error/.test(text) && !/file too short/.test(text)) {
    return environmentFailure('HERALD_ADDON_ABI', `the native addon ${ADDON_PATH} was built for another machine (${(text.split('\n')[0] ?? text).replace(`${ADDON_PATH}: `, '')}); ${rebuild}`);
  }
  // The addon's own contract (native.ts ABI_VERSION) moved on since it was built.
  if (/is not herald_net ABI/.test(text)) {
    return environmentFailure('HERALD_ADDON_STALE', `the native addon ${ADDON_PATH} was built from other Herald sources (${text.replace(/^.* is not /, 'not ').replace(/; rebuild it with .*$/, '')}); ${rebuild}`);
  }
  return environmentFailure('HERALD_ADDON_UNLOADABLE', `${error.message.replace(/; rebuild it with .*$/, '')}; ${rebuild}`);
}

/** The loader's whole message for the addon (require does not cache a failure, so this retries). */
export function addonLoadMessage(path: string = ADDON_PATH): string | undefined {
  try {
    createRequire(import.meta.url)(path);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Can the kernel sign TCP segments (RFC 2385)? One unconnected socket with a key, closed at once. */
export function tcpMd5Supported(addon: NativeAddon): 'yes' | 'no' | 'unknown' {
  let fd: number;
  try {
    fd = addon.tcpSocket(4, undefined, '127.0.0.1', Buffer.from('herald-md5-probe'), undefined, undefined);
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
    return code === 'ENOPROTOOPT' || code === 'ENOSYS' ? 'no' : 'unknown';
  }
  closeSync(fd);
  return 'yes';
}

export const TCP_MD5_UNSUPPORTED = 'this kernel cannot sign TCP segments (TCP MD5, RFC 2385: CONFIG_TCP_MD5SIG is off); BGPPeers with a passwordSecretRef will not connect: use a kernel with CONFIG_TCP_MD5SIG=y, or peers without a password';

const HEARTBEAT_HINT = 'choose another with --heartbeat-port (the same on every node)';
const BGP_HINT = 'choose another with --bgp-listen-port (0: active sessions only)';

/** A host without IPv6 cannot bind "::"; the speaker falls back to 0.0.0.0 itself. */
function noIPv6(err: Error): boolean {
  const code = 'code' in err ? err.code : undefined;
  return code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL';
}

/**
 * Is the heartbeat port (UDP) free? Bound once and released at once, before the speaker talks to
 * the cluster: it binds the port for real only after its caches have synced.
 */
export function heartbeatPortFailure(port: number): Promise<Failure | null> {
  return new Promise((resolve) => {
    const socket = createSocket({ type: 'udp6', reuseAddr: false });
    socket.once('error', (err) => {
      socket.close();
      resolve(noIPv6(err) ? null : listenFailure('heartbeats between speakers', `UDP port ${port}`, err, HEARTBEAT_HINT));
    });
    socket.bind({ port, address: '::', exclusive: true }, () => {
      socket.close(() => resolve(null));
    });
  });
}

/** Is the BGP listen port (TCP) free? The same quick bind; 0 listens nowhere. */
export function bgpPortFailure(port: number): Promise<Failure | null> {
  if (port === 0) return Promise.resolve(null);
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err) => {
      server.close();
      resolve(noIPv6(err) ? null : listenFailure('BGP', `TCP port ${port}`, err, BGP_HINT));
    });
    server.listen({ port, host: '::', exclusive: true }, () => {
      server.close(() => resolve(null));
    });
  });
}

/** What the speaker's start threw when a port was taken: heartbeats (UDP bind) or BGP (TCP listen). */
export function portFailure(err: unknown, heartbeatPort: number, bgpPort: number): Failure | null {
  if (typeof err !== 'object' || err === null || !('code' in err) || typeof err.code !== 'string') return null;
  if (!['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL'].includes(err.code)) return null;
  const syscall = 'syscall' in err ? err.syscall : undefined;
  const port = 'port' in err && typeof err.port === 'number' ? err.port : undefined;
  const address = 'address' in err && typeof err.address === 'string' ? err.address : undefined;
  const where = (p: number): string => (address === undefined || address === '::' ? `port ${p}` : `${address.includes(':') ? `[${address}]` : address}:${p}`);
  if (syscall === 'listen' || (port === bgpPort && syscall !== 'bind')) {
    return listenFailure('BGP', `TCP ${where(bgpPort)}`, err, BGP_HINT);
  }
  if (syscall === 'bind' || port === heartbeatPort) {
    return listenFailure('heartbeats between speakers', `UDP ${where(heartbeatPort)}`, err, HEARTBEAT_HINT);
  }
  return null;
}

/** A valid L2AnnouncementPolicy as far as this check needs it. */
export interface PolicyInterfaces {
  name: string;
  nodeSelector: LabelSelector | null;
  interfaces: readonly RegExp[];
}

export interface UnservedPolicy {
  policy: string;
  /** The policy's patterns as written, or empty for the default rule. */
  patterns: string[];
  /** This node's interface names, for the message. */
  local: string[];
}

/** The pattern as the user wrote it (policy.ts compiles it as ^(?:…)$). */
function written(re: RegExp): string {
  return /^\^\(\?:(.*)\)\$$/.exec(re.source)?.[1] ?? re.source;
}

/** Pure: policies that select this node but match none of its interfaces. */
export function unservedPolicies(policies: readonly PolicyInterfaces[], nodeLabels: Readonly<Record<string, string>> | undefined, interfaces: readonly LocalInterface[]): UnservedPolicy[] {
  if (nodeLabels === undefined) return [];
  const local = interfaces.map((i) => i.name).sort();
  return policies
    .filter((p) => matchesSelector(p.nodeSelector, nodeLabels) && selectInterfaces(interfaces, p.interfaces).length === 0)
    .map((p) => ({ policy: p.name, patterns: p.interfaces.map(written), local }));
}

/** One line per unserved policy, naming the node, its interfaces and the fix. */
export function unservedMessage(u: UnservedPolicy, node: string): string {
  const rule = u.patterns.length === 0 ? 'qualifies by the default rule (up, broadcast, ARP, not enslaved to a bond or bridge)' : `matches spec.interfaces ${JSON.stringify(u.patterns)} (whole names; up, ARP-enabled, not loopback)`;
  return `L2AnnouncementPolicy "${u.policy}" selects node ${node}, but none of its interfaces (${u.local.join(', ') || 'none'}) ${rule}, so this node answers for none of its addresses; fix spec.interfaces or the policy's nodeSelector`;
}
