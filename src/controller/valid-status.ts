// The Valid condition of a cluster-scoped Herald kind whose objects every speaker validates
// (L2AnnouncementPolicy, BGPPeer, BGPAnnouncementPolicy), written by the controller leader only,
// so each object has one status writer however many speakers parse it (docs/l2.md, docs/bgp.md).
// The verdict is the speakers' own parse; this file only writes it.
// Watch event → desiredValidStatus → merge patch of /status with a resourceVersion
// precondition → the watch brings our write back, which then needs nothing.
import { PatchStrategy } from '@kubernetes/client-node';
import type { KubernetesListObject, V1ObjectMeta } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeLink } from '../kube/client.ts';
import { apiStatus, errorMessage } from '../kube/client.ts';
import type { EventSink } from '../kube/events.ts';
import { watchResource } from '../kube/informer.ts';
import type { WatchedCache } from '../kube/informer.ts';
import type { Condition } from '../api/conditions.ts';
import { CONDITION_VALID } from '../api/names.ts';

/** An object of a validated kind, as read from the API. */
export interface ValidatedObject {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta;
  status?: { observedGeneration?: number; conditions?: Condition[] };
}

/** One kind: where it lives and how its objects are judged. */
export interface ValidatedKind<T extends ValidatedObject> {
  group: string;
  version: string;
  plural: string;
  kind: string;
  /** Log key naming an object of this kind ("policy", "peer"). */
  logKey: string;
  /** The fresh Valid condition for an object (the speakers' parse and condition text). */
  condition(obj: T, now: Date): Condition;
}

export interface ValidStatus {
  observedGeneration?: number;
  conditions: Condition[];
}

export interface ValidStatusWrite {
  name: string;
  uid: string | undefined;
  /** The version the decision was made on: the patch's precondition. */
  resourceVersion: string | undefined;
  status: ValidStatus;
  /** The new Valid condition, when it changed status, reason or message (worth an Event if False). */
  changed: Condition | null;
}

function same(a: Condition, b: Condition): boolean {
  return a.status === b.status && a.reason === b.reason && a.message === b.message && a.observedGeneration === b.observedGeneration;
}

/**
 * The status an object should have, or null when it already has it. Other conditions are kept
 * (a merge patch replaces the whole list); lastTransitionTime moves only when the status does.
 */
export function desiredValidStatus<T extends ValidatedObject>(obj: T, fresh: Condition): ValidStatusWrite | null {
  const generation = obj.metadata.generation;
  const prev = obj.status?.conditions ?? [];
  const old = prev.find((c) => c.type === CONDITION_VALID);
  const next: Condition = old !== undefined && old.status === fresh.status ? { ...fresh, lastTransitionTime: old.lastTransitionTime } : fresh;
  if (old !== undefined && same(old, next) && obj.status?.observedGeneration === generation) return null;
  const conditions = old === undefined ? [...prev, next] : prev.map((c) => (c === old ? next : c));
  const changed = old === undefined || old.status !== next.status || old.reason !== next.reason || old.message !== next.message ? next : null;
  return {
    name: obj.metadata.name ?? '',
    uid: obj.metadata.uid,
    resourceVersion: obj.metadata.resourceVersion,
    status: { ...(generation === undefined ? {} : { observedGeneration: generation }), conditions },
    changed,
  };
}

export interface ValidStatusOptions {
  clients: KubeLink;
  log: Logger;
  /** A Warning Event (reason `invalidReason`) when an object becomes invalid (or invalid in a new way). */
  events?: EventSink;
  onWriteError?: (verb: 'patch', resource: string) => void;
  /** Delay before deciding an object again after a failed or conflicting write. */
  retryMs?: number;
}

function isList<T>(v: unknown): v is KubernetesListObject<T & ValidatedObject> {
  return typeof v === 'object' && v !== null && 'items' in v && Array.isArray(v.items);
}

/** Watches one kind and keeps each object's Valid condition current. One per leader term. */
export class ValidStatusController<T extends ValidatedObject> {
  readonly #o: ValidStatusOptions;
  readonly #k: ValidatedKind<T>;
  readonly #invalidReason: string;
  readonly #dirty = new Set<string>();
  readonly #retries = new Set<NodeJS.Timeout>();
  #cache: WatchedCache<T> | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  /** `invalidReason`: the Event reason when an object turns invalid (InvalidPolicy, InvalidPeer). */
  constructor(o: ValidStatusOptions, kind: ValidatedKind<T>, invalidReason: string) {
    this.#o = o;
    this.#k = kind;
    this.#invalidReason = invalidReason;
  }

  start(): void {
    const { clients, log } = this.#o;
    const { group, version, plural, kind } = this.#k;
    this.#cache = watchResource<T>({
      kc: clients.kc,
      path: `/apis/${group}/${version}/${plural}`,
      list: async () => {
        const list = await clients.http.json({ method: 'GET', path: `/apis/${group}/${version}/${plural}` });
        if (!isList<T>(list)) throw new Error(`${kind} list has no items: is the ${group} CRD installed?`);
        return list;
      },
      log,
      onEvent: (event, o) => {
        const name = o.metadata.name ?? '';
        if (event === 'delete') this.#dirty.delete(name);
        else this.#mark(name);
      },
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#retries) clearTimeout(t);
    this.#retries.clear();
    await this.#cache?.stop();
    await this.#running;
  }

  /** Resolves when no write is in flight or queued (tests). */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  #mark(name: string): void {
    if (this.#stopped) return;
    this.#dirty.add(name);
    this.#kick();
  }

  #kick(): void {
    if (this.#running !== undefined || this.#stopped) return;
    this.#running = this.#drain()
      .catch((err: unknown) => this.#o.log.error({ err }, `${this.#k.logKey} status loop failed`))
      .finally(() => {
        this.#running = undefined;
        // A name marked after the loop's last look, before this callback ran.
        if (this.#dirty.size > 0) this.#kick();
      });
  }

  #retry(name: string): void {
    const t = setTimeout(() => {
      this.#retries.delete(t);
      this.#mark(name);
    }, this.#o.retryMs ?? 1_000);
    this.#retries.add(t);
  }

  /** One write at a time: these objects are few, and their edits rare. */
  async #drain(): Promise<void> {
    // Let the rest of a burst of watch events land first.
    await new Promise((r) => setImmediate(r));
    while (!this.#stopped) {
      const name = this.#dirty.values().next().value;
      if (name === undefined) return;
      this.#dirty.delete(name);
      const obj = this.#cache?.get(name);
      if (obj === undefined) continue;
      const now = new Date();
      const write = desiredValidStatus(obj, this.#k.condition(obj, now));
      if (write !== null) await this.#write(write);
    }
  }

  async #write(w: ValidStatusWrite): Promise<void> {
    const { group, version, plural, kind, logKey } = this.#k;
    // Only the status and the precondition: a 409 means the object moved under us, and the
    // newer object is decided again rather than overwritten.
    const body = { metadata: { resourceVersion: w.resourceVersion }, status: w.status };
    try {
      await this.#o.clients.http.send({ method: 'PATCH', path: `/apis/${group}/${version}/${plural}/${encodeURIComponent(w.name)}/status`, body: JSON.stringify(body), contentType: PatchStrategy.MergePatch });
    } catch (err) {
      const code = apiStatus(err);
      if (code === 404) return; // deleted meanwhile
      if (code !== 409) {
        this.#o.onWriteError?.('patch', `${plural}/status`);
        this.#o.log.warn({ [logKey]: w.name, code, err: errorMessage(err) }, `${logKey} status write failed; will retry`);
      }
      this.#retry(w.name);
      return;
    }
    if (w.changed?.status === 'False') {
      this.#o.events?.emit({ kind, apiVersion: `${group}/${version}`, name: w.name, uid: w.uid }, 'Warning', this.#invalidReason, w.changed.message);
    }
    if (w.changed !== null) this.#o.log.info({ [logKey]: w.name, valid: w.changed.status, reason: w.changed.reason }, `${logKey} status written`);
  }
}
