// Herald's Prometheus metrics: one prom-client Registry per process (never the library's global
// one, so tests and embedded uses get a clean slate), named `herald_<subsystem>_<name>_<unit>`
// with labels of low cardinality (https://prometheus.io/docs/practices/naming/).
// docs/metrics.md lists every metric, its labels and example alerts; keep the two in step.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolStatusView } from '../api/ippool.ts';

export const METRIC_PREFIX = 'herald_';

/**
 * prom-client's runtime metrics, with the event-loop monitor sampling every 100 ms instead of its
 * default 10 ms: that timer woke an idle speaker 100 times a second, 0.3 % of a core measured on
 * its own (issue #10: the CPU target is 1 %). A stall still shows at its full length, since the
 * histogram records how late each sample came; only stalls under 100 ms blur.
 */
export function collectRuntimeMetrics(register: Registry): void {
  collectDefaultMetrics({ register, prefix: METRIC_PREFIX, eventLoopMonitoringPrecision: 100 });
}

export type PoolAddressState = 'total' | 'used' | 'reserved' | 'available';
export const POOL_ADDRESS_STATES: readonly PoolAddressState[] = ['total', 'used', 'reserved', 'available'];
export type ServiceState = 'satisfied' | 'unsatisfied';
export type KubeVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/**
 * What one reconcile pass reports. Shaped so that the controller's PassResult fits it without
 * this module importing the controller.
 */
export interface PassFigures {
  /** Herald Services whose request is satisfied / not, after the pass (all of them, not only those touched). */
  satisfied: number;
  unsatisfied: number;
  /** One entry per address allocated in this pass. */
  allocations: readonly { pool: string }[];
  /** One entry per address released in this pass; `reason` is a Release reason. */
  releases: readonly { reason: string }[];
  /** Services the pass decided (changed ones, those sharing with them, and those still waiting). */
  decided?: number;
  /**
   * Every pool's status after the pass. When present it is authoritative: pools missing from it
   * are dropped from the pool gauges. When absent, the gauges follow `poolWrites` instead.
   */
  poolStatuses?: readonly PoolStatusView[];
  /** IPPool status writes of this pass (only pools whose status changed). */
  poolWrites?: readonly PoolStatusWrite[];
}

export interface PoolStatusWrite {
  pool: { metadata: { name?: string } };
  status: {
    ipsTotal?: string;
    ipsUsed?: string;
    ipsReserved?: string;
    ipsAvailable?: string;
    conditions?: readonly { type: string; status: string }[];
  };
}

export interface HeraldMetrics {
  readonly registry: Registry;
  /** herald_ipam_pool_addresses{pool,state} */
  readonly poolAddresses: Gauge<'pool' | 'state'>;
  /** herald_ipam_services{state} */
  readonly services: Gauge<'state'>;
  /** herald_ipam_allocations_total{pool} */
  readonly allocations: Counter<'pool'>;
  /** herald_ipam_releases_total{reason} */
  readonly releases: Counter<'reason'>;
  /** herald_ipam_reconcile_duration_seconds */
  readonly reconcileDuration: Histogram;
  /** herald_ipam_services_decided_total */
  readonly servicesDecided: Counter;
  /** herald_ipam_pool_conflicting{pool} */
  readonly poolConflicting: Gauge<'pool'>;
  /** herald_controller_is_leader */
  readonly isLeader: Gauge;
  /** herald_kube_request_errors_total{verb,resource} */
  readonly kubeRequestErrors: Counter<'verb' | 'resource'>;
  /** herald_kube_events_dropped_total */
  readonly eventsDropped: Counter;
  /** Sets the four address gauges and the conflict gauge of one pool. */
  setPoolStatus(view: PoolStatusView): void;
  /** Drops every series of a pool (call when the IPPool is deleted, or its series linger). */
  forgetPool(name: string): void;
  /** Everything one reconcile pass changes: service counts, counters, duration, pool gauges. */
  recordPass(pass: PassFigures, seconds: number): void;
  /** Counts a failed Kubernetes API request. */
  countKubeError(verb: KubeVerb, resource: string): void;
}

export interface MetricsOptions {
  /** Process and Node.js runtime metrics (herald_process_*, herald_nodejs_*). Default true. */
  defaultMetrics?: boolean;
}

// Reconciles are in-memory and usually take milliseconds; the top buckets catch a pass over
// tens of thousands of Services or a stalled event loop.
const RECONCILE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const DECIMAL = /^[0-9]+$/;

export function createMetrics(opts: MetricsOptions = {}): HeraldMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.defaultMetrics !== false) collectRuntimeMetrics(registry);

  const poolAddresses = new Gauge({
    name: 'herald_ipam_pool_addresses',
    help:
      'Addresses of an IPPool by state: total, used (held by Services), reserved (never allocated: node and API-server addresses) ' +
      'and available. A float64: counts above 2^53 (IPv6 pools larger than a /75, e.g. a /48) are approximate; status.ips* is exact.',
    labelNames: ['pool', 'state'] as const,
    registers,
  });
  const services = new Gauge({
    name: 'herald_ipam_services',
    help: 'LoadBalancer Services handled by Herald, by whether their address request is satisfied.',
    labelNames: ['state'] as const,
    registers,
  });
  const allocations = new Counter({
    name: 'herald_ipam_allocations_total',
    help: 'Addresses allocated to Services, by the pool they came from.',
    labelNames: ['pool'] as const,
    registers,
  });
  const releases = new Counter({
    name: 'herald_ipam_releases_total',
    help: 'Addresses taken from Services, by reason (PoolRemoved, Reserved, FamilyNotWanted, NotRequested, SharingKeyMismatch, ServiceGone).',
    labelNames: ['reason'] as const,
    registers,
  });
  const reconcileDuration = new Histogram({
    name: 'herald_ipam_reconcile_duration_seconds',
    help: 'Time one reconcile pass of the IPAM controller took (allocation only, not the API writes that follow).',
    buckets: RECONCILE_BUCKETS,
    registers,
  });
  const servicesDecided = new Counter({
    name: 'herald_ipam_services_decided_total',
    help: 'Services decided by reconcile passes: one per change to a Service (and to those sharing its address), none for the controller\'s own status writes coming back.',
    registers,
  });
  const poolConflicting = new Gauge({
    name: 'herald_ipam_pool_conflicting',
    help: '1 when an IPPool overlaps an older pool or itself and gives no new addresses, else 0.',
    labelNames: ['pool'] as const,
    registers,
  });
  const isLeader = new Gauge({
    name: 'herald_controller_is_leader',
    help: '1 when this controller replica holds the leader-election Lease and allocates, else 0.',
    registers,
  });
  isLeader.set(0);
  const eventsDropped = new Counter({
    name: 'herald_kube_events_dropped_total',
    help: 'Kubernetes Events not written because the backlog (2,048) was full; conditions and status still say everything.',
    registers,
  });
  const kubeRequestErrors = new Counter({
    name: 'herald_kube_request_errors_total',
    help: 'Kubernetes API requests that failed, by verb and resource.',
    labelNames: ['verb', 'resource'] as const,
    registers,
  });

  // Pools with series, so an authoritative poolStatuses list can drop the ones that are gone.
  const knownPools = new Set<string>();

  function setPoolStatus(view: PoolStatusView): void {
    const pool = view.name;
    knownPools.add(pool);
    // Number(bigint) rounds to the nearest float64: exact below 2^53, approximate above (see help).
    poolAddresses.set({ pool, state: 'total' }, Number(view.total));
    poolAddresses.set({ pool, state: 'used' }, Number(view.used));
    poolAddresses.set({ pool, state: 'reserved' }, Number(view.reserved));
    poolAddresses.set({ pool, state: 'available' }, Number(view.available));
    poolConflicting.set({ pool }, view.conflict.conflicting ? 1 : 0);
  }

  function forgetPool(pool: string): void {
    knownPools.delete(pool);
    for (const state of POOL_ADDRESS_STATES) poolAddresses.remove({ pool, state });
    poolConflicting.remove({ pool });
  }

  function setFromWrite(w: PoolStatusWrite): void {
    const pool = w.pool.metadata.name;
    if (pool === undefined) return;
    knownPools.add(pool);
    const counts: Record<PoolAddressState, string | undefined> = {
      total: w.status.ipsTotal,
      used: w.status.ipsUsed,
      reserved: w.status.ipsReserved,
      available: w.status.ipsAvailable,
    };
    for (const state of POOL_ADDRESS_STATES) {
      const text = counts[state];
      // The status writer always fills the counts with decimal text; a missing one keeps the old value.
      if (text !== undefined && DECIMAL.test(text)) poolAddresses.set({ pool, state }, Number(text));
    }
    const conflict = w.status.conditions?.find((c) => c.type === 'Conflict');
    if (conflict !== undefined) poolConflicting.set({ pool }, conflict.status === 'True' ? 1 : 0);
  }

  function recordPass(pass: PassFigures, seconds: number): void {
    reconcileDuration.observe(seconds);
    if (pass.decided !== undefined) servicesDecided.inc(pass.decided);
    services.set({ state: 'satisfied' }, pass.satisfied);
    services.set({ state: 'unsatisfied' }, pass.unsatisfied);
    for (const a of pass.allocations) allocations.inc({ pool: a.pool });
    for (const r of pass.releases) releases.inc({ reason: r.reason });
    if (pass.poolStatuses !== undefined) {
      const present = new Set(pass.poolStatuses.map((v) => v.name));
      for (const name of [...knownPools]) if (!present.has(name)) forgetPool(name);
      for (const view of pass.poolStatuses) setPoolStatus(view);
    } else {
      for (const w of pass.poolWrites ?? []) setFromWrite(w);
    }
  }

  function countKubeError(verb: KubeVerb, resource: string): void {
    kubeRequestErrors.inc({ verb, resource });
  }

  return {
    registry,
    poolAddresses,
    services,
    allocations,
    releases,
    reconcileDuration,
    servicesDecided,
    poolConflicting,
    isLeader,
    kubeRequestErrors,
    eventsDropped,
    setPoolStatus,
    forgetPool,
    recordPass,
    countKubeError,
  };
}
