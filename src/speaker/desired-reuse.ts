// The speaker's periodic full pass (every minute, in case a watch event was missed) computes the
// whole desired state again, and on a quiet cluster finds what it had. Storing the new copy
// anyway replaced 1,000 announcements that had lived a minute, long enough to reach V8's old
// generation, with new ones that would too: at rest a speaker's old generation grew by about a
// megabyte a minute, and a mark-compact came every few minutes (issue #10; bench/README.md,
// "Speaker footprint", eighteenth session). Here the new pass keeps the objects it agrees with,
// so that the copy dies young. Pure: no I/O, no clock.
import { sameMembers, sameStrings } from '../api/same.ts';
import { sameEligibility } from '../election/vip-table.ts';
import type { Announcement, DesiredState } from './desired.ts';

/**
 * Every field is compared below: a field added to Announcement or DesiredState must be compared
 * too, or an old object would be kept with its stale value. This fails to compile until it is.
 */
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type FieldsCompared = [
  Exactly<keyof Announcement, 'ip' | 'family' | 'services' | 'nodes' | 'demoted' | 'interfaces'>,
  Exactly<keyof DesiredState, 'vips' | 'skipped' | 'nodeProblems' | 'servablePolicies'>,
] extends [true, true] ? true : never;
const FIELDS_COMPARED: FieldsCompared = true;
void FIELDS_COMPARED;

/**
 * Compares announcements, remembering the node maps found equal: a pass shares one map among
 * the VIPs of the same policies (desiredAnnouncements' eligibility cache), so thousands of VIPs
 * compare the same two maps.
 */
class AnnouncementComparer {
  readonly #equalNodes = new Map<ReadonlyMap<string, readonly string[]>, ReadonlyMap<string, readonly string[]>>();

  same(a: Announcement, b: Announcement): boolean {
    return a.ip === b.ip && a.family === b.family && sameStrings(a.services, b.services) && sameStrings(a.interfaces, b.interfaces) && sameMembers(a.demoted, b.demoted) && this.#sameNodes(a.nodes, b.nodes);
  }

  #sameNodes(a: ReadonlyMap<string, readonly string[]>, b: ReadonlyMap<string, readonly string[]>): boolean {
    if (this.#equalNodes.get(a) === b) return true;
    if (!sameEligibility(a, b)) return false;
    this.#equalNodes.set(a, b);
    return true;
  }
}

function sameSkipped(a: DesiredState['skipped'], b: DesiredState['skipped']): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined || x.ip !== y.ip || x.reason !== y.reason || x.message !== y.message) return false;
  }
  return true;
}

function sameProblems(a: DesiredState['nodeProblems'], b: DesiredState['nodeProblems']): boolean {
  if (a.size !== b.size) return false;
  for (const [node, problem] of a) if (b.get(node) !== problem) return false;
  return true;
}

/**
 * `next`, with every announcement equal to one of `previous` replaced by that one; `previous`
 * itself when nothing differs at all, so that the caller can tell by identity.
 */
export function keepUnchanged(previous: DesiredState | null, next: DesiredState): DesiredState {
  if (previous === null) return next;
  const comparer = new AnnouncementComparer();
  let changed = next.vips.size !== previous.vips.size;
  const vips = new Map<string, Announcement>();
  for (const [ip, a] of next.vips) {
    const before = previous.vips.get(ip);
    if (before !== undefined && comparer.same(before, a)) vips.set(ip, before);
    else {
      vips.set(ip, a);
      changed = true;
    }
  }
  if (!changed && sameSkipped(previous.skipped, next.skipped) && sameProblems(previous.nodeProblems, next.nodeProblems) && sameStrings(previous.servablePolicies, next.servablePolicies)) return previous;
  return { ...next, vips };
}
