// Probing VIPs continuously from the lab's client namespace, as a host on the LAN that keeps
// asking would (issue #8, point 5: "no VIP goes unanswered, no two nodes answer one VIP"). Each
// VIP has its own loop: one ARP request or Neighbor Solicitation per round, listening `waitS`
// for every reply, so a second answerer shows. Rounds are counted, never timed. While a watch
// runs, nothing else may ask the client for the same VIPs: arping cannot tell a reply to its own
// request from a reply to another process's, so a handover between the two requests would look
// like two answerers (seen in the etcd-wipe test); wait on `last` instead.
import type { L2Lab } from '../../src/lab/l2-lab.ts';

export interface BadRound {
  /** ms since the watch started. */
  readonly atMs: number;
  /** The nodes that answered (a foreign MAC shows as itself); [] for no answer. */
  readonly answers: readonly string[];
  /** For a round nobody answered: who answered alone the last round before it, and the first after it. */
  before?: string;
  after?: string;
}

export interface VipTally {
  rounds: number;
  /** Rounds nobody answered. */
  lost: number;
  /** The most rounds in a row nobody answered. */
  longestGap: number;
  /** Rounds two or more MACs answered (a split brain). */
  doubled: number;
  /** Node (or foreign MAC) → rounds it answered alone. */
  answeredBy: Map<string, number>;
  /** The first 20 lost or doubled rounds. */
  bad: BadRound[];
}

export interface AnswerWatch {
  /** The tallies so far (live: they keep counting until stop). */
  readonly tallies: ReadonlyMap<string, VipTally>;
  /** The nodes (or foreign MACs) that answered the last finished round for `ip`; undefined before one. */
  last(ip: string): readonly string[] | undefined;
  /** Stops every loop after its current round; resolves with the tallies. */
  stop(): Promise<ReadonlyMap<string, VipTally>>;
}

export function watchAnswers(lab: Pick<L2Lab, 'answerers' | 'nodeOfMac'>, ips: readonly string[], waitS = 1): AnswerWatch {
  const start = performance.now();
  const tallies = new Map<string, VipTally>(ips.map((ip) => [ip, { rounds: 0, lost: 0, longestGap: 0, doubled: 0, answeredBy: new Map(), bad: [] }]));
  let stopped = false;
  const lastRound = new Map<string, readonly string[]>();
  const loop = async (ip: string, t: VipTally): Promise<void> => {
    let gap = 0;
    let lastAlone: string | undefined;
    /** Lost rounds still waiting to learn who answered after them. */
    let open: BadRound[] = [];
    while (!stopped) {
      const answers = (await lab.answerers(ip, waitS)).map((mac) => lab.nodeOfMac(mac) ?? mac);
      t.rounds++;
      lastRound.set(ip, answers);
      gap = answers.length === 0 ? gap + 1 : 0;
      t.longestGap = Math.max(t.longestGap, gap);
      if (answers.length === 1) {
        const who = answers[0] ?? '';
        t.answeredBy.set(who, (t.answeredBy.get(who) ?? 0) + 1);
        for (const b of open) b.after = who;
        open = [];
        lastAlone = who;
        continue;
      }
      if (answers.length === 0) t.lost++;
      else t.doubled++;
      const bad: BadRound = { atMs: Math.round(performance.now() - start), answers, ...(answers.length === 0 && lastAlone !== undefined ? { before: lastAlone } : {}) };
      if (answers.length === 0) open.push(bad);
      if (t.bad.length < 20) t.bad.push(bad);
    }
  };
  let failure: unknown = null;
  // A probe that fails (not "no answer": a broken tool) ends every loop; stop() reports it.
  const loops = [...tallies].map(([ip, t]) =>
    loop(ip, t).catch((err: unknown) => {
      failure ??= err;
      stopped = true;
    }),
  );
  return {
    tallies,
    last: (ip) => lastRound.get(ip),
    async stop() {
      stopped = true;
      await Promise.all(loops);
      if (failure !== null) throw failure;
      return tallies;
    },
  };
}

/** A copy of the tallies as they are now (the watch goes on counting). */
export function snapshot(tallies: ReadonlyMap<string, VipTally>): Map<string, VipTally> {
  return new Map([...tallies].map(([ip, v]) => [ip, { ...v, answeredBy: new Map(v.answeredBy), bad: [...v.bad] }]));
}

/** One line per VIP: rounds, lost, doubled, who answered. */
export function describeTallies(tallies: ReadonlyMap<string, VipTally>): string {
  return [...tallies]
    .map(([ip, t]) => `${ip}: ${t.rounds} probes, ${t.lost} unanswered (at most ${t.longestGap} in a row), ${t.doubled} answered twice; by ${[...t.answeredBy].map(([n, c]) => `${n} ×${c}`).join(', ') || 'nobody'}${t.bad.length > 0 ? `; bad rounds ${JSON.stringify(t.bad)}` : ''}`)
    .join('\n');
}
