// One reconcile pass: from a snapshot of the cluster to the writes and Events that would make
// the API server agree with the allocator. No I/O here: the controller applies the result.
import type { V1EndpointSlice, V1Node, V1Service, V1ServiceStatus } from '@kubernetes/client-node';
import { Allocator } from '../ipam/allocator.ts';
import type { AdapterOptions, ServiceIntent } from '../api/service.ts';
import { classifyService, ingressIPs } from '../api/service.ts';
import { poolView } from '../ipam/k8s-adapter.ts';
import { readableBlocks } from '../ipam/blocks.ts';
import { reservedAddresses } from '../api/nodes.ts';
import { nodeIpamAddresses } from '../ipam/node-ipam.ts';
import type { Decision, PoolView } from '../ipam/types.ts';
import type { PoolStatusView } from '../api/ippool.ts';
import type { ServiceView } from '../api/service.ts';
import type { IPPoolStatus } from '../api/ippool.ts';
import type { IPPool } from '../api/generated/ippools.ts';
import type { EventType } from '../kube/events.ts';
import { clearedServiceStatus, desiredServiceStatus, heraldCondition, withoutHeraldCondition } from './service-status.ts';
import type { Outcome } from './service-status.ts';
import { desiredPoolStatus } from './pool-status.ts';

export interface Snapshot {
  services: readonly V1Service[];
  nodes: readonly V1Node[];
  pools: readonly IPPool[];
  /** Pools that failed the shape check (name → why); they allocate nothing. */
  malformedPools: ReadonlyMap<string, string>;
  slices: readonly V1EndpointSlice[];
}

export interface Trigger {
  /** Everything: start-up, or after a pool or reserved-address change (found by the pass itself too). */
  all: boolean;
  /** Service keys that changed. */
  keys: ReadonlySet<string>;
  /** Nodes or EndpointSlices changed: node-IPAM Services must be looked at again. */
  topology: boolean;
}

export interface ServiceWrite {
  key: string;
  service: V1Service;
  status: V1ServiceStatus;
}

export interface PoolWrite {
  pool: IPPool;
  status: IPPoolStatus;
}

export interface EventIntent {
  kind: 'Service' | 'IPPool';
  namespace?: string;
  name: string;
  uid?: string;
  type: EventType;
  reason: 'IPAllocated' | 'IPReleased' | 'AllocationFailed' | 'PoolConflict' | 'InvalidPool';
  message: string;
}

export interface PassResult {
  serviceWrites: ServiceWrite[];
  poolWrites: PoolWrite[];
  events: EventIntent[];
  satisfied: number;
  unsatisfied: number;
  allocations: { pool: string }[];
  releases: { reason: string }[];
  /** Every pool's counts after the pass (metrics follow the whole set, not only changed pools). */
  poolStatuses: PoolStatusView[];
  /** Services decided: the changed ones, those sharing an address with them, and those still waiting. */
  decided: number;
}

const API_SERVER_SLICE_LABEL = 'kubernetes.io/service-name';

export class IpamReconciler {
  readonly allocator = new Allocator();
  readonly #opts: AdapterOptions;
  #poolsSig = '';
  #reservedSig = '';
  #poolErrors = new Map<string, string>();
  /** Pool name → the last valid spec of that very object (its uid): see #setPools. */
  readonly #lastGoodPools = new Map<string, { uid: string; view: PoolView }>();
  /** Pools invalid at this controller's first pass: name → that object's uid and its readable spec, disabled (see #setPools). */
  readonly #invalidAtStart = new Map<string, { uid: string; view: PoolView | null }>();
  #poolsSeen = false;
  /** Outcome per Herald Service, for metrics and to retry the unsatisfied ones. */
  readonly #outcomes = new Map<string, Outcome>();
  readonly #nodeIpamKeys = new Set<string>();
  /** Service key → uid of the object last seen under it: the allocator knows Services by key only. */
  readonly #uids = new Map<string, string>();

  constructor(opts: AdapterOptions) {
    this.#opts = opts;
  }

  pass(snap: Snapshot, trigger: Trigger, now: Date): PassResult {
    const res: PassResult = { serviceWrites: [], poolWrites: [], events: [], satisfied: 0, unsatisfied: 0, allocations: [], releases: [], poolStatuses: [], decided: 0 };
    const byKey = new Map<string, V1Service>();
    for (const s of snap.services) byKey.set(`${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`, s);

    const all = this.#refreshInputs(snap) || trigger.all;
    const keys = new Set<string>(all ? [...byKey.keys(), ...this.allocator.heldKeys(), ...this.#outcomes.keys()] : trigger.keys);
    // A Service deleted and created again under its name, both seen in one batch, is a new object:
    // the old one's addresses go (rule 7, ServiceGone) and the new one starts from its own status,
    // never inheriting an address no pool would give it (issue #14, IPAM chaos seed 433).
    for (const [key, svc] of byKey) {
      const uid = svc.metadata?.uid ?? '';
      const known = this.#uids.get(key);
      if (known !== undefined && known !== uid) {
        this.#forget(res, key);
        keys.add(key);
      }
      this.#uids.set(key, uid);
    }
    for (const key of this.#uids.keys()) if (!byKey.has(key)) this.#uids.delete(key);
    if (trigger.topology) for (const k of this.#nodeIpamKeys) keys.add(k);
    // An edit can make a Service incompatible with those it shares an address with: they are
    // decided again in the same batch, so both sides show IncompatibleSharing (or Satisfied again).
    for (const key of [...keys]) for (const ip of this.allocator.ipsOf(key)) for (const h of this.allocator.holdersOf(ip)) keys.add(h);

    const poolViews: ServiceView[] = [];
    for (const key of keys) {
      const svc = byKey.get(key);
      const intent: ServiceIntent = svc === undefined ? { kind: 'ignored', key, why: 'NotLoadBalancer' } : classifyService(svc, this.#opts);
      if (intent.kind !== 'node') this.#nodeIpamKeys.delete(key);
      switch (intent.kind) {
        case 'pool':
          poolViews.push(intent.view);
          break;
        case 'node':
          this.#nodeIpamKeys.add(key);
          if (svc !== undefined) this.#nodeIpam(res, svc, intent.view, snap, now);
          break;
        case 'invalid':
          // A malformed request goes to the allocator, which gives nothing new but keeps (or, after
          // a restart, imports) what the Service holds by the usual rules: answering from memory
          // lost the address at a restart and kept it past its pool (issue #14, IPAM chaos).
          if (intent.view !== undefined) {
            poolViews.push(intent.view);
            break;
          }
          // Bad input never costs the Service what it holds: keep its addresses, report the problem.
          if (svc !== undefined) this.#apply(res, svc, { ips: intent.ipam === 'pool' ? this.allocator.ipsOf(key) : ingressIPs(svc), satisfied: false, reason: 'InvalidRequest', message: intent.message }, now);
          break;
        case 'ignored': {
          this.#forget(res, key);
          // Only a Service we wrote to (our condition is there) is cleaned. A foreign class is
          // otherwise never written; if Herald missed the non-LoadBalancer state on the way to
          // that class (a restart, or both edits in one batch), its stale condition is taken back.
          if (svc !== undefined) {
            const status = intent.why === 'ForeignClass' ? withoutHeraldCondition(svc) : clearedServiceStatus(svc);
            if (status !== null) res.serviceWrites.push({ key, service: svc, status });
          }
          break;
        }
      }
    }
    this.#reconcilePool(res, poolViews, byKey, now);
    // Services still waiting are asked again on every pass: a release, a pool edit, or an edit
    // of a would-be sharer may each be what they wait for, and asking costs no API request.
    const waiting = [...this.#outcomes].filter(([k, o]) => !o.satisfied && !keys.has(k) && !this.#nodeIpamKeys.has(k));
    const views = waiting.flatMap(([k]) => {
      const svc = byKey.get(k);
      const intent = svc === undefined ? undefined : classifyService(svc, this.#opts);
      return intent?.kind === 'pool' ? [intent.view] : [];
    });
    this.#reconcilePool(res, views, byKey, now);
    res.decided = keys.size + views.length;
    this.#poolStatuses(res, snap, now);
    res.poolStatuses = this.allocator.poolStatuses();
    for (const o of this.#outcomes.values()) o.satisfied ? res.satisfied++ : res.unsatisfied++;
    return res;
  }

  /** Pools and reserved addresses into the allocator; true when either changed. */
  #refreshInputs(snap: Snapshot): boolean {
    const views: PoolView[] = snap.pools.map((p) => poolView(p)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const uids = new Map(snap.pools.map((p) => [p.metadata.name ?? '', p.metadata.uid ?? '']));
    const poolsSig = JSON.stringify([views, [...uids].sort(), [...snap.malformedPools]]);
    const apiSlices = snap.slices.filter((s) => s.metadata?.namespace === 'default' && s.metadata.labels?.[API_SERVER_SLICE_LABEL] === 'kubernetes');
    const reserved = reservedAddresses(snap.nodes, apiSlices);
    const reservedSig = JSON.stringify([...reserved].sort());
    let changed = false;
    if (poolsSig !== this.#poolsSig) {
      this.#poolsSig = poolsSig;
      this.#setPools(views, snap.malformedPools, uids);
      changed = true;
    }
    if (reservedSig !== this.#reservedSig) {
      this.#reservedSig = reservedSig;
      this.allocator.setReserved(reserved);
      changed = true;
    }
    return changed;
  }

  /**
   * A pool edit with a mistake the schema cannot catch (say 192.0.2.1/24) must not move every
   * Service in the pool: an invalid pool falls back to its last valid spec, disabled — it keeps
   * what it gave, gives nothing new, and says Valid=False until fixed. Only the same object's
   * spec counts: a pool deleted and created again under its name (both seen in one pass) was
   * never valid and holds nothing (docs rule 1; issue #14, IPAM chaos).
   */
  #setPools(views: readonly PoolView[], malformed: ReadonlyMap<string, string>, uids: ReadonlyMap<string, string>): void {
    const wellFormed = views.filter((v) => !malformed.has(v.name));
    const errors = new Map(this.allocator.setPools(wellFormed));
    for (const [name, why] of malformed) errors.set(name, why);
    const effective = views.flatMap((v) => {
      if (!errors.has(v.name)) return [v];
      const good = this.#lastGoodPools.get(v.name);
      if (good !== undefined && good.uid === uids.get(v.name)) return [{ ...good.view, disabled: true }];
      // Invalid already when this controller started, so it never saw the last valid spec: keep
      // what Services hold in the pool's readable blocks, disabled, for as long as that object
      // stays invalid. A restart must not release them (issue #14, IPAM chaos). A pool first
      // seen invalid later was never valid to anyone and holds nothing (docs/ipam.md rule 1).
      // Read once, at the start: a later edit that is still invalid moves nothing either.
      const uid = uids.get(v.name) ?? '';
      if (!this.#poolsSeen) {
        const blocks = readableBlocks(v.blocks);
        this.#invalidAtStart.set(v.name, { uid, view: blocks.length === 0 ? null : { ...v, blocks, disabled: true } });
      }
      const kept = this.#invalidAtStart.get(v.name);
      return kept === undefined || kept.uid !== uid || kept.view === null ? [] : [kept.view];
    });
    if (errors.size > 0) this.allocator.setPools(effective);
    this.#poolsSeen = true;
    for (const v of views) if (!errors.has(v.name)) this.#lastGoodPools.set(v.name, { uid: uids.get(v.name) ?? '', view: v });
    for (const name of this.#invalidAtStart.keys()) if (!errors.has(name)) this.#invalidAtStart.delete(name);
    for (const name of this.#lastGoodPools.keys()) if (!views.some((v) => v.name === name)) this.#lastGoodPools.delete(name);
    this.#poolErrors = errors;
  }

  #forget(res: PassResult, key: string): void {
    this.#outcomes.delete(key);
    for (const r of this.allocator.release(key)) res.releases.push({ reason: r.reason });
  }

  #reconcilePool(res: PassResult, views: ServiceView[], byKey: ReadonlyMap<string, V1Service>, now: Date): void {
    if (views.length === 0) return;
    const decisions: Decision[] = this.allocator.reconcile(views);
    for (const d of decisions) {
      const svc = byKey.get(d.key);
      if (svc === undefined) continue;
      const target = { kind: 'Service' as const, namespace: svc.metadata?.namespace, name: svc.metadata?.name ?? '', uid: svc.metadata?.uid };
      for (const ip of d.allocated) {
        const pool = this.allocator.poolOf(ip) ?? '?';
        res.allocations.push({ pool });
        res.events.push({ ...target, type: 'Normal', reason: 'IPAllocated', message: `allocated ${ip} from pool "${pool}"` });
      }
      for (const r of d.released) {
        res.releases.push({ reason: r.reason });
        res.events.push({ ...target, type: 'Warning', reason: 'IPReleased', message: `released ${r.ip}: ${r.message}` });
      }
      this.#apply(res, svc, d, now);
    }
  }

  #nodeIpam(res: PassResult, svc: V1Service, view: Parameters<typeof nodeIpamAddresses>[0], snap: Snapshot, now: Date): void {
    const slices = snap.slices.filter((s) => s.metadata?.namespace === view.namespace && s.metadata.labels?.[API_SERVER_SLICE_LABEL] === view.name);
    const out = nodeIpamAddresses(view, snap.nodes, slices);
    const before = ingressIPs(svc);
    const target = { kind: 'Service' as const, namespace: view.namespace, name: view.name, uid: svc.metadata?.uid };
    const added = out.ips.filter((ip) => !before.includes(ip));
    const removed = before.filter((ip) => !out.ips.includes(ip));
    if (added.length > 0) res.events.push({ ...target, type: 'Normal', reason: 'IPAllocated', message: `node addresses ${added.join(', ')} assigned (node IPAM)` });
    if (removed.length > 0) res.events.push({ ...target, type: 'Normal', reason: 'IPReleased', message: `node addresses ${removed.join(', ')} no longer used (node IPAM)` });
    this.#apply(res, svc, out, now);
  }

  #apply(res: PassResult, svc: V1Service, outcome: Outcome, now: Date): void {
    const key = `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
    this.#outcomes.set(key, { ips: [...outcome.ips], satisfied: outcome.satisfied, reason: outcome.reason, message: outcome.message });
    const status = desiredServiceStatus(svc, outcome, now);
    if (status === null) return;
    const prev = heraldCondition(svc);
    // One AllocationFailed per new problem: a repeat of what the condition already says is quiet.
    if (!outcome.satisfied && (prev === undefined || prev.reason !== outcome.reason || prev.message !== outcome.message)) {
      res.events.push({ kind: 'Service', namespace: svc.metadata?.namespace, name: svc.metadata?.name ?? '', uid: svc.metadata?.uid, type: 'Warning', reason: 'AllocationFailed', message: `${outcome.reason}: ${outcome.message}` });
    }
    res.serviceWrites.push({ key, service: svc, status });
  }

  #poolStatuses(res: PassResult, snap: Snapshot, now: Date): void {
    for (const pool of snap.pools) {
      const name = pool.metadata.name ?? '';
      const view = this.allocator.poolStatus(name);
      const err = this.#poolErrors.get(name);
      const status = desiredPoolStatus(pool, view, err, now);
      if (status === null) continue;
      const wasConflicting = pool.status?.conditions?.some((c) => c.type === 'Conflict' && c.status === 'True') ?? false;
      if (view?.conflict.conflicting === true && !wasConflicting) {
        res.events.push({ kind: 'IPPool', name, uid: pool.metadata.uid, type: 'Warning', reason: 'PoolConflict', message: view.conflict.message });
      }
      const wasInvalid = pool.status?.conditions?.some((c) => c.type === 'Valid' && c.status === 'False') ?? false;
      if (err !== undefined && !wasInvalid) res.events.push({ kind: 'IPPool', name, uid: pool.metadata.uid, type: 'Warning', reason: 'InvalidPool', message: err });
      res.poolWrites.push({ pool, status });
    }
  }

  outcomes(): ReadonlyMap<string, Outcome> {
    return this.#outcomes;
  }
}
