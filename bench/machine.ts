// What a bench prints about where it ran, and small statistics helpers shared by the benches.
// Figures from a shared 2-vCPU machine move with whatever else runs on it, so the load average
// is printed beside them: a reader can tell a quiet run from a noisy one.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown (no /proc/cpuinfo)';
  }
}

/** 1-, 5- and 15-minute load averages, as /proc/loadavg prints them. */
export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

export function machineLines(): string[] {
  return [
    `node ${process.version} (${process.execPath})`,
    `machine: ${availableParallelism()} CPUs (nproc), ${cpuModel()}, ${process.platform}/${process.arch}`,
    `load average before: ${loadAverage()}`,
  ];
}

/** The q-quantile (0..1) of already sorted numbers, by linear interpolation. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (pos - lo);
}

export interface Summary {
  n: number;
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, median: quantile(s, 0.5), p10: quantile(s, 0.1), p90: quantile(s, 0.9), min: s[0] ?? Number.NaN, max: s[s.length - 1] ?? Number.NaN };
}

/** "median 1234 ns (p10 1200, p90 1300, min 1100, max 1900; n=200)". */
export function formatSummary(s: Summary, unit: string, digits = 0): string {
  const f = (v: number): string => v.toFixed(digits);
  return `median ${f(s.median)} ${unit} (p10 ${f(s.p10)}, p90 ${f(s.p90)}, min ${f(s.min)}, max ${f(s.max)}; n=${s.n})`;
}

/** The short commit of HEAD, or 'unknown' outside a git checkout. */
export function headCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** The space-separated words of an environment variable (extra flags a bench passes on), none when unset. */
export function envWords(name: string): string[] {
  return (process.env[name] ?? '').split(' ').filter((w) => w !== '');
}
