// The six faults of the L2 chaos bench (issue #14), each with what docs/l2.md's failure analysis
// says must then happen to the victim's VIPs, so that every run is judged against the design,
// not against "nothing moved". Firewall rules go into the victim's own namespace (one nftables
// table), so they go with the namespace whatever happens to the bench.
import type { LabHost } from '../../src/lab/netns.ts';
import type { HeraldLab } from '../l2/herald-lab.ts';
import { sleep } from '../l2/report.ts';

export const FAULT_NAMES = ['kill', 'link-down', 'partition', 'api-cut', 'freeze', 'planned', 'api-cut-stall'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];
/** The issue's five faults and the drain; api-cut-stall runs only when asked for. */
export const DEFAULT_FAULTS: readonly FaultName[] = FAULT_NAMES.filter((f) => f !== 'api-cut-stall');

export interface FaultContext {
  lab: HeraldLab;
  victim: LabHost;
  peers: readonly LabHost[];
  api: { host: string; port: number };
}

export interface Fault {
  name: FaultName;
  /** docs/l2.md's verdict for the victim's VIPs: taken by peers, or kept by the victim. */
  expect: 'move' | 'stay';
  /** The row of docs/l2.md's failure table this fault is, for the report. */
  docs: string;
  /** From injection to heal. */
  holdMs: number;
  inject(c: FaultContext): Promise<void>;
  /** Undoes the fault; says what it saw of it (packets a firewall dropped), or ''. */
  heal(c: FaultContext): Promise<string>;
}

const TABLE = 'herald_chaos';

/** Loads one nftables table into the victim's namespace; `rules` are `chain: rule` lines. */
async function firewall(c: FaultContext, input: readonly string[], output: readonly string[]): Promise<void> {
  // `counter` on every rule: the heal reports how many packets the fault really dropped.
  const chain = (name: string, hook: string, rules: readonly string[]): string => `  chain ${name} { type filter hook ${hook} priority 0; policy accept;\n${rules.map((r) => `    ${r} counter drop\n`).join('')}  }\n`;
  const text = `table inet ${TABLE} {\n${chain('input', 'input', input)}${chain('output', 'output', output)}}\n`;
  const r = await c.lab.network.exec(c.victim.ns, ['nft', '-f', '-'], { input: text, timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`nft in ${c.victim.ns}: ${r.stderr.trim()}\n${text}`);
}

async function unfirewall(c: FaultContext): Promise<string> {
  const list = await c.lab.network.exec(c.victim.ns, ['nft', 'list', 'table', 'inet', TABLE], { timeoutMs: 10_000 });
  const r = await c.lab.network.exec(c.victim.ns, ['nft', 'delete', 'table', 'inet', TABLE], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`nft delete table in ${c.victim.ns}: ${r.stderr.trim()}`);
  const counts = [...list.stdout.matchAll(/packets (\d+)/g)].map((m) => Number(m[1]));
  return `nft dropped ${counts.join(' in, ')} out`;
}

/** Signals the victim speaker's process group (SIGSTOP/SIGCONT reach every thread of it). */
function signalSpeaker(c: FaultContext, signal: NodeJS.Signals): void {
  const pid = c.lab.speakers.pid(c.victim.name);
  if (pid === undefined || !c.lab.speakers.isRunning(c.victim.name)) throw new Error(`no speaker running on ${c.victim.name}`);
  process.kill(-pid, signal);
}

/**
 * Starts the victim's speaker again. Another engineer's `npm run build:native` on this shared
 * checkout removes the addon for a few seconds, and a speaker started then exits with
 * AddonMissing: retried, 3 s apart, as bench/l2/failover.ts does.
 */
export async function restartSpeaker(lab: HeraldLab, node: string, say: (s: string) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await lab.speakers.start(node);
      return;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (!msg.includes('AddonMissing') || attempt >= 5) throw err;
      say(`the native addon was missing when ${node}'s speaker started (a rebuild in progress): retrying in 3 s`);
      await sleep(3000);
    }
  }
}

const peerAddresses = (c: FaultContext): string => {
  const all = c.peers.flatMap((p) => [p.ipv4, p.mgmt?.ipv4 ?? null]).filter((a): a is string => a !== null);
  return `{ ${all.join(', ')} }`;
};

export function faults(say: (s: string) => void): Map<FaultName, Fault> {
  const list: Fault[] = [
    {
      // A crash as failover.ts models it: SIGKILL and the link down at once, a node that powers off.
      name: 'kill',
      expect: 'move',
      docs: 'holder process crashes or node powers off: overlap 0, gap ≈ D − h/2 + a write (≈ 0.6 s)',
      holdMs: 2000,
      inject: async (c) => {
        await c.lab.speakers.kill(c.victim.name, 'SIGKILL');
        await c.lab.network.linkDown(c.victim.name);
      },
      heal: async (c) => {
        await c.lab.network.linkUp(c.victim.name);
        await restartSpeaker(c.lab, c.victim.name, say);
        return '';
      },
    },
    {
      // The lab reaches the API over the same segment, so this is "cut off from both".
      name: 'link-down',
      expect: 'move',
      docs: 'cut off from both (API and peers): fenced after F = 350 ms, peers take at D = 600 ms: overlap 0, gap ≈ D',
      holdMs: 2000,
      inject: (c) => c.lab.network.linkDown(c.victim.name),
      heal: async (c) => {
        await c.lab.network.linkUp(c.victim.name);
        return '';
      },
    },
    {
      // Every IP packet between the victim and its peers (node and management addresses) dropped
      // in the victim's namespace; the API and the client still reach it.
      name: 'partition',
      expect: 'move',
      docs: 'cut off from its peers only, API fine: it yields at D and releases, first candidates take: overlap ≤ its watch latency, gap ≈ D + 2 API round trips',
      holdMs: 2000,
      inject: (c) => firewall(c, [`ip saddr ${peerAddresses(c)}`], [`ip daddr ${peerAddresses(c)}`]),
      heal: unfirewall,
    },
    {
      // Its TCP to the stand-in dropped both ways (established watches hang, as behind a broken
      // switch); held past the 3 s relative API staleness, E = 4 s and the node Lease's 6 s.
      name: 'api-cut',
      expect: 'stay',
      docs: 'cut off from the API server only: it keeps answering (peers hear it), nobody takes: overlap 0, gap 0',
      holdMs: 7000,
      inject: (c) => firewall(c, [`ip saddr ${c.api.host} tcp sport ${c.api.port}`], [`ip daddr ${c.api.host} tcp dport ${c.api.port}`]),
      heal: unfirewall,
    },
    {
      // The api-cut, and 2 s into it a 500 ms stall (> F) of the holder: it fences, and after
      // the stall it can neither re-list (no API) nor be vouched for (its peers reach the API),
      // so it must not answer; its heartbeats no longer say `fenced`, so its peers must take its
      // VIPs some other way, or they stay dark until the API returns (bench/README.md, Chaos: L2).
      name: 'api-cut-stall',
      expect: 'move',
      docs: 'not in the failure table (a double fault): after a stall ≥ F it may not answer until revalidated, which needs the API; its VIPs should move, not stay dark',
      holdMs: 7000,
      inject: async (c) => {
        await firewall(c, [`ip saddr ${c.api.host} tcp sport ${c.api.port}`], [`ip daddr ${c.api.host} tcp dport ${c.api.port}`]);
        await sleep(2000);
        signalSpeaker(c, 'SIGSTOP');
        await sleep(500);
        signalSpeaker(c, 'SIGCONT');
      },
      heal: unfirewall,
    },
    {
      // 2 s > D: peers declare it dead and take; on SIGCONT it must not answer from queued state.
      name: 'freeze',
      expect: 'move',
      docs: 'stall of the holder ≥ F: peers take at D; it is fenced until fresh contact and revalidation: overlap 0',
      holdMs: 2000,
      inject: async (c) => signalSpeaker(c, 'SIGSTOP'),
      heal: async (c) => {
        signalSpeaker(c, 'SIGCONT');
        return '';
      },
    },
    {
      // The drain: SIGTERM, handovers written, then exit (awaited, up to the speaker's 8 s).
      name: 'planned',
      expect: 'move',
      docs: 'SIGTERM (drain): hand over, successor starts on the watch event or note: overlap 0, probes lost 0 (issue #14)',
      holdMs: 2000,
      inject: async (c) => {
        await c.lab.speakers.kill(c.victim.name, 'SIGTERM');
      },
      heal: async (c) => {
        await restartSpeaker(c.lab, c.victim.name, say);
        return '';
      },
    },
  ];
  return new Map(list.map((f) => [f.name, f]));
}
