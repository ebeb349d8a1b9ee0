// The fuzzing CLI (docs/fuzzing.md): full runs of the targets, one worker thread each, with a
// watchdog for hangs, then the corpus merge into fuzz/corpus/<target>/ and a table of figures.
//
//   node fuzz/run.ts [target ...] [--runs 1000000] [--seconds S] [--seed N] [--cap 300]
//                    [--hang 10] [--no-merge] [--json FILE]
//
// New coverage and crash inputs go to fuzz/.work/<target>/ (not committed); replay a crash with
// `node fuzz/replay.ts <target> <file>`.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { sha1, type Crash, type Stats } from './engine/loop.ts';
import type { WorkerJob } from './engine/worker.ts';
import { corpusDir, isTargetName, TARGETS, type TargetName } from './targets.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '1000000' },
    seconds: { type: 'string' },
    seed: { type: 'string', default: '1' },
    cap: { type: 'string', default: '300' },
    hang: { type: 'string', default: '10' },
    'no-merge': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

const names = positionals.length === 0 ? (Object.keys(TARGETS) as TargetName[]) : positionals;
for (const n of names) if (!isTargetName(n)) throw new Error(`unknown target "${n}"; targets: ${Object.keys(TARGETS).join(', ')}`);
const WORK = new URL('./.work/', import.meta.url).pathname;
const MAX_INPUT = 1 << 20;

interface Outcome {
  readonly stats: Stats | null;
  readonly hang: Crash | null;
  readonly error: string | null;
}

function runWorker(job: Omit<WorkerJob, 'shared'>, onMessage: (m: unknown) => void): Promise<Outcome> {
  const shared = new SharedArrayBuffer(8 + MAX_INPUT);
  const header = new Int32Array(shared, 0, 2);
  const worker = new Worker(new URL('./engine/worker.ts', import.meta.url), { workerData: { ...job, shared } });
  return new Promise((resolve) => {
    let stats: Stats | null = null;
    let hang: Crash | null = null;
    let last = -1;
    let since = performance.now();
    const hangMs = Number(values.hang) * 1000;
    const watchdog = setInterval(() => {
      const now = Atomics.load(header, 0);
      if (now !== last) {
        last = now;
        since = performance.now();
        return;
      }
      // Loading and instrumenting take a while: only a run past its seeds can hang.
      if (now > 0 && performance.now() - since > hangMs) {
        const n = Atomics.load(header, 1);
        hang = { kind: 'hang', message: `no result within ${values.hang} s`, stack: '', input: new Uint8Array(shared, 8, n).slice() };
        clearInterval(watchdog);
        void worker.terminate();
      }
    }, 500);
    worker.on('message', (m: { type: string; stats?: Stats }) => {
      if (m.type === 'done' && m.stats !== undefined) stats = m.stats;
      onMessage(m);
    });
    let error: string | null = null;
    worker.on('error', (e) => {
      error = e.stack ?? String(e);
    });
    worker.on('exit', () => {
      clearInterval(watchdog);
      resolve({ stats, hang, error });
    });
  });
}

function line(s: Stats): string {
  return `${s.target}: #${s.execs} ${s.execPerSec} exec/s, edges ${s.edgesHit}/${s.edgesTotal}, ft ${s.features}, corpus ${s.corpus}, crashes ${s.crashes.length}`;
}

const rows: Array<{ target: string; execs: number; seconds: number; execPerSec: number; edgesHit: number; edgesTotal: number; features: number; corpus: number; committed: number; known: number; files: Stats['files']; crashes: Array<{ kind: string; message: string; file: string }> }> = [];
for (const name of names as TargetName[]) {
  const work = join(WORK, name);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'crashes'), { recursive: true });
  console.log(`== ${name}`);
  const fuzz = await runWorker(
    { target: name, mode: 'fuzz', runs: Number(values.runs), ...(values.seconds === undefined ? {} : { seconds: Number(values.seconds) }), seed: Number(values.seed), corpusDirs: [corpusDir(name)], outDir: join(work, 'corpus'), cap: 0 },
    (m) => {
      const msg = m as { type: string; stats?: Stats };
      if (msg.type === 'stats' && msg.stats !== undefined) console.log(`   ${line(msg.stats)}`);
    },
  );
  if (fuzz.error !== null) console.log(`   worker failed: ${fuzz.error}`);
  const stats = fuzz.stats;
  const crashes = [...(stats?.crashes ?? []), ...(fuzz.hang === null ? [] : [fuzz.hang])];
  for (const c of stats?.known ?? []) console.log(`   known (not yet fixed): ${c.message}`);
  const crashRows = crashes.map((c) => {
    const file = join(work, 'crashes', `${c.kind}-${sha1(c.input).slice(0, 16)}`);
    writeFileSync(file, c.input);
    console.log(`   CRASH ${c.kind}: ${c.message}\n     ${file}\n${c.stack.split('\n').filter((l) => l.trimStart().startsWith('at ')).slice(0, 3).join('\n')}`);
    return { kind: c.kind, message: c.message, file };
  });
  if (stats !== null) {
    console.log(`   ${line(stats)}`);
    console.log(`   edges by module: ${stats.files.map((f) => `${f.file} ${f.hit}/${f.total}`).join(', ')}`);
  }
  let committed = 0;
  if (!values['no-merge'] && stats !== null) {
    let kept: Uint8Array[] = [];
    await runWorker({ target: name, mode: 'merge', runs: 0, seed: 0, corpusDirs: [corpusDir(name), join(work, 'corpus')], cap: Number(values.cap) }, (m) => {
      const msg = m as { type: string; inputs?: Uint8Array[] };
      if (msg.type === 'merged' && msg.inputs !== undefined) kept = msg.inputs;
    });
    if (kept.length > 0) {
      const dir = corpusDir(name);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      for (const d of kept) writeFileSync(join(dir, sha1(d).slice(0, 20)), d);
    }
    committed = readdirSync(corpusDir(name)).length;
    console.log(`   corpus merged: ${committed} files in fuzz/corpus/${name}/`);
  }
  rows.push({ target: name, execs: stats?.execs ?? 0, seconds: Math.round(stats?.seconds ?? 0), execPerSec: stats?.execPerSec ?? 0, edgesHit: stats?.edgesHit ?? 0, edgesTotal: stats?.edgesTotal ?? 0, features: stats?.features ?? 0, corpus: stats?.corpus ?? 0, committed, known: stats?.known.length ?? 0, files: stats?.files ?? [], crashes: crashRows });
}

console.log('\n| target | executions | seconds | exec/s | edges hit / total | features | crashes | known, not yet fixed |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const pct = r.edgesTotal === 0 ? 0 : Math.round((1000 * r.edgesHit) / r.edgesTotal) / 10;
  console.log(`| ${r.target} | ${r.execs.toLocaleString('en')} | ${r.seconds} | ${r.execPerSec.toLocaleString('en')} | ${r.edgesHit} / ${r.edgesTotal} (${pct} %) | ${r.features} | ${r.crashes.length} | ${r.known} |`);
}
if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(rows, null, 2));
if (rows.some((r) => r.crashes.length > 0)) process.exitCode = 1;
