// API objects (plain JSON as the stand-in answers) → the oracle's SvcState and PoolState. Kept
// apart from the runner so the checker's inputs are read one way everywhere, and from client-node
// so that a decoding quirk of the client Herald uses cannot hide in the test's own reading.
import type { Fam, PoolSpec, PoolState, SvcState } from './ipam-oracle.ts';
import type { PoolStatusObs } from './ipam-invariants.ts';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function rec(v: unknown): Record<string, unknown> {
  return isRecord(v) ? v : {};
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function strings(v: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(rec(v)).flatMap(([k, x]) => (typeof x === 'string' ? [[k, x]] : [])));
}

function time(v: unknown): number {
  const ms = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/** A Service object, with the condition of type `condition` (Herald's), or undefined if it is no Service. */
export function serviceStateOf(o: unknown, condition: string): SvcState | undefined {
  if (!isRecord(o)) return undefined;
  const meta = rec(o['metadata']);
  const spec = rec(o['spec']);
  const status = rec(o['status']);
  const name = str(meta['name']);
  const namespace = str(meta['namespace']);
  const uid = str(meta['uid']);
  if (name === undefined || namespace === undefined || uid === undefined) return undefined;
  const cond = list(status['conditions']).map(rec).find((c) => c['type'] === condition);
  const families = list(spec['ipFamilies']).filter((f): f is Fam => f === 'IPv4' || f === 'IPv6');
  return {
    key: `${namespace}/${name}`,
    uid,
    namespace,
    name,
    createdAt: time(meta['creationTimestamp']),
    generation: num(meta['generation']),
    deleting: meta['deletionTimestamp'] !== undefined,
    type: str(spec['type']) ?? 'ClusterIP',
    cls: str(spec['loadBalancerClass']),
    families: families.length > 0 ? families : ['IPv4'],
    policy: str(spec['ipFamilyPolicy']) ?? 'SingleStack',
    labels: strings(meta['labels']),
    annotations: strings(meta['annotations']),
    loadBalancerIP: str(spec['loadBalancerIP']),
    ports: list(spec['ports']).map(rec).map((p) => ({ protocol: str(p['protocol']) ?? 'TCP', port: num(p['port']) ?? 0 })),
    etp: str(spec['externalTrafficPolicy']) ?? 'Cluster',
    selector: strings(spec['selector']),
    ingress: list(rec(status['loadBalancer'])['ingress']).map(rec).map((i) => ({ ip: str(i['ip']) ?? '', ipMode: str(i['ipMode']) })),
    condition:
      cond === undefined
        ? undefined
        : { status: str(cond['status']) ?? '', reason: str(cond['reason']) ?? '', message: str(cond['message']) ?? '', observedGeneration: num(cond['observedGeneration']) },
  };
}

function poolSpecOf(v: unknown): PoolSpec {
  const spec = rec(v);
  const blocks = list(spec['blocks']).map(rec).flatMap((b): PoolSpec['blocks'] => {
    const cidr = str(b['cidr']);
    const start = str(b['start']);
    const stop = str(b['stop']);
    if (cidr !== undefined) return [{ cidr }];
    if (start !== undefined) return [stop === undefined ? { start } : { start, stop }];
    return [];
  });
  const out: PoolSpec = { blocks };
  const allow = spec['allowFirstLastIPs'];
  if (allow === 'Yes' || allow === 'No') out.allowFirstLastIPs = allow;
  if (spec['disabled'] === true) out.disabled = true;
  if (isRecord(spec['serviceSelector'])) {
    const sel = spec['serviceSelector'];
    out.serviceSelector = {
      ...(sel['matchLabels'] === undefined ? {} : { matchLabels: strings(sel['matchLabels']) }),
      ...(sel['matchExpressions'] === undefined
        ? {}
        : {
            matchExpressions: list(sel['matchExpressions']).map(rec).map((e) => ({ key: str(e['key']) ?? '', operator: str(e['operator']) ?? '', values: list(e['values']).filter((x): x is string => typeof x === 'string') })),
          }),
    };
  }
  return out;
}

/** An IPPool object: its state (with the last valid spec the caller knows) and its status as written. */
export function poolStateOf(o: unknown, lastValid: PoolSpec | null | undefined): { state: PoolState; status: PoolStatusObs | undefined } | undefined {
  if (!isRecord(o)) return undefined;
  const meta = rec(o['metadata']);
  const name = str(meta['name']);
  const uid = str(meta['uid']);
  if (name === undefined || uid === undefined) return undefined;
  const spec = poolSpecOf(o['spec']);
  const st = o['status'];
  const status: PoolStatusObs | undefined = isRecord(st)
    ? {
        ipsTotal: str(st['ipsTotal']),
        ipsUsed: str(st['ipsUsed']),
        ipsReserved: str(st['ipsReserved']),
        ipsAvailable: str(st['ipsAvailable']),
        observedGeneration: num(st['observedGeneration']),
        conditions: list(st['conditions']).map(rec).map((c) => ({ type: str(c['type']) ?? '', status: str(c['status']) ?? '' })),
      }
    : undefined;
  return { state: { name, uid, createdAt: time(meta['creationTimestamp']), generation: num(meta['generation']) ?? 0, spec, lastValid: lastValid ?? null }, status };
}
