// `herald status`: the report from the speakers' Leases.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { V1MicroTime } from '@kubernetes/client-node';
import type { V1Lease } from '@kubernetes/client-node';
import { NODE_LEASE_LABELS, VIP_LEASE_LABELS } from '../../src/election/lease-names.ts';
import { sessionsOf, statusReport } from '../../src/status/report.ts';
import { standbyNodeLeaseBody } from '../../src/election/lease-objects.ts';
import { ANN_BGP_SESSIONS } from '../../src/api/names.ts';

const NOW = new Date('2026-12-01T12:00:10Z');

function nodeLease(node: string, sessions?: string): V1Lease {
  return {
    metadata: { name: `herald-node-${node}`, labels: { ...NODE_LEASE_LABELS }, annotations: { 'herald.dev/heartbeat-addresses': '192.0.2.11:9425', ...(sessions === undefined ? {} : { [ANN_BGP_SESSIONS]: sessions }) } },
    spec: { holderIdentity: node, renewTime: new V1MicroTime(Date.parse('2026-12-01T12:00:08Z')) },
  };
}

test('the report lists each speaker with its BGP sessions, and each VIP with its holder', () => {
  const sessions = JSON.stringify([{ peer: 'tor', state: 'Established', since: '2026-12-01T11:59:10Z', prefixes: { ipv4: 3, ipv6: 1 } }]);
  const vip: V1Lease = { metadata: { name: 'herald-l2-192-0-2-200', labels: { ...VIP_LEASE_LABELS }, annotations: { 'herald.dev/ip': '192.0.2.200' } }, spec: { holderIdentity: 'node-b', leaseTransitions: 2 } };
  const foreign: V1Lease = { metadata: { name: 'herald-controller', labels: { 'app.kubernetes.io/managed-by': 'herald' } }, spec: { holderIdentity: 'ctl' } };
  const lines = statusReport([nodeLease('node-b'), nodeLease('node-a', sessions), vip, foreign], NOW).join('\n');
  assert.match(lines, /Speakers \(2\):/);
  assert.match(lines, /node-a\s+2s ago\s+192\.0\.2\.11:9425\s+tor\s+Established\s+60s ago\s+-\s+3\/1/);
  assert.match(lines, /node-b\s+2s ago\s+192\.0\.2\.11:9425\s+-\s+-/);
  assert.ok(lines.indexOf('node-a') < lines.indexOf('node-b'), 'nodes in name order');
  assert.match(lines, /L2 VIPs \(1\):/);
  assert.match(lines, /192\.0\.2\.200\s+node-b\s+2/);
  assert.ok(!lines.includes('ctl'), 'the controller Lease is not a speaker');
});

test('a malformed sessions annotation reads as no sessions, never as a crash', () => {
  assert.deepEqual(sessionsOf(nodeLease('n', '{not json')), []);
  assert.deepEqual(sessionsOf(nodeLease('n', '[{"peer":1}]')), []);
});

test('a session with BFD shows its state, and the diagnostic when it is not Up (issue #11)', () => {
  const sessions = JSON.stringify([
    { peer: 'tor1', state: 'Established', since: '2026-12-01T11:59:10Z', prefixes: { ipv4: 3, ipv6: 0 }, bfd: { state: 'Up', diag: 'none', since: '2026-12-01T11:59:09Z' } },
    { peer: 'tor2', state: 'Idle', since: '2026-12-01T12:00:00Z', prefixes: { ipv4: 0, ipv6: 0 }, bfd: { state: 'Down', diag: 'control-detection-time-expired', since: '2026-12-01T12:00:00Z' } },
  ]);
  const lines = statusReport([nodeLease('node-a', sessions)], NOW).join('\n');
  assert.match(lines, /\bBFD\b/);
  assert.match(lines, /tor1\s+Established\s+60s ago\s+Up\s+3\/0/);
  assert.match(lines, /tor2\s+Idle\s+10s ago\s+Down \(control-detection-time-expired\)\s+0\/0/);
});

test('a speaker on L2 standby (no L2AnnouncementPolicy) shows no heartbeats and still its BGP sessions', () => {
  const sessions = JSON.stringify([{ peer: 'tor', state: 'Established', since: '2026-12-01T11:59:10Z', prefixes: { ipv4: 3, ipv6: 1 } }]);
  const lease = standbyNodeLeaseBody('node-s', 'herald-system', Date.parse('2026-12-01T11:00:00Z'), Date.parse('2026-12-01T12:00:05Z'), 30, { [ANN_BGP_SESSIONS]: sessions });
  const lines = statusReport([lease], NOW).join('\n');
  assert.match(lines, /Speakers \(1\):/);
  assert.match(lines, /node-s\s+5s ago\s+none \(L2 standby\)\s+tor\s+Established\s+60s ago\s+-\s+3\/1/);
});
