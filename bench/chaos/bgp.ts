// BGP chaos in the lab (issue #14, "Chaos in the lab", BGP): against BIRD 2 and FRR as the ToR,
// each run one fault, then the router's kernel table is checked against the exact wanted set
// (every VIP with every eligible node as next hop, nothing stale) within a deadline:
//   speaker-restart  SIGKILL one node's speaker; while it is down the wanted routes change (a
//                    Service replaced, the node dropped from a Local Service's endpoints); the
//                    router must keep the node's paths (graceful restart, RFC 4724 §4.2), then
//                    drop the stale ones after the restarted speaker's End-of-RIB.
//   router-restart   the router's daemons restarted (SIGTERM and SIGKILL in turn).
//   link-flap        a node's link down/up 3–5 times within a few seconds.
// Counts: runs correct / wrong (with the diff and evidence of the first few), time to correct
// (median, worst), runs where a path that should have stayed was missing from a sample (the
// router's table is read every --sample-ms, 50 by default). Figures are printed, never asserted.
// Timers: hold 3 s and keepalive 1 s (the lab's BGPPeer; BIRD offers 9, FRR `timers 1 3`),
// connect retry 1 s, graceful restart time 30 s (set on the BGPPeers here; the lab's is 120 s).
// Usage: node bench/chaos/bgp.ts [--runs 100] [--routers bird,frr]
//        [--faults speaker-restart,router-restart,link-flap] [--deadline 30] [--down-ms 2000]
//        [--sample-ms 50] [--stable-ms 4000] [--first-run 1] [--evidence-dir DIR]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RouterKind } from '../../src/lab/bgp-router.ts';
import { BGPD, ZEBRA } from '../../src/lab/frr.ts';
import { headCommit, loadAverage, machineLines, quantile } from '../machine.ts';
import { describeError, fmt } from '../l2/report.ts';
import { ChaosCluster, RESTART_TIME_S } from './bgp-cluster.ts';
import { FAULTS, linkFlap, routerRestart, settle, speakerRestart } from './bgp-faults.ts';
import type { Fault, FaultContext, RunResult } from './bgp-faults.ts';
import { RouterView } from './bgp-table.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    'first-run': { type: 'string', default: '1' },
    routers: { type: 'string', default: 'bird,frr' },
    faults: { type: 'string', default: FAULTS.join(',') },
    deadline: { type: 'string', default: '30' },
    'down-ms': { type: 'string', default: '2000' },
    'sample-ms': { type: 'string', default: '50' },
    'stable-ms': { type: 'string', default: '4000' },
    'evidence-dir': { type: 'string' },
  },
});
const RUNS = Number(args.runs);
/** Run numbers pick the node and the flap pattern: --first-run repeats a given run. */
const FIRST = Number(args['first-run']) - 1;
const ROUTERS = args.routers.split(',').filter((r) => r !== '');
const FAULT_LIST = args.faults.split(',').filter((f) => f !== '');
const DEADLINE_MS = Number(args.deadline) * 1000;
const DOWN_MS = Number(args['down-ms']);
const SAMPLE_MS = Number(args['sample-ms']);
const STABLE_MS = Number(args['stable-ms']);
const isRouter = (r: string): r is RouterKind => r === 'bird' || r === 'frr';
const isFault = (f: string): f is Fault => (FAULTS as readonly string[]).includes(f);
if (!(Number.isInteger(RUNS) && RUNS >= 1 && Number.isInteger(FIRST) && FIRST >= 0 && STABLE_MS >= 0 && ROUTERS.length > 0 && ROUTERS.every(isRouter) && FAULT_LIST.length > 0 && FAULT_LIST.every(isFault) && DEADLINE_MS >= 5000 && DOWN_MS >= 0 && SAMPLE_MS >= 10)) {
  process.stderr.write(`usage: bgp.ts [--runs N] [--routers bird,frr] [--faults ${FAULTS.join(',')}] [--deadline S≥5] [--down-ms MS] [--sample-ms MS≥10] [--stable-ms MS] [--first-run N] [--evidence-dir DIR]\n`);
  process.exit(2);
}
const routers = ROUTERS.filter(isRouter);
const faults = FAULT_LIST.filter(isFault);
const EVIDENCE_DIR = args['evidence-dir'] ?? join(tmpdir(), `herald-chaos-bgp-${new Date().toISOString().replace(/[:.]/g, '-')}`);
/** Evidence printed in full for this many wrong runs per router and fault; the rest go to files only. */
const PRINT_WRONG = 3;
const RUNNER = { 'speaker-restart': speakerRestart, 'router-restart': routerRestart, 'link-flap': linkFlap } as const;

/** One line naming what to install, or null when everything the chosen routers need is here. */
function missing(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces): run it with sudo';
  const has = (p: string): boolean => {
    try {
      execFileSync('which', [p], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  const need: string[] = [];
  if (!has('ip')) need.push('iproute2');
  if (routers.includes('bird') && !(has('bird') && has('birdc'))) need.push('bird2');
  if (routers.includes('frr') && !(existsSync(ZEBRA) && existsSync(BGPD) && has('vtysh'))) need.push('frr');
  return need.length === 0 ? null : `missing programs: apt-get install -y ${need.join(' ')}`;
}

function line(r: RunResult): string {
  const head = `  ${r.router} ${r.fault} #${r.run + 1}${r.node === null ? '' : ` ${r.node}`}:`;
  const verdict = r.correct ? `correct ${fmt((r.toCorrectMs ?? 0) / 1000, 2)} s after the fault` : `WRONG after ${DEADLINE_MS / 1000} s`;
  const extra = [
    r.lost === null ? '' : `PATH LOST: ${r.lost}`,
    r.staleKept === false ? 'STALE PATHS NOT KEPT' : '',
    r.relapses > 0 ? `RIGHT, THEN WRONG AGAIN ${r.relapses}×` : '',
    r.fault === 'speaker-restart' && r.downStateMs === null ? 'DOWN STATE NEVER SHOWN' : '',
    r.staleMarked === false ? 'router did not mark the paths stale' : '',
    r.restartBit === false ? 'restarted OPEN without the R bit' : '',
  ].filter((s) => s !== '');
  return `${head} ${verdict}; ${r.note}${extra.length > 0 ? `; ${extra.join('; ')}` : ''} (run ${fmt(r.wallMs / 1000, 1)} s)`;
}

function secs(v: number): string {
  return Number.isFinite(v) ? fmt(v / 1000, 2) : '—';
}

function table(results: readonly RunResult[]): string[] {
  const out = ['| router | fault | runs | correct | wrong | time to correct median / worst (s) | runs with a path lost (target 0) | runs right, then wrong again | stale kept while down | run wall time median / worst (s) |', '| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | --- | --- |'];
  for (const router of routers) {
    for (const fault of faults) {
      const rs = results.filter((r) => r.router === router && r.fault === fault);
      if (rs.length === 0) continue;
      const ok = rs.filter((r) => r.correct);
      const t = ok.map((r) => r.toCorrectMs ?? 0).sort((a, b) => a - b);
      const w = rs.map((r) => r.wallMs).sort((a, b) => a - b);
      const lost = rs.filter((r) => r.lost !== null).length;
      const stale = fault === 'speaker-restart' ? `${rs.filter((r) => r.staleKept === true).length}/${rs.length} (RIB marked stale ${rs.filter((r) => r.staleMarked === true).length}/${rs.length}; exact down state ${rs.filter((r) => r.downStateMs !== null).length}/${rs.length}; R bit set ${rs.filter((r) => r.restartBit === true).length}/${rs.length})` : '—';
      out.push(`| ${router} | ${fault} | ${rs.length} | ${ok.length} | ${rs.length - ok.length} | ${secs(quantile(t, 0.5))} / ${secs(t[t.length - 1] ?? Number.NaN)} | ${lost} | ${rs.filter((r) => r.relapses > 0).length} | ${stale} | ${secs(quantile(w, 0.5))} / ${secs(w[w.length - 1] ?? Number.NaN)} |`);
    }
  }
  for (const router of routers) {
    const h = results.filter((r) => r.router === router && r.sinceHealthyMs !== null).map((r) => r.sinceHealthyMs ?? 0).sort((a, b) => a - b);
    if (h.length > 0) out.push(`${router} speaker-restart: from the restarted speaker's first healthy answer to correct, median ${secs(quantile(h, 0.5))} s, worst ${secs(h[h.length - 1] ?? Number.NaN)} s (the rest of the time to correct is its start-up)`);
  }
  return out;
}

async function runRouter(kind: RouterKind, results: RunResult[]): Promise<void> {
  const t0 = performance.now();
  console.log(`\n${kind}: starting the lab`);
  const cluster = await ChaosCluster.start(kind, (s) => console.log(`  lab: ${s}`));
  try {
    const ctx: FaultContext = { cluster, view: await RouterView.of(cluster.lab), deadlineMs: DEADLINE_MS, downMs: DOWN_MS, sampleMs: SAMPLE_MS, stableMs: STABLE_MS };
    const first = await settle(ctx, 60_000);
    if (first !== null) throw new Error(`the lab never settled:\n  ${first}\n${cluster.lab.logTails(10)}`);
    console.log(`  lab up in ${fmt((performance.now() - t0) / 1000, 1)} s; ${cluster.expected().size} VIP routes, each through every eligible node`);
    for (const fault of faults) {
      let wrong = 0;
      for (let run = FIRST; run < FIRST + RUNS; run++) {
        const start = performance.now();
        const unsettled = await settle(ctx, 60_000);
        if (unsettled !== null) {
          console.log(`  ${kind} ${fault}: the router never settled before run ${run + 1}; the remaining ${FIRST + RUNS - run} runs are skipped:\n  ${unsettled}`);
          break;
        }
        const r = await RUNNER[fault](ctx, run, start);
        results.push(r);
        console.log(line(r));
        if (r.evidence !== null) {
          const file = join(EVIDENCE_DIR, `${kind}-${fault}-${run + 1}.txt`);
          mkdirSync(EVIDENCE_DIR, { recursive: true });
          writeFileSync(file, `${line(r)}\n${r.evidence}\n`);
          if (!r.correct) wrong++;
          if (wrong <= PRINT_WRONG || r.correct) console.log(`    evidence (${file}):\n${r.evidence.split('\n').map((l) => `      ${l}`).join('\n')}`);
        }
      }
    }
  } finally {
    await cluster.close();
  }
}

async function main(): Promise<void> {
  const why = missing();
  if (why !== null) {
    console.log(`BGP chaos: skipped, ${why}.`);
    return;
  }
  for (const l of machineLines()) console.log(l);
  console.log(`commit ${headCommit()}; ${new Date().toISOString()}`);
  console.log(`BGP chaos: ${RUNS} runs of ${faults.join(', ')} against ${routers.join(', ')}; deadline ${DEADLINE_MS / 1000} s, router table read every ${SAMPLE_MS} ms; correct = right and still right ${STABLE_MS} ms later`);
  console.log(`timers: hold 3 s, keepalive 1 s, connect retry 1 s, graceful restart time ${RESTART_TIME_S} s (BGPPeer); a killed speaker stays down ${DOWN_MS} ms`);
  const results: RunResult[] = [];
  const t0 = performance.now();
  try {
    for (const kind of routers) await runRouter(kind, results);
  } finally {
    console.log(`\nResults (${results.length} runs in ${fmt((performance.now() - t0) / 1000, 0)} s; load average after: ${loadAverage()})`);
    for (const l of table(results)) console.log(l);
    if (results.some((r) => r.evidence !== null)) console.log(`evidence of the runs not clean: ${EVIDENCE_DIR}`);
  }
}

main().catch((err: unknown) => {
  console.error(`BGP chaos failed: ${describeError(err)}`);
  process.exitCode = 1;
});
