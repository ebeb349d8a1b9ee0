// What the L2 driver's moments become in the speaker's log and metrics (docs/metrics.md,
// docs/operations.md): one place that says which line each moment gets and at which level, apart
// from the wiring in l2-speaker.ts. No decisions here: the driver has made them.
import type { Logger } from 'pino';
import type { L2Timings } from '../election/timings.ts';
import type { DriverHooks } from './l2-driver-ports.ts';
import type { SpeakerMetrics } from './metrics.ts';

export interface DriverReportsOptions {
  node: string;
  timings: L2Timings;
  log: Logger;
  metrics: SpeakerMetrics;
  /** How many VIPs this node answers for now (for the line at the end of a fence). */
  answering(): number;
  /** A VIP started to be answered: the speaker's own line and Events (l2-speaker.ts). */
  onStart: NonNullable<DriverHooks['onStart']>;
}

export function driverReports(o: DriverReportsOptions): DriverHooks {
  const { node, timings, log, metrics } = o;
  return {
    onStart: o.onStart,
    onStop: (ip, reason) => {
      if (reason === 'lost') metrics.leaseTransitions.inc({ op: 'lost' });
      // A fence stops every VIP at once: one line says so (onFence), each VIP only at debug.
      (reason === 'fenced' ? log.debug : log.info).call(log, { ip, node, reason }, 'stopped answering');
    },
    onFence: (fenced, why) => {
      if (!fenced) {
        log.info({ node, ...why, answering: o.answering() }, 'fence over: revalidated, answering again');
        return;
      }
      const what = why.cutOff ? 'no peer heard and no API write succeeded within F (or the API refused this node)' : `a fence shorter than a round (${timings.heartbeatIntervalMs} ms) began and its contact came back`;
      log.warn({ node, ...why, fenceAfterMs: timings.fenceAfterMs }, `fenced: ${what}; answering nothing until revalidated (docs/l2.md, "Fencing")`);
    },
    onHandoverHoldEnd: (ip, how, ms) => {
      metrics.handoverHolds.inc({ end: how });
      // A hold that ran out saw no announcement from the successor: worth a line at info.
      (how === 'deadline' ? log.info : log.debug).call(log, { ip, node, end: how, ms: Math.round(ms) }, 'handover hold ended');
    },
    onWrite: (a, r, ms) => {
      log.debug({ ip: a.ip, node, op: a.op, holder: a.holder, epoch: a.epoch, ok: r.ok, conflict: !r.ok && r.conflict, ms: Math.round(ms) }, 'VIP Lease write');
      if (r.ok) {
        if (a.op !== 'delete') metrics.leaseTransitions.inc({ op: a.op });
      } else metrics.leaseWriteErrors.inc({ reason: r.conflict ? 'conflict' : 'error' });
    },
    onHeartbeat: () => metrics.heartbeatsReceived.inc(),
    // Which notes change a view, and when (bench/README.md election Finding 3): debug only, as it reads every note's VIP twice.
    ...(log.isLevelEnabled('debug') ? { onNote: (ip: string, holder: string, epoch: number, from: string) => log.debug({ ip, node, holder, epoch, from }, 'heartbeat note applied') } : {}),
    onHeartbeatError: (code) => metrics.heartbeatErrors.inc({ code }),
    onFailover: (ms) => metrics.failoverSeconds.observe(ms / 1000),
    onRepair: (what, ips) => {
      metrics.selfCheckRepairs.inc({ what }, ips.length);
      const why = what === 'note' ? 'a heartbeat note the API did not confirm (stale, or forged without a key)' : 'issue #10: a bug, please report';
      log.warn({ node, what, ips: ips.slice(0, 10), count: ips.length }, `self-check repaired VIPs (${why})`);
    },
    onError: (what, err) => log.warn({ err: err instanceof Error ? err.message : String(err) }, `${what} failed`),
  };
}
