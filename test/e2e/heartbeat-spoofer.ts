// A host on the lab's segment forging heartbeats (issue #14), for heartbeat-spoof.test.ts: run in
// the client's network namespace, it writes whole Ethernet frames on eth0 through the native
// packet socket, so the IPv4 source is whatever it claims (the dead node's own address, which a
// forger on the segment can always put there). Every `intervalMs` it sends to each target:
//  - mode "forge": an unsigned heartbeat and one signed with a key it made up;
//  - mode "stolen-key": one signed with the key in `keyFile` (the control: what the same frames
//    would do if the key were known).
// The heartbeats name `node`, with a fresh incarnation and a rising seq, and may claim VIPs for it
// in their notes (`claims`: "node holds this VIP at epoch 2^31"). On SIGTERM it prints
// {"sent":N} (datagrams) and exits.
//
// Usage: node heartbeat-spoofer.ts '<json Config>'
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { encodeHeartbeat } from '../../src/election/heartbeat.ts';
import type { Heartbeat } from '../../src/election/heartbeat.ts';
import { nativeNet } from '../../src/net/sockets.ts';
import { ETH_P } from '../../src/net/types.ts';

export interface SpooferConfig {
  iface: string;
  srcMac: string;
  /** The address the datagrams claim to come from. */
  srcIp: string;
  node: string;
  policies: string[];
  targets: { mac: string; ip: string; port: number }[];
  port: number;
  intervalMs: number;
  mode: 'forge' | 'stolen-key';
  keyFile?: string;
  /** VIPs the forged heartbeats claim for `node` in their notes (a Lease-like claim, epoch 2^31). */
  claims?: string[];
}

const mac = (text: string): number[] => text.split(':').map((h) => parseInt(h, 16));
const ipv4 = (text: string): number[] => text.split('.').map(Number);

function checksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += ((header[i] ?? 0) << 8) | (header[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Ethernet II + IPv4 (RFC 791) + UDP (RFC 768, checksum 0: none, allowed over IPv4). */
export function udpFrame(c: SpooferConfig, t: SpooferConfig['targets'][number], payload: Uint8Array, id: number): Uint8Array {
  const udpLen = 8 + payload.length;
  const ip = new Uint8Array(20);
  const v = new DataView(ip.buffer);
  v.setUint8(0, 0x45);
  v.setUint16(2, 20 + udpLen);
  v.setUint16(4, id & 0xffff);
  v.setUint16(6, 0x4000); // don't fragment
  v.setUint8(8, 64);
  v.setUint8(9, 17);
  ip.set(ipv4(c.srcIp), 12);
  ip.set(ipv4(t.ip), 16);
  v.setUint16(10, checksum(ip));
  const udp = new Uint8Array(8);
  const u = new DataView(udp.buffer);
  u.setUint16(0, c.port);
  u.setUint16(2, t.port);
  u.setUint16(4, udpLen);
  const frame = new Uint8Array(14 + 20 + udpLen);
  frame.set(mac(t.mac), 0);
  frame.set(mac(c.srcMac), 6);
  frame.set([0x08, 0x00], 12);
  frame.set(ip, 14);
  frame.set(udp, 34);
  frame.set(payload, 42);
  return frame;
}

function main(): void {
  const c = JSON.parse(process.argv[2] ?? '{}') as SpooferConfig;
  const net = nativeNet();
  if (!net.ok) throw new Error(`${net.error.code}: ${net.error.message}`);
  const ifindex = Number(readFileSync(`/sys/class/net/${c.iface}/ifindex`, 'utf8').trim());
  const sock = net.value.openPacketSocket({ ifindex, protocol: ETH_P.IP, onFrame: () => undefined, onError: () => undefined });
  if (!sock.ok) throw new Error(`${sock.error.code}: ${sock.error.message}`);
  const guessed = randomBytes(32);
  const stolen = c.keyFile === undefined ? undefined : readFileSync(c.keyFile);
  const incarnation = Date.now();
  let seq = 0;
  let sent = 0;
  const tick = (): void => {
    seq++;
    const notes = (c.claims ?? []).map((ip) => ({ ip, holder: c.node, epoch: 0x80000000 }));
    const m: Heartbeat = { node: c.node, incarnation, seq, fenced: false, leaving: false, warming: false, apiAgeMs: 5, policies: c.policies, heard: [], notes };
    const keys = c.mode === 'forge' ? [undefined, guessed] : [stolen];
    for (const key of keys) {
      const hb = encodeHeartbeat(m, key);
      if (!hb.ok) throw new Error(hb.error.message);
      for (const t of c.targets) if (sock.value.send(udpFrame(c, t, hb.value, seq)).ok) sent++;
    }
  };
  const timer = setInterval(tick, c.intervalMs);
  process.stdout.write('started\n');
  process.once('SIGTERM', () => {
    clearInterval(timer);
    sock.value.close();
    process.stdout.write(`${JSON.stringify({ sent })}\n`);
    process.exit(0);
  });
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) main();
