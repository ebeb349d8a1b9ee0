// The senders of the origination bench, each started fresh in the node namespace: Herald (one
// BgpSession in its own Node process, herald-sender.ts), gobgpd (Debian's 3.10, configured with
// the one neighbor, fed by gobgp-feeder.ts through its gRPC API) and BIRD (bird-sender.ts). All
// expose the same small interface: wait until Established, announce, withdraw, memory, stop.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabHost, LabNetwork } from '../../src/lab/netns.ts';
import { RECEIVER_ASN, SENDER_ASN } from './bird-receiver.ts';
import { SenderChild, memoryOf, stopChild } from './children.ts';
import type { SenderEvent } from './children.ts';
import { envWords } from '../machine.ts';

const HERE = (f: string): string => fileURLToPath(new URL(f, import.meta.url));
const GOBGP_API_PORT = 50051;

export type SenderName = 'herald' | 'gobgpd' | 'bird';

export interface Sender {
  readonly name: SenderName;
  /** The process whose memory is the sender's: the Herald child, or gobgpd itself. */
  readonly pid: number;
  established(timeoutMs: number): Promise<void>;
  /** Returns the sender's own stamp of "started sending" (bench clock, ms). */
  announce(): Promise<SenderEvent>;
  withdraw(): Promise<SenderEvent>;
  /** VmRSS/VmHWM from /proc; for Herald also the V8 heap in use (MB). */
  memory(): Promise<{ rssMb: number; hwmMb: number; heapMb?: number } | null>;
  /** Herald only: the longest event-loop delay (ms) since the last announce or withdraw. */
  loopMaxMs?(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * HERALD_BENCH_SENDER_NODE_ARGS, e.g. "--max-opt=2": Node flags for the Herald sender (V8's tiers
 * compared on the heavy path; NODE_OPTIONS refuses most V8 flags).
 */
const SENDER_NODE_ARGS = envWords('HERALD_BENCH_SENDER_NODE_ARGS');

function nodeChild(network: LabNetwork, node: LabHost, script: string, args: readonly string[], label: string, nodeArgs: readonly string[] = []): SenderChild {
  const child = network.spawnIn(node.ns, [process.execPath, ...nodeArgs, HERE(script), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  return new SenderChild(child, label);
}

export async function startHerald(network: LabNetwork, node: LabHost, peer: LabHost, routes: number): Promise<Sender> {
  const c = nodeChild(network, node, './herald-sender.ts', ['--peer', peer.ipv4, '--local', node.ipv4, '--routes', String(routes)], 'herald sender', SENDER_NODE_ARGS);
  await c.next('ready', 30_000);
  const pid = c.child.pid ?? -1;
  return {
    name: 'herald',
    pid,
    established: async (ms) => void (await c.next('established', ms)),
    announce: async () => {
      c.send({ cmd: 'announce' });
      return c.next('announced', 30_000);
    },
    withdraw: async () => {
      c.send({ cmd: 'withdraw' });
      return c.next('withdrawn', 30_000);
    },
    memory: async () => {
      const m = memoryOf(pid);
      c.send({ cmd: 'memory' });
      const heap = Number((await c.next('memory', 10_000))['heapUsed']) / 1e6;
      return m === null ? null : { ...m, heapMb: heap };
    },
    loopMaxMs: async () => {
      c.send({ cmd: 'loop' });
      return Number((await c.next('loop', 10_000))['maxMs']);
    },
    stop: () => c.stop(),
  };
}

export function gobgpdConfig(node: LabHost, peer: LabHost): string {
  return [
    '[global.config]',
    `  as = ${SENDER_ASN}`,
    `  router-id = "${node.ipv4}"`,
    '[[neighbors]]',
    '  [neighbors.config]',
    `    neighbor-address = "${peer.ipv4}"`,
    `    peer-as = ${RECEIVER_ASN}`,
    '',
  ].join('\n');
}

export async function startGobgpd(network: LabNetwork, node: LabHost, peer: LabHost, routes: number, dir: string): Promise<Sender> {
  const conf = join(dir, 'gobgpd.toml');
  writeFileSync(conf, gobgpdConfig(node, peer));
  const daemon: ChildProcess = network.spawnIn(node.ns, ['gobgpd', '-f', conf, '-t', 'toml', '-l', 'warn', '--api-hosts', `127.0.0.1:${GOBGP_API_PORT}`, '--pprof-disable'], { stdio: ['ignore', 'ignore', 'pipe'] });
  daemon.stderr?.resume();
  const feeder = nodeChild(network, node, './gobgp-feeder.ts', ['--api', `127.0.0.1:${GOBGP_API_PORT}`, '--peer', peer.ipv4, '--local', node.ipv4, '--routes', String(routes)], 'gobgp feeder');
  const stop = async (): Promise<void> => {
    await feeder.stop();
    await stopChild(daemon, 3000);
  };
  try {
    await feeder.next('ready', 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const pid = daemon.pid ?? -1;
  return {
    name: 'gobgpd',
    pid,
    established: async (ms) => void (await feeder.next('established', ms)),
    announce: async () => {
      feeder.send({ cmd: 'announce' });
      return feeder.next('announced', 30_000);
    },
    withdraw: async () => {
      feeder.send({ cmd: 'withdraw' });
      return feeder.next('withdrawn', 30_000);
    },
    memory: async () => memoryOf(pid),
    stop,
  };
}
