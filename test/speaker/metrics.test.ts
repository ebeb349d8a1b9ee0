// The speaker's metrics: names as docs/metrics.md lists them, and the peer gauge that always
// carries every state (an absent series would read as "no data", not as zero).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createSpeakerMetrics } from '../../src/speaker/metrics.ts';

const SPEAKER_METRICS = [
  'herald_l2_vips_held',
  'herald_l2_vips_eligible',
  'herald_l2_requests_answered_total',
  'herald_l2_requests_dropped_total',
  'herald_l2_gratuitous_sent_total',
  'herald_l2_handover_holds_total',
  'herald_l2_lease_transitions_total',
  'herald_l2_lease_write_errors_total',
  'herald_l2_failover_seconds',
  'herald_l2_peers',
  'herald_l2_fenced',
  'herald_l2_standby',
  'herald_l2_heartbeats_received_total',
  'herald_l2_heartbeat_errors_total',
  'herald_l2_heartbeat_key_info',
  'herald_l2_conflicts_total',
  'herald_l2_stale_conflicts_total',
  'herald_l2_self_check_repairs_total',
  'herald_l2_socket_errors_total',
  'herald_kube_request_errors_total',
  'herald_bgp_session_state',
  'herald_bgp_sessions_established_total',
  'herald_bgp_messages_total',
  'herald_bgp_notifications_total',
  'herald_bgp_prefixes_advertised',
  'herald_bgp_prefixes_skipped_total',
  'herald_bfd_session_state',
  'herald_bfd_session_down_total',
  'herald_bfd_packets_total',
  'herald_bfd_packets_discarded_total',
];

test('every speaker metric is registered with its documented name, and docs/metrics.md lists it', () => {
  const m = createSpeakerMetrics({ defaultMetrics: false });
  assert.deepEqual(m.registry.getMetricsAsArray().map((x) => x.name).sort(), [...SPEAKER_METRICS].sort());
  const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
  for (const n of SPEAKER_METRICS) assert.ok(doc.includes(`\`${n}\``), `docs/metrics.md does not describe ${n}`);
});

test('setPeers counts peers by state and keeps a zero series for every absent state', async () => {
  const m = createSpeakerMetrics({ defaultMetrics: false });
  m.setPeers(['alive', 'alive', 'dead']);
  const text = await m.registry.getSingleMetricAsString('herald_l2_peers');
  for (const line of ['herald_l2_peers{state="alive"} 2', 'herald_l2_peers{state="dead"} 1', 'herald_l2_peers{state="pending"} 0', 'herald_l2_peers{state="unreachable"} 0']) assert.ok(text.includes(line), `${line} in\n${text}`);
  m.setPeers([]);
  assert.ok((await m.registry.getSingleMetricAsString('herald_l2_peers')).includes('herald_l2_peers{state="alive"} 0'));
});

test('setBgpState marks exactly one state per peer, and forgetting a peer drops its series', async () => {
  const m = createSpeakerMetrics({ defaultMetrics: false });
  m.setBgpState('tor-a', 'Established');
  const text = await m.registry.getSingleMetricAsString('herald_bgp_session_state');
  assert.ok(text.includes('herald_bgp_session_state{peer="tor-a",state="Established"} 1'), text);
  assert.ok(text.includes('herald_bgp_session_state{peer="tor-a",state="Idle"} 0'), text);
  m.setBgpState('tor-a', null);
  assert.ok(!(await m.registry.getSingleMetricAsString('herald_bgp_session_state')).includes('tor-a'));
});

test('regression: the heartbeat-spoof e2e read a dead peer as alive from a gauge refreshed by a 1 s timer — peers, fenced and VIPs held are now read from the election at each scrape', async () => {
  const m = createSpeakerMetrics({ defaultMetrics: false });
  let peers = ['alive', 'alive'];
  let calls = 0;
  m.refreshOnCollect(() => {
    calls++;
    m.setPeers(peers);
    m.fenced.set(peers.includes('dead') ? 1 : 0);
  });
  assert.match(await m.registry.metrics(), /^herald_l2_peers\{state="alive"\} 2$/m);
  peers = ['alive', 'dead'];
  const text = await m.registry.metrics();
  assert.match(text, /^herald_l2_peers\{state="alive"\} 1$/m);
  assert.match(text, /^herald_l2_peers\{state="dead"\} 1$/m);
  assert.match(text, /^herald_l2_fenced 1$/m);
  assert.ok(calls >= 2);
});

test('setBfdState marks exactly one BFD state per peer, and forgetting a peer drops its series (issue #11)', async () => {
  const m = createSpeakerMetrics({ defaultMetrics: false });
  m.setBfdState('tor', 'Init');
  m.setBfdState('tor', 'Up');
  const text = await m.registry.metrics();
  const series = text.split('\n').filter((l) => l.startsWith('herald_bfd_session_state{'));
  assert.deepEqual(series.sort(), ['AdminDown', 'Down', 'Init', 'Up'].map((s) => `herald_bfd_session_state{peer="tor",state="${s}"} ${s === 'Up' ? 1 : 0}`).sort());
  m.setBfdState('tor', null);
  assert.ok(!(await m.registry.metrics()).includes('herald_bfd_session_state{'));
});
