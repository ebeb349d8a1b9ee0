// Which management network (plan.ts) a lab's host link uses. Labs run side by side (test files
// run in parallel), and each host link needs a subnet no other interface of the root namespace
// has. A slot is taken by creating /run/herald-lab/mgmt-<k>.json complete in one step (link(2)
// of a written temporary file fails if the name exists); the file names its holder's pid,
// prefix and interface, so a slot whose holder was killed with SIGKILL is recognised (dead pid)
// and its leftovers removed before the slot is reused.
import { linkSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { LabError } from './errors.ts';
import { MGMT_SLOTS } from './plan.ts';
import { driveAsync, isAlive, listLinks, listNamespaces, teardownPlan } from './teardown.ts';

export const LAB_RUN_DIR = '/run/herald-lab';

export interface Holder {
  readonly pid: number;
  readonly prefix: string;
  readonly iface: string;
}

export interface SlotState {
  readonly slot: number;
  /** null: the file is unreadable, which counts as a dead holder with nothing to remove. */
  readonly holder: Holder | null;
  readonly raw: string;
}

function slotFile(slot: number): string {
  return `${LAB_RUN_DIR}/mgmt-${slot}.json`;
}

function errnoOf(err: unknown): unknown {
  return err instanceof Error && 'code' in err ? err.code : undefined;
}

function parseHolder(raw: string): Holder | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null; // torn or foreign: see SlotState.holder
  }
  if (typeof parsed !== 'object' || parsed === null || !('pid' in parsed) || !('prefix' in parsed) || !('iface' in parsed)) return null;
  const { pid, prefix, iface } = parsed;
  return typeof pid === 'number' && typeof prefix === 'string' && typeof iface === 'string' ? { pid, prefix, iface } : null;
}

export function readSlot(slot: number): SlotState | null {
  try {
    const raw = readFileSync(slotFile(slot), 'utf8');
    return { slot, holder: parseHolder(raw), raw };
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return null;
    throw err;
  }
}

/** Every taken slot. */
export function takenSlots(): SlotState[] {
  let names: string[];
  try {
    names = readdirSync(LAB_RUN_DIR);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return [];
    throw err;
  }
  return names.flatMap((name) => {
    const m = /^mgmt-(\d+)\.json$/.exec(name);
    const state = m === null ? null : readSlot(Number(m[1]));
    return state === null ? [] : [state];
  });
}

export function isStale(state: SlotState): boolean {
  return state.holder === null || !isAlive(state.holder.pid);
}

function tryTake(slot: number, holder: Holder): boolean {
  const tmp = `${LAB_RUN_DIR}/.mgmt-${slot}.${process.pid}.${holder.prefix}.tmp`;
  writeFileSync(tmp, JSON.stringify(holder));
  try {
    linkSync(tmp, slotFile(slot));
    return true;
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

/** Frees the slot if its file still says `raw` (a new holder may have taken it meanwhile). */
function freeIf(slot: number, raw: string): void {
  try {
    if (readFileSync(slotFile(slot), 'utf8') === raw) unlinkSync(slotFile(slot));
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
  }
}

/** A dead holder's host link and namespaces, then its slot; returns what was removed. */
export async function breakStaleSlot(state: SlotState): Promise<{ namespaces: string[]; links: string[] }> {
  const removed: { namespaces: string[]; links: string[] } = { namespaces: [], links: [] };
  const holder = state.holder;
  if (holder !== null) {
    removed.namespaces = (await listNamespaces()).filter((ns) => ns.startsWith(`${holder.prefix}-`));
    removed.links = (await listLinks()).filter((link) => link === holder.iface);
    const problems = await driveAsync(teardownPlan({ namespaces: removed.namespaces, hostIface: removed.links[0] ?? null }));
    if (problems.length > 0) throw new LabError('CleanupIncomplete', `leftovers of the dead lab ${holder.prefix} (pid ${holder.pid}) remain: ${problems.join('; ')}`);
  }
  freeIf(state.slot, state.raw);
  return removed;
}

/**
 * Takes the lowest free slot whose networks `usable` accepts (the root namespace has no address
 * in them); returns it with its (blocking, idempotent) release. A dead holder's slot is cleaned
 * up and taken.
 */
export async function takeSlot(holder: Holder, usable: (slot: number) => Promise<boolean>): Promise<{ slot: number; release: () => void }> {
  mkdirSync(LAB_RUN_DIR, { recursive: true });
  for (let slot = 0; slot < MGMT_SLOTS; slot++) {
    for (let attempt = 0; attempt < 2; attempt++) {
      const state = readSlot(slot);
      if (state !== null && !isStale(state)) break; // a live lab's: try the next slot
      if (state !== null) await breakStaleSlot(state); // its host link goes, and with it its addresses
      if (!(await usable(slot))) break;
      if (tryTake(slot, holder)) {
        const raw = JSON.stringify(holder);
        return { slot, release: () => freeIf(slot, raw) };
      }
    }
  }
  throw new LabError('HostLinkBusy', `all ${MGMT_SLOTS} management networks (198.19.0.0/16) are taken by live labs or overlap addresses of the root namespace (${LAB_RUN_DIR})`);
}
