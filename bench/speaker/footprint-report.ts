// The footprint bench's table (footprint.ts): one row per speaker and window, then the worst
// speaker per phase and variant beside issue #10's targets.
import { join } from 'node:path';
import { quantile } from '../machine.ts';
import { fmt } from '../l2/report.ts';
import { topFunctions } from './variants.ts';
import type { Variant } from './variants.ts';

/** Issue #10's targets. */
const TARGET_MB: Readonly<Record<string, number>> = { idle: 80, l2: 100, 'l2 rejoin': 100, bgp: 100, 'bgp-only': 100 };
const TARGET_CPU_PCT = 1;

const log = (line: string): void => void process.stdout.write(`${line}\n`);

export interface ReportSettings {
  n: number;
  windowS: number;
  windows: number;
  speakerFlags: readonly string[];
  limit: { bytes: number; what: string } | undefined;
  profDir: string | undefined;
}

export interface Row {
  variant: string;
  phase: string;
  node: string;
  hwm: number;
  rss: number;
  anon: number;
  /** CPU seconds over the window, or NaN when no window was taken (rejoin). */
  windowCpu: number;
  /** Of which system time (stime), seconds. */
  windowSys: number;
  /** CPU seconds from the phase's first change to settled. */
  settleCpu: number;
  settleS: number;
  /** Empty, or why the phase did not settle (the window is measured all the same). */
  note: string;
  load: string;
  /** Which steady window of the phase (1-based; --windows). */
  window: number;
  /** Peak memory charged to the node's cgroup so far (MiB) and its OOM kills; NaN without --speaker-memory-limit. */
  chargedMb: number;
  oomKills: number;
  /** Seconds V8 spent collecting garbage over the window (the speaker's `herald_nodejs_gc_duration_seconds`), NaN without a window. */
  windowGcS: number;
  /** V8 heap used and reserved at the end of the window, MiB (`herald_nodejs_heap_size_*_bytes`). */
  heapUsedMb: number;
  heapTotalMb: number;
  /** GC seconds of the speaker's life up to the first window (or, for a rejoin, up to settled): mostly the join's. */
  lifeGcS: number;
}

export function report(rows: readonly Row[], variants: readonly Variant[], s: ReportSettings): void {
  const { n: N, windowS: WINDOW_S, windows: WINDOWS, speakerFlags: SPEAKER_FLAGS, limit: LIMIT, profDir } = s;
  log(`\n## Speaker footprint: ${N} VIPs / Services, 3 speakers, ${WINDOW_S} s windows (MB = MiB)\n`);
  for (const v of variants) log(`- ${v.name}: ${v.what}`);
  if (SPEAKER_FLAGS.length > 0) log(`- every speaker also ran with: ${SPEAKER_FLAGS.join(' ')}`);
  log(LIMIT === undefined ? '- no memory cgroup (--speaker-memory-limit none): V8 sized its heap from the host, unlike a Pod' : `- each speaker in a memory cgroup of ${LIMIT.what}, as its Pod; "cgroup" is the peak charged to the node's group (a restarted speaker's group holds both lives) and its OOM kills`);
  log('\n| phase | variant | node | VmHWM MB | VmRSS MB | RssAnon MB | cgroup: peak MB, OOM kills | V8 heap used / total MB | CPU in window | of it GC | settle: s, CPU s (GC s) | target | load 1 min |');
  log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const order = ['idle', 'l2', 'l2 rejoin', 'bgp', 'bgp-only'];
  for (const phase of order) {
    for (const r of rows.filter((x) => x.phase === phase)) {
      const target = TARGET_MB[phase] ?? Number.NaN;
      const cpuPct = (r.windowCpu / WINDOW_S) * 100;
      const memOk = r.hwm <= target ? 'met' : 'missed';
      const cpuText = Number.isNaN(r.windowCpu) ? '—' : `${fmt(r.windowCpu, 2)} s = ${fmt(cpuPct, 2)} % (system ${fmt(r.windowSys, 2)} s)`;
      const cpuTarget = phase === 'l2' || phase === 'bgp' || phase === 'bgp-only' ? `; CPU ≤ ${TARGET_CPU_PCT} %: ${cpuPct <= TARGET_CPU_PCT ? 'met' : 'missed'}` : '';
      const settle = phase === 'idle' ? '—' : `${r.note === '' ? '' : `**${r.note}** after `}${fmt(r.settleS)} s, ${fmt(r.settleCpu, 2)} s (${fmt(r.lifeGcS, 2)})`;
      const group = Number.isNaN(r.chargedMb) ? '—' : `${fmt(r.chargedMb)}, ${fmt(r.oomKills, 0)}`;
      log(`| ${phase}${WINDOWS > 1 && phase !== 'l2 rejoin' ? ` #${r.window}` : ''} | ${r.variant} | ${r.node} | ${fmt(r.hwm)} | ${fmt(r.rss)} | ${fmt(r.anon)} | ${group} | ${fmt(r.heapUsedMb)} / ${fmt(r.heapTotalMb)} | ${cpuText} | ${Number.isNaN(r.windowGcS) ? '—' : `${fmt(r.windowGcS, 2)} s`} | ${settle} | HWM ≤ ${target}: ${memOk}${cpuTarget} | ${r.load} |`);
    }
  }
  log('\nPer phase and variant, the worst speaker:');
  for (const phase of order) {
    for (const v of variants) {
      const rs = rows.filter((r) => r.phase === phase && r.variant === v.name);
      if (rs.length === 0) continue;
      const hwm = Math.max(...rs.map((r) => r.hwm));
      const cpu = Math.max(...rs.map((r) => r.windowCpu));
      const median = quantile(rs.map((r) => r.windowCpu).sort((a, b) => a - b), 0.5);
      const spread = WINDOWS > 1 && !Number.isNaN(cpu) ? ` (median of ${rs.length} speaker windows ${fmt((median / WINDOW_S) * 100, 2)} %)` : '';
      log(`  ${phase.padEnd(10)} ${v.name.padEnd(12)} VmHWM ${fmt(hwm).padStart(6)} MB${Number.isNaN(cpu) ? '' : `, CPU ${fmt((cpu / WINDOW_S) * 100, 2)} % of a core${spread}`}`);
    }
  }
  if (profDir === undefined) return;
  log('\nCPU profiles (node-a, whole life: start, settle, window, drain), top functions by self time:');
  for (const v of variants) for (const phase of ['l2', 'bgp', 'bgp-only']) for (const line of topFunctions(join(profDir, v.name, phase))) log(`  ${v.name} ${phase}: ${line}`);
}
