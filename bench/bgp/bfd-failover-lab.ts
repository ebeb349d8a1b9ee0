// The lab side of the BFD failover bench (bfd-failover.ts, issue #11): one BGP lab
// (`startL2Lab({ bgp: true, router, bfd? })`, three nodes each running `herald speaker`, BIRD 2 or
// FRR as the ToR), one Service of class herald.dev/bgp routed through all three nodes, a node
// crash timed until the router's kernel table drops that node's next hop, and the node brought back.
import { run } from '../../src/lab/exec.ts';
import { startL2Lab } from '../../src/lab/l2-lab.ts';
import type { L2Lab } from '../../src/lab/l2-lab.ts';
import type { LabRouter, RouterKind } from '../../src/lab/bgp-router.ts';
import type { LabBfd } from '../../src/lab/bird.ts';
import { isRecord } from '../../src/lab/frr.ts';
import { sleep, waitFor } from '../l2/report.ts';

export type Mode = 'bfd' | 'hold';
export const MODES: readonly Mode[] = ['bfd', 'hold'];
/** The timers: 100 ms both ways, 3 missed packets (RFC 5880 §6.8.4: detection time 300 ms). */
export const BFD: LabBfd = { intervalMs: 100, multiplier: 3 };
/** test/e2e/bgp-suite.ts BGP_SERVICE: the L2 speakers leave it alone. */
const BGP_SERVICE = { loadBalancerClass: 'herald.dev/bgp' } as const;

export interface Crash {
  readonly node: string;
  /** From t0 to the end of the first read of the router's table without the node's next hop; null: still there at the deadline. */
  readonly goneMs: number | null;
  /** From t0 to the start of the last read that still had it: the route went between the two (null: the first read already lacked it). */
  readonly lastSeenMs: number | null;
  /** From t0 to `ip link set <port> down` having returned (the speaker was frozen at t0). */
  readonly linkDownMs: number;
  /** The next hops the first read without the node's showed. */
  readonly left: readonly string[];
  /** Each read's cost (spawning `ip -n … route show` to its exit). */
  readonly readMs: readonly number[];
  /** Why the router took the node's session down, in its own words. */
  readonly cause: string;
}

interface RouteJson {
  gateway?: string;
  nexthops?: { gateway?: string }[];
}

export class FailoverLab {
  readonly lab: L2Lab;
  readonly kind: RouterKind;
  readonly mode: Mode;
  readonly router: LabRouter;
  readonly prefix: string;
  /** Node name → its IPv4 address, the next hop the router uses for it. */
  readonly #hopOf: ReadonlyMap<string, string>;

  private constructor(lab: L2Lab, kind: RouterKind, mode: Mode, router: LabRouter, prefix: string) {
    this.lab = lab;
    this.kind = kind;
    this.mode = mode;
    this.router = router;
    this.prefix = prefix;
    this.#hopOf = new Map(lab.nodes.map((n) => [n.name, n.ipv4]));
  }

  /** The lab (with BFD on both sides in mode bfd, none at all in mode hold) and the Service, addressed. */
  static async start(kind: RouterKind, mode: Mode, onStep: (s: string) => void): Promise<FailoverLab> {
    const lab = await startL2Lab({ bgp: true, router: kind, ...(mode === 'bfd' ? { bfd: BFD } : {}), onStep });
    try {
      if (lab.router === null) throw new Error('the lab has no router');
      await lab.createService('failover', BGP_SERVICE);
      const [ip] = await lab.waitForIngress('failover');
      if (ip === undefined) throw new Error('the Service got no address');
      return new FailoverLab(lab, kind, mode, lab.router, `${ip}/32`);
    } catch (err) {
      await lab.close();
      throw err;
    }
  }

  get nodes(): string[] {
    return [...this.#hopOf.keys()];
  }

  /**
   * The /32's next hops in the router namespace's kernel table. `ip -n` only switches the
   * namespace (`ip netns exec`, as LabRouter.nextHops runs it, also remounts /sys: slower).
   */
  async hops(): Promise<string[]> {
    const r = await run(['ip', '-n', this.router.host.ns, '-4', '-j', 'route', 'show', this.prefix], { timeoutMs: 5000 });
    if (r.code !== 0 || r.stdout.trim() === '') return [];
    const parsed: unknown = JSON.parse(r.stdout);
    if (!Array.isArray(parsed)) return [];
    return (parsed as RouteJson[]).flatMap((route) => (route.nexthops !== undefined ? route.nexthops.map((h) => h.gateway ?? '') : [route.gateway ?? ''])).filter((h) => h !== '').sort();
  }

  /** Waits until the /32 has all three next hops and (mode bfd) every BFD session is up at the router; returns how long that took. */
  async ready(timeoutMs: number): Promise<number> {
    const t0 = performance.now();
    const all = [...this.#hopOf.values()].sort().join();
    await waitFor(`3 next hops for ${this.prefix} at the router`, async () => {
      const h = await this.hops();
      return h.join() === all ? { done: true, value: h } : { done: false, seen: h.join(',') || 'none' };
    }, timeoutMs, 50);
    if (this.mode === 'bfd') {
      const want = [...this.#hopOf.values()];
      await waitFor('every BFD session up at the router', async () => {
        const s = await this.router.bfdSessions();
        return want.every((a) => s.some((x) => x.address === a && x.state === 'up')) ? { done: true, value: s } : { done: false, seen: JSON.stringify(s) };
      }, Math.max(1000, timeoutMs - (performance.now() - t0)), 50);
    }
    return performance.now() - t0;
  }

  /**
   * The crash: at t0 the node's speaker is frozen (SIGSTOP: from then on the node sends nothing,
   * neither BFD nor BGP), its bridge port goes down, and the speaker gets SIGKILL once the link is
   * down. Killing first would let the node's kernel close the TCP connection (FIN/RST) while the
   * link is still up, and the router would drop the session at once: a clean shutdown, not a crash.
   * Meanwhile the router's kernel table is read every `everyMs` until the node's next hop is gone.
   */
  async crash(node: string, everyMs: number, deadlineMs: number): Promise<Crash> {
    const hop = this.#hopOf.get(node);
    const pid = this.lab.speakerPid(node);
    if (hop === undefined || pid === undefined) throw new Error(`no speaker on ${node}`);
    const readMs: number[] = [];
    let linkDownMs = Number.NaN;
    const t0 = performance.now();
    process.kill(pid, 'SIGSTOP');
    const crashing = (async () => {
      try {
        await this.lab.network.linkDown(node);
        linkDownMs = performance.now() - t0;
      } finally {
        await this.lab.killSpeaker(node, 'SIGKILL');
      }
    })();
    let lastSeen: number | null = null;
    let gone: { at: number; left: string[] } | null = null;
    try {
      while (performance.now() - t0 < deadlineMs) {
        const at = performance.now();
        const h = await this.hops();
        const end = performance.now();
        readMs.push(end - at);
        if (!h.includes(hop)) {
          gone = { at: end, left: h };
          break;
        }
        lastSeen = at;
        await sleep(Math.max(0, everyMs - (end - at)));
      }
    } finally {
      await crashing;
    }
    const cause = await this.downCause(node);
    return { node, goneMs: gone === null ? null : gone.at - t0, lastSeenMs: lastSeen === null ? null : lastSeen - t0, linkDownMs, left: gone?.left ?? [], readMs, cause };
  }

  /** The node back: link up, a fresh speaker, and ready() again; returns how long that took. */
  async restore(node: string, timeoutMs: number): Promise<number> {
    const t0 = performance.now();
    await this.lab.network.linkUp(node);
    await this.lab.restartSpeaker(node);
    await this.ready(Math.max(1000, timeoutMs - (performance.now() - t0)));
    return performance.now() - t0;
  }

  /** BIRD: the protocol's "Last error"; FRR: the neighbour's last reset and the NOTIFICATION it sent. */
  async downCause(node: string): Promise<string> {
    try {
      if (this.kind === 'bird') {
        const out = await this.router.query(`show protocols all ${node.replace(/[^a-zA-Z0-9_]/g, '_')}`);
        return /Last error:\s*(.*)/.exec(out)?.[1]?.trim() ?? '(no last error)';
      }
      const ip = this.#hopOf.get(node) ?? node;
      const parsed: unknown = JSON.parse(await this.router.query(`show bgp neighbors ${ip} json`));
      const peer = isRecord(parsed) ? parsed[ip] : undefined;
      if (!isRecord(peer)) return '(no neighbour)';
      const reset = typeof peer['lastResetDueTo'] === 'string' ? peer['lastResetDueTo'] : '?';
      const sent = typeof peer['lastNotificationReason'] === 'string' ? `; ${peer['lastNotificationReason']}` : '';
      return `${reset}${sent}`;
    } catch (err) {
      return `(router did not say: ${err instanceof Error ? err.message : String(err)})`;
    }
  }

  close(): Promise<void> {
    return this.lab.close();
  }
}
