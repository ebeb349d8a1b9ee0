// Herald's LB IPAM allocator: pure, deterministic, in memory (the shape of MetalLB's
// internal/allocator and Cilium's lbipam). The controller feeds it pools, reserved addresses and
// Service views, and turns the Decisions it returns into status, conditions and Events.
// The rules it implements are written out in docs/ipam.md ("Allocation rules", "Sharing").
import { formatIP, parseIP } from '../api/addr.ts';
import { AddressBook } from './address-book.ts';
import { PoolSet, type Pool } from './pool-set.ts';
import { checkRequested, chooseAddress, type ChoiceContext, type Problem } from './choice.ts';
import { selectorLabels } from '../api/selector.ts';
import { parseRequest, wantedFamilies, type HeldAddr } from './service-wants.ts';
import { keyMismatch, sharingConflict } from './sharing.ts';
import { computeStatuses } from './pool-status.ts';
import type { Decision, PoolErrors, PoolView, Release } from './types.ts';
import type { PoolStatusView } from '../api/ippool.ts';
import type { ServiceView } from '../api/service.ts';
import type { Family } from '../api/addr.ts';

interface ServiceRecord {
  view: ServiceView;
  /** At most one address per family. */
  readonly ips: Map<Family, HeldAddr>;
}

interface Work {
  readonly view: ServiceView;
  /** Addresses to keep or import in phase 1, in order. */
  readonly candidates: readonly HeldAddr[];
  /** Whether the candidates are already held (known Service) or come from status (import). */
  readonly imported: boolean;
  /** Known Service whose sharing identity did not change: keeps contested addresses first. */
  readonly settled: boolean;
  readonly released: Release[];
  readonly allocated: string[];
}

/** Older first (creationTimestamp, then key): who keeps a contested address. */
function seniority(a: ServiceView, b: ServiceView): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function sameSharingIdentity(a: ServiceView, b: ServiceView): boolean {
  if (a.namespace !== b.namespace) return false;
  if (a.sharing === null || b.sharing === null) return a.sharing === b.sharing;
  // Stryker disable next-line OptionalChaining: list() runs only when both views have a sharing key
  const list = (v: ServiceView): string => [...(v.sharing?.crossNamespaces ?? [])].sort().join('\n');
  return a.sharing.key === b.sharing.key && list(a) === list(b);
}

function parseList(ips: readonly string[]): { held: HeldAddr[]; invalid: string[] } {
  const held: HeldAddr[] = [];
  const invalid: string[] = [];
  for (const ip of ips) {
    const parsed = parseIP(ip);
    if (!parsed.ok) invalid.push(ip);
    else held.push({ addr: parsed.value, text: formatIP(parsed.value) });
  }
  return { held, invalid };
}

export class Allocator {
  private pools = new PoolSet([]);
  private readonly book = new AddressBook();
  private readonly services = new Map<string, ServiceRecord>();
  /** Sharing key → keys of known Services with that key: where automatic allocation looks first. */
  private readonly groups = new Map<string, Set<string>>();
  private statusCache: Map<string, PoolStatusView> | null = null;
  /** What choice.ts may read: the pools, the address book, and the Services' views and addresses. */
  private readonly ctx: ChoiceContext = {
    pools: () => this.pools,
    book: this.book,
    view: (key) => this.record(key).view,
    held: (key, family) => this.record(key).ips.get(family),
    // Stryker disable next-line ArrayDeclaration: asked only for the key of a Service with one, which is in its own group
    group: (sharingKey) => this.groups.get(sharingKey) ?? [],
  };

  /** Replaces the whole pool set. Returns the pools whose parse failed, with why. Moves no address. */
  setPools(pools: readonly PoolView[]): PoolErrors {
    this.pools = new PoolSet(pools);
    this.statusCache = null;
    return new Map(this.pools.errors);
  }

  /**
   * Node and API-server addresses: never allocated. value = why ("InternalIP of node n1").
   * Moves no address. Returns the keys that are not IP addresses (they reserve nothing).
   */
  setReserved(reserved: ReadonlyMap<string, string>): string[] {
    this.statusCache = null;
    return this.book.setReserved(reserved);
  }

  /** Reconciles the listed Services: phase 1 keeps/imports, phase 2 fills what is missing. */
  reconcile(services: readonly ServiceView[]): Decision[] {
    this.statusCache = null;
    const work = new Map<string, Work>();
    for (const view of services) work.set(view.key, this.prepare(view, work.get(view.key)));
    const bySeniority = [...work.values()].sort((a, b) => seniority(a.view, b.view));

    // Phase 1. A listed Service not yet processed does not count as a holder, so whoever is
    // processed first keeps a contested address: settled Services before edited or imported ones.
    const pending = new Set(work.keys());
    for (const w of [...bySeniority.filter((w) => w.settled), ...bySeniority.filter((w) => !w.settled)]) {
      this.keep(w, pending);
      pending.delete(w.view.key);
    }
    // Phase 2, oldest first so that the result does not depend on the order of the input.
    const outcome = new Map<string, Decision>();
    for (const w of bySeniority) outcome.set(w.view.key, this.fill(w));
    return services.map((v) => {
      const d = outcome.get(v.key);
      // Stryker disable next-line StringLiteral: unreachable (every listed Service is decided)
      if (d === undefined) throw new Error(`unreachable: no decision for ${v.key}`);
      return d;
    });
  }

  /** The Service is gone or no longer Herald's: frees its addresses (reason ServiceGone). */
  release(key: string): Release[] {
    const rec = this.services.get(key);
    if (rec === undefined) return [];
    this.statusCache = null;
    const released: Release[] = [];
    for (const h of rec.ips.values()) {
      this.book.detach(h.text, key);
      const still = this.book.holders(h.text).size;
      const tail = still > 0 ? `; ${still} other Service${still === 1 ? '' : 's'} still share it` : '';
      released.push({ ip: h.text, reason: 'ServiceGone', message: `${key} is gone or no longer uses Herald${tail}` });
    }
    this.setGroup(key, rec.view, null);
    this.services.delete(key);
    return released;
  }

  /** Keys of Services holding at least one address. */
  heldKeys(): string[] {
    return [...this.services].filter(([, r]) => r.ips.size > 0).map(([k]) => k);
  }

  /** Keys of every Service the allocator has a record for, holding addresses or not (for garbage collection). */
  knownKeys(): string[] {
    return [...this.services.keys()];
  }

  ipsOf(key: string): readonly string[] {
    const rec = this.services.get(key);
    return rec === undefined ? [] : this.ordered(rec);
  }

  holdersOf(ip: string): readonly string[] {
    const parsed = parseIP(ip);
    return parsed.ok ? [...this.book.holders(formatIP(parsed.value))].sort() : [];
  }

  poolStatus(name: string): PoolStatusView | undefined {
    return this.statuses().get(name);
  }

  poolStatuses(): PoolStatusView[] {
    return [...this.statuses().values()];
  }

  /** The pool an address belongs to (first valid pool by name), for Events and metrics. */
  poolOf(ip: string): string | undefined {
    const parsed = parseIP(ip);
    return parsed.ok ? this.pools.containing(parsed.value)?.name : undefined;
  }

  /** Sizes of the allocator's state, for metrics and for tests that memory follows allocations only. */
  stats(): { services: number; heldAddresses: number; reservedAddresses: number; takenRuns: number } {
    const { book } = this;
    return { services: this.services.size, heldAddresses: book.heldCount, reservedAddresses: book.reservedCount, takenRuns: book.takenRuns() };
  }

  private statuses(): Map<string, PoolStatusView> {
    this.statusCache ??= computeStatuses(this.pools, this.book);
    return this.statusCache;
  }

  private ordered(rec: ServiceRecord): string[] {
    return this.orderedHeld(rec).map((h) => h.text);
  }

  /** What the Service holds, in the order of its wanted families. */
  private orderedHeld(rec: ServiceRecord): HeldAddr[] {
    const wanted = wantedFamilies(rec.view);
    return [...rec.ips.entries()].sort(([a], [b]) => wanted.indexOf(a) - wanted.indexOf(b)).map(([, h]) => h);
  }

  private setGroup(key: string, from: ServiceView | null, to: ServiceView | null): void {
    const a = from?.sharing?.key;
    const b = to?.sharing?.key;
    if (a === b) return;
    if (a !== undefined) {
      const g = this.groups.get(a);
      // Stryker disable next-line OptionalChaining: the group of the old key exists until it is emptied below
      g?.delete(key);
      // Stryker disable next-line OptionalChaining,CallExpression: an empty group left in the map reads as no group
      if (g?.size === 0) this.groups.delete(a);
    }
    if (b !== undefined) {
      const g = this.groups.get(b) ?? new Set<string>();
      g.add(key);
      this.groups.set(b, g);
    }
  }

  /** Records the new view and collects the phase-1 candidates. */
  private prepare(view: ServiceView, earlier: Work | undefined): Work {
    const rec = this.services.get(view.key);
    if (rec !== undefined) {
      const settled = earlier?.settled ?? sameSharingIdentity(rec.view, view);
      this.setGroup(view.key, rec.view, view);
      rec.view = view;
      return earlier !== undefined
        ? { ...earlier, view, settled }
        : { view, candidates: [...rec.ips.values()], imported: false, settled, released: [], allocated: [] };
    }
    // Unknown Service: import what its status says it has (controller restart, or adoption).
    const { held, invalid } = parseList(view.currentIPs);
    this.services.set(view.key, { view, ips: new Map() });
    this.setGroup(view.key, null, view);
    const released: Release[] = invalid.map((ip) => ({
      ip,
      reason: 'PoolRemoved',
      message: `status lists "${ip}", which is not an IP address`,
    }));
    return { view, candidates: held, imported: true, settled: false, released, allocated: [] };
  }

  private record(key: string): ServiceRecord {
    const rec = this.services.get(key);
    // Stryker disable next-line StringLiteral: unreachable (prepare() records every listed Service)
    if (rec === undefined) throw new Error(`unreachable: no record for ${key}`);
    return rec;
  }

  /** Phase 1: keep (or import) each candidate while rule 4 (a)–(e) holds. */
  private keep(w: Work, pending: ReadonlySet<string>): void {
    const { view } = w;
    const rec = this.record(view.key);
    const wanted = wantedFamilies(view);
    const request = parseRequest(view);
    // An invalid request releases nothing: the Service keeps what it has (InvalidRequest).
    const requested = request?.ok === true ? new Set([...request.byFamily.values()].map((h) => h.text)) : null;
    for (const h of w.candidates) {
      // Stryker disable next-line ArrayDeclaration,ArrowFunction: keeping a duplicate entry again changes nothing (attach is idempotent)
      if (w.imported && [...rec.ips.values()].some((k) => k.text === h.text)) continue; // listed twice in status
      const others = [...this.book.holders(h.text)].filter((k) => k !== view.key && !pending.has(k));
      let why = this.whyNotKept(view, h, wanted, requested, others);
      const kept = rec.ips.get(h.addr.family);
      if (why === null && kept !== undefined && kept.text !== h.text) {
        why = {
          ip: h.text,
          reason: 'FamilyNotWanted',
          message: `a Service holds one ${h.addr.family} address and ${view.key} keeps ${kept.text}`,
        };
      }
      if (why === null) {
        if (w.imported) {
          this.book.attach(h.addr, h.text, view.key);
          rec.ips.set(h.addr.family, h);
        }
        continue;
      }
      if (!w.imported) {
        this.book.detach(h.text, view.key);
        rec.ips.delete(h.addr.family);
      }
      w.released.push(why);
    }
  }

  private whyNotKept(
    view: ServiceView,
    h: HeldAddr,
    wanted: readonly Family[],
    requested: ReadonlySet<string> | null,
    others: readonly string[],
  ): Release | null {
    const ip = h.text;
    if (this.pools.containing(h.addr) === undefined) return this.pools.outside(h.addr);
    const reservedFor = this.book.reservation(ip);
    if (reservedFor !== undefined) return { ip, reason: 'Reserved', message: `${ip} is reserved (${reservedFor})` };
    if (!wanted.includes(h.addr.family)) {
      return {
        ip,
        reason: 'FamilyNotWanted',
        message: `${ip} is ${h.addr.family}, which a ${view.ipFamilyPolicy} ${wanted.join('/')} Service does not want`,
      };
    }
    if (requested !== null && !requested.has(ip)) {
      return { ip, reason: 'NotRequested', message: `${ip} is not among the requested addresses (${[...requested].join(', ')})` };
    }
    for (const other of others) {
      const mismatch = keyMismatch(view, this.record(other).view);
      if (mismatch !== null) {
        return { ip, reason: 'SharingKeyMismatch', message: `${ip} stays with ${other}, which cannot share it with ${view.key}: ${mismatch}` };
      }
    }
    return null;
  }

  /** Phase 2: give what is missing (rules 5–8), then report incompatible sharing (rule 4). */
  private fill(w: Work): Decision {
    const { view } = w;
    const rec = this.record(view.key);
    // Built only when an address must be chosen: a restart's pass keeps every address, and a
    // label Map per Service was garbage for nothing (issue #10, bench/README.md "cold start beside
    // MetalLB", 5.).
    let labels: ReadonlyMap<string, string> | undefined;
    const wanted = wantedFamilies(view);
    const request = parseRequest(view);
    let problem: Problem | null = null;
    let note: string | null = null;
    if (request !== null && !request.ok) {
      problem = { reason: 'InvalidRequest', message: request.message };
    } else {
      const families = request === null ? wanted : wanted.filter((f) => request.byFamily.has(f));
      const picks: Array<{ held: HeldAddr; pool: Pool }> = [];
      const failures: Array<{ family: Family; problem: Problem }> = [];
      if (request !== null && view.ipFamilyPolicy === 'RequireDualStack' && families.length < 2) {
        // Stryker disable next-line StringLiteral: a fallback never taken (fewer than two families requested, so one is missing)
        const missing = wanted.find((f) => !request.byFamily.has(f)) ?? 'IPv6';
        failures.push({ family: missing, problem: { reason: 'InvalidRequest', message: `the request names no ${missing} address` } });
      }
      for (const family of families) {
        if (rec.ips.has(family)) continue;
        const requested = request?.byFamily.get(family);
        labels ??= selectorLabels(view);
        const pick = requested !== undefined ? checkRequested(this.ctx, view, labels, requested) : chooseAddress(this.ctx, view, labels, family);
        if ('problem' in pick) failures.push({ family, problem: pick.problem });
        else picks.push(pick);
      }
      const [failure] = failures;
      if (failure !== undefined && view.ipFamilyPolicy === 'RequireDualStack') {
        // All or nothing for new addresses; what it already holds stays (docs/ipam.md, Families).
        problem = {
          reason: 'DualStackUnsatisfied',
          message: `RequireDualStack needs an IPv4 and an IPv6 address; no ${failure.family} address: ${failure.problem.message}`,
        };
      } else {
        for (const p of picks) {
          this.book.attach(p.held.addr, p.held.text, view.key);
          rec.ips.set(p.held.addr.family, p.held);
          w.allocated.push(p.held.text);
        }
        if (failure !== undefined) {
          if (request === null && view.ipFamilyPolicy === 'PreferDualStack' && rec.ips.size > 0) {
            note = `no ${failure.family} address: ${failure.problem.message}`;
          } else {
            problem = failure.problem;
          }
        }
      }
    }
    problem ??= this.incompatibility(view, rec);
    const held = this.orderedHeld(rec);
    const ips = held.map((h) => h.text);
    // The pool from the parsed address each holding keeps: no text parsed again per Service.
    const from = held.map((h) => {
      const pool = this.pools.containing(h.addr)?.name;
      return pool === undefined ? h.text : `${h.text} from pool "${pool}"`;
    });
    return {
      key: view.key,
      ips,
      satisfied: problem === null,
      reason: problem?.reason ?? 'Satisfied',
      message: problem?.message ?? `allocated ${from.join(', ')}${note !== null ? `; ${note}` : ''}`,
      allocated: w.allocated,
      released: w.released,
    };
  }

  /** Rule 4: holders of one address whose edits made them incompatible keep it, unsatisfied. */
  private incompatibility(view: ServiceView, rec: ServiceRecord): Problem | null {
    for (const h of rec.ips.values()) {
      for (const other of this.book.holders(h.text)) {
        if (other === view.key) continue;
        const conflict = sharingConflict(view, this.record(other).view);
        if (conflict !== null) {
          return {
            reason: 'IncompatibleSharing',
            message: `${h.text} is shared with ${other}, but ${conflict}; the address is kept until they are made compatible`,
          };
        }
      }
    }
    return null;
  }
}
