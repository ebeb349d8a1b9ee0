// The Valid condition of every L2AnnouncementPolicy, written by the controller leader only, so a
// policy has one status writer however many speakers validate it (docs/l2.md). The verdict is
// the speakers' own: parsePolicy and validCondition from src/speaker/policy.ts.
// Policy watch event → desiredPolicyStatus → merge patch of /status with a resourceVersion
// precondition → the watch brings our write back, which then needs nothing.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubernetesListObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClients } from '../kube/client.ts';
import { apiStatus, errorMessage } from '../kube/client.ts';
import type { EventSink } from '../kube/events.ts';
import { watchResource } from '../kube/informer.ts';
import type { WatchedCache } from '../kube/informer.ts';
import type { Condition } from '../kube/ippool-types.ts';
import { CONDITION_VALID, L2POLICY_GROUP, L2POLICY_KIND, L2POLICY_PLURAL, L2POLICY_VERSION, parsePolicy, validCondition } from '../speaker/policy.ts';
import type { L2AnnouncementPolicy } from '../speaker/policy.ts';

export interface PolicyStatus {
  observedGeneration?: number;
  conditions: Condition[];
}

export interface PolicyStatusWrite {
  name: string;
  uid: string | undefined;
  /** The version the decision was made on: the patch's precondition. */
  resourceVersion: string | undefined;
  status: PolicyStatus;
  /** The new Valid condition, when it changed status, reason or message (worth an Event if False). */
  changed: Condition | null;
}

function same(a: Condition, b: Condition): boolean {
  return a.status === b.status && a.reason === b.reason && a.message === b.message && a.observedGeneration === b.observedGeneration;
}

/**
 * The status a policy should have, or null when it already has it. Other conditions are kept
 * (a merge patch replaces the whole list); lastTransitionTime moves only when the status does.
 */
export function desiredPolicyStatus(policy: L2AnnouncementPolicy, now: Date): PolicyStatusWrite | null {
  const parsed = parsePolicy(policy);
  const generation = policy.metadata.generation;
  const prev = policy.status?.conditions ?? [];
  const old = prev.find((c) => c.type === CONDITION_VALID);
  const fresh = validCondition(parsed.ok ? null : parsed.error, generation, now);
  const next: Condition = old !== undefined && old.status === fresh.status ? { ...fresh, lastTransitionTime: old.lastTransitionTime } : fresh;
  if (old !== undefined && same(old, next) && policy.status?.observedGeneration === generation) return null;
  const conditions = old === undefined ? [...prev, next] : prev.map((c) => (c === old ? next : c));
  const changed = old === undefined || old.status !== next.status || old.reason !== next.reason || old.message !== next.message ? next : null;
  return {
    name: policy.metadata.name ?? '',
    uid: policy.metadata.uid,
    resourceVersion: policy.metadata.resourceVersion,
    status: { ...(generation === undefined ? {} : { observedGeneration: generation }), conditions },
    changed,
  };
}

export interface L2PolicyStatusOptions {
  clients: KubeClients;
  log: Logger;
  /** A Warning Event InvalidPolicy when a policy becomes invalid (or invalid in a new way). */
  events?: EventSink;
  onWriteError?: (verb: 'patch', resource: string) => void;
  /** Delay before deciding a policy again after a failed or conflicting write. */
  retryMs?: number;
}

function isPolicyList(v: unknown): v is KubernetesListObject<L2AnnouncementPolicy> {
  return typeof v === 'object' && v !== null && 'items' in v && Array.isArray(v.items);
}

/** Watches the policies and keeps each one's Valid condition current. One per leader term. */
export class L2PolicyStatusController {
  readonly #o: L2PolicyStatusOptions;
  readonly #dirty = new Set<string>();
  readonly #retries = new Set<NodeJS.Timeout>();
  #cache: WatchedCache<L2AnnouncementPolicy> | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(o: L2PolicyStatusOptions) {
    this.#o = o;
  }

  start(): void {
    const { clients, log } = this.#o;
    this.#cache = watchResource<L2AnnouncementPolicy>({
      kc: clients.kc,
      path: `/apis/${L2POLICY_GROUP}/${L2POLICY_VERSION}/${L2POLICY_PLURAL}`,
      list: async () => {
        const list: unknown = await clients.custom.listClusterCustomObject({ group: L2POLICY_GROUP, version: L2POLICY_VERSION, plural: L2POLICY_PLURAL });
        if (!isPolicyList(list)) throw new Error('L2AnnouncementPolicy list has no items: is the herald.dev CRD installed?');
        return list;
      },
      log,
      onEvent: (event, p) => {
        const name = p.metadata.name ?? '';
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
      .catch((err: unknown) => this.#o.log.error({ err }, 'policy status loop failed'))
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

  /** One write at a time: policies are few, and their edits rare. */
  async #drain(): Promise<void> {
    // Let the rest of a burst of watch events land first.
    await new Promise((r) => setImmediate(r));
    while (!this.#stopped) {
      const name = this.#dirty.values().next().value;
      if (name === undefined) return;
      this.#dirty.delete(name);
      const policy = this.#cache?.get(name);
      if (policy === undefined) continue;
      const write = desiredPolicyStatus(policy, new Date());
      if (write !== null) await this.#write(write);
    }
  }

  async #write(w: PolicyStatusWrite): Promise<void> {
    // Only the status and the precondition: a 409 means the policy moved under us, and the
    // newer object is decided again rather than overwritten.
    const body = { metadata: { resourceVersion: w.resourceVersion }, status: w.status };
    try {
      await this.#o.clients.custom.patchClusterCustomObjectStatus(
        { group: L2POLICY_GROUP, version: L2POLICY_VERSION, plural: L2POLICY_PLURAL, name: w.name, body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      const code = apiStatus(err);
      if (code === 404) return; // deleted meanwhile
      if (code !== 409) {
        this.#o.onWriteError?.('patch', `${L2POLICY_PLURAL}/status`);
        this.#o.log.warn({ policy: w.name, code, err: errorMessage(err) }, 'policy status write failed; will retry');
      }
      this.#retry(w.name);
      return;
    }
    if (w.changed?.status === 'False') {
      this.#o.events?.emit({ kind: L2POLICY_KIND, apiVersion: `${L2POLICY_GROUP}/${L2POLICY_VERSION}`, name: w.name, uid: w.uid }, 'Warning', 'InvalidPolicy', w.changed.message);
    }
    if (w.changed !== null) this.#o.log.info({ policy: w.name, valid: w.changed.status, reason: w.changed.reason }, 'policy status written');
  }
}
