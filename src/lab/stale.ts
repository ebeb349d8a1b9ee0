// Leftovers of labs whose process was killed (SIGKILL, OOM, a crashed CI runner): their
// namespaces (with any process still inside), their host link and their management-network slot.
import { LabError } from './errors.ts';
import { breakStaleSlot, isStale, takenSlots } from './host-slot.ts';
import { driveAsync, isAlive, listLinks, listNamespaces, teardownPlan } from './teardown.ts';

/** Default lab names: `hl<pid>n<counter>-…`. The `pid` group lets labs of live processes be skipped. */
export const DEFAULT_LAB_PATTERN = /^hl(?<pid>\d+)n[0-9a-z]+-/;

export interface StaleCleanup {
  /** Namespaces removed (processes inside them killed first). */
  readonly namespaces: string[];
  /** Root-namespace links removed. */
  readonly links: string[];
  /** Names that matched but belong to a process that is still running: left alone. */
  readonly live: string[];
}

function escapeRegExp(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-`);
}

/**
 * Removes namespaces and root links whose names match `pattern` (a RegExp, or a lab prefix:
 * everything named `<prefix>-…`). When the RegExp has a named group `pid` and that process is
 * alive, the name is skipped: a concurrent run's lab is not stale. Management-network slots
 * whose holder is dead are freed too, with that holder's leftovers, whatever its prefix.
 */
export async function cleanupStaleLabs(pattern: RegExp | string = DEFAULT_LAB_PATTERN): Promise<StaleCleanup> {
  const re = typeof pattern === 'string' ? escapeRegExp(pattern) : pattern;
  const result: StaleCleanup = { namespaces: [], links: [], live: [] };
  for (const state of takenSlots().filter(isStale)) {
    const removed = await breakStaleSlot(state);
    result.namespaces.push(...removed.namespaces);
    result.links.push(...removed.links);
  }

  const stale = (name: string): boolean => {
    const m = re.exec(name);
    if (m === null) return false;
    const pid = m.groups?.['pid'];
    if (pid !== undefined && isAlive(Number(pid))) {
      result.live.push(name);
      return false;
    }
    return true;
  };
  const links = (await listLinks()).filter(stale);
  const namespaces = (await listNamespaces()).filter(stale);
  const problems: string[] = [];
  for (const link of links) problems.push(...(await driveAsync(teardownPlan({ namespaces: [], hostIface: link }))));
  problems.push(...(await driveAsync(teardownPlan({ namespaces, hostIface: null }))));
  if (problems.length > 0) throw new LabError('CleanupIncomplete', `stale lab leftovers remain: ${problems.join('; ')}`);
  result.links.push(...links);
  result.namespaces.push(...namespaces);
  return result;
}
