// The ARP probe client of the L2 benches, run inside the lab's client namespace
// (`ip netns exec NS node probe-agent.ts`), on an AF_PACKET socket of the addon with kernel
// receive timestamps (SO_TIMESTAMPNS, CLOCK_REALTIME). It sends its own ARP requests, so the
// client's neighbour cache plays no part. BENCH-NOTES.md: never trust a tool's own send stamp on
// veth (the reply can be produced inside send()); stamp before send(), and read both the reply's
// kernel timestamp and the user-space wake-up time.
// Protocol: one JSON object per line. In: {id, op, ...}; out: {id, result} or {id, error}, and
// during a stream {e: 'sent' | 'arp', ...} lines. Times are ns as decimal strings (CLOCK_REALTIME).
//   open    {ifindex, mac, ip}                 opens the socket; calibrates the realtime offset
//   stream  {target, intervalMs, senders?}     one request every intervalMs until `stop`; with
//                                              `senders` (sender addresses) request k is sent from
//                                              senders[k mod n], its 'sent' line and the replies to
//                                              it carry s = k mod n: a late reply names its request
//                                              (the L2 chaos bench; ARP has no request id)
//   stop    {}                                 ends the stream; result {sent}
//   latency {targets, count, timeoutMs, gapMs} sequential request/reply rounds, targets alternated
import { createInterface } from 'node:readline';
import { decodeArpFrame, encodeArpFrame } from '../../src/l2/arp.ts';
import { BROADCAST_MAC, ETHERTYPE_ARP, ZERO_MAC } from '../../src/l2/ethernet.ts';
import type { Mac } from '../../src/l2/ethernet.ts';
import type { Ipv4 } from '../../src/l2/ip.ts';
import { nativeNet } from '../../src/net/sockets.ts';
import { ETH_P } from '../../src/net/types.ts';
import type { Frame, PacketSocket } from '../../src/net/types.ts';
import { realtimeOffsetNs } from './clock.ts';

type Command = Record<string, unknown> & { id: number; op: string };

const out = (line: unknown): void => {
  process.stdout.write(`${JSON.stringify(line, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
};

let socket: PacketSocket | undefined;
let me: { mac: Mac; ip: Ipv4 } | undefined;
let offsetNs = 0n;
/** Called with every ARP frame and the hrtime at which this process woke up for it. */
let onArp: (frame: Frame, wokeHr: bigint) => void = () => undefined;
let stream: ReturnType<typeof setInterval> | undefined;
let streamSent = 0;

function str(c: Command, k: string): string {
  const v = c[k];
  if (typeof v !== 'string') throw new Error(`${k} must be a string`);
  return v;
}
function num(c: Command, k: string): number {
  const v = c[k];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${k} must be a number`);
  return v;
}

function request(target: string, from?: Ipv4): Uint8Array {
  if (me === undefined) throw new Error('open first');
  return encodeArpFrame({ eth: { dst: BROADCAST_MAC, src: me.mac, ethertype: ETHERTYPE_ARP }, arp: { op: 'request', senderMac: me.mac, senderIp: from ?? me.ip, targetMac: ZERO_MAC, targetIp: target as Ipv4 } });
}

function send(frame: Uint8Array): void {
  const r = socket?.send(frame);
  if (r !== undefined && !r.ok) throw new Error(`send: ${r.error.code} ${r.error.message}`);
}

/**
 * A reply to one of our requests for `target` (unicast to us, to our address or to
 * `senders[s]`), or a gratuitous/other frame about it.
 */
function classify(frame: Frame, target: string, senders: readonly string[] = []): { kind: 'reply' | 'other'; mac: string; s?: number } | null {
  const d = decodeArpFrame(frame.data);
  if (!d.ok || d.value.arp.senderIp !== target) return null;
  const { arp, eth } = d.value;
  const toUs = arp.op === 'reply' && me !== undefined && eth.dst === me.mac;
  const s = senders.indexOf(arp.targetIp);
  if (toUs && s >= 0) return { kind: 'reply', mac: arp.senderMac, s };
  const isReply = toUs && me !== undefined && arp.targetIp === me.ip;
  return { kind: isReply ? 'reply' : 'other', mac: arp.senderMac };
}

function open(c: Command): unknown {
  const net = nativeNet();
  if (!net.ok) throw new Error(`${net.error.code}: ${net.error.message}`);
  me = { mac: str(c, 'mac').toLowerCase() as Mac, ip: str(c, 'ip') as Ipv4 };
  const s = net.value.openPacketSocket({
    ifindex: num(c, 'ifindex'),
    protocol: ETH_P.ARP,
    timestamps: true,
    onFrame: (f) => onArp(f, process.hrtime.bigint()),
    onError: (e) => out({ e: 'error', code: e.code, message: e.message }),
  });
  if (!s.ok) throw new Error(`${s.error.code}: ${s.error.message}`);
  socket = s.value;
  offsetNs = realtimeOffsetNs();
  return { offsetNs };
}

function startStream(c: Command): unknown {
  const target = str(c, 'target');
  const intervalMs = num(c, 'intervalMs');
  if (intervalMs < 1 || intervalMs > 1000) throw new Error('intervalMs must be 1..1000');
  const senders = c['senders'];
  if (senders !== undefined && (!Array.isArray(senders) || senders.length === 0 || !senders.every((x): x is string => typeof x === 'string'))) throw new Error('senders must be a non-empty list of strings');
  const from: readonly string[] = senders ?? [];
  const frames = from.length === 0 ? [request(target)] : from.map((ip) => request(target, ip as Ipv4));
  streamSent = 0;
  onArp = (f) => {
    const k = classify(f, target, from);
    if (k !== null) out({ e: 'arp', kind: k.kind, mac: k.mac, t: f.timestampNs ?? 0n, ...(k.s === undefined ? {} : { s: k.s }) });
  };
  const tick = (): void => {
    const s = streamSent % frames.length;
    const t = process.hrtime.bigint() + offsetNs;
    send(frames[s] ?? new Uint8Array());
    streamSent++;
    out({ e: 'sent', t, ...(from.length === 0 ? {} : { s }) });
  };
  tick();
  stream = setInterval(tick, intervalMs);
  return { started: true };
}

function stopStream(): unknown {
  clearInterval(stream);
  stream = undefined;
  onArp = () => undefined;
  return { sent: streamSent };
}

/** Sequential rounds: stamp, send, wait for the reply (or time out), pause, next target. */
async function latency(c: Command): Promise<unknown> {
  const targets = c['targets'];
  if (!Array.isArray(targets) || !targets.every((t): t is string => typeof t === 'string') || targets.length === 0) throw new Error('targets must be a non-empty list of strings');
  const count = num(c, 'count');
  const timeoutMs = num(c, 'timeoutMs');
  const gapMs = num(c, 'gapMs');
  const results = new Map<string, { kernelNs: number[]; wakeNs: number[]; lost: number; macs: Set<string> }>(targets.map((t) => [t, { kernelNs: [], wakeNs: [], lost: 0, macs: new Set() }]));
  for (let round = 0; round < count; round++) {
    for (let k = 0; k < targets.length; k++) {
      const target = targets[(round + k) % targets.length] ?? '';
      const r = results.get(target);
      if (r === undefined) continue;
      const frame = request(target);
      const got = await new Promise<{ frame: Frame; woke: bigint; sentHr: bigint } | null>((resolve) => {
        let sentHr = 0n;
        const timer = setTimeout(() => {
          onArp = () => undefined;
          resolve(null);
        }, timeoutMs);
        onArp = (f, woke) => {
          const cl = classify(f, target);
          if (cl === null || cl.kind !== 'reply') return;
          clearTimeout(timer);
          onArp = () => undefined;
          r.macs.add(cl.mac);
          resolve({ frame: f, woke, sentHr });
        };
        sentHr = process.hrtime.bigint(); // stamped before send(): the reply may arrive inside it
        send(frame);
      });
      if (got === null) r.lost++;
      else {
        r.wakeNs.push(Number(got.woke - got.sentHr));
        if (got.frame.timestampNs !== undefined) r.kernelNs.push(Number(got.frame.timestampNs - (got.sentHr + offsetNs)));
      }
      await new Promise((res) => setTimeout(res, gapMs));
    }
  }
  return Object.fromEntries([...results].map(([t, r]) => [t, { kernelNs: r.kernelNs, wakeNs: r.wakeNs, lost: r.lost, macs: [...r.macs] }]));
}

const lines = createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
  queue = queue.then(async () => {
    let c: Command;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed !== 'object' || parsed === null || !('id' in parsed) || !('op' in parsed) || typeof parsed.id !== 'number' || typeof parsed.op !== 'string') throw new Error('bad command');
      c = parsed as Command;
    } catch (err) {
      out({ id: -1, error: `${err instanceof Error ? err.message : String(err)}: ${line}` });
      return;
    }
    try {
      let result: unknown;
      if (c.op === 'open') result = open(c);
      else if (c.op === 'stream') result = startStream(c);
      else if (c.op === 'stop') result = stopStream();
      else if (c.op === 'latency') result = await latency(c);
      else throw new Error(`unknown op ${c.op}`);
      out({ id: c.id, result });
    } catch (err) {
      out({ id: c.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
});
// The bench closing our stdin (or dying) ends the agent: no socket outlives it.
lines.on('close', () => {
  clearInterval(stream);
  socket?.close();
  process.exit(0);
});
