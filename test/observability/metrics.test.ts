// The metrics: names and labels as docs/metrics.md lists them, bigint counts as float64,
// recordPass fed with what a reconcile pass reports, and pool series that go when the pool goes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createMetrics } from '../../src/observability/metrics.ts';
import type { PoolStatusView } from '../../src/api/ippool.ts';

const HERALD_METRICS = [
  'herald_ipam_pool_addresses',
  'herald_ipam_services',
  'herald_ipam_allocations_total',
  'herald_ipam_releases_total',
  'herald_ipam_reconcile_duration_seconds',
  'herald_ipam_services_decided_total',
  'herald_ipam_pool_conflicting',
  'herald_controller_is_leader',
  'herald_kube_request_errors_total',
  'herald_kube_events_dropped_total',
];

/** The sample lines of one metric, e.g. `herald_ipam_services{state="satisfied"} 3`. */
async function samples(m: ReturnType<typeof createMetrics>, name: string): Promise<string[]> {
  const text = await m.registry.metrics();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

function view(name: string, total: bigint, used: bigint, conflicting = false): PoolStatusView {
  return { name, total, used, reserved: 1n, available: total - used - 1n, conflict: conflicting ? { conflicting: true, message: 'overlaps "older"' } : { conflicting: false } };
}

test('every Herald metric is registered with its documented name, and docs/metrics.md lists it', async () => {
  const m = createMetrics({ defaultMetrics: false });
  const names = m.registry.getMetricsAsArray().map((x) => x.name).sort();
  assert.deepEqual(names, [...HERALD_METRICS].sort());
  const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
  for (const n of HERALD_METRICS) assert.ok(doc.includes(`\`${n}\``), `docs/metrics.md does not describe ${n}`);
  assert.deepEqual(await samples(m, 'herald_controller_is_leader'), ['herald_controller_is_leader 0']);
});

test('default process metrics carry the herald_ prefix and nothing is unprefixed', async () => {
  const m = createMetrics();
  const names = m.registry.getMetricsAsArray().map((x) => x.name);
  assert.ok(names.includes('herald_process_cpu_seconds_total'), names.join(','));
  assert.ok(names.some((n) => n.startsWith('herald_nodejs_')));
  assert.deepEqual(names.filter((n) => !n.startsWith('herald_')), []);
});

test('pool counts: exact below 2^53, float64 above (an IPv6 /48 is 2^80 addresses)', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.setPoolStatus(view('small', 256n, 3n));
  m.setPoolStatus(view('huge', 1n << 80n, 5n, true));
  const lines = await samples(m, 'herald_ipam_pool_addresses');
  assert.ok(lines.includes('herald_ipam_pool_addresses{pool="small",state="total"} 256'), lines.join('\n'));
  assert.ok(lines.includes('herald_ipam_pool_addresses{pool="small",state="available"} 252'));
  const huge = lines.find((l) => l.startsWith('herald_ipam_pool_addresses{pool="huge",state="total"}'));
  assert.equal(Number(huge?.split(' ')[1]), 2 ** 80);
  assert.deepEqual(await samples(m, 'herald_ipam_pool_conflicting'), ['herald_ipam_pool_conflicting{pool="small"} 0', 'herald_ipam_pool_conflicting{pool="huge"} 1']);
});

test('recordPass sets service counts, counts allocations and releases, and times the pass', async () => {
  const m = createMetrics({ defaultMetrics: false });
  const pass = { satisfied: 3, unsatisfied: 1, allocations: [{ pool: 'a' }, { pool: 'a' }, { pool: 'b' }], releases: [{ reason: 'ServiceGone' }] };
  m.recordPass(pass, 0.003);
  m.recordPass({ ...pass, satisfied: 4, unsatisfied: 0, allocations: [{ pool: 'a' }], releases: [] }, 0.2);
  assert.deepEqual(await samples(m, 'herald_ipam_services'), ['herald_ipam_services{state="satisfied"} 4', 'herald_ipam_services{state="unsatisfied"} 0']);
  assert.deepEqual(await samples(m, 'herald_ipam_allocations_total'), ['herald_ipam_allocations_total{pool="a"} 3', 'herald_ipam_allocations_total{pool="b"} 1']);
  assert.deepEqual(await samples(m, 'herald_ipam_releases_total'), ['herald_ipam_releases_total{reason="ServiceGone"} 1']);
  const hist = await samples(m, 'herald_ipam_reconcile_duration_seconds_count');
  assert.deepEqual(hist, ['herald_ipam_reconcile_duration_seconds_count 2']);
  const le = await samples(m, 'herald_ipam_reconcile_duration_seconds_bucket');
  assert.ok(le.includes('herald_ipam_reconcile_duration_seconds_bucket{le="0.005"} 1'), le.join('\n'));
  assert.ok(le.includes('herald_ipam_reconcile_duration_seconds_bucket{le="0.25"} 2'));
});

test('recordPass follows pool status writes when no full pool list is given', async () => {
  const m = createMetrics({ defaultMetrics: false });
  const write = {
    pool: { metadata: { name: 'p' } },
    status: { ipsTotal: '18446744073709551616', ipsUsed: '2', ipsReserved: '0', ipsAvailable: '18446744073709551614', conditions: [{ type: 'Conflict', status: 'True' }] },
  };
  m.recordPass({ satisfied: 0, unsatisfied: 0, allocations: [], releases: [], poolWrites: [write] }, 0);
  const lines = await samples(m, 'herald_ipam_pool_addresses');
  assert.ok(lines.includes('herald_ipam_pool_addresses{pool="p",state="used"} 2'), lines.join('\n'));
  assert.equal(Number(lines.find((l) => l.includes('state="total"'))?.split(' ')[1]), 2 ** 64);
  assert.deepEqual(await samples(m, 'herald_ipam_pool_conflicting'), ['herald_ipam_pool_conflicting{pool="p"} 1']);
});

test('a full pool list is authoritative: pools missing from it lose their series', async () => {
  const m = createMetrics({ defaultMetrics: false });
  const base = { satisfied: 0, unsatisfied: 0, allocations: [], releases: [] };
  m.recordPass({ ...base, poolStatuses: [view('keep', 10n, 1n), view('gone', 10n, 0n)] }, 0);
  m.recordPass({ ...base, poolStatuses: [view('keep', 10n, 2n)] }, 0);
  const lines = await samples(m, 'herald_ipam_pool_addresses');
  assert.equal(lines.filter((l) => l.includes('pool="gone"')).length, 0, lines.join('\n'));
  assert.ok(lines.includes('herald_ipam_pool_addresses{pool="keep",state="used"} 2'));
  assert.deepEqual(await samples(m, 'herald_ipam_pool_conflicting'), ['herald_ipam_pool_conflicting{pool="keep"} 0']);
});

test('forgetPool drops every series of the pool', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.setPoolStatus(view('p', 4n, 0n));
  m.forgetPool('p');
  assert.deepEqual(await samples(m, 'herald_ipam_pool_addresses'), []);
  assert.deepEqual(await samples(m, 'herald_ipam_pool_conflicting'), []);
});

test('leader gauge and Kubernetes request errors', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.isLeader.set(1);
  m.countKubeError('update', 'services/status');
  m.kubeRequestErrors.inc({ verb: 'update', resource: 'services/status' });
  assert.deepEqual(await samples(m, 'herald_controller_is_leader'), ['herald_controller_is_leader 1']);
  assert.deepEqual(await samples(m, 'herald_kube_request_errors_total'), ['herald_kube_request_errors_total{verb="update",resource="services/status"} 2']);
});

test('two instances do not share series (one registry each)', async () => {
  const a = createMetrics({ defaultMetrics: false });
  const b = createMetrics({ defaultMetrics: false });
  a.isLeader.set(1);
  assert.deepEqual(await samples(b, 'herald_controller_is_leader'), ['herald_controller_is_leader 0']);
});
