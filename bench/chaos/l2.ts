// The L2 chaos bench (issue #14, "Chaos in the lab"): in one Herald lab (3 node namespaces, 100
// VIPs, bench/l2/herald-lab.ts), each run hits the node holding a probed VIP with one fault, heals
// it, and waits for the steady state before the next run; the victim rotates over the nodes and
// the faults are interleaved, so drift of the machine's load spreads over all of them.
//   kill       SIGKILL of the holder's speaker and its link down at once (failover.ts's crash)
//   link-down  the holder's link down, the speaker alive
//   partition  the holder cut from its peers (nftables in its namespace), the API reachable
//   api-cut    the holder's TCP to the API server dropped, its peers still hear it
//   freeze     SIGSTOP of the holder's speaker for 2 s, then SIGCONT
//   planned    SIGTERM of the holder's speaker (the drain)
// and, only when asked for (--faults api-cut-stall), a double fault that the 20-run batch of
// 2026-12-05 met by chance: the API cut, and a 500 ms SIGSTOP of the holder 2 s into it.
// The client sees it two ways: a 10 ms ARP probe of one of the victim's VIPs (bench/l2/probe.ts),
// and a sweep of all VIPs every 100 ms (l2-sweep.ts), so a dark VIP other than the probed one is
// caught too. Each run is judged against what docs/l2.md's failure table says must happen.
// Usage: node bench/chaos/l2.ts [--runs 100] [--faults kill,link-down,...] [--vips 100]
//                               [--sweep-every 100] [--log-dir DIR] [--keep-logs]
// --keep-logs keeps every run's speaker log lines in the log directory, not only a failed run's.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { desiredOwner } from '../../src/election/hash.ts';
import { SPEAKER_METRICS_PORT } from '../../src/lab/speakers.ts';
import { nativeNet } from '../../src/net/sockets.ts';
import { loadAverage, machineLines, quantile } from '../machine.ts';
import { realtimeNs, realtimeOffsetNs } from '../l2/clock.ts';
import { startHeraldLab } from '../l2/herald-lab.ts';
import type { HeraldLab } from '../l2/herald-lab.ts';
import { Probe } from '../l2/probe.ts';
import { describeError, fmt, sleep, waitFor } from '../l2/report.ts';
import { DEFAULT_FAULTS, FAULT_NAMES, faults } from './l2-faults.ts';
import type { Fault, FaultName } from './l2-faults.ts';
import { isTargetMiss, judge } from './l2-judge.ts';
import { evidence, keepLog, runLine, table } from './l2-report.ts';
import type { RunRecord } from './l2-report.ts';
import { Sweep, lastCompleteRound, mergeRecords } from './l2-sweep.ts';
import type { SweepRecord } from './l2-sweep.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    faults: { type: 'string', default: DEFAULT_FAULTS.join(',') },
    vips: { type: 'string', default: '100' },
    'sweep-every': { type: 'string', default: '100' },
    'log-dir': { type: 'string' },
    'keep-logs': { type: 'boolean', default: false },
    /** More `herald speaker` flags for every speaker, space-separated (e.g. "--node-lease-renew 5s"). */
    'speaker-args': { type: 'string', default: '' },
  },
});
const SPEAKER_ARGS = args['speaker-args'].split(' ').filter((s) => s !== '');
const RUNS = Number(args.runs);
const VIPS = Number(args.vips);
const SWEEP_MS = Number(args['sweep-every']);
const isFault = (s: string): s is FaultName => (FAULT_NAMES as readonly string[]).includes(s);
const SELECTED = args.faults.split(',').map((s) => s.trim()).filter((s) => s !== '');
if (!(Number.isInteger(RUNS) && RUNS >= 1 && RUNS <= 1000 && Number.isInteger(VIPS) && VIPS >= 3 && VIPS <= 100 && SWEEP_MS >= 20 && SWEEP_MS <= 1000 && SELECTED.length > 0 && SELECTED.every(isFault))) {
  process.stderr.write(`usage: l2.ts [--runs 1..1000] [--faults ${FAULT_NAMES.join(',')}] [--vips 3..100] [--sweep-every 20..1000 ms] [--log-dir DIR] [--keep-logs] [--speaker-args="FLAGS"]\n`);
  process.exit(2);
}
const ORDER = FAULT_NAMES.filter((f) => SELECTED.includes(f));
const PROBE_MS = 10;
/** The sweep's sender address: a documentation address that is no node, VIP or the client (.100). */
/**
 * The probe's sender addresses, one per probe in turn, so a reply names its probe among the last
 * 32 (320 ms; 8 were too few: a holder stalled 100 ms while handing over answered a probe that
 * late, Finding 7); the sweep's, one per round in turn (Finding 6). The client is .100, the nodes
 * .11…, the VIPs .101….
 */
const PROBE_SENDERS = Array.from({ length: 32 }, (_, i) => `192.0.2.${64 + i}`);
const SWEEP_IPS = ['192.0.2.96', '192.0.2.97', '192.0.2.98', '192.0.2.99'];
const SETTLE_TIMEOUT_MS = 60_000;
const offsetNs = realtimeOffsetNs();
const say = (s: string): void => console.log(`  (${s})`);

/** Everything the bench needs that this machine may lack, in one line; null when nothing is missing. */
function missing(): string | null {
  const lack: string[] = [];
  if (process.getuid?.() !== 0) lack.push('root (network namespaces, raw sockets): run as root');
  const has = (cmd: string, arg: string): boolean => spawnSync(cmd, [arg], { stdio: 'ignore' }).error === undefined;
  if (!has('ip', '-V')) lack.push('ip (apt-get install -y iproute2)');
  if (ORDER.some((f) => f === 'partition' || f.startsWith('api-cut')) && !has('nft', '--version')) lack.push('nft (apt-get install -y nftables)');
  const net = nativeNet();
  if (!net.ok) lack.push(`the native addon (${net.error.code}: npm run build:native)`);
  return lack.length === 0 ? null : `missing: ${lack.join('; ')}`;
}

async function fencedSpeakers(lab: HeraldLab): Promise<string[]> {
  const out: string[] = [];
  for (const n of lab.network.nodes) {
    const res = await fetch(`http://${n.mgmt?.ipv4 ?? ''}:${SPEAKER_METRICS_PORT}/metrics`, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    const m = /^herald_l2_fenced (\S+)$/m.exec(text);
    if (m?.[1] !== '0') out.push(`${n.name} (herald_l2_fenced ${m?.[1] ?? 'absent'})`);
  }
  return out;
}

/**
 * Waits for the steady state: every VIP's Lease names its first-ranked node (rendezvous over all
 * three: after a return the peers hand its VIPs back) and nobody is fenced, for 500 ms; then
 * `answers()` (one sweep round) must find every VIP answered by exactly its holder's MAC.
 * Returns what failed checks saw on the way; throws after SETTLE_TIMEOUT_MS.
 */
async function settled(lab: HeraldLab, answers: () => Promise<Map<string, Set<string>>>): Promise<string[]> {
  const names = lab.network.nodes.map((n) => n.name);
  const seenWrong: string[] = [];
  const steady = async (): Promise<string | null> => {
    const h = await lab.holders();
    const wrong = lab.vips.filter((ip) => h.get(ip) !== desiredOwner(ip, names));
    if (wrong.length > 0) return `${wrong.length} VIPs not with their first-ranked node, e.g. ${wrong[0]} with ${h.get(wrong[0] ?? '') ?? 'nobody'}`;
    const fenced = await fencedSpeakers(lab);
    return fenced.length > 0 ? `fenced: ${fenced.join(', ')}` : null;
  };
  await waitFor(
    'the steady state: every VIP with its first-ranked node, answered by it alone, nobody fenced',
    async () => {
      const since = performance.now();
      for (;;) {
        const why = await steady();
        if (why !== null) return { done: false, seen: why };
        if (performance.now() - since >= 500) break;
        await sleep(100);
      }
      const got = await answers();
      const holders = await lab.holders();
      const bad = lab.vips.filter((ip) => {
        const macs = got.get(ip) ?? new Set<string>();
        return macs.size !== 1 || !macs.has(lab.node(holders.get(ip) ?? '').mac.toLowerCase());
      });
      if (bad.length === 0) return { done: true, value: true };
      const first = bad[0] ?? '';
      const what = `${bad.length} VIPs not answered by their holder alone, e.g. ${first} (holder ${holders.get(first) ?? '—'}) answered by [${[...(got.get(first) ?? [])].map((m) => lab.nodeOfMac(m) ?? m).join(', ')}]`;
      seenWrong.push(what);
      return { done: false, seen: what };
    },
    SETTLE_TIMEOUT_MS,
    200,
  );
  return seenWrong;
}

async function oneRun(lab: HeraldLab, probe: Probe, sweep: Sweep, fault: Fault, n: number, victimIndex: number, logDir: string): Promise<RunRecord> {
  const t0 = performance.now();
  const victim = lab.network.nodes[victimIndex % lab.network.nodes.length];
  if (victim === undefined) throw new Error('no nodes');
  const peers = lab.network.nodes.filter((p) => p !== victim);
  const holders = await lab.holders();
  const theirs = lab.vips.filter((ip) => holders.get(ip) === victim.name);
  const vip = theirs[(n * 7) % Math.max(1, theirs.length)];
  if (vip === undefined) throw new Error(`${victim.name} holds no VIP`);
  const victimMac = victim.mac.toLowerCase();
  const before = new Map(lab.vips.map((ip) => [ip, lab.node(holders.get(ip) ?? victim.name).mac.toLowerCase()]));
  const ctx = { lab, victim, peers, api: { host: lab.api.host, port: lab.api.port } };
  await probe.startStream(vip, PROBE_MS, PROBE_SENDERS);
  await sweep.start(lab.vips, SWEEP_MS);
  await waitFor('20 replies from the holder', async () => (probe.arrivals.filter((a) => a.kind === 'reply' && a.mac === victimMac).length >= 20 ? { done: true, value: true } : { done: false, seen: `${probe.arrivals.length} arrivals` }), 10_000, 20);
  const eventNs = realtimeNs(offsetNs);
  const tEvent = performance.now();
  let healNs = 0n;
  let healed = false;
  let note = '';
  try {
    await fault.inject(ctx);
    await sleep(Math.max(0, fault.holdMs - (performance.now() - tEvent)));
    healNs = realtimeNs(offsetNs);
    note = await fault.heal(ctx);
    healed = true;
  } finally {
    // A failed injection still leaves the lab as it found it, as far as it can.
    if (!healed) await fault.heal(ctx).catch(() => undefined);
  }
  const tHeal = performance.now();
  // The run's sweep goes on through the steady-state checks, so a VIP dark (or answered twice)
  // while the lab settles is judged like any other moment of the run: each check ends a segment
  // of the sweep and reads its last complete round, and the segments are joined afterwards.
  const segments: SweepRecord[] = [];
  const checkRound = async (): Promise<Map<string, Set<string>>> => {
    await sleep(3.5 * SWEEP_MS);
    const seg = await sweep.stop();
    segments.push(seg);
    await sweep.start(lab.vips, SWEEP_MS);
    return lastCompleteRound(seg);
  };
  let wrong: string[] = [];
  let endNs = 0n;
  try {
    wrong = await settled(lab, checkRound);
  } catch (err) {
    throw new Error(`${fault.name} #${n} (victim ${victim.name}): ${describeError(err)}`, { cause: err });
  } finally {
    endNs = realtimeNs(offsetNs);
    await probe.stopStream().catch(() => undefined);
    segments.push(await sweep.stop());
  }
  for (const w of wrong) say(`${fault.name} #${n}: a check before the steady state saw ${w}`);
  const rec = mergeRecords(segments);
  const verdict = judge({ fault, victim: victim.name, victimMac, vip, intervalMs: PROBE_MS, before, eventNs, healNs, endNs, arrivals: probe.arrivals, sent: probe.sent, sentBy: probe.sentBy, sweep: rec });
  const run: RunRecord = { fault: fault.name, n, victim: victim.name, vip, verdict, note, load: loadAverage().split(' ')[0] ?? '?', settleMs: performance.now() - tHeal, wallMs: performance.now() - t0, eventNs, healNs };
  const nodeOf = (mac: string): string => lab.nodeOfMac(mac) ?? mac;
  console.log(runLine(run, nodeOf));
  if (verdict.findings.length > 0 || args['keep-logs']) {
    const logs = new Map(lab.network.nodes.map((x) => [x.name, join(lab.dir, `speaker-${x.name}.log`)]));
    const kept = keepLog(run, logs, logDir, Date.now());
    // The probe's own record beside the logs, in ms from the fault: to re-judge a run by hand.
    const rel = (t: bigint): number => Number(t - eventNs) / 1e6;
    writeFileSync(kept.file.replace(/\.log$/, '.probe.json'), JSON.stringify({ vip, healMs: rel(healNs), endMs: rel(endNs), sent: probe.sent.map(rel), sentBy: probe.sentBy, replies: probe.arrivals.map((a) => [rel(a.t), nodeOf(a.mac), a.kind, a.sender ?? null]) }));
    if (verdict.findings.length > 0) for (const l of evidence(run, nodeOf, kept)) console.log(l);
  }
  return run;
}

async function main(): Promise<void> {
  const lack = missing();
  if (lack !== null) {
    process.stderr.write(`${lack}\n`);
    process.exit(1);
  }
  for (const l of machineLines()) console.log(l);
  const logDir = args['log-dir'] ?? mkdtempSync(join(tmpdir(), 'herald-chaos-l2-'));
  mkdirSync(logDir, { recursive: true });
  console.log(`L2 chaos: ${RUNS} runs × ${ORDER.join(', ')}; ${VIPS} VIPs on 3 nodes; probe every ${PROBE_MS} ms, every VIP swept every ${SWEEP_MS} ms; evidence kept in ${logDir}`);
  const all = faults(say);
  const runs: RunRecord[] = [];
  let lab: HeraldLab | undefined;
  let probe: Probe | undefined;
  let sweep: Sweep | undefined;
  const tStart = performance.now();
  try {
    const t0 = performance.now();
    if (SPEAKER_ARGS.length > 0) say(`every speaker runs with ${SPEAKER_ARGS.join(' ')}`);
    lab = await startHeraldLab({ vips: VIPS, speakerArgs: SPEAKER_ARGS, onStep: (s) => console.log(`  herald lab: ${s}`) });
    probe = await Probe.start(lab.network, lab.network.client);
    sweep = await Sweep.start(lab.network, lab.network.client, SWEEP_IPS);
    const [l, sw] = [lab, sweep];
    await settled(l, () => sw.once(l.vips, 300));
    console.log(`  lab ready and settled in ${fmt((performance.now() - t0) / 1000, 1)} s`);
    for (let n = 1; n <= RUNS; n++) {
      for (const [i, name] of ORDER.entries()) {
        const fault = all.get(name);
        if (fault === undefined) continue;
        runs.push(await oneRun(lab, probe, sweep, fault, n, n + i, logDir));
      }
    }
  } catch (err) {
    if (lab !== undefined) process.stderr.write(`speaker logs:\n${lab.speakers.logTails(20)}\n`);
    throw err;
  } finally {
    const wall = (performance.now() - tStart) / 1000;
    console.log(`\nL2 chaos: ${runs.length} runs in ${fmt(wall / 60, 1)} min (load average after: ${loadAverage()}); evidence in ${logDir}`);
    if (runs.length > 0) {
      for (const l of table(runs, ORDER, (f) => all.get(f)?.expect ?? '?')) console.log(l);
      const misses = runs.filter((r) => r.verdict.findings.some(isTargetMiss));
      console.log(`runs that missed a target: ${misses.length === 0 ? 'none' : misses.map((r) => `${r.fault} #${r.n}`).join(', ')}`);
      const per = ORDER.map((f) => `${f} ${fmt(quantile(runs.filter((r) => r.fault === f).map((r) => r.wallMs / 1000).sort((a, b) => a - b), 0.5), 1)} s`);
      console.log(`wall time per run (median): ${per.join(', ')}`);
    }
    probe?.close();
    sweep?.close();
    await lab?.close();
  }
}

let code = 0;
try {
  await main();
} catch (err) {
  code = 1;
  process.stderr.write(`chaos l2 failed: ${describeError(err)}\n${err instanceof Error ? (err.stack ?? '') : ''}\n`);
}
process.exit(code);
