// BIRD 2 as the receiving router of the origination bench: one passive `protocol bgp` that
// imports everything and exports nothing, `protocol device` (BIRD's view of its interfaces), no kernel protocol (the figure is BGP import, not
// netlink), and a client of its control socket that asks "show protocols all NAME" and reads the
// "Routes: N imported" line. BIRD does not answer its socket while it imports a burst
// (/work/shared/BENCH-NOTES.md), so the client keeps one connection open and asks again 5 ms
// after each answer: the first answer after the import is the one that shows N.
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { LabNetwork } from '../../src/lab/netns.ts';
import { nowMs, sleep, stopChild } from './children.ts';

export const RECEIVER_ASN = 65000;
export const SENDER_ASN = 64512;
/** BIRD's protocol name for the one sender. */
export const PROTO = 'sender';

export function receiverConfig(routerId: string, senderAddress: string): string {
  return [
    `router id ${routerId};`,
    // Without it BIRD knows no interface, so a directly connected neighbor stays Idle.
    'protocol device { scan time 60; }',
    `protocol bgp ${PROTO} {`,
    `  local as ${RECEIVER_ASN};`,
    `  neighbor ${senderAddress} as ${SENDER_ASN};`,
    '  passive on;',
    '  ipv4 { import all; export none; };',
    '}',
    '',
  ].join('\n');
}

/** One reply of BIRD's control protocol: lines "dddd-text" and " text" until a line "dddd text". */
export class BirdControl {
  readonly #socket: Socket;
  #buf = '';
  #lines: string[] = [];
  #waiter: ((reply: string[]) => void) | null = null;
  #failed: Error | null = null;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#data(chunk));
    socket.on('error', (err) => {
      this.#failed = err;
    });
    socket.on('close', () => {
      this.#failed ??= new Error('BIRD closed its control socket');
      this.#waiter?.([]);
    });
  }

  static async connect(path: string): Promise<BirdControl> {
    const socket = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new BirdControl(socket);
    await c.#reply(); // "0001 BIRD 2.0.12 ready."
    return c;
  }

  /** The reply's lines, code prefixes removed. */
  async command(cmd: string): Promise<string[]> {
    if (this.#failed !== null) throw this.#failed;
    const reply = this.#reply();
    this.#socket.write(`${cmd}\n`);
    const lines = await reply;
    if (this.#failed !== null) throw this.#failed;
    return lines;
  }

  /** Routes imported by protocol `name`, or null while its channel is down (no "Routes:" line). */
  async imported(name: string): Promise<{ imported: number | null; state: string }> {
    const lines = await this.command(`show protocols all ${name}`);
    const route = lines.map((l) => /Routes:\s+(\d+) imported/.exec(l)).find((m) => m !== null);
    const state = lines.map((l) => /BGP state:\s+(\S+)/.exec(l)).find((m) => m !== null);
    return { imported: route === undefined ? null : Number(route[1]), state: state?.[1] ?? 'unknown' };
  }

  /** Asks every 20 ms until protocol `name`'s BGP state is Established; `who` names this BIRD in the error. */
  async waitEstablished(name: string, timeoutMs: number, who: string): Promise<void> {
    const deadline = nowMs() + timeoutMs;
    let state = 'unknown';
    while (nowMs() < deadline) {
      state = (await this.imported(name)).state;
      if (state === 'Established') return;
      await sleep(20);
    }
    throw new Error(`${who}: session not Established after ${timeoutMs} ms (BGP state ${state})`);
  }

  close(): void {
    this.#socket.destroy();
  }

  #reply(): Promise<string[]> {
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  #data(chunk: string): void {
    this.#buf += chunk;
    let nl: number;
    while ((nl = this.#buf.indexOf('\n')) >= 0) {
      const line = this.#buf.slice(0, nl);
      this.#buf = this.#buf.slice(nl + 1);
      const last = /^\d{4} /.test(line) || /^\d{4}$/.test(line);
      this.#lines.push(/^\d{4}[- ]/.test(line) ? line.slice(5) : line.slice(1));
      if (last) {
        const done = this.#lines;
        this.#lines = [];
        const w = this.#waiter;
        this.#waiter = null;
        w?.(done);
      }
    }
  }
}

export interface Receiver {
  readonly process: ChildProcess;
  readonly control: BirdControl;
  /** Polls every `everyMs` after each answer until `done(imported)`; returns the bench-clock time of that answer. */
  waitImported(done: (n: number) => boolean, timeoutMs: number, everyMs?: number): Promise<{ at: number; imported: number; polls: number }>;
  waitEstablished(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * BIRD started in namespace `ns` with the configuration `conf`, once its control socket `sock`
 * answers (within `timeoutMs`; a BIRD that does not answer by then is stopped). `who` names it in
 * the errors, with what BIRD printed.
 */
export async function spawnBird(network: LabNetwork, ns: string, conf: string, sock: string, o: { who: string; timeoutMs: number }): Promise<{ child: ChildProcess; control: BirdControl }> {
  const child = network.spawnIn(ns, ['bird', '-f', '-c', conf, '-s', sock], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const start = nowMs();
  let control: BirdControl | null = null;
  while (control === null) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${o.who} exited at start: ${stderr.trim()}`);
    if (nowMs() - start > o.timeoutMs) {
      await stopChild(child, 3000);
      throw new Error(`${o.who}'s control socket ${sock} never answered: ${stderr.trim()}`);
    }
    if (existsSync(sock)) control = await BirdControl.connect(sock).catch(() => null);
    if (control === null) await sleep(20);
  }
  return { child, control };
}

/** A fresh BIRD in the router namespace, config and socket in `dir`. */
export async function startReceiver(network: LabNetwork, dir: string, senderAddress: string): Promise<Receiver> {
  const router = network.router;
  if (router === null) throw new Error('the lab has no router namespace');
  const conf = join(dir, 'bird.conf');
  const sock = join(dir, 'bird.ctl');
  writeFileSync(conf, receiverConfig(router.ipv4, senderAddress));
  const { child, control: c } = await spawnBird(network, router.ns, conf, sock, { who: 'bird', timeoutMs: 10_000 });
  return {
    process: child,
    control: c,
    async waitImported(done, timeoutMs, everyMs = 5) {
      const deadline = nowMs() + timeoutMs;
      let polls = 0;
      let last: number | null = null;
      while (nowMs() < deadline) {
        const r = await c.imported(PROTO);
        polls++;
        last = r.imported;
        if (r.imported !== null && done(r.imported)) return { at: nowMs(), imported: r.imported, polls };
        await sleep(everyMs);
      }
      throw new Error(`BIRD: timed out after ${timeoutMs} ms; last seen ${last ?? 'no channel'} imported`);
    },
    waitEstablished: (timeoutMs) => c.waitEstablished(PROTO, timeoutMs, 'BIRD'),
    async stop() {
      c.close();
      await stopChild(child, 3000);
    },
  };
}
