// ApiHealth (issue #13, issue #8 point 6): a cause is logged once, then at most once a minute
// while it lasts, once more when it is over; /readyz shows the oldest. Virtual time throughout.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ApiHealth, CauseThrottle } from '../../src/kube/api-health.ts';
import { describeRequest } from '../../src/kube/api-problem.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PooledKubeConfig } from '../../src/kube/client.ts';
import { KubeHttp } from '../../src/kube/http.ts';

interface Line {
  level: number;
  msg: string;
  code?: string;
  times?: number;
}

function world(): { health: ApiHealth; lines: Line[]; advance: (ms: number) => void } {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text !== '') lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  let now = 0;
  const health = new ApiHealth({ server: 'https://k:6443', rbacFile: 'deploy/speaker-rbac.yaml', log: pino({ level: 'debug' }, sink), now: () => now });
  return { health, lines, advance: (ms) => void (now += ms) };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
const NODES = describeRequest('GET', '/api/v1/nodes');
const FORBIDDEN_NODES = JSON.stringify({ kind: 'Status', message: 'nodes is forbidden: User "system:serviceaccount:herald-system:herald-speaker" cannot list resource "nodes" in API group "" at the cluster scope', reason: 'Forbidden', code: 403 });

describe('ApiHealth', () => {
  it('logs a cause once, then at most once a minute while it lasts, then once when it is over', async () => {
    const { health, lines, advance } = world();
    for (let i = 0; i < 30; i++) {
      health.failed(NODES, refused);
      advance(2_000);
    }
    await flush();
    const errors = lines.filter((l) => l.level === 50);
    // t=0 first; t=60 s the one repeat (29 more times met by then: 30 attempts in 58 s).
    assert.equal(errors.length, 1);
    advance(2_000);
    health.failed(NODES, refused);
    await flush();
    const again = lines.filter((l) => l.level === 50);
    assert.equal(again.length, 2);
    assert.match(again[1]?.msg ?? '', /^still, for 62 s: cannot reach the API server https:\/\/k:6443: connection refused/);
    assert.equal(again[1]?.times, 30);
    health.answered(NODES, 200, undefined);
    await flush();
    const resolved = lines.filter((l) => l.level === 30);
    assert.equal(resolved.length, 1);
    assert.match(resolved[0]?.msg ?? '', /^resolved after 62 s: cannot reach the API server https:\/\/k:6443: connection refused \(ECONNREFUSED\)$/);
    assert.equal(health.readiness(), undefined);
  });

  it('quiet while no problem is open; through the kubeconfig a success still clears an open problem (issue #10: successes are not described while quiet)', async () => {
    const { health, lines } = world();
    assert.equal(health.quiet, true);
    let status = 500;
    const srv = createServer((_req, res) => {
      res.writeHead(status);
      res.end(status === 200 ? '{}' : '{"kind":"Status","message":"etcdserver: request timed out","code":500}');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const { port } = srv.address() as AddressInfo;
    const kc = new PooledKubeConfig();
    kc.loadFromString(JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
      clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: {} }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    }));
    kc.observe(health);
    const http = new KubeHttp(kc);
    try {
      await assert.rejects(http.send({ method: 'GET', path: '/api/v1/nodes' }));
      assert.equal(health.quiet, false);
      assert.equal(health.problems()[0]?.code, 'API_SERVER_ERROR');
      status = 200;
      assert.equal(await http.send({ method: 'GET', path: '/api/v1/nodes' }), 200);
      assert.equal(health.quiet, true);
      assert.deepEqual(health.problems(), []);
      await flush();
      assert.equal(lines.filter((l) => l.msg.startsWith('resolved after')).length, 1);
    } finally {
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
  });

  it('/readyz: the oldest lasting problem, and how many more', () => {
    const { health, advance } = world();
    assert.equal(health.readiness(), undefined);
    health.answered(NODES, 403, FORBIDDEN_NODES);
    advance(10);
    health.answered(describeRequest('GET', '/apis/herald.dev/v1alpha1/bgppeers'), 404, '404 page not found');
    const r = health.readiness();
    assert.equal(r?.ok, false);
    assert.match(r?.reason ?? '', /^forbidden: system:serviceaccount:herald-system:herald-speaker may not list nodes at the cluster scope on the API server https:\/\/k:6443; grant it with Herald's RBAC: `kubectl apply -k deploy\/` \(deploy\/speaker-rbac\.yaml\) \(and 1 more problem in the log\)$/);
  });

  it('a 403 on one resource is not cleared by a success on another', () => {
    const { health } = world();
    health.answered(NODES, 403, FORBIDDEN_NODES);
    health.answered(describeRequest('GET', '/api/v1/services'), 200, undefined);
    assert.equal(health.problems().length, 1);
    health.answered(describeRequest('GET', '/api/v1/nodes?watch=true'), 200, undefined);
    // A watch is another verb: RBAC may grant list without watch.
    assert.equal(health.problems().length, 1);
    health.answered(NODES, 200, undefined);
    assert.equal(health.problems().length, 0);
  });

  it('a cause not met again for 3 minutes is over even without a clearing answer', () => {
    const { health, advance } = world();
    health.answered(describeRequest('POST', '/api/v1/namespaces/default/events'), 403, undefined);
    advance(179_000);
    assert.equal(health.problems().length, 1);
    advance(2_000);
    assert.equal(health.problems().length, 0);
  });

  it('checkVersion asks /version until it answers, then reports a server that is too old', async () => {
    const { health, lines } = world();
    let calls = 0;
    const check = health.checkVersion(async () => {
      calls++;
      if (calls === 1) throw refused;
      return { major: '1', minor: '23', gitVersion: 'v1.23.17' };
    });
    await new Promise((r) => setTimeout(r, 1_200));
    check.stop();
    assert.equal(calls, 2);
    assert.match(health.readiness()?.reason ?? '', /runs Kubernetes v1\.23\.17; Herald needs 1\.25 or later/);
    assert.equal(lines.filter((l) => l.level === 50).length, 1);
  });
});

describe('CauseThrottle', () => {
  it('once per key, again after the interval, anew after reset', () => {
    const t = new CauseThrottle(60_000);
    assert.equal(t.shouldLog('a', 0), true);
    assert.equal(t.shouldLog('a', 59_999), false);
    assert.equal(t.shouldLog('b', 1), true);
    assert.equal(t.shouldLog('a', 60_000), true);
    t.reset();
    assert.equal(t.shouldLog('a', 60_001), true);
  });
});
