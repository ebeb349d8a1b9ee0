// The cluster IPs and node ports the stored Services hold, kept up to date from the store's
// events. Deriving them from every stored Service on each write (and parsing every address
// again) made creating n Services O(n²): the bench set-ups of 2,000 Services slowed from 8 s to
// 99 s per 2,000 as the store grew. Now a write costs what its own Service holds, and the lowest
// free address or port is found from a hint that only moves back when something is freed.
import ipaddr from 'ipaddr.js';
import { arrAt, isObject, strAt, type Json, type JsonObject } from './json.ts';
import type { StoreEvent } from './store.ts';

export type Family = 'IPv4' | 'IPv6';

export function canonicalIP(ip: string): string {
  return ipaddr.isValid(ip) ? ipaddr.parse(ip).toString() : ip;
}

/** What one Service holds. */
export interface Holding {
  uid: string | undefined;
  ips: string[];
  ports: number[];
}

export function numberOf(v: Json | undefined): number {
  return typeof v === 'number' ? v : 0;
}

export function holdingOf(svc: JsonObject): Holding {
  const ips: string[] = [];
  const ports: number[] = [];
  for (const ip of arrAt(svc, 'spec', 'clusterIPs') ?? []) if (typeof ip === 'string') ips.push(canonicalIP(ip));
  for (const p of arrAt(svc, 'spec', 'ports') ?? []) if (isObject(p) && numberOf(p['nodePort']) > 0) ports.push(numberOf(p['nodePort']));
  const spec = svc['spec'];
  const hc = isObject(spec) ? numberOf(spec['healthCheckNodePort']) : 0;
  if (hc > 0) ports.push(hc);
  return { uid: strAt(svc, 'metadata', 'uid'), ips, ports };
}

function bump<K>(m: Map<K, number>, k: K, by: 1 | -1): void {
  const n = (m.get(k) ?? 0) + by;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
}

/** Counts per address and per port over the stored Services (a count: a clash can be stored). */
export class ServiceUsage {
  readonly #byKey = new Map<string, Holding>();
  readonly #ips = new Map<string, number>();
  readonly #ports = new Map<number, number>();
  /** Lowest slot that may be free, per pool of slots ("IPv4", "IPv6", "ports"). */
  readonly #hint = new Map<string, number>();
  readonly #slotOf: (pool: string, value: string | number) => number | undefined;

  constructor(slotOf: (pool: string, value: string | number) => number | undefined) {
    this.#slotOf = slotOf;
  }

  /** Feed every store event (ObjectStore#subscribe); other storages are ignored. */
  onEvent(e: StoreEvent): void {
    if (e.storage !== 'services') return;
    const key = `${strAt(e.object, 'metadata', 'namespace') ?? ''}/${strAt(e.object, 'metadata', 'name') ?? ''}`;
    const old = this.#byKey.get(key);
    if (old !== undefined) this.#count(old, -1);
    if (e.type === 'DELETED') {
      this.#byKey.delete(key);
      return;
    }
    const now = holdingOf(e.object);
    this.#byKey.set(key, now);
    this.#count(now, 1);
  }

  #count(h: Holding, by: 1 | -1): void {
    for (const ip of h.ips) {
      bump(this.#ips, ip, by);
      if (by < 0 && !this.#ips.has(ip)) this.#freed(ip.includes(':') ? 'IPv6' : 'IPv4', ip);
    }
    for (const p of h.ports) {
      bump(this.#ports, p, by);
      if (by < 0 && !this.#ports.has(p)) this.#freed('ports', p);
    }
  }

  #freed(pool: string, value: string | number): void {
    const slot = this.#slotOf(pool, value);
    const hint = this.#hint.get(pool);
    if (slot !== undefined && hint !== undefined && slot < hint) this.#hint.set(pool, slot);
  }

  /** What is in use for a write of `self` (stored under `key`): everything but its own stored holding. */
  forWrite(key: string, selfUid: string | undefined): UsageView {
    const own = this.#byKey.get(key);
    const mine = own !== undefined && selfUid !== undefined && own.uid === selfUid ? own : undefined;
    return new UsageView(this, mine);
  }

  ipCount(ip: string): number {
    return this.#ips.get(ip) ?? 0;
  }

  portCount(port: number): number {
    return this.#ports.get(port) ?? 0;
  }

  hint(pool: string, min: number): number {
    return Math.max(min, this.#hint.get(pool) ?? min);
  }

  /** Every slot below `slot` was found in use by the store (not only by one write's view). */
  setHint(pool: string, slot: number): void {
    this.#hint.set(pool, slot);
  }
}

/** One write's view: the store's usage without the Service's own old holding, plus what it takes. */
export class UsageView {
  readonly #u: ServiceUsage;
  readonly #mine: Holding | undefined;
  readonly #takenIps = new Set<string>();
  readonly #takenPorts = new Set<number>();

  constructor(u: ServiceUsage, mine: Holding | undefined) {
    this.#u = u;
    this.#mine = mine;
  }

  hasIP(ip: string): boolean {
    if (this.#takenIps.has(ip)) return true;
    const own = this.#mine?.ips.filter((x) => x === ip).length ?? 0;
    return this.#u.ipCount(ip) - own > 0;
  }

  hasPort(port: number): boolean {
    if (this.#takenPorts.has(port)) return true;
    const own = this.#mine?.ports.filter((x) => x === port).length ?? 0;
    return this.#u.portCount(port) - own > 0;
  }

  /** The store holds it (whoever does, this Service's old self too): the hint may pass it. */
  storeHoldsIP(ip: string): boolean {
    return this.#u.ipCount(ip) > 0;
  }

  storeHoldsPort(port: number): boolean {
    return this.#u.portCount(port) > 0;
  }

  addIP(ip: string): void {
    this.#takenIps.add(ip);
  }

  addPort(port: number): void {
    this.#takenPorts.add(port);
  }

  /**
   * The lowest free slot from `min` to `max` by `free(slot)`. The store-wide hint first moves past
   * slots the store holds (a slot held only by this Service's old self is skipped too: which free
   * number an update gets is not specified, the real server picks at random).
   */
  lowest(pool: string, min: number, max: number, storeHolds: (slot: number) => boolean, free: (slot: number) => boolean): number | undefined {
    let n = this.#u.hint(pool, min);
    while (n <= max && storeHolds(n)) n++;
    this.#u.setHint(pool, n);
    for (; n <= max; n++) if (free(n)) return n;
    return undefined;
  }
}
