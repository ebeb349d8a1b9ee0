// Regression (issue #13): on a cluster without herald-system, `herald controller` logged
// "leader election request failed … HTTP-Code: 404" every 2 s, forever. Now a replica that does
// not lead backs off (retryPeriod doubling up to half the lease duration) and says each cause once, then
// at most once a minute; with an ApiHealth watching its client it leaves the saying to that.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { CoordinationV1Api, V1Lease } from '@kubernetes/client-node';
import { pino } from 'pino';
import { LeaderElector, retryDelay } from '../../src/kube/leader-election.ts';

const T = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

describe('retryDelay', () => {
  it('a leader keeps its period (it must renew in time); a standby doubles up to half the lease duration', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 50].map((f) => retryDelay(T, false, f)), [2_000, 2_000, 4_000, 7_500, 7_500, 7_500]);
    assert.deepEqual([0, 1, 5].map((f) => retryDelay(T, true, f)), [2_000, 2_000, 2_000]);
  });
});

const NOT_FOUND = JSON.stringify({ kind: 'Status', message: 'leases.coordination.k8s.io "herald-controller" not found', reason: 'NotFound', details: { name: 'herald-controller', kind: 'leases' }, code: 404 });
const NO_NAMESPACE = JSON.stringify({ kind: 'Status', message: 'namespaces "herald-system" not found', reason: 'NotFound', details: { name: 'herald-system', kind: 'namespaces' }, code: 404 });
/** client-node's ApiException as it reaches the elector. */
const apiException = (code: number, body: string): Error => Object.assign(new Error(`HTTP-Code: ${code}\nMessage: Unknown API Status Code!\nBody: ${body}`), { code, body, headers: {} });

function run(watched: boolean): Promise<{ lines: { level: number; msg: string; err?: string; failures?: number }[]; creates: number[] }> {
  const lines: { level: number; msg: string; err?: string; failures?: number }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const t of chunk.toString('utf8').split('\n')) if (t !== '') lines.push(JSON.parse(t) as (typeof lines)[number]);
      done();
    },
  });
  const creates: number[] = [];
  const start = performance.now();
  const api = {
    readNamespacedLease: () => Promise.reject(apiException(404, NOT_FOUND)),
    createNamespacedLease: (_p: { body: V1Lease }) => {
      creates.push(Math.round(performance.now() - start));
      return Promise.reject(apiException(404, NO_NAMESPACE));
    },
  } as unknown as CoordinationV1Api;
  const elector = new LeaderElector({
    api,
    namespace: 'herald-system',
    name: 'herald-controller',
    identity: 'me',
    timings: { leaseDurationMs: 400, renewDeadlineMs: 300, retryPeriodMs: 50 },
    log: pino({ level: 'debug' }, sink),
    onStartedLeading: () => assert.fail('cannot lead without a namespace'),
    onStoppedLeading: () => undefined,
    problems: { server: 'https://k:6443', rbacFile: 'deploy/controller-rbac.yaml', watched },
  });
  elector.start();
  return new Promise((resolve) =>
    setTimeout(() => {
      void elector.stop().then(() => resolve({ lines, creates }));
    }, 1_000),
  );
}

describe('LeaderElector on a cluster without its namespace', () => {
  it('backs off and says the cause once, in plain words', async () => {
    const { lines, creates } = await run(false);
    // t ≈ 0, 50, 150, 350, 550, 750, 950 ms: doubling from the retry period up to half the lease
    // duration (a fixed 50 ms period would have made 20 attempts in this second).
    assert.ok(creates.length >= 3 && creates.length <= 8, `attempts at ${creates.join(', ')} ms`);
    const gaps = creates.slice(1).map((t, i) => t - (creates[i] ?? 0));
    assert.ok((gaps.at(-1) ?? 0) >= 150, `the gaps grow: ${gaps.join(', ')} ms`);
    const warned = lines.filter((l) => l.level >= 40);
    assert.equal(warned.length, 1, warned.map((l) => l.err).join('\n'));
    assert.equal(warned[0]?.msg, 'leader election request failed');
    assert.equal(warned[0]?.err, 'namespace "herald-system" does not exist on the API server https://k:6443; create it with Herald\'s manifests, `kubectl apply -k deploy/`, or pass --namespace with the namespace Herald runs in');
    assert.ok(!lines.some((l) => JSON.stringify(l).includes('HTTP-Code')));
  });

  it('watched by an ApiHealth: only debug lines (ApiHealth says it once)', async () => {
    const { lines } = await run(true);
    assert.equal(lines.filter((l) => l.level >= 40).length, 0);
    assert.ok(lines.filter((l) => l.level === 20 && /namespace "herald-system" does not exist/.test(l.msg)).length >= 3);
  });
});
