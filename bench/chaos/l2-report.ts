// What the L2 chaos bench prints: a line per run, the evidence of a run that missed a target
// (the findings, with node names, and the speakers' log lines around them, kept in a directory
// that outlives the lab), and the table of counts beside the targets (bench/README.md's habit).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quantile } from '../machine.ts';
import { fmt } from '../l2/report.ts';
import type { FaultName } from './l2-faults.ts';
import type { Finding, RunVerdict } from './l2-judge.ts';
import { isTargetMiss } from './l2-judge.ts';

export interface RunRecord {
  fault: FaultName;
  n: number;
  victim: string;
  vip: string;
  verdict: RunVerdict;
  /** What the heal saw of the fault (packets dropped), or ''. */
  note: string;
  /** The 1-minute load average at the end of the run: a starved speaker fences by design. */
  load: string;
  /** Heal → steady state (every VIP with its first-ranked node, answered by it alone, nobody fenced). */
  settleMs: number;
  wallMs: number;
  eventNs: bigint;
  healNs: bigint;
}

const rel = (ns: bigint, from: bigint): string => {
  const v = Number(ns - from) / 1e6;
  return `${v >= 0 ? '+' : ''}${v.toFixed(0)} ms`;
};

export function runLine(r: RunRecord, nodeOf: (mac: string) => string): string {
  const v = r.verdict;
  const misses = v.findings.filter(isTargetMiss);
  const others = v.findings.filter((f) => !isTargetMiss(f));
  const to = v.moved ? `→ ${nodeOf(v.newMac ?? '')}` : `(kept; longest silence ${fmt(v.silenceMs, 1)} ms)`;
  return [
    `  ${r.fault.padEnd(9)} #${String(r.n).padStart(3)} ${r.victim} ${r.vip} ${to}: gap ${fmt(v.gapMs, 1)} ms`,
    `lost ${v.lostAtFault} at the fault, ${v.lostAtReturn} at the return`,
    `${v.victimMoved} VIPs moved`,
    ...(r.note === '' ? [] : [r.note]),
    `longest dark (sweep) ${fmt(v.worstDark.ms, 0)} ms ${v.worstDark.vip}`,
    `settled ${fmt(r.settleMs / 1000, 1)} s after the heal, run ${fmt(r.wallMs / 1000, 1)} s, load ${r.load}`,
    misses.length === 0 ? 'targets met' : `MISSED: ${[...new Set(misses.map((f) => f.what))].join(', ')}`,
    ...(others.length > 0 ? [`not as docs/l2.md says: ${others.length}`] : []),
  ].join('; ');
}

/** Speaker log lines (all nodes) from `fromMs` to `toMs` (epoch ms), each with its node and time from the fault. */
export function logSlice(files: ReadonlyMap<string, string>, fromMs: number, toMs: number, eventMs: number): string[] {
  const out: { t: number; line: string }[] = [];
  for (const [node, file] of files) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const m = /"time":"([^"]+)"/.exec(line);
      const t = m?.[1] === undefined ? Number.NaN : Date.parse(m[1]);
      if (t >= fromMs && t <= toMs) out.push({ t, line: `${node} ${(t - eventMs >= 0 ? '+' : '') + (t - eventMs).toFixed(0)} ms ${line}` });
    }
  }
  return out.sort((a, b) => a.t - b.t).map((x) => x.line);
}

/** Keeps the speakers' log lines of a run's window (2 s before the fault to its end) in `dir`. */
export function keepLog(r: RunRecord, logs: ReadonlyMap<string, string>, dir: string, endMs: number): { file: string; slice: string[] } {
  const eventMs = Number(r.eventNs / 1_000_000n);
  const slice = logSlice(logs, eventMs - 2000, endMs + 500, eventMs);
  const file = join(dir, `${r.fault}-${String(r.n).padStart(3, '0')}-${r.victim}.log`);
  writeFileSync(file, `${slice.join('\n')}\n`);
  return { file, slice };
}

/** The evidence of a run with findings: one line per VIP and kind, then the log lines about them. */
export function evidence(r: RunRecord, nodeOf: (mac: string) => string, kept: { file: string; slice: string[] }): string[] {
  const lines: string[] = [];
  // One line per kind of finding and set of MACs: a fault that darkens 36 VIPs is one event.
  const groups = new Map<string, Finding[]>();
  for (const f of r.verdict.findings) {
    const key = `${f.what}|${f.source}|${f.macs.join(',')}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  for (const fs of groups.values()) {
    const f = fs[0];
    if (f === undefined) continue;
    const vips = [...new Set(fs.map((g) => g.vip))];
    const from = fs.reduce((m, g) => (g.atNs < m ? g.atNs : m), f.atNs);
    // Dark findings differ only in how long: the group shows the longest.
    const longest = fs.reduce((m, g) => ((g.ms ?? 0) > (m.ms ?? 0) ? g : m), f);
    const which = vips.length === 1 ? f.vip : `${vips.length} VIPs (${vips.slice(0, 4).join(', ')}${vips.length > 4 ? ', …' : ''})`;
    lines.push(`    ${isTargetMiss(f) ? 'MISS' : 'note'} ${f.what} ${which} [${f.source}] from ${rel(from, r.eventNs)} after the fault (${rel(from, r.healNs)} from the heal)${f.macs.length > 0 ? `, MACs ${f.macs.map((m) => `${nodeOf(m)} (${m})`).join(' → ')}` : ''}: ${vips.length > 1 && longest.ms !== undefined ? `longest: ${longest.vip}, ${longest.detail}` : f.detail}${fs.length > vips.length ? ` (${fs.length} times)` : ''}`);
  }
  const { file, slice } = kept;
  const vips = new Set(r.verdict.findings.map((f: Finding) => f.vip));
  const about = slice.filter((l) => [...vips].some((ip) => l.includes(`"${ip}"`)) || /fenc|"level":"(warn|error)"/.test(l));
  lines.push(`    speaker log lines about these VIPs, fences, warnings (${about.length} of ${slice.length} in the window; all in ${file}):`);
  const shown = condense(about);
  for (const l of shown.slice(0, 25)) lines.push(`      ${l.length > 400 ? `${l.slice(0, 400)}…` : l}`);
  if (shown.length > 25) lines.push(`      … ${shown.length - 25} more in ${file}`);
  return lines;
}

/**
 * Log lines as `node +ms {json}`, with runs of the same event for many VIPs (one node, one
 * message and reason, within 100 ms) folded into one line: a fence stops 36 answers at once.
 */
function condense(lines: readonly string[]): string[] {
  const groups: { key: string; t: number; head: string; ips: string[] }[] = [];
  for (const line of lines) {
    const m = /^(\S+) ([+-]?\d+) ms (\{.*\})$/.exec(line);
    let rec: Record<string, unknown> | null = null;
    try {
      rec = m?.[3] === undefined ? null : (JSON.parse(m[3]) as Record<string, unknown>);
    } catch {
      rec = null;
    }
    const ip = rec?.['ip'];
    if (m === null || rec === null || typeof ip !== 'string') {
      groups.push({ key: '', t: 0, head: line, ips: [] });
      continue;
    }
    const r = rec;
    const what = ['msg', 'reason', 'cause', 'from'].map((k) => (r[k] === undefined ? '' : `${k}=${JSON.stringify(r[k])}`)).filter((x) => x !== '').join(' ');
    const key = `${m[1]} ${what}`;
    const t = Number(m[2]);
    const last = groups[groups.length - 1];
    if (last !== undefined && last.key === key && t - last.t <= 100) last.ips.push(ip);
    else groups.push({ key, t, head: `${m[1]} ${m[2]} ms ${what}`, ips: [ip] });
  }
  return groups.map((g) => (g.ips.length === 0 ? g.head : g.ips.length === 1 ? `${g.head} ${g.ips[0] ?? ''}` : `${g.head} ×${g.ips.length} VIPs: ${g.ips.slice(0, 6).join(', ')}${g.ips.length > 6 ? ', …' : ''}`));
}

const med = (xs: readonly number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);
const worst = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : Math.max(...xs));

/** The table: one row per fault, figures beside the targets. */
export function table(runs: readonly RunRecord[], order: readonly FaultName[], expect: (f: FaultName) => string): string[] {
  const head = ['fault', 'docs/l2.md: victim\'s VIPs', 'runs', 'two MACs (target 0)', 'dark > 1 s (target 0)', 'gap median', 'gap worst', 'probes lost at the fault, median / worst', 'probes lost at the return (planned), median / worst', 'not as docs/l2.md says', 'wall per run, median'];
  const rows: string[][] = [];
  for (const name of order) {
    const rs = runs.filter((r) => r.fault === name);
    if (rs.length === 0) continue;
    const count = (what: Finding['what']): number => rs.filter((r) => r.verdict.findings.some((f) => f.what === what)).length;
    const gaps = rs.map((r) => r.verdict.gapMs);
    const atFault = rs.map((r) => r.verdict.lostAtFault);
    const atReturn = rs.map((r) => r.verdict.lostAtReturn);
    const departures = rs.filter((r) => r.verdict.findings.some((f) => !isTargetMiss(f))).length;
    const target = (n: number): string => `${n} ${n === 0 ? 'met' : '**MISSED**'}`;
    rows.push([
      name,
      expect(name),
      String(rs.length),
      target(count('two MACs')),
      target(count('dark')),
      `${fmt(med(gaps), 1)} ms`,
      `${fmt(worst(gaps), 1)} ms`,
      name === 'planned' ? `${fmt(med(atFault), 0)} / ${fmt(worst(atFault), 0)} (target 0: ${worst(atFault) === 0 ? 'met' : '**MISSED**'})` : `${fmt(med(atFault), 0)} / ${fmt(worst(atFault), 0)}`,
      `${fmt(med(atReturn), 0)} / ${fmt(worst(atReturn), 0)}`,
      `${departures} runs`,
      `${fmt(med(rs.map((r) => r.wallMs)) / 1000, 1)} s`,
    ]);
  }
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}
