// ARP reply latency: Herald's responder (a `herald speaker` process answering from user space on
// an AF_PACKET socket) against the kernel's own (an address bound on an interface), in the same
// lab and through the same bridge: the kernel target is the holder node's own address on eth0,
// so both replies come from the same namespace. The probe (probe-agent.ts, client namespace)
// alternates the two targets request by request, one request in flight at a time, and measures
// per BENCH-NOTES.md: a stamp taken before send() against (a) the reply's kernel receive
// timestamp (SO_TIMESTAMPNS) and (b) the time the probe's process woke up for the reply.
// Usage: node bench/l2/arp-latency.ts [--count 1000] [--warmup 50]
import { parseArgs } from 'node:util';
import { loadAverage, machineLines, quantile } from '../machine.ts';
import { startHeraldLab } from './herald-lab.ts';
import type { HeraldLab } from './herald-lab.ts';
import { Probe } from './probe.ts';
import type { LatencyResult } from './probe.ts';
import { fmt, ratio } from './report.ts';
import { NEEDS, requirePrerequisites } from '../prerequisites.ts';

const { values: args } = parseArgs({ options: { count: { type: 'string', default: '1000' }, warmup: { type: 'string', default: '50' } } });
const COUNT = Number(args.count);
const WARMUP = Number(args.warmup);
if (!(Number.isInteger(COUNT) && COUNT >= 10 && COUNT <= 100_000 && Number.isInteger(WARMUP) && WARMUP >= 0 && WARMUP <= 10_000)) {
  process.stderr.write('usage: arp-latency.ts [--count 10..100000] [--warmup 0..10000]\n');
  process.exit(2);
}
requirePrerequisites('arp-latency.ts', [NEEDS.root, NEEDS.ip, NEEDS.addon]);

interface Stats {
  median: number;
  p90: number;
  p99: number;
  max: number;
  n: number;
}

function stats(ns: readonly number[]): Stats {
  const us = ns.map((v) => v / 1000).sort((a, b) => a - b);
  return { median: quantile(us, 0.5), p90: quantile(us, 0.9), p99: quantile(us, 0.99), max: us[us.length - 1] ?? Number.NaN, n: us.length };
}

const show = (s: Stats): string => `median ${fmt(s.median, 1).padStart(7)} µs, p90 ${fmt(s.p90, 1).padStart(7)}, p99 ${fmt(s.p99, 1).padStart(7)}, max ${fmt(s.max, 0).padStart(6)} (n=${s.n})`;

async function main(): Promise<void> {
  for (const l of machineLines()) console.log(l);
  let lab: HeraldLab | undefined;
  let probe: Probe | undefined;
  try {
    lab = await startHeraldLab({ vips: 3, onStep: (s) => console.log(`  herald lab: ${s}`) });
    probe = await Probe.start(lab.network, lab.network.client);
    const holders = await lab.settle(2000, 60_000);
    const vip = lab.vips[0] ?? '';
    const holder = lab.node(holders.get(vip) ?? '');
    const kernelIp = holder.ipv4;
    console.log(`ARP reply latency, ${COUNT} request/reply rounds per target after ${WARMUP} warm-up rounds, targets alternated:`);
    console.log(`  Herald: ${vip}, held by ${holder.name} (${holder.mac}), answered by its speaker process`);
    console.log(`  kernel: ${kernelIp}, ${holder.name}'s own address on eth0, answered by its kernel`);
    if (WARMUP > 0) await probe.latency([vip, kernelIp], WARMUP, 200, 2);
    const r = await probe.latency([vip, kernelIp], COUNT, 200, 2);
    const h: LatencyResult | undefined = r[vip];
    const k: LatencyResult | undefined = r[kernelIp];
    if (h === undefined || k === undefined) throw new Error('the probe returned no results');
    for (const [name, x] of [['Herald', h], ['kernel', k]] as const) {
      if (!(x.macs.length === 1 && x.macs[0] === holder.mac.toLowerCase())) console.log(`  WARNING: ${name} replies came from ${x.macs.join(', ') || 'nobody'}, not ${holder.mac}`);
    }
    const hk = stats(h.kernelNs);
    const kk = stats(k.kernelNs);
    const hw = stats(h.wakeNs);
    const kw = stats(k.wakeNs);
    console.log(`\nresults (load average after: ${loadAverage()})`);
    console.log('send stamp → reply kernel receive timestamp (SO_TIMESTAMPNS):');
    console.log(`  Herald ${show(hk)}; unanswered ${h.lost}`);
    console.log(`  kernel ${show(kk)}; unanswered ${k.lost}`);
    console.log('send stamp → probe woke up for the reply (user space, includes the probe\'s own scheduling):');
    console.log(`  Herald ${show(hw)}`);
    console.log(`  kernel ${show(kw)}`);
    console.log(`\nHerald ÷ kernel, kernel timestamps: median ${ratio(hk.median, kk.median)}; p99 ${ratio(hk.p99, kk.p99)}`);
    console.log(`Herald ÷ kernel, wake-up:           median ${ratio(hw.median, kw.median)}; p99 ${ratio(hw.p99, kw.p99)}`);
  } finally {
    probe?.close();
    await lab?.close();
  }
}

let code = 0;
try {
  await main();
} catch (err) {
  code = 1;
  process.stderr.write(`arp-latency failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
}
process.exit(code);
