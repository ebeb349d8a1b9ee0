// Judging one chaos run from what the client saw: the 10 ms probe of one VIP of the victim
// (bench/l2/probe.ts) and the sweep of every VIP (l2-sweep.ts). Both count the same things the
// issue asks for (#14): two MACs answering one VIP, a VIP dark for more than 1 s, the gap, and
// the probes nobody answered. Everything here is pure: arrays in, facts out.
import type { Arrival } from '../l2/probe.ts';
import { gapOf } from '../l2/probe.ts';
import type { Fault } from './l2-faults.ts';
import type { SweepRecord } from './l2-sweep.ts';
import { vipFacts } from './l2-sweep.ts';

export const DARK_LIMIT_MS = 1000;

export interface RunInput {
  fault: Fault;
  victim: string;
  victimMac: string;
  /** The VIP the 10 ms probe asked for, held by the victim before the fault. */
  vip: string;
  intervalMs: number;
  /** VIP → MAC of its holder before the fault. */
  before: ReadonlyMap<string, string>;
  eventNs: bigint;
  healNs: bigint;
  endNs: bigint;
  arrivals: readonly Arrival[];
  sent: readonly bigint[];
  /** The sender address index of each probe in `sent` (the probe uses several in turn), if any. */
  sentBy?: readonly number[];
  sweep: SweepRecord;
}

export interface Finding {
  vip: string;
  what: 'two MACs' | 'dark' | 'probes lost' | 'not moved' | 'moved' | 'spurious move';
  /** Realtime ns where it was seen (a round, a reply, or where the darkness began). */
  atNs: bigint;
  macs: string[];
  detail: string;
  /** For `dark`: how long, ms. */
  ms?: number;
  source: 'probe' | 'sweep';
}

export interface RunVerdict {
  /** The probed VIP's answer moved to another MAC after the fault. */
  moved: boolean;
  newMac: string | null;
  /** Probed VIP: last old reply → first new reply when it moved; 0 when one MAC answered throughout. */
  gapMs: number;
  /** Probed VIP: the longest time without a reply, minus one probe interval. */
  silenceMs: number;
  lostAtFault: number;
  lostAtReturn: number;
  probeEveryMs: number;
  /** VIPs of the victim whose answers moved in the fault window (for `move` faults). */
  victimMoved: number;
  /** The longest time any VIP went unanswered in the sweep, and which (a check that the sweep sees). */
  worstDark: { ms: number; vip: string };
  findings: Finding[];
}

const ms = (ns: bigint): number => Number(ns) / 1e6;

/**
 * Replies grouped by the probe they answer: the last one sent before each (sent stamps precede
 * send()), and, when the probes take sender addresses in turn, the last one sent from the address
 * the reply is for: a reply a probe period late (a holder busy handing over) is no longer counted
 * against the next probe beside another MAC's answer to that one (the sweep's Finding 6, in the probe).
 */
export function byRequest(replies: readonly Arrival[], sent: readonly bigint[], sentBy?: readonly number[]): Map<number, Arrival[]> {
  const out = new Map<number, Arrival[]>();
  let k = 0;
  for (const r of replies) {
    while (k + 1 < sent.length && (sent[k + 1] ?? r.t) < r.t) k++;
    let j = k;
    if (r.sender !== undefined && sentBy !== undefined && sentBy.length === sent.length) {
      while (j >= 0 && sentBy[j] !== r.sender) j--;
      if (j < 0) continue; // before any probe from that address: not an answer of this stream
    }
    const list = out.get(j) ?? [];
    list.push(r);
    out.set(j, list);
  }
  return out;
}

/**
 * Probes sent in [from, to) that no reply names (`byRequest`: a reply answers the last probe sent
 * from its address). A late reply is not a lost one, since a client does not lose it, and it
 * counts for its probe even when it arrives after the window: issue #14's drain "lost" a probe
 * sent 0.3 ms before the heal and answered 3.6 ms later, when replies were counted by window.
 * The last two probes are left out (replies in flight at stop).
 */
export function unanswered(perRequest: ReadonlyMap<number, readonly Arrival[]>, sent: readonly bigint[], from: bigint, to: bigint): number {
  const last = sent[sent.length - 3] ?? 0n;
  const end = to < last ? to : last;
  let lost = 0;
  sent.forEach((t, k) => {
    if (t >= from && t < end && (perRequest.get(k)?.length ?? 0) === 0) lost++;
  });
  return lost;
}

export function judge(x: RunInput): RunVerdict {
  const findings: Finding[] = [];
  const replies = x.arrivals.filter((a) => a.kind === 'reply').sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  const perRequest = byRequest(replies, x.sent, x.sentBy);
  for (const [k, rs] of perRequest) {
    const macs = [...new Set(rs.map((r) => r.mac))];
    if (macs.length > 1) findings.push({ vip: x.vip, what: 'two MACs', atNs: x.sent[k] ?? 0n, macs, detail: 'one 10 ms probe answered by two MACs', source: 'probe' });
  }
  // The probed VIP's longest silence, from its first reply to the end of the stream.
  let longest = 0;
  let silentFrom = x.eventNs;
  let prev = replies[0]?.t ?? x.eventNs;
  for (const t of [...replies.map((r) => r.t), x.endNs]) {
    if (ms(t - prev) > longest) {
      longest = ms(t - prev);
      silentFrom = prev;
    }
    prev = t;
  }
  const darkProbe = longest - x.intervalMs;
  if (darkProbe > DARK_LIMIT_MS) findings.push({ vip: x.vip, what: 'dark', atNs: silentFrom, macs: [], detail: `no reply to the 10 ms probe for ${darkProbe.toFixed(0)} ms`, ms: darkProbe, source: 'probe' });
  const gap = gapOf(x.arrivals, x.sent, x.victimMac, x.eventNs);
  const moved = gap !== null && gap.newMac !== x.victimMac;
  // A VIP that one MAC answered throughout has no gap (a silence that long is caught as dark).
  const probeGap = moved ? gap.gapMs : 0;

  // Every VIP, from the sweep: double answers and darkness over the whole run, moves by window.
  let victimMoved = 0;
  const worstDark = { ms: 0, vip: '' };
  const firstRound = x.sweep.rounds[0] ?? x.eventNs;
  for (const ip of x.sweep.targets) {
    const f = vipFacts(x.sweep, ip, firstRound, x.endNs);
    for (const d of f.doubles) findings.push({ vip: ip, what: 'two MACs', atNs: d.t, macs: d.macs, detail: 'one sweep round answered by two MACs', source: 'sweep' });
    if (f.darkMs > worstDark.ms) Object.assign(worstDark, { ms: f.darkMs, vip: ip });
    if (ip !== x.vip && f.darkMs > DARK_LIMIT_MS) findings.push({ vip: ip, what: 'dark', atNs: f.darkFrom, macs: [], detail: `no reply to the sweep for ${f.darkMs.toFixed(0)} ms (±${x.sweep.everyMs} ms)`, ms: f.darkMs, source: 'sweep' });
    const holder = x.before.get(ip) ?? '?';
    const inFault = vipFacts(x.sweep, ip, x.eventNs, x.healNs).sequence;
    const others = [...new Set(f.sequence)].filter((m) => m !== holder);
    if (holder === x.victimMac && x.fault.expect === 'move') {
      if (inFault.some((m) => m !== holder)) victimMoved++;
      else findings.push({ vip: ip, what: 'not moved', atNs: x.healNs, macs: inFault, detail: `no other node answered it before the heal (docs/l2.md: ${x.fault.docs})`, source: 'sweep' });
    } else if (holder === x.victimMac && others.length > 0) {
      findings.push({ vip: ip, what: 'moved', atNs: x.eventNs, macs: f.sequence, detail: `answered by another node although docs/l2.md says it stays (${x.fault.docs})`, source: 'sweep' });
    } else if (holder !== x.victimMac && others.length > 0) {
      findings.push({ vip: ip, what: 'spurious move', atNs: x.eventNs, macs: f.sequence, detail: 'a VIP of a node the fault did not touch changed hands', source: 'sweep' });
    }
  }
  const lostAtFault = unanswered(perRequest, x.sent, x.eventNs, x.healNs);
  if (x.fault.name === 'planned' && lostAtFault > 0) findings.push({ vip: x.vip, what: 'probes lost', atNs: x.eventNs, macs: [], detail: `${lostAtFault} probes of the drain's handover unanswered (gap ${probeGap.toFixed(1)} ms)`, source: 'probe' });
  return {
    moved,
    newMac: moved ? gap.newMac : null,
    gapMs: probeGap,
    silenceMs: darkProbe,
    lostAtFault,
    lostAtReturn: unanswered(perRequest, x.sent, x.healNs, x.endNs),
    probeEveryMs: gap?.probeEveryMs ?? Number.NaN,
    victimMoved,
    worstDark,
    findings,
  };
}

/** Misses of the targets (two MACs, dark > 1 s, a probe lost in the drain); the rest are departures from docs/l2.md. */
export const isTargetMiss = (f: Finding): boolean => f.what === 'two MACs' || f.what === 'dark' || f.what === 'probes lost';
