// The L2 election's timings and the inequalities that make them safe (docs/l2.md, "The
// timing inequality"). Invalid values fall back to the defaults with a stated reason, as the
// issue asks ("validated, with sane fallbacks").

export interface L2Timings {
  /** h: one heartbeat round to every peer. */
  heartbeatIntervalMs: number;
  /** D: a peer not heard (directly or through a witness) for this long is dead. */
  peerDeadAfterMs: number;
  /** F: with no peer contact and no API success for this long, a node self-fences. */
  fenceAfterMs: number;
  /** P: with no peer contact for this long, the node renews its node Lease every h (probing). */
  probeAfterMs: number;
  /** R: normal renewal period of the node Lease. */
  nodeLeaseRenewMs: number;
  /** E: how long a node Lease stamp keeps an unheard peer `unreachable` rather than dead. */
  evidenceTtlMs: number;
  /** J: a peer becomes a candidate after being alive this long without a break. */
  stableAfterMs: number;
  /** S: candidate k takes an orphaned VIP after k × S. */
  takeoverStaggerMs: number;
  /** Retry delay after a failed (not conflicting) Lease write. */
  writeRetryMs: number;
  /** A peer whose last API success is older than this is not a candidate (it cannot write). */
  apiStaleAfterMs: number;
  /** How long a Lease transition is repeated in heartbeat notes. */
  noteTtlMs: number;
}

export const DEFAULT_L2_TIMINGS: Readonly<L2Timings> = {
  heartbeatIntervalMs: 100,
  peerDeadAfterMs: 600,
  fenceAfterMs: 350,
  probeAfterMs: 250,
  nodeLeaseRenewMs: 2_000,
  evidenceTtlMs: 4_000,
  stableAfterMs: 1_000,
  takeoverStaggerMs: 200,
  writeRetryMs: 500,
  apiStaleAfterMs: 3_000,
  noteTtlMs: 2_000,
};

/**
 * E and api-stale-after follow R when only R is given: both must exceed it (the rules below), and
 * R is the one knob a large cluster turns (issue #10, bench/README.md simulator Finding 1: n
 * speakers renew n / R times a second at rest, so 100 nodes need R ≥ 5 s for ≤ 20 writes/s).
 * The defaults keep these ratios: E = 2R (a renewal may be lost once before a peer's evidence
 * runs out), api-stale-after = 1.5R (a peer that missed one renewal by half a period cannot
 * write). Never below the defaults.
 */
export function scaledWithRenew(renewMs: number): Pick<L2Timings, 'evidenceTtlMs' | 'apiStaleAfterMs'> {
  return {
    evidenceTtlMs: Math.max(DEFAULT_L2_TIMINGS.evidenceTtlMs, 2 * renewMs),
    apiStaleAfterMs: Math.max(DEFAULT_L2_TIMINGS.apiStaleAfterMs, Math.ceil(1.5 * renewMs)),
  };
}

/** The node Lease's leaseDurationSeconds: three renewal periods, as Kubernetes' own node Leases (10 s / 40 s) allow misses. */
export function nodeLeaseDurationSeconds(t: Pick<L2Timings, 'nodeLeaseRenewMs'>): number {
  return Math.ceil((3 * t.nodeLeaseRenewMs) / 1000);
}

/** Node-Lease writes a second that the speakers of one cluster may cost the API server at rest (issue #10). */
export const NODE_LEASE_WRITES_BUDGET_PER_S = 20;

export interface RenewAdvice {
  /** What n speakers renewing every R write at rest. */
  writesPerSecond: number;
  /** The smallest whole-second R that keeps them within the budget. */
  suggestedRenewMs: number;
}

/** Null while n speakers renewing every `renewMs` stay within the budget; else what to set. */
export function renewAdvice(nodes: number, renewMs: number): RenewAdvice | null {
  const writesPerSecond = (nodes * 1000) / renewMs;
  if (writesPerSecond <= NODE_LEASE_WRITES_BUDGET_PER_S) return null;
  return { writesPerSecond, suggestedRenewMs: Math.ceil(nodes / NODE_LEASE_WRITES_BUDGET_PER_S) * 1000 };
}

/** A tick later than this after the previous one means the process stalled. */
export function stallAfterMs(t: L2Timings): number {
  return 2 * t.heartbeatIntervalMs;
}

export interface TimingsCheck {
  timings: L2Timings;
  /** One line per value replaced by its default, saying which rule it broke. */
  problems: string[];
}

type Rule = { field: keyof L2Timings; ok: (t: L2Timings) => boolean; why: string };

// Rules in dependency order: a value is checked against the values before it as already fixed.
const RULES: readonly Rule[] = [
  { field: 'heartbeatIntervalMs', ok: (t) => t.heartbeatIntervalMs >= 10, why: 'heartbeat interval must be at least 10ms' },
  { field: 'peerDeadAfterMs', ok: (t) => t.peerDeadAfterMs >= 3 * t.heartbeatIntervalMs, why: 'peer-dead-after must be at least 3 heartbeat intervals' },
  {
    field: 'fenceAfterMs',
    ok: (t) => t.fenceAfterMs + 2 * t.heartbeatIntervalMs <= t.peerDeadAfterMs && t.fenceAfterMs > 2 * t.heartbeatIntervalMs,
    why: 'fence-after F must satisfy 2h < F and F + 2h <= peer-dead-after (a cut-off node must stop before peers take over)',
  },
  { field: 'probeAfterMs', ok: (t) => t.probeAfterMs > 2 * t.heartbeatIntervalMs && t.probeAfterMs < t.fenceAfterMs, why: 'probe-after P must satisfy 2h < P < fence-after' },
  { field: 'nodeLeaseRenewMs', ok: (t) => t.nodeLeaseRenewMs >= 5 * t.heartbeatIntervalMs, why: 'node-lease-renew must be at least 5 heartbeat intervals' },
  { field: 'evidenceTtlMs', ok: (t) => t.evidenceTtlMs > t.nodeLeaseRenewMs && t.evidenceTtlMs > t.fenceAfterMs, why: 'evidence-ttl must exceed node-lease-renew and fence-after' },
  { field: 'stableAfterMs', ok: (t) => t.stableAfterMs >= 0, why: 'stable-after must not be negative' },
  { field: 'takeoverStaggerMs', ok: (t) => t.takeoverStaggerMs >= 0, why: 'takeover-stagger must not be negative' },
  { field: 'writeRetryMs', ok: (t) => t.writeRetryMs >= t.heartbeatIntervalMs, why: 'write retry must be at least one heartbeat interval' },
  { field: 'apiStaleAfterMs', ok: (t) => t.apiStaleAfterMs > t.nodeLeaseRenewMs, why: 'api-stale-after must exceed node-lease-renew' },
  { field: 'noteTtlMs', ok: (t) => t.noteTtlMs >= t.heartbeatIntervalMs, why: 'note TTL must be at least one heartbeat interval' },
];

/** A field's default once the fields before it are fixed: E and api-stale-after scale with R. */
function defaultGiven(field: keyof L2Timings, t: L2Timings): number {
  if (field === 'evidenceTtlMs' || field === 'apiStaleAfterMs') return scaledWithRenew(t.nodeLeaseRenewMs)[field];
  return DEFAULT_L2_TIMINGS[field];
}

function isTimingKey(key: string): key is keyof L2Timings {
  return Object.hasOwn(DEFAULT_L2_TIMINGS, key);
}

/**
 * Validates timings given as overrides of the defaults. A value that is not a finite number or
 * breaks its rule is replaced by its default; when even the default breaks the rule (because an
 * earlier value was changed), every value from that rule on reverts to the defaults, which are
 * consistent by construction (asserted in tests).
 */
export function checkTimings(overrides: Partial<L2Timings>): TimingsCheck {
  const t: L2Timings = { ...DEFAULT_L2_TIMINGS };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(overrides)) {
    if (!isTimingKey(key) || value === undefined) continue;
    const field = key;
    // Number.isFinite refuses what is no number (it does not coerce "5" as isFinite does).
    if (!Number.isFinite(value)) {
      problems.push(`${field}: ${String(value)} is not a number; using ${DEFAULT_L2_TIMINGS[field]}ms`);
      continue;
    }
    t[field] = value;
  }
  // E and api-stale-after not given follow R (given or not: at the default R they are their defaults).
  const scaled = scaledWithRenew(t.nodeLeaseRenewMs);
  if (overrides.evidenceTtlMs === undefined) t.evidenceTtlMs = scaled.evidenceTtlMs;
  if (overrides.apiStaleAfterMs === undefined) t.apiStaleAfterMs = scaled.apiStaleAfterMs;
  for (const rule of RULES) {
    if (rule.ok(t)) continue;
    const given = t[rule.field];
    t[rule.field] = defaultGiven(rule.field, t);
    if (rule.ok(t)) {
      problems.push(`${rule.field}: ${given}ms rejected (${rule.why}); using ${t[rule.field]}ms`);
      continue;
    }
    // The default does not fit the earlier overrides either: fall back wholesale.
    Object.assign(t, DEFAULT_L2_TIMINGS);
    problems.push(`${rule.field}: ${given}ms rejected (${rule.why}), and the other timings do not fit its default; using all default timings`);
    break;
  }
  return { timings: t, problems };
}
