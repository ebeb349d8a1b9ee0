// Random operation sequences for the IPAM chaos runs (issue #14, "Chaos: IPAM"). Pure: a seed
// gives the same list of operations every time, so a failure is replayed with `--seed`; only the
// controller's timing (which edits land in one batch) differs between replays. Operations are
// plain JSON, so a minimal failing sequence can be pasted into a named regression test.
//
// The vocabulary is small on purpose: three pool names, six Service names, a handful of blocks
// in 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32 that overlap each other, and requested
// addresses that hit pools, reserved addresses, nothing, or nonsense. Small worlds collide often.
import type { PoolSpec, Selector } from './ipam-oracle.ts';

/** Lost status writes, or a watch that cannot be opened again for a while (with close-watches). */
export type FailTarget = 'service-status' | 'pool-status' | 'service-watch' | 'pool-watch';

export type Op =
  | { op: 'pool-create'; name: string; spec: PoolSpec }
  | { op: 'pool-replace'; name: string; spec: PoolSpec }
  | { op: 'pool-delete'; name: string }
  | { op: 'svc-create'; namespace: string; name: string; body: ServiceBody }
  | { op: 'svc-patch'; namespace: string; name: string; patch: JsonPatchObject; what: string }
  | { op: 'svc-delete'; namespace: string; name: string }
  /** Another controller writes the ingress of its own (foreign-class) Service. */
  | { op: 'foreign-status'; namespace: string; name: string; ip: string }
  | { op: 'stop' }
  | { op: 'start' }
  | { op: 'fail'; target: FailTarget; count: number; code: 500 | 429 }
  | { op: 'close-watches' }
  | { op: 'pause'; ms: number }
  /** Wait until the controller is at a fixed point, then check every invariant. */
  | { op: 'settle' };

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
export type JsonPatchObject = { [k: string]: Json };
export interface ServiceBody {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { [k: string]: Json };
}

export const NAMESPACES = ['apps', 'other'] as const;
export const POOL_NAMES = ['pa', 'pb', 'pc'] as const;
const SERVICE_SLOTS: readonly (readonly [string, string])[] = [
  ['apps', 's0'],
  ['apps', 's1'],
  ['apps', 's2'],
  ['apps', 's3'],
  ['other', 's0'],
  ['other', 's1'],
];
/** Node and API-server addresses the runner puts in the cluster (docs "Reserved addresses"). */
export const RESERVED = { nodeV4: '198.51.100.3', nodeV6: '2001:db8::3', apiServer: '203.0.113.250' } as const;
/** Where the "other controller" writes ingress on foreign-class Services (outside every pool). */
export const FOREIGN_PREFIX = '192.0.2.';
export const FOREIGN_CLASS = 'example.com/other';

type Block = PoolSpec['blocks'][number];
const V4_BLOCKS: readonly Block[] = [
  { cidr: '198.51.100.0/29' },
  { cidr: '198.51.100.4/30' },
  { cidr: '198.51.100.8/30' },
  { start: '198.51.100.6', stop: '198.51.100.9' },
  { start: '198.51.100.20' },
  { cidr: '198.51.100.16/28' },
  { cidr: '203.0.113.248/29' },
  { cidr: '203.0.113.0/31' },
];
const V6_BLOCKS: readonly Block[] = [{ cidr: '2001:db8::/126' }, { cidr: '2001:db8::4/126' }, { start: '2001:db8::1', stop: '2001:db8::5' }, { cidr: '2001:db8:1::/64' }, { cidr: '2001:db8::/127' }];
/** Host bits set, and start above stop: the controller must keep the last valid spec (docs rule 1). */
const BAD_BLOCKS: readonly Block[] = [{ cidr: '198.51.100.7/29' }, { start: '198.51.100.9', stop: '198.51.100.6' }];
const SELECTORS: readonly (Selector | undefined)[] = [
  undefined,
  undefined,
  undefined,
  undefined,
  { matchLabels: { tier: 'web' } },
  { matchLabels: { tier: 'db' } },
  { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'db'] }] },
  { matchLabels: { 'io.kubernetes.service.namespace': 'other' } },
  { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] },
];
const REQUESTS: readonly string[] = [
  '198.51.100.1',
  '198.51.100.5',
  '198.51.100.9',
  '198.51.100.17',
  RESERVED.nodeV4,
  RESERVED.apiServer,
  '198.51.100.100',
  '2001:db8::1',
  '198.51.100.2,2001:db8::2',
  'not-an-address',
  '198.51.100.1,198.51.100.2',
];
const PORTS: readonly (readonly [string, number])[] = [
  ['TCP', 80],
  ['TCP', 443],
  ['UDP', 53],
  ['TCP', 53],
];
const CLASSES: readonly (string | null)[] = [null, null, null, null, null, null, null, 'herald.dev/l2', 'herald.dev/bgp', FOREIGN_CLASS];

/** sfc32: small, fast, and good enough to pick operations; the seed is a 32-bit integer. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }
  next(): number {
    this.#a >>>= 0;
    this.#b >>>= 0;
    this.#c >>>= 0;
    this.#d >>>= 0;
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from an empty list');
    return xs[this.int(xs.length)] as T;
  }
  /** Picks a key by weight. */
  weighted<K extends string>(w: Readonly<Record<K, number>>): K {
    const entries = Object.entries(w) as [K, number][];
    let r = this.next() * entries.reduce((s, [, n]) => s + n, 0);
    for (const [k, n] of entries) if ((r -= n) < 0) return k;
    const last = entries[entries.length - 1];
    if (last === undefined) throw new Error('no weights');
    return last[0];
  }
}

/** What the generator believes about one Service, to propose edits the API server accepts. */
interface SvcModel {
  type: 'LoadBalancer' | 'ClusterIP';
  cls: string | null;
  fam0: 'IPv4' | 'IPv6';
  foreignWrites: number;
}

/** A first pool for everyone (one v4 and one v6 block, no selector), roomy or nearly full. */
function basePool(r: Rng): PoolSpec {
  const v4 = r.pick([{ cidr: '198.51.100.16/28' }, { cidr: '198.51.100.0/29' }, { cidr: '198.51.100.4/30' }, { cidr: '203.0.113.248/29' }]);
  return { blocks: [v4, r.pick([{ cidr: '2001:db8::/126' }, { cidr: '2001:db8:1::/64' }])] };
}

function poolSpec(r: Rng): PoolSpec {
  const blocks: Block[] = [];
  const n = 1 + (r.chance(0.35) ? 1 : 0);
  for (let i = 0; i < n; i++) blocks.push(r.chance(0.72) ? r.pick(V4_BLOCKS) : r.pick(V6_BLOCKS));
  if (r.chance(0.07)) blocks[0] = r.pick(BAD_BLOCKS);
  const spec: PoolSpec = { blocks: [...new Map(blocks.map((b) => [JSON.stringify(b), b])).values()] };
  if (r.chance(0.25)) spec.allowFirstLastIPs = r.chance(0.7) ? 'No' : 'Yes';
  if (r.chance(0.12)) spec.disabled = true;
  const sel = r.pick(SELECTORS);
  if (sel !== undefined) spec.serviceSelector = sel;
  return spec;
}

/** A small edit of a pool spec: one field at a time, the way people edit. */
function editPool(r: Rng, old: PoolSpec): PoolSpec {
  const spec: PoolSpec = structuredClone(old);
  switch (r.weighted({ disabled: 3, selector: 3, addBlock: 2, dropBlock: 2, allow: 1, bad: 1, whole: 2 })) {
    case 'disabled':
      spec.disabled = spec.disabled !== true;
      return spec;
    case 'selector': {
      const sel = r.pick(SELECTORS);
      if (sel === undefined) delete spec.serviceSelector;
      else spec.serviceSelector = sel;
      return spec;
    }
    case 'addBlock':
      spec.blocks = [...new Map([...spec.blocks, r.chance(0.7) ? r.pick(V4_BLOCKS) : r.pick(V6_BLOCKS)].map((b) => [JSON.stringify(b), b])).values()];
      return spec;
    case 'dropBlock':
      if (spec.blocks.length > 1) spec.blocks = spec.blocks.filter((_, i) => i !== r.int(spec.blocks.length));
      else spec.blocks = [r.chance(0.7) ? r.pick(V4_BLOCKS) : r.pick(V6_BLOCKS)];
      return spec;
    case 'allow':
      spec.allowFirstLastIPs = spec.allowFirstLastIPs === 'No' ? 'Yes' : 'No';
      return spec;
    case 'bad':
      spec.blocks = [r.pick(BAD_BLOCKS), ...spec.blocks.slice(1)];
      return spec;
    case 'whole':
      return poolSpec(r);
  }
}

/** Mostly the slot's own port, so Services with one sharing key can share; sometimes any, to clash. */
function portsJson(r: Rng, slot: number): Json[] {
  const own = PORTS[slot % PORTS.length] ?? ['TCP', 80];
  const chosen = [...new Set([r.chance(0.75) ? own : r.pick(PORTS), ...(r.chance(0.2) ? [r.pick(PORTS)] : [])])];
  // More than one port needs names (the API server's rule).
  return chosen.map(([protocol, port]): Json => (chosen.length > 1 ? { name: `${protocol.toLowerCase()}-${port}`, protocol, port } : { protocol, port }));
}

function newService(r: Rng, namespace: string, name: string, slot: number): { body: ServiceBody; model: SvcModel } {
  const type = r.chance(0.9) ? 'LoadBalancer' : 'ClusterIP';
  const cls = type === 'LoadBalancer' ? r.pick(CLASSES) : null;
  const family = r.weighted({ v4: 14, v6: 2, prefer: 3, require: 3 });
  const fam0 = family === 'v6' || (family === 'require' && r.chance(0.4)) ? 'IPv6' : 'IPv4';
  const spec: { [k: string]: Json } = { type, selector: { app: r.chance(0.8) ? 'x' : 'y' }, ports: portsJson(r, slot), ipFamilies: [fam0] };
  if (family === 'prefer') spec['ipFamilyPolicy'] = 'PreferDualStack';
  if (family === 'require') spec['ipFamilyPolicy'] = 'RequireDualStack';
  if (cls !== null) spec['loadBalancerClass'] = cls;
  if (type === 'LoadBalancer' && r.chance(0.12)) spec['externalTrafficPolicy'] = 'Local';
  if (r.chance(0.05)) spec['loadBalancerIP'] = r.pick(REQUESTS.filter((x) => !x.includes(',') && x !== 'not-an-address'));
  const labels: Record<string, string> = {};
  if (r.chance(0.4)) labels['tier'] = r.pick(['web', 'db']);
  const annotations: Record<string, string> = {};
  if (r.chance(0.7)) annotations['herald.dev/sharing-key'] = r.pick(['k1', 'k1', 'k1', 'k2']);
  if (r.chance(0.2)) annotations['herald.dev/sharing-cross-namespace'] = r.pick(['*', 'apps', 'other']);
  if (r.chance(0.1)) annotations['herald.dev/ips'] = r.pick(REQUESTS);
  return { body: { metadata: { name, namespace, labels, annotations }, spec }, model: { type, cls, fam0, foreignWrites: 0 } };
}

function editService(r: Rng, m: SvcModel, slot: number): { patch: JsonPatchObject; what: string } {
  const lb = m.type === 'LoadBalancer';
  const kinds = { labels: 4, key: 4, cross: 1, ips: 3, lbip: 1, ports: 3, etp: lb ? 2 : 0, selector: 1, policy: 2, toClusterIP: lb ? 2 : 0, toLB: lb ? 0 : 4 };
  const ann = (k: string, v: string | null): JsonPatchObject => ({ metadata: { annotations: { [k]: v } } });
  switch (r.weighted(kinds)) {
    case 'labels': {
      const v = r.pick(['web', 'db', null]);
      return { patch: { metadata: { labels: { tier: v } } }, what: `tier=${String(v)}` };
    }
    case 'key': {
      const v = r.pick(['k1', 'k2', null]);
      return { patch: ann('herald.dev/sharing-key', v), what: `sharing-key=${String(v)}` };
    }
    case 'cross': {
      const v = r.pick(['*', 'apps', 'other', null]);
      return { patch: ann('herald.dev/sharing-cross-namespace', v), what: `cross=${String(v)}` };
    }
    case 'ips': {
      const v = r.chance(0.35) ? null : r.pick(REQUESTS);
      return { patch: ann('herald.dev/ips', v), what: `ips=${String(v)}` };
    }
    case 'lbip': {
      const v = r.chance(0.4) ? null : r.pick(REQUESTS.filter((x) => !x.includes(',') && x !== 'not-an-address'));
      return { patch: { spec: { loadBalancerIP: v } }, what: `loadBalancerIP=${String(v)}` };
    }
    case 'ports': {
      const ports = portsJson(r, slot);
      return { patch: { spec: { ports } }, what: `ports=${JSON.stringify(ports)}` };
    }
    case 'etp': {
      const v = r.pick(['Local', 'Cluster']);
      return { patch: { spec: { externalTrafficPolicy: v } }, what: `etp=${v}` };
    }
    case 'selector': {
      const v = r.pick(['x', 'y']);
      return { patch: { spec: { selector: { app: v } } }, what: `selector app=${v}` };
    }
    case 'policy': {
      const v = r.pick(['SingleStack', 'PreferDualStack', 'RequireDualStack']);
      return { patch: { spec: { ipFamilyPolicy: v } }, what: `policy=${v}` };
    }
    case 'toClusterIP':
      m.type = 'ClusterIP';
      m.cls = null;
      return { patch: { spec: { type: 'ClusterIP' } }, what: 'type=ClusterIP' };
    case 'toLB': {
      m.type = 'LoadBalancer';
      m.cls = r.pick(CLASSES);
      return { patch: { spec: { type: 'LoadBalancer', loadBalancerClass: m.cls } }, what: `type=LoadBalancer class=${String(m.cls)}` };
    }
  }
}

function slotOf(namespace: string, name: string): number {
  return SERVICE_SLOTS.findIndex(([a, b]) => a === namespace && b === name);
}

/** One sequence of `length` operations for `seed`; the runner settles and checks at the end too. */
export function generateSequence(seed: number, length: number): Op[] {
  const r = new Rng(seed);
  const pools = new Map<string, PoolSpec>();
  const svcs = new Map<string, SvcModel>();
  let running = true;
  const ops: Op[] = [];
  while (ops.length < length) {
    const freePool = POOL_NAMES.filter((n) => !pools.has(n));
    const usedPools = POOL_NAMES.filter((n) => pools.has(n));
    const freeSvc = SERVICE_SLOTS.filter(([ns, n]) => !svcs.has(`${ns}/${n}`));
    const usedSvc = SERVICE_SLOTS.filter(([ns, n]) => svcs.has(`${ns}/${n}`));
    const foreign = usedSvc.filter(([ns, n]) => svcs.get(`${ns}/${n}`)?.cls === FOREIGN_CLASS && svcs.get(`${ns}/${n}`)?.type === 'LoadBalancer');
    const weights = {
      poolCreate: freePool.length === 0 ? 0 : ops.length === 0 ? 1000 : usedPools.length === 0 ? 25 : 6,
      poolEdit: usedPools.length > 0 ? 10 : 0,
      poolDelete: usedPools.length > 0 ? 2 : 0,
      svcCreate: freeSvc.length > 0 ? (ops.length < 4 ? 60 : 20) : 0,
      svcEdit: usedSvc.length > 0 ? 24 : 0,
      svcDelete: usedSvc.length > 0 ? 5 : 0,
      foreign: foreign.length > 0 ? 3 : 0,
      restart: running ? 4 : 30,
      fail: 6,
      closeWatches: 2,
      pause: 5,
      settle: running ? 9 : 0,
    };
    switch (r.weighted(weights)) {
      case 'poolCreate': {
        const name = r.pick(freePool);
        const spec = (ops.length === 0 || usedPools.length === 0) && r.chance(0.85) ? basePool(r) : poolSpec(r);
        pools.set(name, spec);
        ops.push({ op: 'pool-create', name, spec });
        break;
      }
      case 'poolEdit': {
        const name = r.pick(usedPools);
        const spec = editPool(r, pools.get(name) ?? { blocks: [] });
        pools.set(name, spec);
        ops.push({ op: 'pool-replace', name, spec });
        break;
      }
      case 'poolDelete': {
        const name = r.pick(usedPools);
        pools.delete(name);
        ops.push({ op: 'pool-delete', name });
        break;
      }
      case 'svcCreate': {
        const [namespace, name] = r.pick(freeSvc);
        const { body, model } = newService(r, namespace, name, slotOf(namespace, name));
        svcs.set(`${namespace}/${name}`, model);
        ops.push({ op: 'svc-create', namespace, name, body });
        break;
      }
      case 'svcEdit': {
        const [namespace, name] = r.pick(usedSvc);
        const m = svcs.get(`${namespace}/${name}`);
        if (m !== undefined) ops.push({ op: 'svc-patch', namespace, name, ...editService(r, m, slotOf(namespace, name)) });
        break;
      }
      case 'svcDelete': {
        const [namespace, name] = r.pick(usedSvc);
        svcs.delete(`${namespace}/${name}`);
        ops.push({ op: 'svc-delete', namespace, name });
        break;
      }
      case 'foreign': {
        const [namespace, name] = r.pick(foreign);
        const m = svcs.get(`${namespace}/${name}`);
        if (m !== undefined) ops.push({ op: 'foreign-status', namespace, name, ip: `${FOREIGN_PREFIX}${10 + m.foreignWrites++}` });
        break;
      }
      case 'restart':
        ops.push({ op: running ? 'stop' : 'start' });
        running = !running;
        break;
      case 'fail':
        ops.push({ op: 'fail', target: r.weighted({ 'service-status': 12, 'pool-status': 4, 'service-watch': 1, 'pool-watch': 1 }), count: 1 + r.int(3), code: r.chance(0.6) ? 500 : 429 });
        break;
      case 'closeWatches':
        ops.push({ op: 'close-watches' });
        break;
      case 'pause':
        ops.push({ op: 'pause', ms: r.pick([2, 10, 30]) });
        break;
      case 'settle':
        ops.push({ op: 'settle' });
        break;
    }
  }
  return ops;
}

/** One line per operation, for a failure report. */
export function describeOp(o: Op): string {
  switch (o.op) {
    case 'pool-create':
    case 'pool-replace':
      return `${o.op} ${o.name} ${JSON.stringify(o.spec)}`;
    case 'svc-create':
      return `svc-create ${o.namespace}/${o.name} ${JSON.stringify({ labels: o.body.metadata.labels, annotations: o.body.metadata.annotations })} ${JSON.stringify(o.body.spec)}`;
    case 'svc-patch':
      return `svc-patch ${o.namespace}/${o.name} ${o.what}`;
    case 'fail':
      return `fail ${o.target} x${o.count} ${o.code}`;
    default: {
      const { op, ...rest } = o;
      return [op, ...Object.values(rest).map(String)].join(' ');
    }
  }
}
