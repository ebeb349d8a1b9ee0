// `herald status`, the pure part: from the Leases the speakers keep in their namespace, a table
// of speakers (with their BGP sessions, published on their node Lease) and of L2 VIP holders.
import type { V1Lease } from '@kubernetes/client-node';
import { ANN_HEARTBEAT_ADDRESSES, ANN_LEASE_IP, NODE_LEASE_LABELS, VIP_LEASE_LABELS } from '../election/lease-names.ts';
import { ANN_BGP_SESSIONS } from '../api/names.ts';
import type { SessionStatus } from '../api/bgp.ts';

function isSession(v: unknown): v is SessionStatus {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const p = o['prefixes'];
  return typeof o['peer'] === 'string' && typeof o['state'] === 'string' && typeof o['since'] === 'string' && typeof p === 'object' && p !== null;
}

/** The sessions a node Lease announces; [] when none or malformed (a speaker of another version). */
export function sessionsOf(lease: V1Lease): SessionStatus[] {
  const text = lease.metadata?.annotations?.[ANN_BGP_SESSIONS];
  if (text === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter(isSession) : [];
  } catch {
    return [];
  }
}

/** "Up 5m", or "Down 3s (control-detection-time-expired)": the diagnostic says why it is not Up. */
function bfdText(s: SessionStatus): string {
  const b = s.bfd;
  if (typeof b !== 'object' || b === null || typeof b.state !== 'string') return '-';
  return b.state === 'Up' || b.diag === 'none' ? b.state : `${b.state} (${b.diag})`;
}

function labelled(lease: V1Lease, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(labels).every(([k, v]) => lease.metadata?.labels?.[k] === v);
}

function age(from: Date | string | undefined, now: Date): string {
  if (from === undefined) return '?';
  const s = Math.max(0, Math.round((now.getTime() - new Date(from).getTime()) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`);
}

/** A standby speaker's Lease has no heartbeat addresses (standbyNodeLeaseBody): no L2 policy, no heartbeats. */
function heartbeatsText(l: V1Lease): string {
  const a = l.metadata?.annotations?.[ANN_HEARTBEAT_ADDRESSES];
  return a === undefined ? 'none (L2 standby)' : a === '' ? '-' : a;
}

export function statusReport(leases: readonly V1Lease[], now: Date): string[] {
  const nodes = leases.filter((l) => labelled(l, NODE_LEASE_LABELS)).sort((a, b) => ((a.spec?.holderIdentity ?? '') < (b.spec?.holderIdentity ?? '') ? -1 : 1));
  const vips = leases.filter((l) => labelled(l, VIP_LEASE_LABELS));
  const out: string[] = [];
  out.push(`Speakers (${nodes.length}):`);
  const rows = [['NODE', 'RENEWED', 'HEARTBEATS', 'PEER', 'STATE', 'SINCE', 'BFD', 'PREFIXES v4/v6']];
  for (const l of nodes) {
    const base = [l.spec?.holderIdentity ?? '?', `${age(l.spec?.renewTime, now)} ago`, heartbeatsText(l)];
    const sessions = sessionsOf(l);
    if (sessions.length === 0) rows.push([...base, '-', '-', '-', '-', '-']);
    for (const s of sessions) rows.push([...base, s.peer, s.state, `${age(s.since, now)} ago`, bfdText(s), `${s.prefixes.ipv4}/${s.prefixes.ipv6}`]);
  }
  out.push(...table(rows));
  const held = vips.map((l) => [l.metadata?.annotations?.[ANN_LEASE_IP] ?? l.metadata?.name ?? '?', l.spec?.holderIdentity ?? '(released)', String(l.spec?.leaseTransitions ?? 0), `${age(l.spec?.acquireTime, now)} ago`]).sort((a, b) => ((a[0] ?? '') < (b[0] ?? '') ? -1 : 1));
  out.push('', `L2 VIPs (${held.length}):`);
  out.push(...table([['VIP', 'HOLDER', 'TRANSITIONS', 'SINCE'], ...held]));
  return out;
}
