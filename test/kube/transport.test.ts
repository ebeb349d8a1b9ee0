// The transport (src/kube/transport.ts) and client-node's Watch over it (src/kube/http-library.ts,
// issue #10: node:http instead of undici). The Watch keeps client-node's contract, since
// client-node's ListWatch relies on it: events line by line, `done` once, a TimeoutError after
// silence, `statusCode` on a refused watch.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { TransportWatch, WATCH_INACTIVITY_MS, watchTimeoutSeconds } from '../../src/kube/http-library.ts';
import { KubeTransport, pathBelow } from '../../src/kube/transport.ts';

async function server(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const srv = createServer(handler);
  let connections = 0;
  srv.on('connection', () => connections++);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () => {
      srv.closeAllConnections();
      return new Promise((r) => srv.close(() => r()));
    },
  };
}

function kubeconfig(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'c', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
  }));
  return kc;
}

interface Run {
  events: [string, unknown][];
  done: Promise<unknown>;
  calls: () => number;
  controller: Promise<AbortController>;
}

function watch(url: string, opts: { inactivityMs?: number; onEvent?: (type: string) => void } = {}): Run {
  const kc = kubeconfig(url);
  const w = new TransportWatch(kc, new KubeTransport(kc), opts.inactivityMs);
  const events: [string, unknown][] = [];
  let calls = 0;
  let resolve: (e: unknown) => void = () => {};
  const done = new Promise<unknown>((r) => (resolve = r));
  const controller = w.watch('/api/v1/services', { resourceVersion: '7', labelSelector: 'a=b', skipped: undefined }, (type, obj) => {
    events.push([type, obj]);
    opts.onEvent?.(type);
  }, (err) => {
    calls++;
    resolve(err);
  });
  return { events, done, calls: () => calls, controller };
}

describe('TransportWatch (client-node\'s Watch over node:http)', () => {
  it('asks for a watch with the query, delivers events split across chunks, skips a line that is not JSON, ends once', async () => {
    let seenUrl = '';
    let seenAuth = '';
    const s = await server((req, res) => {
      seenUrl = req.url ?? '';
      seenAuth = req.headers['authorization'] ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MODI');
      setTimeout(() => {
        res.write('FIED","object":{"metadata":{"name":"a","x":1}}}\nnot json\n');
        res.end('{"type":"DELETED","object":{"metadata":{"name":"a"}}}\n');
      }, 20);
    });
    try {
      const r = watch(s.url);
      assert.equal(await r.done, null);
      assert.deepEqual(r.events.map(([t]) => t), ['ADDED', 'MODIFIED', 'DELETED']);
      assert.deepEqual(r.events[1]?.[1], { metadata: { name: 'a', x: 1 } });
      const url = new URL(seenUrl, 'http://x');
      const timeout = Number(url.searchParams.get('timeoutSeconds'));
      assert.ok(Number.isInteger(timeout) && timeout >= 300 && timeout < 600, `timeoutSeconds ${timeout}: client-go's 5 min × [1, 2)`);
      url.searchParams.delete('timeoutSeconds');
      assert.equal(url.pathname + url.search, '/api/v1/services?watch=true&resourceVersion=7&labelSelector=a%3Db&allowWatchBookmarks=true');
      assert.equal(seenAuth, 'Bearer t');
      await new Promise((res) => setTimeout(res, 20));
      assert.equal(r.calls(), 1);
    } finally {
      await s.close();
    }
  });

  it('a watch lives 5-10 min and its inactivity timer outlasts the server\'s bookmark period (kube-apiserver: one a minute)', () => {
    assert.equal(watchTimeoutSeconds(() => 0), 300);
    assert.equal(watchTimeoutSeconds(() => 0.999999), 599);
    assert.ok(WATCH_INACTIVITY_MS > 60_000, `${WATCH_INACTIVITY_MS} ms: a quiet watch would be aborted between two bookmarks`);
  });

  it('regression (issue #10, a TLS handshake per quiet watch every 30 s): bookmarks keep a quiet watch past the inactivity time, the server ends it, and the next watch reuses its connection', async () => {
    const ends: unknown[] = [];
    let bookmarks = 0;
    const asked: (string | null)[] = [];
    const s = await server((req, res) => {
      asked.push(new URL(req.url ?? '', 'http://x').searchParams.get('allowWatchBookmarks'));
      res.writeHead(200, { 'content-type': 'application/json' });
      // The stand-in and kube-apiserver: a bookmark every period, then one at the watch's end.
      const bookmark = (): boolean => res.write('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}\n');
      const every = setInterval(bookmark, 60);
      setTimeout(() => {
        clearInterval(every);
        bookmark();
        res.end();
      }, 400).unref();
      res.on('close', () => clearInterval(every));
    });
    try {
      const kc = kubeconfig(s.url);
      const transport = new KubeTransport(kc);
      // The inactivity time is 150 ms here: the watch outlives it only through the bookmarks.
      const w = new TransportWatch(kc, transport, 150);
      const one = (): Promise<void> =>
        new Promise((resolve) => {
          void w.watch('/api/v1/services', {}, (type) => {
            if (type === 'BOOKMARK') bookmarks++;
          }, (err) => {
            ends.push(err);
            resolve();
          });
        });
      await one();
      await new Promise((r) => setImmediate(r));
      await one();
      transport.close();
      assert.deepEqual(asked, ['true', 'true']);
      assert.deepEqual(ends, [null, null], 'ended by the server, never by the inactivity timer');
      assert.ok(bookmarks >= 8, `${bookmarks} bookmarks`);
      assert.equal(s.connections(), 1, 'both watches over one connection');
    } finally {
      await s.close();
    }
  });

  it('a refused watch fails with statusCode and the status text (410 makes ListWatch list again)', async () => {
    const s = await server((_req, res) => {
      res.writeHead(410);
      res.end('{"kind":"Status","reason":"Expired"}');
    });
    try {
      const err = await watch(s.url).done;
      assert.ok(err instanceof Error);
      assert.equal((err as Error & { statusCode?: number }).statusCode, 410);
      assert.equal(err.message, 'Gone');
    } finally {
      await s.close();
    }
  });

  it('silence past the inactivity time ends it with a TimeoutError (ListWatch reconnects from its resourceVersion)', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200);
      res.write('{"type":"ADDED","object":{}}\n');
    });
    try {
      const r = watch(s.url, { inactivityMs: 150 });
      const err = await r.done;
      assert.ok(err instanceof DOMException);
      assert.equal(err.name, 'TimeoutError');
      assert.equal(r.events.length, 1);
    } finally {
      await s.close();
    }
  });

  it('aborting it (ListWatch.stop) ends it once, with the abort, and closes the connection', async () => {
    let closed = false;
    const s = await server((req, res) => {
      res.writeHead(200);
      res.write('\n');
      req.socket.on('close', () => (closed = true));
    });
    try {
      const r = watch(s.url);
      const controller = await r.controller;
      await new Promise((res) => setTimeout(res, 30));
      controller.abort();
      const err = await r.done;
      assert.notEqual(err, null);
      await new Promise((res) => setTimeout(res, 30));
      assert.equal(r.calls(), 1);
      assert.equal(closed, true);
    } finally {
      await s.close();
    }
  });

  it('an event handler that throws ends the watch with its error instead of losing it', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200);
      res.write('{"type":"ADDED","object":{}}\n{"type":"ADDED","object":{}}\n');
    });
    try {
      const r = watch(s.url, {
        onEvent: () => {
          throw new Error('handler broke');
        },
      });
      const err = await r.done;
      assert.ok(err instanceof Error);
      assert.equal(err.message, 'handler broke');
      assert.equal(r.events.length, 1);
    } finally {
      await s.close();
    }
  });
});

describe('KubeTransport', () => {
  it('shows a success at once and an error with its body to every observer, and a failure without an answer', async () => {
    const s = await server((req, res) => {
      if (req.url === '/ok') res.end('{}');
      else {
        res.statusCode = 404;
        res.end('{"kind":"Status","reason":"NotFound"}');
      }
    });
    const url = s.url;
    try {
      const t = new KubeTransport(kubeconfig(url));
      const seen: string[] = [];
      const stop = t.observe({ answered: (m, p, st, body) => seen.push(`${m} ${p} ${st} ${body ?? '-'}`), failed: (m, p) => seen.push(`${m} ${p} failed`) });
      const ok = await t.request({ method: 'GET', path: '/ok' });
      assert.equal(ok.ok, true);
      assert.deepEqual(seen, ['GET /ok 200 -']);
      if (ok.ok) ok.body.resume();
      const missing = await t.request({ method: 'GET', path: '/missing' });
      assert.deepEqual(missing.ok ? undefined : missing.text, '{"kind":"Status","reason":"NotFound"}');
      stop();
      await t.request({ method: 'GET', path: '/missing' });
      assert.equal(seen.length, 2);
      assert.equal(seen[1], 'GET /missing 404 {"kind":"Status","reason":"NotFound"}');
      t.close();
    } finally {
      await s.close();
    }
    const t = new KubeTransport(kubeconfig(url));
    const failed: string[] = [];
    t.observe({ answered: () => {}, failed: (_m, _p, e) => failed.push((e as NodeJS.ErrnoException).code ?? '?') });
    await assert.rejects(t.request({ method: 'GET', path: '/ok' }), /ECONNREFUSED/);
    assert.deepEqual(failed, ['ECONNREFUSED']);
  });

  it('pathBelow: the part of a generated URL below the server URL, and nothing for another server', () => {
    assert.equal(pathBelow('https://k:6443', 'https://k:6443/api/v1/nodes?limit=5'), '/api/v1/nodes?limit=5');
    assert.equal(pathBelow('https://k:6443/k8s/c-1/', 'https://k:6443/k8s/c-1//api/v1/nodes'), '//api/v1/nodes');
    assert.equal(pathBelow('https://k:6443', 'https://k:64430/api'), undefined);
    assert.equal(pathBelow('https://k:6443', 'https://evil/api'), undefined);
  });
});
