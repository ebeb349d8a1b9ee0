// One heartbeat, one datagram (docs/l2.md, "Liveness"): past ~60 nodes the `heard` list does not
// fit in 1,400 bytes, so something is left out. What, decides who is acknowledged. Pure.
//
// - Notes go first, the oldest first (they are most recent first, and the watch brings them too).
// - Then `heard` entries. Those of peers heard within the last two rounds (`freshMs`) are all
//   equally good acknowledgements, so they take turns: in name order, each round's list starts
//   where the last one ended (`seq` × the number that fits), and over ⌈n / fit⌉ rounds every
//   fresh peer is listed. Keeping the freshest instead (as before) always left out the peers
//   whose heartbeats arrive just after ours leave, and with timers in step the same ones at every
//   node: never acknowledged, they probed the API every round for good (bench/README.md,
//   "Election at scale", Finding 2). Staler entries (witnesses of peers not heard lately) come
//   after the fresh ones, freshest first.
// - What fits is found by bisection, probing without the tag (its length is fixed), so a cut
//   heartbeat costs O(log n) encodings and one signature, not one encoding per entry dropped
//   (Finding 5: 41 % of a 100-node simulation).
import type { Heartbeat, HeartbeatError, HeartbeatKey, HeardEntry } from './heartbeat.ts';
import { HEARTBEAT_MAX_BYTES, HEARTBEAT_TAG_BYTES, encodeHeartbeat } from './heartbeat.ts';
import type { Result } from '../api/result.ts';

type Encoded = Result<Uint8Array, HeartbeatError>;

const fits = (r: Encoded): boolean => r.ok || r.error.code !== 'TooLarge';

/** The largest k in 0..len for which `at(k)` fits; -1 when not even k = 0 does. */
function most(len: number, at: (k: number) => Encoded): number {
  let lo = -1;
  let hi = len;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (fits(at(mid))) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const byName = (a: HeardEntry, b: HeardEntry): number => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0);

/**
 * The largest version of `m` that encodes within maxBytes, signed when a key is given. Fails only
 * when a field is invalid (never hidden by dropping it) or even the bare heartbeat does not fit.
 * `freshMs`: entries heard within it take turns when the list is cut (the driver passes 2h).
 */
export function fitHeartbeat(m: Heartbeat, key?: HeartbeatKey, maxBytes = HEARTBEAT_MAX_BYTES, freshMs = 200): Encoded {
  const byAge = [...m.heard].sort((a, b) => a.ageMs - b.ageMs);
  const whole = encodeHeartbeat({ ...m, heard: byAge }, key, maxBytes);
  if (fits(whole)) return whole;
  // Probes are unsigned, against the room the tag leaves.
  const room = key === undefined ? maxBytes : maxBytes - HEARTBEAT_TAG_BYTES;
  const probe = (notes: number, heard: readonly HeardEntry[]): Encoded => encodeHeartbeat({ ...m, notes: m.notes.slice(0, notes), heard: [...heard] }, undefined, room);
  const notes = most(m.notes.length, (k) => probe(k, byAge));
  if (notes >= 0) return encodeHeartbeat({ ...m, notes: m.notes.slice(0, notes), heard: byAge }, key, maxBytes);
  const fresh = byAge.filter((h) => h.ageMs <= freshMs).sort(byName);
  const stale = byAge.filter((h) => h.ageMs > freshMs);
  // How many fit in name order sets the stride, so that consecutive rounds' lists tile the ring.
  const stride = Math.max(1, most(fresh.length, (k) => probe(0, fresh.slice(0, k))));
  const start = (m.seq * stride) % Math.max(1, fresh.length);
  const order = [...fresh.slice(start), ...fresh.slice(0, start), ...stale];
  const kept = Math.max(0, most(order.length, (k) => probe(0, order.slice(0, k))));
  return encodeHeartbeat({ ...m, notes: [], heard: order.slice(0, kept) }, key, maxBytes);
}
