// The cold-start workload: IPPools and LoadBalancer Services, built deterministically, plus the
// check that a settled cluster is right (every Service satisfied, families as asked, no address
// held twice except by a sharing pair). Documentation ranges only (RFC 2544, RFC 3849).
//
// Spread: every Service carries a shard label 0..79. IPv4 pool v4-NN selects shard NN
// (matchLabels); IPv6 pool v6-NN selects shards 4·NN..4·NN+3 (matchExpressions In), so every
// pool serves Services and no two pools compete for one. Sharing pairs are two Services with the
// same key, namespace, shard and families, on different ports (docs/ipam.md, Sharing).
import type { V1Service } from '@kubernetes/client-node';
import type { IPPool } from '../../src/api/generated/ippools.ts';
import { HERALD_GROUP, HERALD_VERSION } from '../../src/api/names.ts';
import { ANN_SHARING_KEY } from '../../src/api/names.ts';
import { ipamState } from './observer.ts';
import type { StateOf } from './observer.ts';

export const SHARDS = 80;
export const SHARD_LABEL = 'bench.herald.dev/shard';
export const NAMESPACES = 10;

export type Mix = 'IPv4' | 'IPv6' | 'PreferDualStack';

/**
 * 198.18.0.0/16 is also the API-server stand-in's Service (cluster IP) range, which it fills
 * from the bottom; so the /22s come from 198.19.0.0/16 first (64 of them) and then from the top
 * quarter of 198.18.0.0/16 (16 more), far from any cluster IP the bench creates.
 */
export function v4Cidr(i: number): string {
  if (i < 64) return `198.19.${i * 4}.0/22`;
  if (i < 80) return `198.18.${192 + (i - 64) * 4}.0/22`;
  throw new RangeError(`at most 80 IPv4 /22 pools fit the documentation ranges used here, asked for #${i}`);
}

export function v6Cidr(j: number): string {
  return `2001:db8:0:${(j + 1).toString(16)}::/64`;
}

export function makePools(v4Pools: number, v6Pools: number): IPPool[] {
  const pools: IPPool[] = [];
  const meta = (name: string): IPPool['metadata'] => ({ name, labels: { 'app.kubernetes.io/part-of': 'herald-bench' } });
  for (let i = 0; i < v4Pools; i++) {
    pools.push({
      apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`,
      kind: 'IPPool',
      metadata: meta(`v4-${String(i).padStart(2, '0')}`),
      spec: { blocks: [{ cidr: v4Cidr(i) }], serviceSelector: { matchLabels: { [SHARD_LABEL]: String(i % SHARDS) } } },
    });
  }
  const perV6 = Math.ceil(SHARDS / Math.max(v6Pools, 1));
  for (let j = 0; j < v6Pools; j++) {
    const shards = Array.from({ length: perV6 }, (_, k) => j * perV6 + k).filter((s) => s < SHARDS);
    pools.push({
      apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`,
      kind: 'IPPool',
      metadata: meta(`v6-${String(j).padStart(2, '0')}`),
      spec: { blocks: [{ cidr: v6Cidr(j) }], serviceSelector: { matchExpressions: [{ key: SHARD_LABEL, operator: 'In', values: shards.map(String) }] } },
    });
  }
  return pools;
}

export interface PlannedService {
  body: V1Service;
  key: string;
  mix: Mix;
  sharingKey: string | undefined;
}

/**
 * Service i belongs to pair b = ⌊i/2⌋; namespace, shard and families follow b so that the two
 * halves of a sharing pair agree. Families: 60 % IPv4, 20 % IPv6, 20 % PreferDualStack, varied
 * so that every shard has all three ((b + ⌊b/80⌋) mod 20: within a shard, b steps by 80). Every 7th pair shares a key.
 */
export function planService(i: number): PlannedService {
  const b = Math.floor(i / 2);
  const r = (b + Math.floor(b / SHARDS)) % 20;
  const mix: Mix = r < 12 ? 'IPv4' : r < 16 ? 'IPv6' : 'PreferDualStack';
  const namespace = `bench-${b % NAMESPACES}`;
  const name = `svc-${String(i).padStart(5, '0')}`;
  const sharingKey = b % 7 === 0 ? `pair-${b}` : undefined;
  const spec: NonNullable<V1Service['spec']> = {
    type: 'LoadBalancer',
    selector: { app: sharingKey ?? name },
    ports: [{ name: 'p', port: i % 2 === 0 ? 80 : 443, protocol: 'TCP' }],
    // 10,000 LoadBalancer Services would exhaust the 2,768 node ports (30000-32767), as on a
    // real cluster; a bare-metal LB does not need them.
    allocateLoadBalancerNodePorts: false,
    ipFamilyPolicy: mix === 'PreferDualStack' ? 'PreferDualStack' : 'SingleStack',
    ipFamilies: mix === 'IPv6' ? ['IPv6'] : mix === 'IPv4' ? ['IPv4'] : ['IPv4', 'IPv6'],
  };
  const body: V1Service = {
    metadata: {
      name,
      namespace,
      labels: { [SHARD_LABEL]: String(b % SHARDS), app: sharingKey ?? name },
      annotations: sharingKey === undefined ? undefined : { [ANN_SHARING_KEY]: sharingKey },
    },
    spec,
  };
  return { body, key: `${namespace}/${name}`, mix, sharingKey };
}

export function namespacesOf(count: number): string[] {
  return Array.from({ length: Math.min(count, NAMESPACES) }, (_, k) => `bench-${k}`);
}

export interface Verification {
  checked: number;
  problems: string[];
  /** Satisfied condition reasons and the rest, for a run that did not settle. */
  reasons: Map<string, number>;
  distinctIPs: number;
}

/**
 * Checks the settled Services against the plan. At most 10 problems are spelled out. `stateOf`
 * says when a Service is served (Herald's IPAM condition unless given); `orderedFamilies` whether a
 * dual-stack Service's addresses must follow its ipFamilies (Herald's promise; MetalLB makes none).
 */
export function verifyServices(items: readonly V1Service[], plan: ReadonlyMap<string, PlannedService>, o: { stateOf?: StateOf; orderedFamilies?: boolean } = {}): Verification {
  const stateOf = o.stateOf ?? ipamState;
  const order = (fams: string[]): string => (o.orderedFamilies === false ? [...fams].sort() : fams).join(',');
  const problems: string[] = [];
  const reasons = new Map<string, number>();
  const holders = new Map<string, string[]>();
  let extra = 0;
  const note = (p: string): void => {
    if (problems.length < 10) problems.push(p);
    else extra++;
  };
  for (const s of items) {
    const key = `${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`;
    const planned = plan.get(key);
    if (planned === undefined) continue;
    const label = stateOf(s.status);
    reasons.set(label, (reasons.get(label) ?? 0) + 1);
    const ips = (s.status?.loadBalancer?.ingress ?? []).map((x) => x.ip ?? '');
    const fams = ips.map((ip) => (ip.includes(':') ? 'IPv6' : 'IPv4'));
    const want = planned.mix === 'PreferDualStack' ? ['IPv4', 'IPv6'] : [planned.mix];
    if (!label.startsWith('True/')) note(`${key}: ${label}`);
    else if (order(fams) !== order(want)) note(`${key}: wants ${want.join('+')}, holds ${ips.join(', ') || 'nothing'}`);
    for (const ip of ips) holders.set(ip, [...(holders.get(ip) ?? []), key]);
  }
  for (const [ip, keys] of holders) {
    if (keys.length === 1) continue;
    const sharingKeys = new Set(keys.map((k) => plan.get(k)?.sharingKey));
    if (keys.length > 2 || sharingKeys.size !== 1 || sharingKeys.has(undefined)) note(`${ip} is held by ${keys.join(', ')}, which may not share it`);
  }
  const missing = plan.size - items.filter((s) => plan.has(`${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`)).length;
  if (missing > 0) note(`${missing} planned Services are missing from the list`);
  if (extra > 0) problems.push(`… and ${extra} more`);
  return { checked: items.length, problems, reasons, distinctIPs: holders.size };
}
