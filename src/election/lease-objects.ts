// Leases as election values and back (docs/l2.md, "Objects"). Pure: no client, no clock (the
// caller passes wall-clock milliseconds for the MicroTime fields). The adapter in
// lease-adapter.ts sends these bodies and feeds what these functions read to `Election`.
import { V1MicroTime } from '@kubernetes/client-node';
import type { V1Lease, V1LeaseList } from '@kubernetes/client-node';
import { isIP } from 'node:net';
import type { NodeStamp } from './peers.ts';
import type { LeaseRecord, VipAction } from './vip-machine.ts';
import { ANN_HEARTBEAT_ADDRESSES, ANN_INCARNATION, ANN_LEASE_IP, ANN_SEQ, ANN_WRITER, NODE_LEASE_LABELS, VIP_LEASE_LABELS, nodeLeaseName, vipLeaseName } from './lease-names.ts';
import { nodeStampAnnotations, parseNodeStamp, parseWriterStamp, writerAnnotations } from './stamps.ts';

/** Where a speaker listens for heartbeats (published in its node Lease). */
export interface HeartbeatEndpoint {
  address: string;
  port: number;
}


export type WriteAction = Extract<VipAction, { kind: 'write' }>;

export function labelSelector(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** `10.0.0.1:9425,[fd00::1]:9425`: IPv6 in brackets, as in a URL authority (RFC 3986 §3.2.2). */
export function formatEndpoints(endpoints: readonly HeartbeatEndpoint[]): string {
  return endpoints.map((e) => (e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`)).join(',');
}

const ENDPOINT = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):([0-9]{1,5})$/;

/** The inverse of formatEndpoints; malformed entries are skipped (a hand edit must not break the rest). */
export function parseEndpoints(text: string | undefined): HeartbeatEndpoint[] {
  if (text === undefined) return [];
  const out: HeartbeatEndpoint[] = [];
  for (const part of text.split(',')) {
    const m = ENDPOINT.exec(part.trim());
    if (m === null) continue;
    const v6 = m[1];
    const address = v6 ?? m[2] ?? '';
    const port = Number(m[3]);
    if (isIP(address) !== (v6 === undefined ? 4 : 6) || port < 1 || port > 65535) continue;
    out.push({ address, port });
  }
  return out;
}

/**
 * A VIP Lease as the election sees it, or null when it is not one we can read: no (valid)
 * `herald.dev/ip`, or a name that is not `vipLeaseName` of it (a hand-made Lease must not
 * shadow the real one).
 */
export function vipLeaseOf(lease: V1Lease): { ip: string; record: LeaseRecord } | null {
  const annotations = lease.metadata?.annotations;
  const ip = annotations?.[ANN_LEASE_IP];
  if (ip === undefined) return null;
  const name = vipLeaseName(ip);
  if (!name.ok || name.name !== lease.metadata?.name) return null;
  const record: LeaseRecord = {
    holder: lease.spec?.holderIdentity ?? '',
    epoch: lease.spec?.leaseTransitions ?? 0,
    version: lease.metadata?.resourceVersion ?? null,
  };
  const writer = parseWriterStamp(annotations);
  if (writer !== undefined) record.writer = writer;
  return { ip, record };
}

export interface NodeLeaseView {
  node: string;
  stamp: NodeStamp | null;
  addresses: HeartbeatEndpoint[];
}

/** A node Lease: the node is its holder (a Lease without one names nobody and is skipped). */
export function nodeLeaseOf(lease: V1Lease): NodeLeaseView | null {
  const node = lease.spec?.holderIdentity;
  if (node === undefined || node === '') return null;
  const annotations = lease.metadata?.annotations;
  return { node, stamp: parseNodeStamp(annotations), addresses: parseEndpoints(annotations?.[ANN_HEARTBEAT_ADDRESSES]) };
}

/** The annotations of a VIP Lease write; without a writer stamp, stale stamp keys are removed (null in a merge patch). */
function vipAnnotations(a: WriteAction): Record<string, string | null> {
  const stamp: Record<string, string | null> = a.writer === undefined ? { [ANN_WRITER]: null, [ANN_INCARNATION]: null, [ANN_SEQ]: null } : writerAnnotations(a.writer);
  return { [ANN_LEASE_IP]: a.ip, ...stamp };
}

/** A `take` with `expect: null`: the Lease does not exist yet. */
export function vipLeaseCreateBody(a: WriteAction, name: string, namespace: string, wallMs: number): V1Lease {
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(vipAnnotations(a))) if (v !== null) annotations[k] = v;
  const at = new V1MicroTime(wallMs);
  const spec: NonNullable<V1Lease['spec']> = { leaseTransitions: a.epoch, acquireTime: at, renewTime: at };
  if (a.holder !== '') spec.holderIdentity = a.holder;
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace, labels: { ...VIP_LEASE_LABELS }, annotations }, spec };
}

/**
 * When the writer of this Lease version sent it, on its own wall clock (`spec.acquireTime`, which
 * every VIP Lease write sets: vipLeasePatch), in ms; null when absent or unreadable. The watch
 * hands the field over as JSON text, a typed client as a Date.
 */
export function acquiredAtMs(lease: V1Lease): number | null {
  const t: unknown = lease.spec?.acquireTime;
  const ms = t instanceof Date ? t.getTime() : typeof t === 'string' ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? ms : null;
}

/**
 * A take, handover or release of an existing Lease: a JSON merge patch (RFC 7386) whose
 * `metadata.resourceVersion` is the precondition, so a stale writer gets 409 and a deleted
 * Lease 404 (never a create-on-update). acquireTime = renewTime = the change of holder;
 * leaseDurationSeconds stays unset (a VIP Lease does not expire).
 */
export function vipLeasePatch(a: WriteAction, version: string, wallMs: number): object {
  const at = new V1MicroTime(wallMs);
  return {
    metadata: { resourceVersion: version, labels: { ...VIP_LEASE_LABELS }, annotations: vipAnnotations(a) },
    spec: { holderIdentity: a.holder === '' ? null : a.holder, leaseTransitions: a.epoch, acquireTime: at, renewTime: at, leaseDurationSeconds: null },
  };
}

/** This speaker's node Lease, for an unconditional PUT (only its node writes it). */
/** `extra`: more annotations for operators (the BGP session states, read by `herald status`). */
/** `durationSeconds`: three renewal periods (`nodeLeaseDurationSeconds`); 6 s at the default R = 2 s. */
export function nodeLeaseBody(node: string, stamp: NodeStamp, addresses: readonly HeartbeatEndpoint[], namespace: string, acquiredMs: number, wallMs: number, durationSeconds: number, extra: Readonly<Record<string, string>> = {}): V1Lease {
  return standbyNodeLeaseBody(node, namespace, acquiredMs, wallMs, durationSeconds, { ...extra, ...nodeStampAnnotations(stamp), [ANN_HEARTBEAT_ADDRESSES]: formatEndpoints(addresses) });
}

/**
 * The node Lease of a speaker on L2 standby (no L2AnnouncementPolicy in the cluster; see
 * src/speaker/l2-gate.ts): the same object for `herald status` (holder, renewals, BGP sessions in
 * `extra`), without a heartbeat stamp or addresses. `nodeLeaseOf` reads it with a null stamp,
 * which peers take as an absent node: nobody sends it heartbeats or counts on it for a VIP.
 */
export function standbyNodeLeaseBody(node: string, namespace: string, acquiredMs: number, wallMs: number, durationSeconds: number, extra: Readonly<Record<string, string>> = {}): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: nodeLeaseName(node), namespace, labels: { ...NODE_LEASE_LABELS }, annotations: { ...extra } },
    spec: { holderIdentity: node, leaseDurationSeconds: durationSeconds, acquireTime: new V1MicroTime(acquiredMs), renewTime: new V1MicroTime(wallMs) },
  };
}

/** A Lease as JSON (the lean path): only the fields vipLeaseOf reads need to be there. */
export function asLease(v: unknown): V1Lease | null {
  if (typeof v !== 'object' || v === null || !('metadata' in v)) return null;
  const m = v.metadata;
  return typeof m === 'object' && m !== null ? (v as V1Lease) : null;
}

/** A LeaseList as JSON (the lean path): its items as asLease takes them. */
export function asLeaseList(v: unknown): V1LeaseList {
  const o = typeof v === 'object' && v !== null ? (v as { metadata?: V1LeaseList['metadata']; items?: unknown }) : {};
  const items = Array.isArray(o.items) ? o.items.flatMap((i: unknown) => asLease(i) ?? []) : [];
  return { items, ...(o.metadata === undefined ? {} : { metadata: o.metadata }) };
}

export function recordsOf(list: V1LeaseList): Map<string, LeaseRecord> {
  const out = new Map<string, LeaseRecord>();
  for (const lease of list.items) {
    const v = vipLeaseOf(lease);
    if (v !== null) out.set(v.ip, v.record);
  }
  return out;
}
