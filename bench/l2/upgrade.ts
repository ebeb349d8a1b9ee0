// An upgrade between two Herald builds in the lab (issue #12, "Upgrades"): three speakers run a
// base commit's build, then roll to the working tree's one node at a time as the DaemonSet rolls
// (SIGTERM, the old speaker hands over and exits, the new one starts and is Ready before the
// next node), then roll back the same way. Mixed versions run side by side for the whole roll:
// their heartbeats, notes and Leases must interoperate. A client probes every VIP all the while
// (a round listens 0.5 s) and the bench prints, per direction, the rounds nobody answered or two
// nodes did, and whether any Service changed address. A bench: it asserts nothing.
//
//   node bench/l2/upgrade.ts [--base bd3976c] [--services 6]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { startL2Lab } from '../../src/lab/l2-lab.ts';
import type { L2Lab } from '../../src/lab/l2-lab.ts';
import { NODES, heldAndAnswered, speakerReady } from '../../test/e2e/l2-support.ts';
import { describeTallies, watchAnswers } from '../../test/e2e/answer-watch.ts';
import type { VipTally } from '../../test/e2e/answer-watch.ts';
import { NEEDS, program, requirePrerequisites } from '../prerequisites.ts';
import { headCommit, loadAverage, machineLines } from '../machine.ts';
import { NODE_BIN, ROOT } from './bench-cluster.ts';
import { buildCommit, buildWorkingTree } from '../speaker/variants.ts';

const { values: args } = parseArgs({ options: { base: { type: 'string', default: 'bd3976c' }, services: { type: 'string', default: '6' } } });
const SERVICES = Number(args.services);
const ROUND_S = 0.5;

requirePrerequisites('upgrade', [NEEDS.root, NEEDS.ip, NEEDS.addon, program('arping', 'arping'), program('ndisc6', 'ndisc6')]);

const base = execFileSync('git', ['rev-parse', '--short', args.base], { cwd: ROOT, encoding: 'utf8' }).trim();
const scratch = mkdtempSync(join(tmpdir(), 'herald-bench-upgrade-'));
/** Which build each node's next start runs. */
const build = new Map<string, 'base' | 'new'>(NODES.map((n) => [n, 'base']));
let lab: L2Lab | undefined;

/** Rolls every node to `to`, one at a time, probing all the while; the tallies per VIP. */
async function roll(l: L2Lab, ips: readonly string[], to: 'base' | 'new'): Promise<{ tallies: ReadonlyMap<string, VipTally>; seconds: number; exits: string[] }> {
  const started = performance.now();
  const watch = watchAnswers(l, ips, ROUND_S);
  const exits: string[] = [];
  const rolled = (async () => {
    for (const node of NODES) {
      const exit = await l.killSpeaker(node, 'SIGTERM');
      exits.push(`${node} ${exit.code === 0 ? 'exited 0' : JSON.stringify(exit)}`);
      build.set(node, to);
      await l.restartSpeaker(node);
      await speakerReady(l, node, 30_000);
    }
    // A last stretch after the last node is back: its VIPs may move to it once more.
    await new Promise((r) => setTimeout(r, 3000));
  })();
  // The probes stop whether the roll worked or not; a failed roll is then reported as thrown.
  const [outcome] = await Promise.allSettled([rolled]);
  const tallies = await watch.stop();
  if (outcome.status === 'rejected') throw outcome.reason;
  return { tallies, seconds: (performance.now() - started) / 1000, exits };
}

function summary(direction: string, r: { tallies: ReadonlyMap<string, VipTally>; seconds: number; exits: string[] }, moved: string[]): string {
  const all = [...r.tallies.values()];
  const sum = (f: (t: VipTally) => number): number => all.reduce((a, t) => a + f(t), 0);
  return `| ${direction} | ${r.seconds.toFixed(1)} s | ${sum((t) => t.rounds)} | **${sum((t) => t.lost)}** | ${Math.max(0, ...all.map((t) => t.longestGap))} | **${sum((t) => t.doubled)}** | ${moved.length === 0 ? 'none' : moved.join(', ')} | ${r.exits.join('; ')} |`;
}

try {
  for (const line of machineLines()) console.log(line);
  console.log(`working tree at ${headCommit()}; base ${base}`);
  const baseEntry = buildCommit(base, join(scratch, 'base'));
  const newEntry = buildWorkingTree();
  console.log(`builds: base ${baseEntry}, new ${newEntry}`);
  lab = await startL2Lab({
    speakerCommand: (flags) => {
      const node = flags[flags.indexOf('--node-name') + 1] ?? '';
      return [NODE_BIN, build.get(node) === 'new' ? newEntry : baseEntry, 'speaker', ...flags];
    },
    onStep: (s) => console.log(`  lab: ${s}`),
  });
  const l = lab;
  const names = Array.from({ length: SERVICES }, (_, i) => `upgrade-${i}`);
  for (const name of names) await l.createService(name);
  const addresses = new Map<string, string>();
  for (const name of names) {
    const [ip] = await l.waitForIngress(name);
    if (ip === undefined) throw new Error(`${name} got no address`);
    addresses.set(name, ip);
    await heldAndAnswered(l, ip);
  }
  const ips = [...addresses.values()];
  const changed = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const name of names) if ((await l.waitForIngress(name))[0] !== addresses.get(name)) out.push(name);
    return out;
  };
  const up = await roll(l, ips, 'new');
  const upMoved = await changed();
  const down = await roll(l, ips, 'base');
  const downMoved = await changed();
  console.log(`\n${SERVICES} Services, ${NODES.length} nodes; load average after: ${loadAverage()}\n`);
  console.log('| roll | wall | probe rounds | rounds unanswered | longest unanswered run (rounds of 0.5 s) | rounds answered by two nodes | Services that changed address | old speakers on SIGTERM |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  console.log(summary(`${base} → working tree`, up, upMoved));
  console.log(summary(`working tree → ${base} (rollback)`, down, downMoved));
  for (const [what, r] of [['upgrade', up], ['rollback', down]] as const) {
    const bad = [...r.tallies.values()].some((t) => t.lost > 0 || t.doubled > 0);
    if (bad) console.log(`\n${what}: per VIP\n${describeTallies(r.tallies)}\n${l.logTails(15)}`);
  }
} finally {
  await lab?.close();
  rmSync(scratch, { recursive: true, force: true });
}
