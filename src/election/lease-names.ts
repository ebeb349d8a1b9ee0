// Names and labels of the Leases the L2 speaker writes (docs/l2.md, "Objects"). Lease names
// must be DNS subdomains (RFC 1123: lower-case alphanumerics and '-', starting and ending
// with an alphanumeric), so addresses are spelt with '-' for '.' and ':'.
import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { parseIP } from '../api/addr.ts';

export const VIP_LEASE_PREFIX = 'herald-l2-';
export const NODE_LEASE_PREFIX = 'herald-node-';
/** Labels on every VIP Lease, so speakers list and watch only those. */
export const VIP_LEASE_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/managed-by': 'herald', 'herald.dev/lease': 'l2-vip' };
export const NODE_LEASE_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/managed-by': 'herald', 'herald.dev/lease': 'l2-node' };
/** Annotation holding the VIP's canonical text on its Lease. */
export const ANN_LEASE_IP = 'herald.dev/ip';
// Node Lease annotations (the stamp peers use as evidence of life; see src/election/peers.ts).
export const ANN_HEARTBEAT_ADDRESSES = 'herald.dev/heartbeat-addresses';
export const ANN_INCARNATION = 'herald.dev/incarnation';
export const ANN_SEQ = 'herald.dev/seq';
/** JSON list of `{node, incarnation, seq}` the writer heard within 2h (see NodeStamp). */
export const ANN_HEARD = 'herald.dev/heard';
/** "true" while the writer asks peers to renew now (it lost a peer). */
export const ANN_PROBING = 'herald.dev/probing';
// VIP Lease annotations: who wrote this version, stamped with its heartbeat round.
export const ANN_WRITER = 'herald.dev/writer';

const MAX_NAME = 253;

export type LeaseNameResult = { ok: true; name: string } | { ok: false; error: { code: 'InvalidIP'; message: string } };

/**
 * `herald-l2-<ip>`: IPv4 dots become '-'; IPv6 is RFC 5952 text in hex only (an IPv4-mapped
 * address is not written with a dotted quad, which would collide with the hex form
 * `::ffff:192:0:2:1`), colons become '-', and a trailing `::` becomes `--0`. Injective.
 */
export function vipLeaseName(ip: string): LeaseNameResult {
  const parsed = parseIP(ip);
  if (!parsed.ok) return { ok: false, error: { code: 'InvalidIP', message: parsed.error.message } };
  const { family, value } = parsed.value;
  if (family === 'IPv4') return { ok: true, name: VIP_LEASE_PREFIX + [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('-') };
  const parts: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) parts.push(Number((value >> shift) & 0xffffn));
  let text = new ipaddr.IPv6(parts).toRFC5952String().replaceAll(':', '-');
  // Canonical text never ends in "::0" (the zero would be inside the compressed run), so
  // "--0" cannot be the spelling of any other address.
  if (text.endsWith('--')) text += '0';
  return { ok: true, name: VIP_LEASE_PREFIX + text };
}

/**
 * `herald-node-<node>`. Node names are DNS subdomains already; one longer than the room left
 * after the prefix is cut and given a hash suffix, so two long names stay apart.
 */
export function nodeLeaseName(node: string): string {
  const room = MAX_NAME - NODE_LEASE_PREFIX.length;
  if (node.length <= room) return NODE_LEASE_PREFIX + node;
  const digest = createHash('sha256').update(node).digest('hex').slice(0, 10);
  // Keep the cut ending in an alphanumeric before the '-' separator.
  const head = node.slice(0, room - digest.length - 1).replace(/[^a-z0-9]+$/, '');
  return `${NODE_LEASE_PREFIX}${head}-${digest}`;
}
