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

  /** Objects sorted by namespace then name, as etcd's key order lists them. */
  list(storage: string, namespace?: string): JsonObject[] {
    const b = this.buckets.get(storage);
    if (b === undefined) return [];
    const keys = [...b.keys()].sort((x, y) => {
      const [nx = '', ax = ''] = x.split('/');
      const [ny = '', ay = ''] = y.split('/');
      return nx < ny ? -1 : nx > ny ? 1 : ax < ay ? -1 : ax > ay ? 1 : 0;
    });
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
    b?.delete(keyOf(last));
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
    b.set(keyOf(stored), stored);
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
