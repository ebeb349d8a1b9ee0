// CLOCK_REALTIME in ns, finer than Date.now()'s milliseconds, to set beside the kernel's
// SO_TIMESTAMPNS receive stamps of the packet sockets (a successor answers only requests received
// after its own announcement: docs/l2.md, "Planned handover"). Node has no such clock, so the
// offset between Date.now() and the monotonic hrtime is found at the edge of a millisecond tick:
// spin until Date.now() changes and read hrtime at once; a late read only makes the offset
// smaller, so the largest of a few tries is the closest (≈ 1 µs). NTP slews both clocks alike;
// a step (settimeofday) shows as a disagreement with Date.now() and is calibrated again.

/** Realtime ns now. */
export type RealtimeNs = () => bigint;

const TRIES = 3;
/** A disagreement with Date.now() beyond this (ms) is a clock step: calibrate again. */
const STEP_MS = 2;

/**
 * The offset realtime − hrtime in ns, from `tries` millisecond ticks (each waited for at most
 * `limitNs`); undefined when Date.now() never advanced. bench/l2/clock.ts uses it too.
 */
export function calibrateRealtimeOffsetNs(tries = TRIES, limitNs = 2_000_000n): bigint | undefined {
  let best: bigint | undefined;
  for (let i = 0; i < tries; i++) {
    const start = Date.now();
    let now = start;
    let hr = process.hrtime.bigint();
    // Bounded: a millisecond tick comes within 1 ms; give up on this try after limitNs.
    const limit = hr + limitNs;
    while (now === start && hr < limit) {
      now = Date.now();
      hr = process.hrtime.bigint();
    }
    if (now === start) continue;
    const offset = BigInt(now) * 1_000_000n - hr;
    if (best === undefined || offset > best) best = offset;
  }
  return best;
}

/** A realtime clock calibrated on first use (at most a few ms of spinning, once per step). */
export function realtimeClock(): RealtimeNs {
  let offset: bigint | undefined;
  return () => {
    const hr = process.hrtime.bigint();
    if (offset !== undefined) {
      const t = hr + offset;
      const drift = Number(t / 1_000_000n) - Date.now();
      if (drift <= STEP_MS && drift >= -STEP_MS) return t;
    }
    // Never calibrated, or stepped: Date.now() in ns is the fallback when no tick came.
    offset = calibrateRealtimeOffsetNs() ?? BigInt(Date.now()) * 1_000_000n - hr;
    return process.hrtime.bigint() + offset;
  };
}
