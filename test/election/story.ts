// Story tables for the election: ordered steps against one simulated cluster, with the
// invariants of docs/l2.md checked after every step.
import assert from 'node:assert/strict';
import { desiredOwner } from '../../src/election/hash.ts';
import type { Sim } from './sim.ts';

export interface Step {
  what: string;
  act?: (sim: Sim) => void;
  /** Virtual time to run after the act. */
  ms: number;
  /** Default true: every VIP answered by exactly its first-ranked live eligible node. */
  settled?: boolean;
  /** Nodes that are up but rightly not candidates (isolated, fenced): left out of `settled`. */
  without?: readonly string[] | (() => readonly string[]);
  /** Checks of this step; `before` is who answered each VIP before the act. */
  check?: (sim: Sim, before: ReadonlyMap<string, string>) => void;
}

export function runStory(sim: Sim, steps: readonly Step[]): void {
  for (const step of steps) {
    const before = sim.owners();
    sim.resetStats();
    step.act?.(sim);
    sim.run(step.ms);
    // Never two nodes answering one VIP, at any moment of the step.
    assert.deepEqual(sim.overlaps, [], `${step.what}: two nodes answered one VIP`);
    // Only live, eligible nodes answer.
    const without = typeof step.without === 'function' ? step.without() : (step.without ?? []);
    const live = sim.liveEligible().filter((n) => !without.includes(n));
    for (const [ip, who] of sim.owners()) {
      for (const n of who === '' ? [] : who.split('+')) assert.ok(live.includes(n), `${step.what}: ${n} answers ${ip} but is not a live eligible node`);
    }
    if (step.settled !== false) assertSettled(sim, step.what, without);
    step.check?.(sim, before);
  }
}

/** Every VIP has exactly one answering node, its first choice among the live eligible nodes. */
export function assertSettled(sim: Sim, what: string, without: readonly string[] = []): void {
  const live = sim.liveEligible().filter((n) => !without.includes(n));
  for (const [ip, who] of sim.owners()) {
    const want = live.length === 0 ? '' : (desiredOwner(ip, live) ?? '');
    assert.equal(who, want, `${what}: ${ip} answered by "${who}", expected "${want}"`);
  }
}

/** VIPs per answering node. */
export function spread(sim: Sim): Map<string, number> {
  const c = new Map<string, number>();
  for (const who of sim.owners().values()) if (who !== '') c.set(who, (c.get(who) ?? 0) + 1);
  return c;
}

/** The VIPs whose owner changed between two snapshots. */
export function moved(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  return [...before].filter(([ip, who]) => after.get(ip) !== who).map(([ip]) => ip);
}

export function busiest(sim: Sim): string {
  const [node] = [...spread(sim)].sort((a, b) => b[1] - a[1])[0] ?? [''];
  return node;
}

/**
 * The busiest node crashes 5 s into a settled cluster, with `slow` applied to the API at that
 * moment: each of its VIPs must be taken once, by its first remaining choice (no write lost a
 * race, one VIP Lease write per VIP it held), and every VIP answered afterwards.
 */
export function assertCrashCostsItsVips(sim: Sim, slow: (sim: Sim) => void): void {
  sim.run(5_000);
  const victim = busiest(sim);
  const held = [...sim.owners()].filter(([, o]) => o === victim).length;
  sim.resetStats();
  sim.writeLog.length = 0;
  slow(sim);
  sim.crash(victim);
  sim.run(sim.t.peerDeadAfterMs + 5_000);
  const lost = sim.writeLog.filter((w) => !w.ok);
  assert.deepEqual(lost.map((w) => `${w.node} ${w.op} ${w.ip}`), [], 'no write lost a race');
  assert.equal(sim.apiWrites, held, `${sim.apiWrites} VIP Lease writes for the ${held} VIPs it held`);
  for (const [ip, o] of sim.owners()) assert.notEqual(o, '', `${ip} answered`);
}
