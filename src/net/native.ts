// Finds and loads native/build/Release/herald_net.node (built by `npm ci` through the root
// package's install script, or `npm run build:native`). A missing or unloadable addon is an
// error value with a stable code, so `herald controller` never needs it and the speaker can say
// what to do next.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { netError } from './types.ts';
import type { NetResult } from './types.ts';

/** The addon's own contract (native/src/*.cc); bump ABI_VERSION with any change to it. */
export const ABI_VERSION = 3;

export interface NativePacketSocket {
  send(frame: Buffer): number;
  readQueued(): [Buffer, number, bigint | undefined][];
  close(): void;
}

export interface NativeIcmp6Socket {
  send(body: Buffer, destination: string, hopLimit: number, source: string | undefined): number;
  join(group: string): void;
  leave(group: string): void;
  close(): void;
}

export interface NativeUdpSocket {
  send(body: Buffer, destination: string, port: number): number;
  close(): void;
}

export interface NativeAddon {
  abiVersion: number;
  PacketSocket: new (
    ifindex: number,
    protocol: number,
    onFrame: (data: Buffer, packetType: number, timestampNs: bigint | undefined) => void,
    onError: (error: unknown) => void,
    timestamps: boolean,
    filter: Buffer | undefined,
  ) => NativePacketSocket;
  Icmp6Socket: new (
    ifindex: number,
    types: number[],
    onMessage: (body: Buffer, source: string, destination: string, hopLimit: number, ifindex: number) => void,
    onError: (error: unknown) => void,
  ) => NativeIcmp6Socket;
  /** A bound UDP socket that sends with `ttl` and reports each datagram's TTL and interface (udp_socket.cc). */
  UdpSocket: new (
    family: 4 | 6,
    bind: string,
    port: number,
    ttl: number,
    onMessage: (body: Buffer, source: string, sourcePort: number, ttl: number, ifindex: number) => void,
    onError: (error: unknown) => void,
  ) => NativeUdpSocket;
  setTcpMd5(fd: number, peer: string, key: Buffer): void;
  /** A TCP socket not yet connected, set up for its first SYN; the caller owns the fd (tcp_socket.cc). */
  tcpSocket(
    family: 4 | 6,
    bind: string | undefined,
    md5Peer: string | undefined,
    md5Key: Buffer | undefined,
    ttl: number | undefined,
    minTtl: number | undefined,
  ): number;
  setTtl(fd: number, ttl: number | undefined, minTtl: number | undefined): void;
}

const ADDON_FILE = 'native/build/Release/herald_net.node';

/**
 * From src/net/ (development, the lab) the addon is two levels up under native/; from the bundle
 * dist/herald.mjs (what `npm run build`, bin/herald.js and the image run, issue #10) one level up.
 * The first that exists, else the first (named in the "not built" message).
 */
function addonPath(): string {
  const candidates = [`../../${ADDON_FILE}`, `../${ADDON_FILE}`].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((p) => existsSync(p)) ?? candidates[0] ?? ADDON_FILE;
}

export const ADDON_PATH = addonPath();

function isNativeAddon(value: unknown): value is NativeAddon {
  if (typeof value !== 'object' || value === null) return false;
  return (
    'abiVersion' in value &&
    value.abiVersion === ABI_VERSION &&
    'PacketSocket' in value &&
    typeof value.PacketSocket === 'function' &&
    'Icmp6Socket' in value &&
    typeof value.Icmp6Socket === 'function' &&
    'UdpSocket' in value &&
    typeof value.UdpSocket === 'function' &&
    'setTcpMd5' in value &&
    typeof value.setTcpMd5 === 'function' &&
    'tcpSocket' in value &&
    typeof value.tcpSocket === 'function' &&
    'setTtl' in value &&
    typeof value.setTtl === 'function'
  );
}

let loaded: NetResult<NativeAddon> | undefined;

/** Loads the addon once (a failure is remembered too: rebuilding needs a restart anyway). */
export function loadAddon(path: string = ADDON_PATH): NetResult<NativeAddon> {
  if (path !== ADDON_PATH) return load(path);
  loaded ??= load(path);
  return loaded;
}

function load(path: string): NetResult<NativeAddon> {
  if (!existsSync(path)) {
    return netError('AddonMissing', `the native addon is not built (${path} does not exist): run \`npm run build:native\`, see docs/native.md`);
  }
  let addon: unknown;
  try {
    addon = createRequire(import.meta.url)(path);
  } catch (thrown) {
    const why = thrown instanceof Error ? thrown.message.split('\n')[0] : String(thrown);
    return netError('AddonLoadFailed', `cannot load the native addon ${path}: ${why}; rebuild it with \`npm run build:native\``);
  }
  if (!isNativeAddon(addon)) {
    return netError('AddonLoadFailed', `${path} is not herald_net ABI ${ABI_VERSION}; rebuild it with \`npm run build:native\``);
  }
  return { ok: true, value: addon };
}
