// Mutation testing of the pure cores (issue #15, docs/mutation-testing.md): runs StrykerJS once per
// configuration in stryker/, one after another, and prints module / mutants / killed / survived /
// timeout / no coverage / score. Slow by design, so not part of `npm test`.
//
//   npm run mutate                          every configuration
//   npm run mutate -- election-peers bgp-fsm   the named ones
//   npm run mutate -- election-peers --files   one row per mutated file as well
//   npm run mutate -- election-peers -- --mutate src/election/peers.ts:120-140   extra Stryker flags
//
// The process lowers its own priority (nice 19) first: the children inherit it, and the
// configurations run one mutant at a time (concurrency 1), so a run never crowds out the machine.
import { spawn } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const CONF_DIR = join(ROOT, 'stryker');
const LOG_DIR = join(ROOT, 'reports', 'mutation');
const STRYKER = join(ROOT, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js');

interface Config {
  mutate: string[];
  jsonReporter: { fileName: string };
  thresholds?: { break?: number | null };
}

type Status = 'Killed' | 'Survived' | 'Timeout' | 'NoCoverage' | 'CompileError' | 'RuntimeError' | 'Ignored' | 'Pending';

interface Report {
  files: Record<string, { mutants: { status: Status }[] }>;
}

interface Row {
  module: string;
  counts: Record<Status, number>;
  target: number | null;
  seconds: number | null;
}

/** Stryker's mutation score: detected (killed, timed out) over valid (detected, survived, not covered). */
function score(c: Record<Status, number>): number | null {
  const detected = c.Killed + c.Timeout;
  const valid = detected + c.Survived + c.NoCoverage;
  return valid === 0 ? null : (100 * detected) / valid;
}

function count(mutants: { status: Status }[]): Record<Status, number> {
  const c: Record<Status, number> = { Killed: 0, Survived: 0, Timeout: 0, NoCoverage: 0, CompileError: 0, RuntimeError: 0, Ignored: 0, Pending: 0 };
  for (const m of mutants) c[m.status]++;
  return c;
}

function runStryker(name: string, extra: string[]): Promise<{ code: number | null; seconds: number }> {
  const started = performance.now();
  // The command runner calls `node --test …` through the shell: this Node (which strips types) comes first.
  const env = { ...process.env, PATH: [dirname(process.execPath), join(ROOT, 'node_modules', '.bin'), process.env.PATH ?? ''].join(delimiter) };
  const log = createWriteStream(join(LOG_DIR, `${name}.log`));
  const child = spawn(process.execPath, [STRYKER, 'run', join('stryker', `${name}.conf.json`), ...extra], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => {
      log.end();
      done({ code, seconds: (performance.now() - started) / 1000 });
    });
  });
}

function table(rows: Row[]): string {
  const head = ['module', 'mutants', 'killed', 'survived', 'timeout', 'no coverage', 'ignored', 'errors', 'score', 'target', 'time'];
  const body = rows.map((r) => {
    const c = r.counts;
    const s = score(c);
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    const verdict = r.target === null || s === null ? '' : s >= r.target ? ' ok' : ' BELOW';
    return [
      r.module,
      String(total),
      String(c.Killed),
      String(c.Survived),
      String(c.Timeout),
      String(c.NoCoverage),
      String(c.Ignored),
      String(c.CompileError + c.RuntimeError),
      s === null ? 'n/a' : `${s.toFixed(1)} %`,
      r.target === null ? '' : `${r.target} %${verdict}`,
      r.seconds === null ? '' : `${Math.round(r.seconds)} s`,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...body.map(line)].join('\n');
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const dash = args.indexOf('--');
  const own = dash === -1 ? args : args.slice(0, dash);
  const extra = dash === -1 ? [] : args.slice(dash + 1);
  const perFile = own.includes('--files');
  const all = readdirSync(CONF_DIR).filter((f) => f.endsWith('.conf.json')).map((f) => basename(f, '.conf.json')).sort();
  const named = own.filter((a) => !a.startsWith('--'));
  const unknown = named.filter((n) => !all.includes(n));
  if (unknown.length > 0) {
    console.error(`unknown configuration(s): ${unknown.join(', ')}; known: ${all.join(', ')}`);
    return 2;
  }
  try {
    setPriority(19);
  } catch {
    // Not permitted: run at the current priority.
  }
  await mkdir(LOG_DIR, { recursive: true });
  const rows: Row[] = [];
  let failed = false;
  for (const name of named.length > 0 ? named : all) {
    const conf = JSON.parse(readFileSync(join(CONF_DIR, `${name}.conf.json`), 'utf8')) as Config;
    process.stdout.write(`${name}: running (log: reports/mutation/${name}.log) … `);
    const { code, seconds } = await runStryker(name, extra);
    let report: Report;
    try {
      report = JSON.parse(readFileSync(join(ROOT, conf.jsonReporter.fileName), 'utf8')) as Report;
    } catch {
      console.log(`no report (exit ${code}); see the log`);
      failed = true;
      continue;
    }
    const files = Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b));
    const row: Row = { module: name, counts: count(files.flatMap(([, f]) => f.mutants)), target: conf.thresholds?.break ?? null, seconds };
    const s = score(row.counts);
    console.log(`${s === null ? 'n/a' : `${s.toFixed(1)} %`} in ${Math.round(seconds)} s${code === 0 ? '' : ` (exit ${code})`}`);
    if (code !== 0) failed = true;
    rows.push(row);
    if (perFile && files.length > 1) {
      for (const [file, f] of files) rows.push({ module: `  ${file}`, counts: count(f.mutants), target: null, seconds: null });
    }
  }
  console.log(`\n${table(rows)}`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
