import { calibrateRealtimeOffsetNs } from '../../src/l2/realtime.ts';

// CLOCK_REALTIME in ns from user space, to set beside the kernel's SO_TIMESTAMPNS receive stamps.
// Node has no realtime clock finer than Date.now() (ms), so the offset between it and the
// monotonic hrtime is found at the edge of a millisecond tick: spin until Date.now() changes and
// read hrtime at once. A late read only makes the offset smaller, so the largest of a few tries is
// the closest (≈ 1 µs here). Both clocks run at the same rate over a bench's minutes; NTP slews
// CLOCK_REALTIME by at most 500 ppm (adjtimex(2)), 0.5 µs per ms of a measured interval.

export function realtimeOffsetNs(tries = 20): bigint {
  const best = calibrateRealtimeOffsetNs(tries, 5_000_000n);
  if (best === undefined) throw new Error('Date.now() did not advance: no realtime clock');
  return best;
}

/** Realtime ns now, by hrtime plus a calibrated offset. */
export function realtimeNs(offsetNs: bigint): bigint {
  return process.hrtime.bigint() + offsetNs;
}
