// The observability server on 127.0.0.1:0: each endpoint, probe failures with reasons, and the
// errors a caller can act on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Gauge, Registry } from 'prom-client';
import { ListenAddrError, parseListenAddr, startObservabilityServer } from '../../src/observability/http.ts';
import type { ProbeResult } from '../../src/observability/http.ts';

async function withServer(
  probes: { readiness: () => ProbeResult; liveness: () => ProbeResult },
  body: (base: string, registry: Registry) => Promise<void>,
): Promise<void> {
  const registry = new Registry();
  new Gauge({ name: 'herald_test_value', help: 'a test gauge', registers: [registry] }).set(7);
  const server = await startObservabilityServer({ addr: '127.0.0.1:0', registry, ...probes });
  assert.ok(server.port > 0);
  try {
    await body(`http://127.0.0.1:${server.port}`, registry);
  } finally {
    await server.close();
  }
}

const OK: ProbeResult = { ok: true, reason: 'leading, caches synced' };

test('/metrics serves the registry in the Prometheus text format', async () => {
  await withServer({ readiness: () => OK, liveness: () => OK }, async (base, registry) => {
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), registry.contentType);
    const text = await res.text();
    assert.match(text, /^# HELP herald_test_value a test gauge$/m);
    assert.match(text, /^herald_test_value 7$/m);
  });
});

test('/healthz and /readyz answer 200 with the reason, 503 when not ok, and follow the callback', async () => {
  let ready: ProbeResult = { ok: false, reason: 'leading, caches not synced yet' };
  await withServer({ readiness: () => ready, liveness: () => ({ ok: true, reason: 'running' }) }, async (base) => {
    const live = await fetch(`${base}/healthz`);
    assert.equal(live.status, 200);
    assert.equal(await live.text(), 'ok: running\n');
    const notReady = await fetch(`${base}/readyz`);
    assert.equal(notReady.status, 503);
    assert.equal(await notReady.text(), 'not ok: leading, caches not synced yet\n');
    ready = { ok: true, reason: 'standby replica' };
    const nowReady = await fetch(`${base}/readyz?verbose`);
    assert.equal(nowReady.status, 200);
    assert.equal(await nowReady.text(), 'ok: standby replica\n');
  });
});

test('a failing liveness callback is 503, a throwing one is 500 with the message', async () => {
  let live: () => ProbeResult = () => ({ ok: false, reason: 'event loop stalled' });
  await withServer({ readiness: () => OK, liveness: () => live() }, async (base) => {
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 503);
    assert.equal(await res.text(), 'not ok: event loop stalled\n');
    live = () => {
      throw new Error('probe bug');
    };
    const thrown = await fetch(`${base}/healthz`);
    assert.equal(thrown.status, 500);
    assert.match(await thrown.text(), /probe bug/);
  });
});

test('unknown paths are 404, other methods 405, HEAD has no body', async () => {
  await withServer({ readiness: () => OK, liveness: () => OK }, async (base) => {
    assert.equal((await fetch(`${base}/`)).status, 404);
    const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    const head = await fetch(`${base}/readyz`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });
});

test('close() stops serving even with a keep-alive connection open', async () => {
  const registry = new Registry();
  const server = await startObservabilityServer({ addr: '127.0.0.1:0', registry, readiness: () => OK, liveness: () => OK });
  const base = `http://127.0.0.1:${server.port}`;
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  await server.close();
  await assert.rejects(fetch(`${base}/healthz`));
});

test('a port in use is reported with the system error code', async () => {
  const registry = new Registry();
  const first = await startObservabilityServer({ addr: '127.0.0.1:0', registry, readiness: () => OK, liveness: () => OK });
  try {
    await assert.rejects(startObservabilityServer({ addr: `127.0.0.1:${first.port}`, registry, readiness: () => OK, liveness: () => OK }), { code: 'EADDRINUSE' });
  } finally {
    await first.close();
  }
});

test('listen addresses: host:port, [v6]:port and :port; anything else is an error with a code', async () => {
  const cases: [string, { host: string | undefined; port: number } | null][] = [
    [':9420', { host: undefined, port: 9420 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['0.0.0.0:9421', { host: '0.0.0.0', port: 9421 }],
    ['[::1]:9420', { host: '::1', port: 9420 }],
    ['[2001:db8::1]:80', { host: '2001:db8::1', port: 80 }],
    ['localhost:9420', { host: 'localhost', port: 9420 }],
    ['9420', null],
    ['::1:9420', null],
    [':65536', null],
    [':', null],
    ['127.0.0.1:http', null],
    ['', null],
  ];
  for (const [addr, want] of cases) {
    const got = parseListenAddr(addr);
    if (want === null) {
      assert.ok(!got.ok, addr);
      assert.equal(got.error.code, 'HERALD_LISTEN_ADDR_INVALID');
    } else {
      assert.deepEqual(got, { ok: true, value: want }, addr);
    }
  }
  const registry = new Registry();
  await assert.rejects(startObservabilityServer({ addr: 'nonsense', registry, readiness: () => OK, liveness: () => OK }), (err: unknown) => err instanceof ListenAddrError && err.message.includes('"nonsense"'));
});
