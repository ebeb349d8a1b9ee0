// The coverage-guided loop (libFuzzer's, in miniature): pick a corpus entry, mutate it, run it,
// keep it when it reaches an (edge, hit-count bucket) pair not seen before. Without
// instrumentation in the thread (the smoke test) it is a mutation loop over the corpus with the
// same oracles. Corpus files and crash inputs are raw bytes named by their SHA-1.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { activeCoverage, type CoverageMap } from './coverage.ts';
import { literalWords, mutate, Rng, type MutationContext } from './mutate.ts';
import type { FuzzTarget } from './target.ts';

export interface Crash {
  readonly kind: 'exception' | 'oracle' | 'slow' | 'hang';
  /** First line of the message; crashes are de-duplicated by it and the top stack frame. */
  readonly message: string;
  readonly stack: string;
  readonly input: Uint8Array;
}

export interface Stats {
  readonly target: string;
  readonly execs: number;
  readonly seconds: number;
  readonly execPerSec: number;
  readonly corpus: number;
  /** (edge, hit-count bucket) pairs seen: libFuzzer's "ft". */
  readonly features: number;
  /** Edges of the target's own modules (`covers`) hit at least once, and how many they have. */
  readonly edgesHit: number;
  readonly edgesTotal: number;
  readonly crashes: readonly Crash[];
  /** Crashes matching the target's known, not yet fixed issues: counted, not failed on. */
  readonly known: readonly Crash[];
  /** Per module of `covers`: edges hit and edges in it. */
  readonly files: readonly { readonly file: string; readonly hit: number; readonly total: number }[];
}

export interface LoopOptions {
  readonly target: FuzzTarget;
  /** Stop after this many executions (seeds included). */
  readonly runs: number;
  /** And/or after this many seconds. */
  readonly seconds?: number;
  readonly seed: number;
  /** Directories of inputs to start from (missing ones are skipped). */
  readonly corpusDirs: readonly string[];
  /** Where inputs that found new coverage are written; none when undefined. */
  readonly outDir?: string;
  /** Stop at the first crash (the smoke test) or collect distinct ones (full runs). */
  readonly stopOnCrash: boolean;
  /** An input slower than this is a finding (a hang in the making: ReDoS, quadratic loops). */
  readonly slowMs?: number;
  readonly onStats?: (s: Stats) => void;
  readonly statsEveryMs?: number;
  /** Called with each input before it runs (the watchdog keeps it in case the run never returns). */
  readonly beforeRun?: (d: Uint8Array) => void;
  readonly afterRun?: () => void;
}

export const sha1 = (d: Uint8Array): string => createHash('sha1').update(d).digest('hex');

export function readCorpus(dir: string): Uint8Array[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().map((f) => new Uint8Array(readFileSync(join(dir, f))));
}

/** libFuzzer's hit-count buckets: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+. */
function bucket(n: number): number {
  if (n < 4) return n === 1 ? 1 : n === 2 ? 2 : 4;
  if (n < 8) return 8;
  if (n < 16) return 16;
  if (n < 32) return 32;
  if (n < 128) return 64;
  return 128;
}

/** Reads and clears the counters; returns how many new (edge, bucket) pairs this input reached. */
function collect(map: CoverageMap, seen: Uint8Array, features?: number[]): number {
  const c = map.counters;
  let fresh = 0;
  for (let i = 0; i < map.used; i++) {
    const n = c[i] ?? 0;
    if (n === 0) continue;
    c[i] = 0;
    const b = bucket(n);
    features?.push(i * 8 + Math.log2(b));
    if (((seen[i] ?? 0) & b) === 0) {
      seen[i] = (seen[i] ?? 0) | b;
      fresh++;
    }
  }
  return fresh;
}

function describe(e: unknown): { kind: Crash['kind']; message: string; stack: string } {
  if (e instanceof Error) {
    const kind = e.name === 'OracleViolation' ? 'oracle' : 'exception';
    return { kind, message: `${e.name}: ${e.message.split('\n')[0] ?? ''}`, stack: e.stack ?? '' };
  }
  return { kind: 'exception', message: `thrown non-Error: ${String(e)}`, stack: '' };
}

/** The first stack frame inside the repository's src/, for de-duplication. */
function topFrame(stack: string): string {
  const frames = stack.split('\n').filter((l) => l.trimStart().startsWith('at '));
  return frames.find((l) => l.includes('/src/')) ?? frames[0] ?? '';
}

export function runLoop(o: LoopOptions): Stats {
  const { target } = o;
  const rng = new Rng(o.seed);
  const map = activeCoverage();
  const seen = new Uint8Array(map?.counters.length ?? 0);
  const corpus: Uint8Array[] = [];
  const crashes: Crash[] = [];
  const known: Crash[] = [];
  const crashKeys = new Set<string>();
  const started = performance.now();
  const slowMs = o.slowMs ?? 1000;
  let execs = 0;
  let features = 0;
  let stop = false;
  let lastStats = started;
  if (o.outDir !== undefined) mkdirSync(o.outDir, { recursive: true });

  const ownEdges = (): { hit: number; total: number; files: Stats['files'] } => {
    let hit = 0;
    let total = 0;
    const files: { file: string; hit: number; total: number }[] = [];
    for (const f of map?.files ?? []) {
      if (!target.covers.some((p) => f.file.includes(p))) continue;
      let h = 0;
      for (let i = f.first; i < f.end; i++) if ((seen[i] ?? 0) !== 0) h++;
      files.push({ file: f.file.slice(f.file.indexOf('/src/') + 1), hit: h, total: f.end - f.first });
      total += f.end - f.first;
      hit += h;
    }
    return { hit, total, files };
  };
  const stats = (): Stats => {
    const seconds = (performance.now() - started) / 1000;
    const { hit, total, files } = ownEdges();
    return { target: target.name, execs, seconds, execPerSec: Math.round(execs / Math.max(seconds, 1e-9)), corpus: corpus.length, features, edgesHit: hit, edgesTotal: total, crashes, known, files };
  };

  /** Runs one input; true when it reached new coverage. */
  const exec = (d: Uint8Array): boolean => {
    o.beforeRun?.(d);
    const t0 = performance.now();
    let failure: unknown = null;
    let threw = false;
    try {
      target.run(d);
    } catch (e) {
      failure = e;
      threw = true;
    }
    const ms = performance.now() - t0;
    execs++;
    o.afterRun?.();
    const fresh = map === null ? 0 : collect(map, seen);
    features += fresh;
    if (threw || ms > slowMs) {
      const d0 = threw ? describe(failure) : { kind: 'slow' as const, message: `input took ${Math.round(ms)} ms (limit ${slowMs} ms)`, stack: '' };
      const key = `${d0.message}|${topFrame(d0.stack)}`;
      const isKnown = target.known?.some((k) => k.pattern.test(d0.message)) === true;
      if (!crashKeys.has(key)) {
        crashKeys.add(key);
        (isKnown ? known : crashes).push({ ...d0, input: d.slice() });
      }
      if (o.stopOnCrash && !isKnown) stop = true;
      return false;
    }
    return fresh > 0;
  };

  const keep = (d: Uint8Array): void => {
    corpus.push(d);
    if (o.outDir !== undefined) writeFileSync(join(o.outDir, sha1(d).slice(0, 20)), d);
  };

  // Seeds first: the committed corpus, then the target's own. Without coverage every one is kept.
  const initial = [...o.corpusDirs.flatMap(readCorpus), ...target.seeds()];
  for (const d of initial) {
    if (stop || execs >= o.runs) break;
    const input = d.length > target.maxLen ? d.subarray(0, target.maxLen) : d;
    if (exec(input) || map === null) keep(input);
  }
  if (corpus.length === 0) corpus.push(new Uint8Array(0));

  const dictionary = [...(target.dictionary ?? []), ...(map === null ? [] : literalWords(map.literals))];
  const ctx: MutationContext = {
    rng,
    maxLen: target.maxLen,
    dictionary,
    other: () => corpus[rng.below(corpus.length)],
  };
  const deadline = o.seconds === undefined ? Infinity : started + o.seconds * 1000;
  const every = o.statsEveryMs ?? 2000;
  while (!stop && execs < o.runs) {
    // Newer entries are picked more often: they are where the search is making progress.
    const i = rng.chance(2) ? corpus.length - 1 - rng.below(Math.min(corpus.length, 16)) : rng.below(corpus.length);
    const parent = corpus[i] ?? new Uint8Array(0);
    let child = (target.mutate !== undefined && rng.chance(target.customOneIn ?? 3) ? target.mutate(parent, ctx) : null) ?? mutate(parent, ctx);
    if (target.fixup !== undefined) child = target.fixup(child, rng);
    if (exec(child)) keep(child);
    if ((execs & 1023) === 0) {
      const now = performance.now();
      if (now > deadline) break;
      if (o.onStats !== undefined && now - lastStats > every) {
        lastStats = now;
        o.onStats(stats());
      }
    }
  }
  return stats();
}

/**
 * libFuzzer's -merge: the smallest set of inputs (at most `cap`) that reaches every feature the
 * whole set reaches; greedy set cover, smaller inputs first on ties. Needs instrumentation.
 */
export function minimize(target: FuzzTarget, inputs: readonly Uint8Array[], cap: number): Uint8Array[] {
  const map = activeCoverage();
  if (map === null) throw new Error('minimize needs the instrumented modules loaded');
  const unique = [...new Map(inputs.map((d) => [sha1(d), d])).values()].sort((a, b) => a.length - b.length);
  const scratch = new Uint8Array(map.counters.length);
  const sets = unique.flatMap((d) => {
    let crashed = false;
    try {
      target.run(d);
    } catch {
      crashed = true; // a crashing input is not corpus material: it belongs in a regression test
    }
    const f: number[] = [];
    collect(map, scratch, f);
    return crashed ? [] : [{ d, f: new Set(f) }];
  });
  const covered = new Set<number>();
  const out: Uint8Array[] = [];
  while (out.length < cap) {
    let best = -1;
    let gain = 0;
    sets.forEach((s, i) => {
      let g = 0;
      for (const x of s.f) if (!covered.has(x)) g++;
      if (g > gain) {
        gain = g;
        best = i;
      }
    });
    const chosen = sets[best];
    if (chosen === undefined || gain === 0) break;
    out.push(chosen.d);
    for (const x of chosen.f) covered.add(x);
  }
  return out;
}
