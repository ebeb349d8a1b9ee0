// The code a footprint run compares (issue #10): the speaker of a base commit (by default HEAD,
// extracted with `git archive`, built as that commit builds) beside the working tree's, each run
// as shipped or from its TypeScript, with or without the runtime tuning; plus the /proc readings
// and the summary of a --cpu-prof profile.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_BIN, ROOT } from '../l2/bench-cluster.ts';

export interface Variant {
  name: string;
  what: string;
  /** The `herald` command line before `speaker` and its flags. */
  argv: readonly string[];
}

/**
 * V8 and glibc settings for a small long-lived daemon (bench/README.md, "Speaker footprint";
 * deploy/speaker.yaml sets the same): a young generation of at most 2 × 4 MB (Node 24 grew it to
 * 2 × 64 MB during a 1,000-VIP join, half the speaker's peak RSS, and never gave it back), V8's
 * tiers capped at Maglev (an idle speaker kept compiling with TurboFan for minutes, each compile's
 * working memory raising its peak; nineteenth session), one malloc arena instead of one per
 * thread, and free memory at the top of the heap returned above 1 MiB.
 */
export const TUNED_NODE_FLAGS = ['--max-semi-space-size=4', '--max-opt=2'];
export const TUNED_ENV = ['MALLOC_ARENA_MAX=1', 'MALLOC_TRIM_THRESHOLD_=1048576'];
/** No optimising compilers (TurboFan, Maglev): Ignition and Sparkplug only (fourteenth session's trial). */
export const BASELINE_NODE_FLAGS = ['--no-opt', '--no-maglev'];
/** deploy/'s V8 flags from the fifteenth session to the nineteenth: TurboFan, no Maglev. */
export const TURBOFAN_NODE_FLAGS = ['--max-semi-space-size=4', '--no-maglev'];

export const VARIANT_NAMES = ['before', 'before-tuned', 'before-src', 'after', 'after-src', 'after-tuned', 'after-baseline', 'after-turbofan'] as const;
export type VariantName = (typeof VARIANT_NAMES)[number];

function run(cmd: string, args: readonly string[], cwd: string): void {
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env['PATH'] ?? ''}` } });
}

/**
 * The base commit's tree in `dir`, sharing this checkout's node_modules and built addon. The
 * packages are hard-linked, not linked as a folder: esbuild resolves symlinks, and a bundle script
 * that recognises client-node by its path under its own tree (scripts/bundle.ts before
 * `realpathSync`) then trimmed nothing, so the base's speaker carried all of client-node (1.47 MB
 * against 0.86 MB, ~5 MB more RSS idle) and every before/after comparison of memory leaned on it.
 * A symlink only where hard links cannot be made (another file system).
 */
function extractBase(ref: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', `git archive --format=tar ${ref} | tar -x -C ${dir}`], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    execFileSync('cp', ['-al', join(ROOT, 'node_modules'), join(dir, 'node_modules')], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    process.stderr.write(`bench: cannot hard-link node_modules into ${dir} (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); a symlink instead: the base's bundle may keep more of client-node than it would in its own checkout\n`);
    rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  }
  mkdirSync(join(dir, 'native/build'), { recursive: true });
  symlinkSync(join(ROOT, 'native/build/Release'), join(dir, 'native/build/Release'));
}

/** Builds a tree as its own package.json says: the bundle if it has scripts/bundle.ts, else tsc's dist/. */
function buildTree(dir: string): string {
  if (existsSync(join(dir, 'scripts/bundle.ts'))) {
    run(NODE_BIN, ['scripts/bundle.ts'], dir);
    return join(dir, 'dist/herald.mjs');
  }
  run(NODE_BIN, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], dir);
  return join(dir, 'dist/cli.js');
}

/** A commit's tree extracted into `dir` and built as that commit builds: the entry to run (`herald` of that build). */
export function buildCommit(ref: string, dir: string): string {
  extractBase(ref, dir);
  return buildTree(dir);
}

/** The working tree built (npm run build): its entry. */
export function buildWorkingTree(): string {
  return buildTree(ROOT);
}

/** Builds what the named variants need (each tree once) and returns their command lines. */
export function prepareVariants(names: readonly VariantName[], baseRef: string, scratch: string): Variant[] {
  const baseDir = join(scratch, 'base');
  const need = (p: (n: VariantName) => boolean): boolean => names.some(p);
  if (need((n) => n.startsWith('before'))) extractBase(baseRef, baseDir);
  const baseBuilt = need((n) => n === 'before' || n === 'before-tuned') ? buildTree(baseDir) : '';
  const afterBuilt = need((n) => n === 'after' || n === 'after-tuned' || n === 'after-baseline' || n === 'after-turbofan') ? buildTree(ROOT) : '';
  return names.map((name): Variant => {
    switch (name) {
      case 'before':
        return { name, what: `${baseRef} as built by its npm run build (${baseBuilt.endsWith('cli.js') ? 'tsc, one file per module' : 'bundle'})`, argv: [NODE_BIN, baseBuilt] };
      case 'before-tuned':
        return { name, what: `${baseRef}'s bundle with ${[...TUNED_NODE_FLAGS, ...TUNED_ENV].join(' ')} (as deploy/ runs it)`, argv: ['/usr/bin/env', ...TUNED_ENV, NODE_BIN, ...TUNED_NODE_FLAGS, baseBuilt] };
      case 'before-src':
        return { name, what: `${baseRef} from src/cli.ts (type stripping, as the lab runs it)`, argv: [NODE_BIN, join(baseDir, 'src/cli.ts')] };
      case 'after':
        return { name, what: 'working tree, dist/herald.mjs (npm run build: esbuild bundle)', argv: [NODE_BIN, afterBuilt] };
      case 'after-src':
        return { name, what: 'working tree from src/cli.ts (type stripping)', argv: [NODE_BIN, join(ROOT, 'src/cli.ts')] };
      case 'after-tuned':
        return { name, what: `the bundle with ${[...TUNED_NODE_FLAGS, ...TUNED_ENV].join(' ')}`, argv: ['/usr/bin/env', ...TUNED_ENV, NODE_BIN, ...TUNED_NODE_FLAGS, afterBuilt] };
      case 'after-baseline':
        return { name, what: `the bundle with ${[...TUNED_NODE_FLAGS, ...BASELINE_NODE_FLAGS, ...TUNED_ENV].join(' ')} (V8's interpreter and baseline compiler only)`, argv: ['/usr/bin/env', ...TUNED_ENV, NODE_BIN, ...TUNED_NODE_FLAGS, ...BASELINE_NODE_FLAGS, afterBuilt] };
      case 'after-turbofan':
        return { name, what: `the bundle with ${[...TURBOFAN_NODE_FLAGS, ...TUNED_ENV].join(' ')} (TurboFan, no Maglev: deploy/'s flags until the nineteenth session)`, argv: ['/usr/bin/env', ...TUNED_ENV, NODE_BIN, ...TURBOFAN_NODE_FLAGS, afterBuilt] };
    }
    return { name, what: '', argv: [] };
  });
}

/** `env VAR=… node [flags] entry` with extra Node flags put right after the node binary. */
export function withNodeFlags(argv: readonly string[], flags: readonly string[]): string[] {
  const i = argv.indexOf(NODE_BIN);
  return i < 0 ? [...argv] : [...argv.slice(0, i + 1), ...flags, ...argv.slice(i + 1)];
}

export interface ProcFigures {
  /** MB (MiB) from /proc/PID/status. */
  hwm: number;
  rss: number;
  anon: number;
  /** utime + stime, seconds (/proc/PID/stat). */
  cpu: number;
  /** stime alone: in the lab it includes the kernel's delivery of this process's datagrams to the
   *  other namespaces' sockets (a veth transmit runs the receiver's stack in the sender's context). */
  sys: number;
}

/** VmHWM, VmRSS, RssAnon and CPU seconds of a live process, or null when it is gone. */
export function procFigures(pid: number | undefined): ProcFigures | null {
  if (pid === undefined) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? Number.NaN) / 1024;
    // utime and stime are fields 14 and 15 (proc(5)), in USER_HZ = 1/100 s.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { hwm: kb('VmHWM'), rss: kb('VmRSS'), anon: kb('RssAnon'), cpu: (Number(rest[11]) + Number(rest[12])) / 100, sys: Number(rest[12]) / 100 };
  } catch {
    return null;
  }
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/**
 * The `top` functions by self time, idle left out, of the largest .cpuprofile in `dir` (the
 * speaker that lived longest; a speaker killed before it could write one leaves none), as
 * "ms  % of busy  name  file:line".
 */
export function topFunctions(dir: string, top = 12): string[] {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  const file = files.map((f) => ({ f, size: statSync(join(dir, f)).size })).sort((a, b) => b.size - a.size)[0]?.f;
  if (file === undefined) return [`(no profile in ${dir})`];
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const f = byId.get(id)?.callFrame;
    if (f === undefined) return;
    const where = f.url === '' ? '' : ` ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    const key = `${f.functionName || '(anonymous)'}${where}`;
    self.set(key, (self.get(key) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = self.get('(idle)') ?? 0;
  self.delete('(idle)');
  const busy = total - idle;
  const head = `${file}: ${(total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy`;
  return [head, ...[...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, ms]) => `${ms.toFixed(0).padStart(7)} ms  ${((ms / busy) * 100).toFixed(1).padStart(5)} %  ${k}`)];
}
