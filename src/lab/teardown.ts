// Removing a lab's namespaces and host link. The plan is written once as a generator that yields
// the commands to run and receives their results, so the same steps serve close() (async) and
// the process-exit path (blocking, where no promise would ever settle).
import { readFileSync } from 'node:fs';
import { isAlreadyGone, mustRun, run, runSync } from './exec.ts';
import type { ExecResult } from './exec.ts';

export interface LabResources {
  /** Namespaces this lab created (never one that existed before it). */
  readonly namespaces: readonly string[];
  /** The root-namespace end of the host veth, when this lab created it. */
  readonly hostIface: string | null;
}

/** A plan: yields argv, receives the result, returns what could not be removed. */
export type Plan = Generator<readonly string[], string[], ExecResult>;

/** True for a process that exists and is not a zombie (a container's PID 1 may never reap). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err instanceof Error && 'code' in err && err.code === 'EPERM';
  }
  try {
    // /proc/PID/stat: "pid (comm) S …"; comm may contain spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false; // gone between the two looks
  }
}

function killQuietly(pid: number, problems: string[]): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if (!(err instanceof Error && 'code' in err && err.code === 'ESRCH')) problems.push(`kill ${pid}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Kills every process still inside the lab's namespaces, deletes the host link, then the namespaces. */
export function* teardownPlan(res: LabResources): Plan {
  const problems: string[] = [];
  for (const ns of res.namespaces) {
    const pids = yield ['ip', 'netns', 'pids', ns];
    if (pids.code === 0) for (const pid of pids.stdout.split(/\s+/).filter(Boolean).map(Number)) killQuietly(pid, problems);
    else if (!isAlreadyGone(pids)) problems.push(`ip netns pids ${ns}: ${pids.stderr.trim()}`);
  }
  if (res.hostIface !== null) {
    const del = yield ['ip', 'link', 'del', res.hostIface];
    if (del.code !== 0 && !isAlreadyGone(del)) problems.push(`link ${res.hostIface}: ${del.stderr.trim()}`);
  }
  for (const ns of res.namespaces) {
    const del = yield ['ip', 'netns', 'del', ns];
    if (del.code !== 0 && !isAlreadyGone(del)) problems.push(`namespace ${ns}: ${del.stderr.trim()}`);
  }
  return problems;
}

export async function driveAsync(plan: Plan): Promise<string[]> {
  let step = plan.next();
  while (step.done !== true) step = plan.next(await run(step.value));
  return step.value;
}

export function driveSync(plan: Plan): string[] {
  let step = plan.next();
  while (step.done !== true) step = plan.next(runSync(step.value));
  return step.value;
}

/** Names of the network namespaces under /run/netns (`ip netns list`). */
export async function listNamespaces(): Promise<string[]> {
  return namesIn(await mustRun(['ip', '-j', 'netns', 'list']), 'name');
}

/** Names of the links in the root namespace. */
export async function listLinks(): Promise<string[]> {
  return namesIn(await mustRun(['ip', '-j', 'link', 'show']), 'ifname');
}

/** The string field `key` of each object in `ip -j` output (empty output means none). */
export function namesIn(json: string, key: string): string[] {
  if (json.trim() === '') return [];
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed)) return [];
  const names: string[] = [];
  for (const item of parsed) {
    if (typeof item !== 'object' || item === null) continue;
    const fields: [string, unknown][] = Object.entries(item);
    for (const [k, value] of fields) if (k === key && typeof value === 'string') names.push(value);
  }
  return names;
}
