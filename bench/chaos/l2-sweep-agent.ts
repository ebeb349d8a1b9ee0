// The all-VIP ARP sweep of the chaos bench, run inside the lab's client namespace beside
// bench/l2/probe-agent.ts. Every `everyMs` it asks for every VIP once (one ARP request each, from
// a sender address of its own so that the 10 ms probe never mistakes a sweep reply for one of its
// own), and records every reply's kernel receive time (SO_TIMESTAMPNS), sender MAC and which of its
// sender addresses the reply was for. Rounds take the sender addresses in turn, so a reply names its
// round among the last `ips.length`: a reply delayed past the next round is no longer counted in
// that round beside another node's answer (bench/README.md, L2 chaos Finding 6). The bench
// judges the records (l2-sweep.ts): a VIP that nobody answers for > 1 s, or that two MACs answer in
// one round, is caught even when it is not the VIP the 10 ms probe watches.
// Protocol: one JSON object per line. In: {id, op, ...}; out: {id, result} or {id, error}.
//   open  {ifindex, mac, ips}       opens the socket (ips: the sweep's sender addresses, used in turn)
//   start {targets, everyMs}        a round every everyMs until `stop`
//   stop  {}                        result {rounds: [ns], macs: [mac], replies: [[target, mac, ns, sender]]}
// Times are CLOCK_REALTIME ns as decimal strings; replies are kept here, not streamed, because a
// line per reply (1,000/s) would cost the bench more than the sweep.
import { createInterface } from 'node:readline';
import { decodeArpFrame, encodeArpFrame } from '../../src/l2/arp.ts';
import { BROADCAST_MAC, ETHERTYPE_ARP, ZERO_MAC } from '../../src/l2/ethernet.ts';
import type { Mac } from '../../src/l2/ethernet.ts';
import type { Ipv4 } from '../../src/l2/ip.ts';
import { nativeNet } from '../../src/net/sockets.ts';
import { ETH_P } from '../../src/net/types.ts';
import type { Frame, PacketSocket } from '../../src/net/types.ts';
import { realtimeOffsetNs } from '../l2/clock.ts';

type Command = Record<string, unknown> & { id: number; op: string };

const out = (line: unknown): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

let socket: PacketSocket | undefined;
let me: { mac: Mac; ips: Ipv4[] } | undefined;
let offsetNs = 0n;
let timer: ReturnType<typeof setInterval> | undefined;
let rounds: string[] = [];
let replies: [number, number, string, number][] = [];
let macs: string[] = [];
let targetIndex = new Map<string, number>();
let sendErrors = 0;

function num(c: Command, k: string): number {
  const v = c[k];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${k} must be a number`);
  return v;
}
function str(c: Command, k: string): string {
  const v = c[k];
  if (typeof v !== 'string') throw new Error(`${k} must be a string`);
  return v;
}

function onFrame(f: Frame): void {
  if (me === undefined || f.timestampNs === undefined) return;
  const d = decodeArpFrame(f.data);
  if (!d.ok) return;
  const { arp, eth } = d.value;
  // Only answers to the sweep's own requests: unicast to us, about one of the targets.
  if (arp.op !== 'reply' || eth.dst !== me.mac) return;
  const sender = me.ips.indexOf(arp.targetIp);
  if (sender < 0) return;
  const t = targetIndex.get(arp.senderIp);
  if (t === undefined || timer === undefined) return;
  const mac = arp.senderMac.toLowerCase();
  let m = macs.indexOf(mac);
  if (m < 0) m = macs.push(mac) - 1;
  replies.push([t, m, f.timestampNs.toString(), sender]);
}

function open(c: Command): unknown {
  const net = nativeNet();
  if (!net.ok) throw new Error(`${net.error.code}: ${net.error.message}`);
  const ips = c['ips'];
  if (!Array.isArray(ips) || ips.length === 0 || !ips.every((ip): ip is string => typeof ip === 'string')) throw new Error('ips must be a non-empty list of strings');
  me = { mac: str(c, 'mac').toLowerCase() as Mac, ips: ips as Ipv4[] };
  const s = net.value.openPacketSocket({ ifindex: num(c, 'ifindex'), protocol: ETH_P.ARP, timestamps: true, onFrame, onError: () => undefined });
  if (!s.ok) throw new Error(`${s.error.code}: ${s.error.message}`);
  socket = s.value;
  offsetNs = realtimeOffsetNs();
  return { opened: true };
}

function start(c: Command): unknown {
  const targets = c['targets'];
  if (!Array.isArray(targets) || !targets.every((t): t is string => typeof t === 'string') || targets.length === 0) throw new Error('targets must be a non-empty list of strings');
  const everyMs = num(c, 'everyMs');
  if (everyMs < 10 || everyMs > 5000) throw new Error('everyMs must be 10..5000');
  const self = me;
  if (self === undefined || socket === undefined) throw new Error('open first');
  const s = socket;
  const framesBySender = self.ips.map((from) => targets.map((ip) => encodeArpFrame({ eth: { dst: BROADCAST_MAC, src: self.mac, ethertype: ETHERTYPE_ARP }, arp: { op: 'request', senderMac: self.mac, senderIp: from, targetMac: ZERO_MAC, targetIp: ip as Ipv4 } })));
  targetIndex = new Map(targets.map((ip, i) => [ip, i]));
  rounds = [];
  replies = [];
  macs = [];
  sendErrors = 0;
  const round = (): void => {
    // The round's stamp is taken before its first send: a reply can arrive inside send() (BENCH-NOTES).
    const frames = framesBySender[rounds.length % framesBySender.length] ?? [];
    rounds.push((process.hrtime.bigint() + offsetNs).toString());
    for (const f of frames) if (!s.send(f).ok) sendErrors++;
  };
  timer = setInterval(round, everyMs);
  round();
  return { started: true };
}

function stop(): unknown {
  clearInterval(timer);
  timer = undefined;
  return { rounds, macs, replies, sendErrors };
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
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
    const result = c.op === 'open' ? open(c) : c.op === 'start' ? start(c) : c.op === 'stop' ? stop() : undefined;
    if (result === undefined) throw new Error(`unknown op ${c.op}`);
    out({ id: c.id, result });
  } catch (err) {
    out({ id: c.id, error: err instanceof Error ? err.message : String(err) });
  }
});
// The bench closing our stdin (or dying) ends the agent: no socket outlives it.
lines.on('close', () => {
  clearInterval(timer);
  socket?.close();
  process.exit(0);
});
