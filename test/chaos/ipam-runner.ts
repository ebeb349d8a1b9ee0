// Runs IPAM chaos sequences (ipam-model.ts) against Herald's real controller shell (IpamController,
// as `herald controller` starts it once leading) on an in-process stand-in (src/devapi), and
// checks the invariants (ipam-invariants.ts) whenever the controller has settled. One ChaosCluster
// is reused between sequences: everything is deleted and a fresh controller started, which costs
// a few milliseconds where a new stand-in costs tens.
//
// "Settled" is decided from outside the controller's internals: the last pass wrote nothing, and
// the snapshot it decided on has exactly the resourceVersions the API server lists now. Then no
// write is pending (a failed write marks its Service dirty before any later pass, so that pass
// would write again) and the next pass would decide the same (docs rule 8). Once the controller
// is idle the runner asks it for a full pass (IpamController.reconcileAll): the echo of its own
// writes brings none (issue #10).
import { pino } from 'pino';
import { IpamController } from '../../src/controller/controller.ts';
import { startDevApiServer } from '../../src/devapi/server.ts';
import type { DevApiServer } from '../../src/devapi/server.ts';
import { PooledKubeConfig } from '../../src/kube/client.ts';
import { makeClients } from '../../src/kube/api-clients.ts';
import { checkCheckpoint, coverage, COVERAGE } from './ipam-invariants.ts';
import type { Checkpoint, CoverageKey, PoolStatusObs, Violation, World } from './ipam-invariants.ts';
import { FOREIGN_PREFIX, NAMESPACES, RESERVED } from './ipam-model.ts';
import type { FailTarget, Op } from './ipam-model.ts';
import type { FailureMatch } from '../../src/devapi/faults.ts';
import { parseIp, readableSpec, specValid } from './ipam-oracle.ts';
import type { Ip, PoolState, SvcState } from './ipam-oracle.ts';
import { poolStateOf, serviceStateOf, isRecord } from './ipam-objects.ts';

const POOLS_PATH = '/apis/herald.dev/v1alpha1/ippools';
const CONDITION = 'herald.dev/IPAMRequestSatisfied';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface SequenceResult {
  ops: number;
  restarts: number;
  /** Failures the controller met on its status writes (its onWriteError hook), not merely armed. */
  lostWrites: number;
  /** Operations the API server refused (an edit the generator thought valid): counted, never a violation. */
  rejected: number;
  checkpoints: number;
  violations: SequenceViolation[];
  /** Summed over the checkpoints: what the invariants had to work on. */
  coverage: Record<CoverageKey, number>;
  ms: number;
}

/**
 * A violation at a settle point, and whether the known open problem explains it: the controller
 * started while a pool was invalid, so it never saw the pool's last valid spec (bench/README.md,
 * "Chaos: IPAM"; the todo regression test in ipam-chaos.test.ts).
 */
export type SequenceViolation = Violation & { step: number; known?: 'restart-invalid-pool' };

export interface ClusterOptions {
  /** Watch history of the stand-in; small values make closed watches relist (410 Gone). */
  historyLimit?: number;
  settleTimeoutMs?: number;
}

interface LastPass {
  fingerprint: string;
  writes: number;
}

/** Which objects exist at which resourceVersion: the informers' objects and the API's JSON alike. */
function fingerprint(services: readonly unknown[], pools: readonly unknown[]): string {
  const id = (kind: string, o: unknown): string => {
    const m = isRecord(o) && isRecord(o['metadata']) ? o['metadata'] : {};
    return `${kind}/${String(m['namespace'] ?? '')}/${String(m['name'] ?? '')}@${String(m['resourceVersion'] ?? '')}`;
  };
  return [...services.map((o) => id('s', o)), ...pools.map((o) => id('p', o))].sort().join(' ');
}

/** The requests each fault target fails: the controller's status writes, or its re-watches. */
const FAIL_MATCH: Record<FailTarget, FailureMatch> = {
  'service-status': { verb: 'patch', resource: 'services/status' },
  'pool-status': { verb: 'update', resource: 'ippools.herald.dev/status' },
  'service-watch': { verb: 'watch', resource: 'services' },
  'pool-watch': { verb: 'watch', resource: 'ippools.herald.dev' },
};

export const WORLD: World = {
  reserved: [RESERVED.nodeV4, RESERVED.nodeV6, RESERVED.apiServer].map((t) => parseIp(t)).filter((x): x is Ip => x !== null),
  foreignPrefix: FOREIGN_PREFIX,
};

export class ChaosCluster {
  readonly #dev: DevApiServer;
  readonly #settleTimeoutMs: number;
  #controller: IpamController | undefined;
  #last: LastPass | undefined;
  #pulse: () => void = () => {};
  #writeErrors = 0;

  private constructor(dev: DevApiServer, settleTimeoutMs: number) {
    this.#dev = dev;
    this.#settleTimeoutMs = settleTimeoutMs;
  }

  static async start(o: ClusterOptions = {}): Promise<ChaosCluster> {
    const dev = await startDevApiServer({ host: '127.0.0.1', port: 0, crdDirs: [], advertiseAddress: RESERVED.apiServer, historyLimit: o.historyLimit ?? 1000 });
    const c = new ChaosCluster(dev, o.settleTimeoutMs ?? 10_000);
    for (const name of NAMESPACES) await c.#must('POST', '/api/v1/namespaces', { metadata: { name } });
    const addresses = [{ type: 'InternalIP', address: RESERVED.nodeV4 }, { type: 'InternalIP', address: RESERVED.nodeV6 }];
    await c.#must('POST', '/api/v1/nodes', { metadata: { name: 'n1' }, status: { addresses } });
    await c.#must('PATCH', '/api/v1/nodes/n1/status', { status: { addresses } }, 'application/merge-patch+json');
    return c;
  }

  async close(): Promise<void> {
    await this.#controller?.stop();
    await this.#dev.close();
  }

  async #call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${this.#dev.url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': contentType }, body: body === undefined ? null : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // A non-JSON answer (an injected failure's plain text) stays text.
    }
    return { status: res.status, body: parsed };
  }

  async #must(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
    const r = await this.#call(method, path, body, contentType);
    if (r.status >= 300) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  async #startController(): Promise<void> {
    // What the new controller can know of each pool: its spec now, never an earlier valid one.
    // An invalid pool keeps what its readable blocks hold, disabled (docs/ipam.md rule 1).
    for (const [name, p] of this.#pools) {
      this.#validSeen.set(name, specValid(p.spec));
      if (!specValid(p.spec)) this.#pools.set(name, { ...p, lastValid: readableSpec(p.spec) });
    }
    const kc = new PooledKubeConfig();
    kc.loadFromString(this.#dev.kubeconfigYaml());
    const controller = new IpamController({
      clients: makeClients(kc),
      log: pino({ level: process.env['HERALD_TEST_LOG'] ?? 'silent' }),
      // Events are advice, not state, and no invariant reads them: they would only cost requests.
      events: { emit: () => {} },
      adapter: { defaultServiceIpam: 'pool', acceptAnnotations: new Set() },
      hooks: { onWriteError: () => void this.#writeErrors++ },
    });
    // Observe each pass from outside: what it decided on and how much it wrote (see the header).
    const reconciler = controller.reconciler;
    const pass = reconciler.pass.bind(reconciler);
    reconciler.pass = (snap, trigger, now) => {
      const result = pass(snap, trigger, now);
      this.#last = { fingerprint: fingerprint(snap.services, snap.pools), writes: result.serviceWrites.length + result.poolWrites.length };
      this.#pulse();
      return result;
    };
    this.#last = undefined;
    this.#controller = controller;
    await controller.start();
  }

  async #stopController(): Promise<void> {
    const c = this.#controller;
    this.#controller = undefined;
    await c?.stop();
  }

  /** Waits (briefly) until a running controller has decided on the pool's current version. */
  async #observed(pool: string): Promise<void> {
    const rv = this.#poolVersions.get(pool);
    const end = Date.now() + 2_000;
    while (this.#controller !== undefined && rv !== undefined && Date.now() < end) {
      // The stand-in's resourceVersions count up across all objects; the controller's own status
      // writes move the pool past the test's write, which it has then seen too.
      const seen = this.#last?.fingerprint.split(' ').find((x) => x.startsWith(`p//${pool}@`))?.split('@')[1];
      if (seen !== undefined && /^\d+$/.test(seen) && /^\d+$/.test(rv) && BigInt(seen) >= BigInt(rv)) return;
      await Promise.race([new Promise<void>((r) => (this.#pulse = r)), sleep(20)]);
    }
  }

  /** Deletes every Service and pool and starts a fresh controller: the next sequence starts from nothing. */
  async #reset(): Promise<void> {
    await this.#stopController();
    for (const match of Object.values(FAIL_MATCH)) this.#dev.faults.failNext(0, 500, match);
    for (const ns of NAMESPACES) await this.#must('DELETE', `/api/v1/namespaces/${ns}/services`);
    await this.#must('DELETE', POOLS_PATH);
    this.#writeErrors = 0;
    await this.#startController();
  }

  /** Waits for a fixed point; returns the checkpoint, or undefined after the deadline. */
  async #settle(): Promise<Checkpoint | undefined> {
    if (this.#controller === undefined) await this.#startController();
    const end = Date.now() + this.#settleTimeoutMs;
    while (Date.now() < end) {
      if (this.#last?.writes === 0) {
        const [svcList, poolList] = await Promise.all([this.#must('GET', '/api/v1/services'), this.#must('GET', POOLS_PATH)]);
        const services = itemsOf(svcList);
        const pools = itemsOf(poolList);
        const last = this.#last;
        const controller = this.#controller;
        if (last?.writes === 0 && controller !== undefined && last.fingerprint === fingerprint(services, pools)) return this.#checkpoint(services, pools, controller);
      }
      // The watch's echo of the controller's own status writes is not decided again (issue #10),
      // so no pass follows the last writes by itself: once the controller has nothing to do, a
      // full pass is asked for, and a fixed point is one it keeps (writes nothing) on a snapshot
      // equal to what the API server lists. That is stronger than the pass over changed Services
      // the echoes used to bring.
      const idle = this.#controller?.idle === true;
      await Promise.race([new Promise<void>((r) => (this.#pulse = r)), sleep(20)]);
      if (idle && this.#controller?.idle === true) this.#controller.reconcileAll();
    }
    return undefined;
  }

  #checkpoint(services: readonly unknown[], pools: readonly unknown[], controller: IpamController): Checkpoint {
    const svcStates = services.flatMap((o) => serviceStateOf(o, CONDITION) ?? []).filter((s) => (NAMESPACES as readonly string[]).includes(s.namespace));
    const poolStates: PoolState[] = [];
    const poolStatus = new Map<string, PoolStatusObs | undefined>();
    for (const o of pools) {
      const p = poolStateOf(o, this.#pools.get(poolName(o))?.lastValid);
      if (p === undefined) continue;
      poolStates.push(p.state);
      poolStatus.set(p.state.name, p.status);
    }
    const r = controller.reconciler;
    const ips = new Map(svcStates.map((s) => [s.key, r.allocator.ipsOf(s.key)]));
    const outcomes = new Map([...r.outcomes()].map(([k, v]) => [k, { satisfied: v.satisfied, reason: v.reason }]));
    return { services: svcStates, pools: poolStates, poolStatus, controller: { ips, outcomes } };
  }

  /** Pools as the test wrote them (with their last valid spec, which the API server cannot say). */
  #pools = new Map<string, PoolState>();

  /** Pool name → the running controller has seen a valid spec of this pool object. */
  #validSeen = new Map<string, boolean>();

  /** True when a pool is invalid now and the controller never saw the valid spec it should keep using. */
  #unknownLastValid(): boolean {
    return [...this.#pools].some(([name, p]) => !specValid(p.spec) && p.lastValid !== null && this.#validSeen.get(name) !== true);
  }

  /** Pool name → resourceVersion of the test's last write. */
  #poolVersions = new Map<string, string>();

  #trackPool(obj: unknown, previous: PoolState | undefined): void {
    const p = poolStateOf(obj, undefined)?.state;
    if (p === undefined) return;
    const meta = isRecord(obj) ? obj['metadata'] : undefined;
    if (isRecord(meta) && typeof meta['resourceVersion'] === 'string') this.#poolVersions.set(p.name, meta['resourceVersion']);
    const keep = previous?.uid === p.uid ? previous.lastValid : null;
    this.#pools.set(p.name, { ...p, lastValid: specValid(p.spec) ? p.spec : keep });
    // A running controller sees every valid spec before it is broken (pool-replace waits for it).
    const seen = previous?.uid === p.uid && this.#validSeen.get(p.name) === true;
    this.#validSeen.set(p.name, seen || (this.#controller !== undefined && specValid(p.spec)));
  }

  async runSequence(ops: readonly Op[]): Promise<SequenceResult> {
    const t0 = performance.now();
    await this.#reset();
    this.#pools = new Map();
    this.#validSeen = new Map();
    const res: SequenceResult = { ops: ops.length, restarts: 0, lostWrites: 0, rejected: 0, checkpoints: 0, violations: [], coverage: Object.fromEntries(COVERAGE.map((k) => [k, 0])) as Record<CoverageKey, number>, ms: 0 };
    let previous: Checkpoint | null = null;
    let versions = new Map<string, SvcState[]>();
    let poolSets: PoolState[][] = [[]];
    let restarted = false;
    const noteService = (body: unknown): void => {
      const s = serviceStateOf(body, CONDITION);
      if (s !== undefined) versions.set(s.uid, [...(versions.get(s.uid) ?? []), s]);
    };
    const notePools = (): void => void poolSets.push([...this.#pools.values()]);
    const check = async (step: number): Promise<boolean> => {
      const cp = await this.#settle();
      if (cp === undefined) {
        res.violations.push({ step, invariant: 'settle', detail: `no fixed point within ${this.#settleTimeoutMs} ms (last pass ${JSON.stringify({ writes: this.#last?.writes })})` });
        return false;
      }
      poolSets.push(cp.pools.map((p) => ({ ...p })));
      const iv = { previous, versions, poolSets, restarted };
      const known = this.#unknownLastValid() ? { known: 'restart-invalid-pool' as const } : {};
      for (const v of checkCheckpoint(cp, iv, WORLD)) res.violations.push({ step, ...v, ...known });
      for (const [k, n] of Object.entries(coverage(cp, iv)) as [CoverageKey, number][]) res.coverage[k] += n;
      res.checkpoints++;
      previous = cp;
      versions = new Map(cp.services.map((s) => [s.uid, [s]]));
      poolSets = [cp.pools.map((p) => ({ ...p }))];
      restarted = false;
      return true;
    };
    const answered = (status: number, body: unknown, onOk: (b: unknown) => void): void => {
      if (status < 300) onOk(body);
      else res.rejected++;
    };
    for (const [step, op] of ops.entries()) {
      switch (op.op) {
        case 'pool-create': {
          const r = await this.#call('POST', POOLS_PATH, { apiVersion: 'herald.dev/v1alpha1', kind: 'IPPool', metadata: { name: op.name }, spec: op.spec });
          answered(r.status, r.body, (b) => (this.#trackPool(b, undefined), notePools()));
          break;
        }
        case 'pool-replace': {
          // "The last valid spec" is the last one the controller saw: an informer may skip a
          // version, and a valid edit followed at once by a broken one would leave Herald on the
          // spec before. So a running controller is let see the valid spec before it is broken.
          const before = this.#pools.get(op.name);
          if (before !== undefined && specValid(before.spec) && !specValid(op.spec)) await this.#observed(op.name);
          const r = await this.#call('PATCH', `${POOLS_PATH}/${op.name}`, [{ op: 'replace', path: '/spec', value: op.spec }], 'application/json-patch+json');
          answered(r.status, r.body, (b) => (this.#trackPool(b, this.#pools.get(op.name)), notePools()));
          break;
        }
        case 'pool-delete': {
          const r = await this.#call('DELETE', `${POOLS_PATH}/${op.name}`);
          answered(r.status, r.body, () => (this.#pools.delete(op.name), this.#validSeen.delete(op.name), notePools()));
          break;
        }
        case 'svc-create': {
          const r = await this.#call('POST', `/api/v1/namespaces/${op.namespace}/services`, op.body);
          answered(r.status, r.body, noteService);
          break;
        }
        case 'svc-patch': {
          const r = await this.#call('PATCH', `/api/v1/namespaces/${op.namespace}/services/${op.name}`, op.patch, 'application/merge-patch+json');
          answered(r.status, r.body, noteService);
          break;
        }
        case 'svc-delete': {
          const r = await this.#call('DELETE', `/api/v1/namespaces/${op.namespace}/services/${op.name}`);
          answered(r.status, r.body, () => {});
          break;
        }
        case 'foreign-status': {
          const patch = { status: { loadBalancer: { ingress: [{ ip: op.ip, ipMode: 'VIP' }] } } };
          const r = await this.#call('PATCH', `/api/v1/namespaces/${op.namespace}/services/${op.name}/status`, patch, 'application/merge-patch+json');
          answered(r.status, r.body, () => {});
          break;
        }
        case 'stop':
          if (this.#controller !== undefined) {
            res.restarts++;
            restarted = true;
            await this.#stopController();
          }
          break;
        case 'start':
          if (this.#controller === undefined) await this.#startController();
          break;
        case 'fail':
          this.#dev.faults.failNext(op.count, op.code, FAIL_MATCH[op.target]);
          break;
        case 'close-watches':
          this.#dev.faults.closeWatches();
          break;
        case 'pause':
          await sleep(op.ms);
          break;
        case 'settle':
          if (!(await check(step))) return this.#finish(res, t0);
          break;
      }
    }
    await check(ops.length);
    return this.#finish(res, t0);
  }

  #finish(res: SequenceResult, t0: number): SequenceResult {
    res.lostWrites = this.#writeErrors;
    res.ms = performance.now() - t0;
    return res;
  }
}

function itemsOf(list: unknown): unknown[] {
  return isRecord(list) && Array.isArray(list['items']) ? list['items'] : [];
}

function poolName(o: unknown): string {
  const m = isRecord(o) ? o['metadata'] : undefined;
  return isRecord(m) && typeof m['name'] === 'string' ? m['name'] : '';
}
