// What the router has, as the BGP chaos bench (bgp.ts) compares it: the router namespace's
// kernel table read as "VIP → the nodes it forwards to", the same shape as the expected table
// (bgp-cluster.ts), a diff of the two, and a check that the router's own RIB holds no stale path
// and every session is up. The kernel table is what forwards traffic, so it is the judge; the
// RIB check only makes sure that "correct" is not a moment inside a graceful restart.
import { run } from '../../src/lab/exec.ts';
import type { L2Lab } from '../../src/lab/l2-lab.ts';
import { restartBitSeen } from '../../src/lab/bgp-router.ts';
import type { LabRouter, RouterKind } from '../../src/lab/bgp-router.ts';
import { isRecord } from '../../src/lab/frr.ts';
import { sleep } from '../l2/report.ts';

/** VIP (no /32, /128) → the sorted names of the nodes it is routed to (an unknown gateway stays as it is). */
export type Table = ReadonlyMap<string, readonly string[]>;

export interface Sample {
  /** performance.now() when the read started. */
  readonly at: number;
  readonly table: Table;
}

interface RouteJson {
  dst?: string;
  gateway?: string;
  nexthops?: { gateway?: string }[];
}

function isRoutes(v: unknown): v is RouteJson[] {
  return Array.isArray(v) && v.every((r) => typeof r === 'object' && r !== null);
}

/** Both families in one `ip` call: with `table all` and no -4/-6, iproute2 dumps IPv4 and IPv6. */
async function kernelRoutes(ns: string, proto: string): Promise<RouteJson[]> {
  // `ip -n` only switches the network namespace; `ip netns exec` also remounts /sys, which
  // costs more than the read itself at 20 reads a second.
  const r = await run(['ip', '-n', ns, '-j', 'route', 'show', 'table', 'all', 'proto', proto], { timeoutMs: 5000 });
  if (r.code !== 0 || r.stdout.trim() === '') return [];
  const parsed: unknown = JSON.parse(r.stdout);
  return isRoutes(parsed) ? parsed : [];
}

export class RouterView {
  readonly kind: RouterKind;
  readonly router: LabRouter;
  readonly #ns: string;
  /** Every address a node can appear as in a route: IPv4, global IPv6, link-local (FRR uses the latter for IPv6). */
  readonly #nodeOf = new Map<string, string>();
  readonly #nodes: readonly string[];

  private constructor(lab: L2Lab, router: LabRouter) {
    this.kind = router.kind;
    this.router = router;
    this.#ns = router.host.ns;
    this.#nodes = lab.nodes.map((n) => n.name);
  }

  static async of(lab: L2Lab): Promise<RouterView> {
    const router = lab.router;
    if (router === null) throw new Error('the lab has no BGP router');
    const view = new RouterView(lab, router);
    for (const n of lab.nodes) {
      view.#nodeOf.set(n.ipv4, n.name);
      if (n.ipv6 !== null) view.#nodeOf.set(n.ipv6, n.name);
      const r = await run(['ip', '-n', n.ns, '-j', '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'link'], { timeoutMs: 5000 });
      const parsed: unknown = JSON.parse(r.stdout || '[]');
      const infos = Array.isArray(parsed) ? parsed.flatMap((l: unknown) => (isRecord(l) && Array.isArray(l['addr_info']) ? l['addr_info'] : [])) : [];
      for (const a of infos) if (isRecord(a) && typeof a['local'] === 'string') view.#nodeOf.set(a['local'], n.name);
    }
    return view;
  }

  /** The router's name for a node's session: BIRD's protocol names cannot hold '-'. */
  sessionName(node: string): string {
    return this.kind === 'bird' ? node.replace(/[^a-zA-Z0-9_]/g, '_') : node;
  }

  /** The VIP routes of the router's kernel table (BIRD installs them as proto bird, zebra as proto bgp). */
  async read(): Promise<Table> {
    const routes = await kernelRoutes(this.#ns, this.kind === 'bird' ? 'bird' : 'bgp');
    const out = new Map<string, string[]>();
    for (const r of routes) {
      const dst = (r.dst ?? '').replace(/\/(32|128)$/, '');
      const gws = r.nexthops !== undefined ? r.nexthops.map((h) => h.gateway ?? '') : [r.gateway ?? ''];
      out.set(dst, gws.filter((g) => g !== '').map((g) => this.#nodeOf.get(g) ?? g).sort());
    }
    return out;
  }

  /**
   * Null when the RIB is settled: every session Established and no path kept stale (BIRD:
   * no protocol with "graceful restart active"; FRR: no path flagged stale); else why not.
   */
  async ribUnsettled(): Promise<string | null> {
    const up = await this.router.established();
    const down = this.#nodes.filter((n) => !up.includes(this.sessionName(n)));
    if (down.length > 0) return `sessions not Established: ${down.join(', ')}`;
    if (this.kind === 'bird') {
      const out = await this.router.query('show protocols all');
      const active = [...out.matchAll(/^(\S+)\s+BGP[\s\S]*?(?=^\S|(?![\s\S]))/gm)].filter((m) => /graceful restart active/i.test(m[0])).map((m) => m[1]);
      return active.length > 0 ? `graceful restart still active for ${active.join(', ')}` : null;
    }
    const stale = (await this.staleFrr()).length;
    return stale > 0 ? `${stale} path(s) still flagged stale` : null;
  }

  /** FRR: "VIP from peer" for every path flagged stale, both families. */
  async staleFrr(): Promise<string[]> {
    const out: string[] = [];
    for (const afi of ['ipv4', 'ipv6']) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(await this.router.query(`show bgp ${afi} unicast json`));
      } catch {
        continue; // bgpd not answering (restarting): nothing to say
      }
      const routes = isRecord(parsed) && isRecord(parsed['routes']) ? parsed['routes'] : {};
      for (const [prefix, paths] of Object.entries(routes)) {
        if (!Array.isArray(paths)) continue;
        for (const p of paths) if (isRecord(p) && p['stale'] === true) out.push(`${prefix} from ${String(p['peerId'])}`);
      }
    }
    return out;
  }

  /** Whether the router holds the node's paths as stale right now (evidence that graceful restart began). */
  async holdsStale(node: string): Promise<boolean> {
    if (this.kind === 'frr') {
      const n = this.#addressOf(node);
      return (await this.staleFrr()).some((s) => s.endsWith(` from ${n}`));
    }
    const out = await this.router.query(`show protocols all ${this.sessionName(node)}`);
    return /graceful restart active/i.test(out);
  }

  /**
   * The Restart State (R) bit of the node's last OPEN as the router saw it (RFC 4724 §4.1: a
   * restarting speaker MUST set it); null when the router does not say. BIRD prints "Restart
   * recovery" under the neighbour's graceful restart capability, FRR `rBit`.
   */
  async restartBit(node: string): Promise<boolean | null> {
    return restartBitSeen(this.router, { name: node, ipv4: this.#addressOf(node) });
  }

  #addressOf(node: string): string {
    for (const [a, n] of this.#nodeOf) if (n === node && a.includes('.')) return a;
    return node;
  }
}

export function sameTable(a: Table, b: Table): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if ((b.get(k) ?? []).join() !== v.join() || !b.has(k)) return false;
  return true;
}

/** One line per VIP that differs: what was expected and what the router has. */
export function diffTables(expected: Table, actual: Table): string[] {
  const keys = [...new Set([...expected.keys(), ...actual.keys()])].sort();
  const show = (h: readonly string[] | undefined): string => (h === undefined ? 'no route' : h.join(',') || 'no next hop');
  return keys.flatMap((k) => {
    const e = expected.get(k);
    const a = actual.get(k);
    if (e !== undefined && a !== undefined && e.join() === a.join()) return [];
    return [`${k}: expected ${show(e)}; router has ${show(a)}${e === undefined ? ' (stale: should be gone)' : ''}`];
  });
}

export function formatTable(t: Table): string {
  return [...t].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k} → ${v.join(',')}`).join('; ') || '(empty)';
}

/** Every (VIP, node) pair present in both tables: the paths that must never disappear in between. */
export function commonPairs(a: Table, b: Table): [string, string][] {
  return [...a].flatMap(([vip, hops]) => hops.filter((h) => (b.get(vip) ?? []).includes(h)).map((h): [string, string] => [vip, h]));
}

/**
 * Reads the router's kernel table every `intervalMs` while a run goes on, keeping every sample:
 * a path that is gone for one read is a path lost (issue #14: target 0 runs with a route lost).
 */
export class Sampler {
  readonly samples: Sample[] = [];
  readonly #view: RouterView;
  readonly #intervalMs: number;
  #stopped = false;
  #loop: Promise<void> | null = null;
  #waiters: ((s: Sample) => void)[] = [];

  constructor(view: RouterView, intervalMs: number) {
    this.#view = view;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#loop ??= (async () => {
      while (!this.#stopped) {
        const at = performance.now();
        let table: Table;
        try {
          table = await this.#view.read();
        } catch {
          await sleep(this.#intervalMs);
          continue;
        }
        const s = { at, table };
        this.samples.push(s);
        for (const w of this.#waiters.splice(0)) w(s);
        await sleep(Math.max(0, this.#intervalMs - (performance.now() - at)));
      }
    })();
  }

  /** The next sample taken (started) after now. */
  next(): Promise<Sample> {
    const after = performance.now();
    return new Promise((resolve) => {
      const wait = (s: Sample): void => {
        if (s.at >= after) resolve(s);
        else this.#waiters.push(wait);
      };
      this.#waiters.push(wait);
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  /** Samples taken in [from, to). */
  between(from: number, to: number): Sample[] {
    return this.samples.filter((s) => s.at >= from && s.at < to);
  }
}

export interface Verdict {
  /** When the table (and RIB) became right for good: the start of the stable period; null: not within the deadline. */
  readonly at: number | null;
  readonly last: Table;
  /** Why the RIB was not settled at the last check, or null. */
  readonly rib: string | null;
  /** Times the table was right and then wrong again before it stayed right. */
  readonly relapses: number;
}

/**
 * Waits until the router's kernel table equals `expected` (and, with `rib`, its RIB is settled)
 * and stays so for `stableMs`: a session that dies a hold time after the fault (a peer that
 * had not noticed its neighbour was gone) takes its paths with it after the table looked right.
 * The stable period must begin before `deadlineAt` (performance.now() time).
 */
export async function untilTable(view: RouterView, sampler: Sampler, expected: () => Table, deadlineAt: number, rib: boolean, stableMs = 0): Promise<Verdict> {
  let last: Table = new Map();
  let why: string | null = null;
  let since: number | null = null;
  let relapses = 0;
  while (since !== null || performance.now() < deadlineAt) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const wait = since !== null ? stableMs + 1000 : deadlineAt - performance.now();
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), Math.max(0, wait))));
    const s = await Promise.race([sampler.next(), late]);
    clearTimeout(timer); // a pending deadline would keep the process alive after the last run
    if (s === null) break;
    last = s.table;
    if (!sameTable(expected(), s.table)) {
      if (since !== null) relapses++;
      since = null;
      continue;
    }
    // The RIB is asked at the start and at the end of the stable period, not at every sample.
    const ends = since !== null && s.at - since >= stableMs;
    if (since === null || ends) {
      why = rib ? await view.ribUnsettled() : null;
      if (why !== null) {
        if (since !== null) relapses++;
        since = null;
        continue;
      }
    }
    since ??= s.at;
    if (s.at - since >= stableMs) return { at: since, last, rib: null, relapses };
  }
  return { at: null, last, rib: why, relapses };
}

/** The first sample in [from, to] that lacks one of `pairs`: "VIP via node missing at +t ms (router had …)". */
export function firstLoss(samples: readonly Sample[], pairs: readonly [string, string][], from: number, to: number): string | null {
  for (const s of samples) {
    if (s.at < from || s.at > to) continue;
    const gone = pairs.find(([vip, hop]) => !(s.table.get(vip) ?? []).includes(hop));
    if (gone !== undefined) return `${gone[0]} via ${gone[1]} missing at +${Math.round(s.at - from)} ms (router had ${(s.table.get(gone[0]) ?? []).join(',') || 'no route'})`;
  }
  return null;
}
