// What one heartbeat costs a speaker's CPU, by cluster size (issue #10): every round a speaker
// encodes, fits (past ~60 peers the heard list no longer fits one 1,400-byte datagram, and
// `fitHeartbeat` finds what does by bisection) and signs its heartbeat, and decodes and verifies
// one from each peer. Hot loops of the real codec (src/election/heartbeat.ts, heartbeat-fit.ts);
// no sockets. Figures are µs per call and, at h = 100 ms, the share of a core per speaker.
//
// Usage: node bench/election/heartbeat-codec.ts [--peers 2,10,60,99] [--ms 1000]
import { parseArgs } from 'node:util';
import { decodeHeartbeat, encodeHeartbeat } from '../../src/election/heartbeat.ts';
import type { Heartbeat } from '../../src/election/heartbeat.ts';
import { fitHeartbeat } from '../../src/election/heartbeat-fit.ts';
import { machineLines } from '../machine.ts';

const { values } = parseArgs({ options: { peers: { type: 'string', default: '2,10,60,99' }, ms: { type: 'string', default: '1000' } }, strict: true });
const sizes = values.peers.split(',').map(Number);
const budgetMs = Number(values.ms);
if (sizes.some((n) => !Number.isInteger(n) || n < 0 || n > 255) || !(budgetMs > 0)) {
  process.stderr.write('usage: heartbeat-codec.ts [--peers N,N,… (0..255)] [--ms MS per figure]\n');
  process.exit(2);
}

const KEY = new Uint8Array(32).fill(7);
const ROUNDS_PER_SECOND = 10; // h = 100 ms (docs/l2.md)

/** A speaker's heartbeat with `peers` heard entries, names and numbers as a real cluster's. */
function heartbeat(peers: number): Heartbeat {
  const heard = Array.from({ length: peers }, (_, i) => ({ node: `worker-${String(i).padStart(3, '0')}.example.internal`, incarnation: 1_733_000_000_000 + i, seq: 123_456 + i, ageMs: (i * 7) % 250 }));
  return { node: 'worker-999.example.internal', incarnation: 1_733_000_000_123, seq: 77, fenced: false, leaving: false, warming: false, apiAgeMs: 1_234, policies: ['default'], heard, notes: [] };
}

/** µs per call of `f`, after a warm-up, over about `budgetMs`. */
function time(f: () => unknown): number {
  for (let i = 0; i < 200; i++) f();
  let calls = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(budgetMs) * 1_000_000n;
  let now = start;
  while (now < until) {
    for (let i = 0; i < 50; i++) f();
    calls += 50;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / 1_000 / calls;
}

console.log('bench/election/heartbeat-codec — one heartbeat, by the number of peers heard');
for (const line of machineLines()) console.log(line);
console.log('| peers heard | datagram, bytes (entries kept) | encode + sign, µs | fit + sign, µs | decode + verify, µs | per round: fit once, decode each peer | share of a core at h = 100 ms |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const peers of sizes) {
  const m = heartbeat(peers);
  const fitted = fitHeartbeat(m, KEY);
  if (!fitted.ok) throw new Error(`fitHeartbeat failed: ${fitted.error.message}`);
  const decoded = decodeHeartbeat(fitted.value, KEY);
  if (!decoded.ok) throw new Error(`decodeHeartbeat failed: ${decoded.error.message}`);
  const encode = time(() => encodeHeartbeat(m, KEY, 1 << 20));
  const fit = time(() => fitHeartbeat(m, KEY));
  const decode = time(() => decodeHeartbeat(fitted.value, KEY));
  const round = fit + peers * decode;
  console.log(`| ${peers} | ${fitted.value.length} (${decoded.value.heard.length}) | ${encode.toFixed(1)} | ${fit.toFixed(1)} | ${decode.toFixed(1)} | ${round.toFixed(0)} µs | ${((round * ROUNDS_PER_SECOND) / 1e4).toFixed(2)} % |`);
}
console.log('Hot loops: the caches are warm, unlike a speaker woken ten times a second (bench/README.md, "Speaker footprint").');
