// The object store: one global, monotonically increasing resourceVersion across all resources
// (like etcd's revision), buckets of objects in storage form, and a bounded event history that
// watches replay from. Every stored write is exactly one event, so history is contiguous.
import { child, clone, type JsonObject, nameOf, namespaceOf } from './json.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  rv: number;
  type: EventType;
  storage: string;
  object: JsonObject;
  /** The previous state, for MODIFIED and DELETED (label-selector transitions need it). */
  prev: JsonObject | undefined;
}

export type Listener = (e: StoreEvent) => void;

function keyOf(obj: JsonObject): string {
  return `${namespaceOf(obj)}/${nameOf(obj)}`;
}

export class ObjectStore {
  private rv: number;
  private readonly buckets = new Map<string, Map<string, JsonObject>>();
  /** Per bucket, its keys in list order; dropped when a key is added or removed. */
  private readonly sortedKeys = new Map<string, string[]>();
  private readonly history: StoreEvent[] = [];
  /** Every event with rv > historyStart is in `history`. */
  private historyStart: number;
  private readonly listeners = new Set<Listener>();
  private readonly historyLimit: number;

  constructor(historyLimit: number, startRV = 0) {
    this.historyLimit = Math.max(1, historyLimit);
    this.rv = startRV;
    this.historyStart = startRV;
  }

  currentRV(): number {
    return this.rv;
  }

  oldestReplayableRV(): number {
    return this.historyStart;
  }

  get(storage: string, namespace: string, name: string): JsonObject | undefined {
    return this.buckets.get(storage)?.get(`${namespace}/${name}`);
  }

  /**
   * Objects sorted by namespace then name, as etcd's key order lists them. The sorted keys are
   * kept per bucket until a key is added or removed: sorting on every call made each list and
   * each watch start O(n log n) with string splits in the comparator (bench/README.md, IPAM
   * Finding 4), and a fenced speaker re-lists the VIP Leases once per fence (bench/l2 Finding 6).
   */
  list(storage: string, namespace?: string): JsonObject[] {
    const b = this.buckets.get(storage);
    if (b === undefined) return [];
    let keys = this.sortedKeys.get(storage);
    if (keys === undefined) {
      keys = [...b.keys()].map((k) => ({ k, ns: k.slice(0, k.indexOf('/')), name: k.slice(k.indexOf('/') + 1) }))
        .sort((x, y) => (x.ns < y.ns ? -1 : x.ns > y.ns ? 1 : x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
        .map((e) => e.k);
      this.sortedKeys.set(storage, keys);
    }
    const out: JsonObject[] = [];
    for (const k of keys) {
      const o = b.get(k);
      if (o !== undefined && (namespace === undefined || namespaceOf(o) === namespace)) out.push(o);
    }
    return out;
  }

  storages(): string[] {
    return [...this.buckets.keys()];
  }

  create(storage: string, obj: JsonObject): JsonObject {
    return this.write(storage, 'ADDED', obj, undefined);
  }

  update(storage: string, obj: JsonObject, prev: JsonObject): JsonObject {
    return this.write(storage, 'MODIFIED', obj, prev);
  }

  /** Removes the object; the DELETED event carries its last state with a new resourceVersion. */
  remove(storage: string, last: JsonObject): JsonObject {
    const b = this.buckets.get(storage);
    if (b?.delete(keyOf(last)) === true) this.sortedKeys.delete(storage);
    const rv = ++this.rv;
    const object = clone(last);
    child(object, 'metadata')['resourceVersion'] = String(rv);
    this.emit({ rv, type: 'DELETED', storage, object, prev: last });
    return last;
  }

  private write(storage: string, type: EventType, obj: JsonObject, prev: JsonObject | undefined): JsonObject {
    const rv = ++this.rv;
    const stored = clone(obj);
    child(stored, 'metadata')['resourceVersion'] = String(rv);
    let b = this.buckets.get(storage);
    if (b === undefined) {
      b = new Map();
      this.buckets.set(storage, b);
    }
    const key = keyOf(stored);
    if (!b.has(key)) this.sortedKeys.delete(storage);
    b.set(key, stored);
    this.emit({ rv, type, storage, object: stored, prev });
    return stored;
  }

  private emit(e: StoreEvent): void {
    this.history.push(e);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift();
      if (dropped !== undefined) this.historyStart = dropped.rv;
    }
    for (const l of [...this.listeners]) l(e);
  }

  /** Events of `storage` after `rv`, or 'expired' when history no longer reaches back that far. */
  since(storage: string, rv: number): StoreEvent[] | 'expired' {
    if (rv < this.historyStart) return 'expired';
    return this.history.filter((e) => e.rv > rv && e.storage === storage);
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
