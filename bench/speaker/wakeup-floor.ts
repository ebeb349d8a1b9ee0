// What a speaker at rest cannot go below on this machine (issue #10: ≤ 1 % of a core at steady
// state). Three processes per variant, side by side, each doing only part of a speaker's rest:
//   idle      a Node process with nothing to do (the runtime's own threads);
//   interval  a 100 ms timer that runs an empty callback (one wakeup per heartbeat round);
//   exchange  the heartbeat protocol alone: every h on the wall clock (as L2Driver's rounds) one
//             heartbeat, encoded and signed by src/election/heartbeat.ts, to each of the two
//             peers over UDP on 127.0.0.1; each one received decoded and its MAC checked;
//   unsigned  the same without a key.
// No API server, no election, no metrics: the gap between `exchange` and the lab speaker's
// figure (bench/speaker/footprint.ts) is everything else a speaker does at rest.
//
// Usage: node bench/speaker/wakeup-floor.ts [--variants idle,interval,exchange,unsigned] [--window 30]
// Needs nothing but Node; sends only to 127.0.0.1.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeHeartbeat, encodeHeartbeat } from '../../src/election/heartbeat.ts';
import type { Heartbeat } from '../../src/election/heartbeat.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';

const VARIANTS = ['idle', 'interval', 'exchange', 'unsigned'] as const;
type Variant = (typeof VARIANTS)[number];
const isVariant = (v: string): v is Variant => (VARIANTS as readonly string[]).includes(v);
const H = DEFAULT_L2_TIMINGS.heartbeatIntervalMs;
const WARMUP_MS = 3_000;
const BASE_PORT = 47_400;
/** Issue #10's figure for a speaker at steady state, % of one core. */
const TARGET_PERCENT = 1;

/**
 * Times the main thread has gone to sleep so far (`voluntary_ctxt_switches` of /proc/self/status,
 * the thread-group leader's): its wakeups, since each sleep ends in one. A 100 ms timer alone is 10
 * a second; the exchange's extra ones say how many datagrams woke it on their own.
 */
function sleepsSoFar(): number {
  return Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? Number.NaN);
}

/** CPU seconds (user + system) of this process so far, from /proc (10 ms ticks). */
function cpuSeconds(): number {
  const fields = (readFileSync('/proc/self/stat', 'utf8').split(') ')[1] ?? '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface ChildResult {
  variant: Variant;
  index: number;
  cpuPercent: number;
  received: number;
  rejected: number;
  vmHwmMiB: number;
  wakeupsPerSecond: number;
}

/** One process of a variant: wait WARMUP_MS, measure `windowMs`, print one JSON line. */
function child(variant: Variant, index: number, windowMs: number): void {
  let received = 0;
  let rejected = 0;
  // The process ends with process.exit at the end of the window, so no timer is ever cleared.
  if (variant === 'interval') setInterval(() => undefined, H);
  if (variant === 'exchange' || variant === 'unsigned') {
    const key = variant === 'exchange' ? new Uint8Array(32).fill(7) : undefined;
    const ports = [0, 1, 2].map((i) => BASE_PORT + i);
    const me = `node-${index}`;
    const socket = createSocket('udp4');
    socket.on('message', (bytes) => {
      if (decodeHeartbeat(bytes, key).ok) received += 1;
      else rejected += 1;
    });
    socket.bind(ports[index], '127.0.0.1');
    let seq = 0;
    const round = (): void => {
      seq += 1;
      const m: Heartbeat = { node: me, incarnation: 1_700_000_000_000 + index, seq, fenced: false, leaving: false, warming: false, apiAgeMs: 500, policies: ['default'], heard: [0, 1, 2].filter((i) => i !== index).map((i) => ({ node: `node-${i}`, incarnation: 1_700_000_000_000 + i, seq, ageMs: 1 })), notes: [] };
      const encoded = encodeHeartbeat(m, key);
      if (encoded.ok) for (const [i, port] of ports.entries()) if (i !== index) socket.send(encoded.value, port, '127.0.0.1');
      // Rounds on the multiples of h of the wall clock, as L2Driver's (docs/l2.md, "Liveness").
      setTimeout(round, H - (Date.now() % H));
    };
    setTimeout(round, H - (Date.now() % H));
  }
  // The one timer every variant has: the end of the window (no wakeup before it).
  setTimeout(() => {
    const c0 = cpuSeconds();
    const w0 = sleepsSoFar();
    const t0 = performance.now();
    setTimeout(() => {
      const cpu = cpuSeconds() - c0;
      const seconds = (performance.now() - t0) / 1000;
      const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
      const result: ChildResult = { variant, index, cpuPercent: (100 * cpu) / seconds, received, rejected, vmHwmMiB: Number(hwm) / 1024, wakeupsPerSecond: (sleepsSoFar() - w0) / seconds };
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    }, windowMs);
  }, WARMUP_MS);
}

function runVariant(variant: Variant, windowMs: number): Promise<ChildResult[]> {
  const self = fileURLToPath(import.meta.url);
  return Promise.all(
    [0, 1, 2].map(
      (index) =>
        new Promise<ChildResult>((resolve, reject) => {
          const p = spawn(process.execPath, [self, '--child', variant, '--index', String(index), '--window', String(windowMs / 1000)], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          p.stdout.on('data', (d: Buffer) => (out += d.toString()));
          p.on('exit', (code) => {
            const line = out.trim().split('\n').at(-1) ?? '';
            if (code !== 0 || line === '') reject(new Error(`${variant} #${index} exited ${String(code)}`));
            else resolve(JSON.parse(line) as ChildResult);
          });
        }),
    ),
  );
}

const { values: args } = parseArgs({
  options: {
    variants: { type: 'string', default: VARIANTS.join(',') },
    window: { type: 'string', default: '30' },
    child: { type: 'string' },
    index: { type: 'string', default: '0' },
  },
});
const windowMs = Number(args.window) * 1000;
if (args.child !== undefined) {
  if (!isVariant(args.child)) throw new Error(`unknown variant ${args.child}`);
  child(args.child, Number(args.index), windowMs);
} else {
  const wanted = args.variants.split(',').filter((v) => v !== '');
  const bad = wanted.filter((v) => !isVariant(v));
  if (bad.length > 0) {
    process.stderr.write(`unknown variant(s) ${bad.join(', ')}; known: ${VARIANTS.join(', ')}\n`);
    process.exit(2);
  }
  process.stdout.write(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${new Date().toISOString()}\n`);
  process.stdout.write(`three processes per variant, one variant at a time; CPU = (utime + stime) over a ${args.window} s window after ${WARMUP_MS / 1000} s\n\n`);
  process.stdout.write('| variant | CPU per process, % of a core (each) | heartbeats received / rejected per process | main-thread wakeups / s | peak RSS MiB | against the 1 % target |\n| --- | --- | --- | --- | --- | --- |\n');
  for (const v of wanted.filter(isVariant)) {
    const rs = await runVariant(v, windowMs);
    const worst = Math.max(...rs.map((r) => r.cpuPercent));
    const cells = [v, rs.map((r) => r.cpuPercent.toFixed(2)).join(' / '), rs.map((r) => `${r.received} / ${r.rejected}`).join(', '), rs.map((r) => r.wakeupsPerSecond.toFixed(1)).join(' / '), rs.map((r) => r.vmHwmMiB.toFixed(1)).join(' / '), `${(worst / TARGET_PERCENT).toFixed(2)}× (worst)`];
    process.stdout.write(`| ${cells.join(' | ')} |\n`);
  }
  process.stdout.write(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
}
