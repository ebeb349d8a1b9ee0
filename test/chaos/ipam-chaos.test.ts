// IPAM chaos in the normal suite (issue #14): a smoke of 30 fixed-seed random sequences against
// the real controller on in-process stand-ins, every invariant checked (the full run of 10,000 is
// bench/chaos/ipam.ts), and the minimal sequences of the bugs those runs found, as named tests.
// The checker's own test (it catches what it promises) is ipam-checker.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { describeOp, generateSequence } from './ipam-model.ts';
import type { Op, ServiceBody } from './ipam-model.ts';
import { specValid } from './ipam-oracle.ts';
import { ChaosCluster } from './ipam-runner.ts';
import type { SequenceResult } from './ipam-runner.ts';

const LENGTH = 14;

/**
 * Whether a sequence (re)starts the controller while a pool is invalid after having been valid:
 * the known open problem (the todo regression test below), which the smoke leaves to that test.
 */
function meetsKnownProblem(ops: readonly Op[]): boolean {
  const pools = new Map<string, { valid: boolean; wasValid: boolean }>();
  const stuck = (): boolean => [...pools.values()].some((p) => !p.valid && p.wasValid);
  let running = true;
  for (const o of ops) {
    if (o.op === 'pool-create' || o.op === 'pool-replace') {
      const valid = specValid(o.spec);
      pools.set(o.name, { valid, wasValid: valid || (o.op === 'pool-replace' && pools.get(o.name)?.wasValid === true) });
    }
    if (o.op === 'pool-delete') pools.delete(o.name);
    if (o.op === 'stop') running = false;
    // A settle starts a stopped controller too.
    if ((o.op === 'start' || o.op === 'settle') && !running) {
      running = true;
      if (stuck()) return true;
    }
  }
  return !running && stuck();
}

/** The first 30 seeds from 1 on that stay clear of the known problem; each also ran in the full bench. */
const SMOKE_SEEDS = Array.from({ length: 60 }, (_, i) => i + 1).filter((seed) => !meetsKnownProblem(generateSequence(seed, LENGTH))).slice(0, 30);

function report(seed: number | string, ops: readonly Op[], r: SequenceResult): string {
  return [`sequence ${seed}:`, ...ops.map((o, i) => `  ${i} ${describeOp(o)}`), ...r.violations.map((v) => `  ! step ${v.step} [${v.invariant}] ${v.detail}`)].join('\n');
}

function service(name: string, over: Partial<ServiceBody['metadata']> = {}): Op {
  return { op: 'svc-create', namespace: 'apps', name, body: { metadata: { name, namespace: 'apps', ...over }, spec: { type: 'LoadBalancer', selector: { app: 'x' }, ports: [{ protocol: 'TCP', port: 80 }] } } };
}

const POOL: Op = { op: 'pool-create', name: 'pa', spec: { blocks: [{ cidr: '198.51.100.0/29' }] } };
const BAD_IPS: Op = { op: 'svc-patch', namespace: 'apps', name: 's0', patch: { metadata: { annotations: { 'herald.dev/ips': 'not-an-address' } } }, what: 'ips=not-an-address' };

describe('IPAM chaos (issue #14)', () => {
  const clusters: ChaosCluster[] = [];
  before(async () => {
    // Two stand-ins side by side (one with a short watch history, so closed watches relist):
    // sequences mostly wait on the controller's timers, so two halve the wall time.
    clusters.push(await ChaosCluster.start({ historyLimit: 1000 }), await ChaosCluster.start({ historyLimit: 40 }));
  });
  after(async () => {
    await Promise.all(clusters.map((c) => c.close()));
  });

  async function run(ops: readonly Op[], seed: number | string, cluster = clusters[0]): Promise<SequenceResult> {
    if (cluster === undefined) throw new Error('no cluster');
    const r = await cluster.runSequence(ops);
    assert.deepEqual(r.violations, [], report(seed, ops, r));
    return r;
  }

  it(`smoke: ${SMOKE_SEEDS.length} random sequences of ${LENGTH} operations, 0 invariant violations`, async () => {
    const queue = [...SMOKE_SEEDS];
    const totals = { checkpoints: 0, restarts: 0 };
    await Promise.all(
      clusters.map(async (c) => {
        for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
          const r = await run(generateSequence(seed, LENGTH), seed, c);
          totals.checkpoints += r.checkpoints;
          totals.restarts += r.restarts;
        }
      }),
    );
    // The smoke must have done something: settle points beyond the final ones, and restarts.
    assert.ok(totals.checkpoints > SMOKE_SEEDS.length, `only ${totals.checkpoints} settle points`);
    assert.ok(totals.restarts > 0, 'no controller restart in the smoke');
  });

  it('the same seed gives the same operations (a failure replays with --seed)', () => {
    assert.equal(SMOKE_SEEDS.length, 30);
    assert.deepEqual(generateSequence(4242, 30), generateSequence(4242, 30));
    assert.notDeepEqual(generateSequence(4242, 30), generateSequence(4243, 30));
  });

  it('regression: a Service with a malformed herald.dev/ips lost its address at a controller restart', async () => {
    // docs/ipam.md "Annotations": the Service keeps any address it already had; "a restart never
    // moves an address". The reconciler answered a malformed request from the allocator's memory,
    // which a new controller does not have, so the address was written away and free for others.
    await run([POOL, service('s0'), { op: 'settle' }, BAD_IPS, { op: 'settle' }, { op: 'stop' }, { op: 'start' }, { op: 'settle' }], 'malformed-restart');
  });

  it('regression: a Service with a malformed herald.dev/ips kept an address whose pool was deleted', async () => {
    // docs/ipam.md rule 3 (a): an address outside every pool is released (PoolRemoved), with or
    // without a valid request; the malformed request bypassed the allocator's keep rules.
    await run([POOL, service('s0'), { op: 'settle' }, BAD_IPS, { op: 'settle' }, { op: 'pool-delete', name: 'pa' }, { op: 'settle' }], 'malformed-pool-gone');
  });

  it('regression: a pool deleted and created again invalid, in one batch, inherited the old pool\'s last valid spec', async () => {
    // docs/ipam.md rule 1: "A pool that was never valid holds nothing". The controller kept the
    // last valid spec by pool name, so a new pool of the same name, invalid from the start, kept
    // the deleted pool's addresses in force (and counted its blocks in its status).
    // The pool watch is held off (closed, and its re-watch refused) so that both edits land together.
    const holdOff: Op[] = [{ op: 'fail', target: 'pool-watch', count: 2, code: 500 }, { op: 'close-watches' }];
    await run([POOL, service('s0'), { op: 'settle' }, ...holdOff, { op: 'pool-delete', name: 'pa' }, { op: 'pool-create', name: 'pa', spec: { blocks: [{ cidr: '198.51.100.7/29' }] } }, { op: 'settle' }], 'recreated-invalid-pool');
  });

  it('regression: a Service deleted and created again, in one batch, inherited the old object\'s address', async () => {
    // docs/ipam.md rule 7: a deleted Service frees its addresses; a new one gets an address from a
    // pool that selects it. The controller knew Services by namespace/name only, so a new object
    // under an old name kept the old one's address, outside every pool that selects it (seed 433).
    const pools: Op[] = [
      { op: 'pool-create', name: 'pa', spec: { blocks: [{ cidr: '198.51.100.0/29' }], serviceSelector: { matchLabels: { tier: 'web' } } } },
      { op: 'pool-create', name: 'pb', spec: { blocks: [{ cidr: '198.51.100.16/28' }] } },
    ];
    const holdOff: Op[] = [{ op: 'fail', target: 'service-watch', count: 2, code: 500 }, { op: 'close-watches' }];
    await run([...pools, service('s0', { labels: { tier: 'web' } }), { op: 'settle' }, ...holdOff, { op: 'svc-delete', namespace: 'apps', name: 's0' }, service('s0'), { op: 'settle' }], 'recreated-service');
  });

  it('regression: a controller restart while a pool is invalid released the pool\'s addresses', async () => {
    // docs/ipam.md rule 1: an invalid edit keeps the pool's last valid spec in force, disabled;
    // "a restart never moves an address". A new controller never saw the valid spec, so the pool
    // "was never valid" to it and every Service in it lost its address (PoolRemoved).
    await run([POOL, service('s0'), { op: 'settle' }, { op: 'pool-replace', name: 'pa', spec: { blocks: [{ cidr: '198.51.100.7/29' }] } }, { op: 'settle' }, { op: 'stop' }, { op: 'start' }, { op: 'settle' }], 'invalid-pool-restart');
  });
});
