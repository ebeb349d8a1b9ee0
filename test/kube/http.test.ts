// KubeHttp, the lean request path of the controller's status writes (issue #10, bench/README.md
// IPAM Finding 5): the same credentials, TLS and pool as client-node, and failures that classify
// exactly as client-node's do.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { PooledKubeConfig, apiStatus, errorMessage } from '../../src/kube/client.ts';
import { KubeHttp, KubeHttpError, serviceStatusPath } from '../../src/kube/http.ts';
import { KubeTransport } from '../../src/kube/transport.ts';
import { classifyThrown, describeRequest } from '../../src/kube/api-problem.ts';
import type { ApiRequest } from '../../src/kube/api-problem.ts';
import type { ApiObserver } from '../../src/kube/api-health.ts';

const TLS = new URL('fixtures/tls/', import.meta.url);
const pem = (name: string): string => readFileSync(new URL(name, TLS), 'utf8');
const b64 = (name: string): string => Buffer.from(pem(name)).toString('base64');

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  clientCN?: string;
}

type Answer = (seen: Seen, res: ServerResponse) => void;

const ok: Answer = (_s, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'apps' } }));
};

/** An HTTP(S) server that records every request and answers with `answer`. */
async function server(answer: Answer, tls?: { requestCert: boolean }): Promise<{ url: string; seen: Seen[]; connections: () => number; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  let connections = 0;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const cert = tls === undefined ? undefined : (req.socket as TLSSocket).getPeerCertificate();
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const cn = cert?.subject?.CN;
      if (typeof cn === 'string') s.clientCN = cn;
      seen.push(s);
      answer(s, res);
    });
  };
  const srv = tls === undefined ? createServer(handler) : createTlsServer({ key: pem('server.key'), cert: pem('server.crt'), ca: pem('ca.crt'), requestCert: tls.requestCert, rejectUnauthorized: false }, handler);
  srv.on(tls === undefined ? 'connection' : 'secureConnection', () => connections++);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    seen,
    connections: () => connections,
    close: () => {
      srv.closeAllConnections();
      return new Promise((r) => srv.close(() => r()));
    },
  };
}

function kubeconfig(kc: KubeConfig, cluster: Record<string, unknown>, user: Record<string, unknown>): KubeConfig {
  kc.loadFromString(JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
  }));
  return kc;
}

const plain = (url: string, token = 't0k3n'): KubeConfig => kubeconfig(new PooledKubeConfig(), { server: url, 'insecure-skip-tls-verify': true }, { token });
const patch = (body: object) => ({ method: 'PATCH' as const, path: serviceStatusPath('apps', 'web'), body: JSON.stringify(body), contentType: PatchStrategy.MergePatch });

describe('KubeHttp', () => {
  it('sends the merge patch with the kubeconfig token to the status subresource, under the server URL path', async () => {
    const s = await server(ok);
    try {
      const http = new KubeHttp(plain(`${s.url}/k8s/clusters/c-1/`));
      assert.equal(await http.send(patch({ status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } })), 200);
      const [r] = s.seen;
      assert.ok(r !== undefined);
      assert.equal(r.method, 'PATCH');
      assert.equal(r.url, '/k8s/clusters/c-1/api/v1/namespaces/apps/services/web/status');
      assert.equal(r.headers['content-type'], 'application/merge-patch+json');
      assert.equal(r.headers['authorization'], 'Bearer t0k3n');
      assert.deepEqual(JSON.parse(r.body), { status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } });
    } finally {
      await s.close();
    }
  });

  it('sendForVersion reads the object\'s resourceVersion from the answer\'s first bytes, also across chunks, and drains the rest', async () => {
    const managed = 'x'.repeat(200_000);
    const s = await server((seen, res) => {
      res.setHeader('content-type', 'application/json');
      if (seen.url.endsWith('/none/status')) return res.end(JSON.stringify({ kind: 'Service', metadata: { name: 'none' } }));
      // The version split over two writes, and a large rest (managedFields) after it; an
      // annotation that spells the key is a string, its quotes escaped, and comes after.
      const text = JSON.stringify({ kind: 'Service', apiVersion: 'v1', metadata: { name: 'web', namespace: 'apps', uid: 'u-1', resourceVersion: '4711', annotations: { note: '"resourceVersion":"9"' }, managedFields: [{ manager: managed }] }, spec: { type: 'LoadBalancer' } });
      const cut = text.indexOf('4711') + 2;
      res.write(text.slice(0, cut));
      setTimeout(() => res.end(text.slice(cut)), 5);
    });
    try {
      const http = new KubeHttp(plain(s.url));
      assert.equal(await http.sendForVersion(patch({ status: {} })), '4711');
      assert.equal(await http.sendForVersion({ ...patch({ status: {} }), path: serviceStatusPath('apps', 'none') }), undefined);
      assert.equal(await http.sendForVersion(patch({ status: {} })), '4711', 'the connection was drained and reused');
      assert.equal(s.connections(), 1);
    } finally {
      await s.close();
    }
  });

  it('names are escaped in the path', () => {
    assert.equal(serviceStatusPath('a b', 'x/y'), '/api/v1/namespaces/a%20b/services/x%2Fy/status');
  });

  it('shares the PooledKubeConfig pool with client-node: 20 writes and 20 reads over at most 2 connections', async () => {
    const s = await server(ok);
    try {
      const kc = plain(s.url);
      const http = new KubeHttp(kc);
      const core = kc.makeApiClient(CoreV1Api);
      for (let i = 0; i < 20; i++) {
        await http.send(patch({ status: {} }));
        await core.readNamespacedService({ name: 'web', namespace: 'apps' });
      }
      assert.ok(s.connections() <= 2, `opened ${s.connections()} connections`);
    } finally {
      await s.close();
    }
  });

  it('is seen by the ApiHealth observer like every client-node request (issue #13)', async () => {
    const s = await server((_x, res) => {
      res.statusCode = 403;
      res.end(JSON.stringify({ kind: 'Status', message: 'User "system:serviceaccount:herald-system:herald-controller" cannot patch resource "services/status" in API group "" in the namespace "apps"' }));
    });
    try {
      const kc = plain(s.url);
      if (!(kc instanceof PooledKubeConfig)) throw new Error('not pooled');
      const answers: [ApiRequest, number][] = [];
      const observer: ApiObserver = { answered: (req, status) => answers.push([req, status]), failed: () => {} };
      kc.observe(observer);
      await assert.rejects(new KubeHttp(kc).send(patch({ status: {} })), KubeHttpError);
      assert.deepEqual(answers.map(([r, st]) => [r.verb, r.resource, r.subresource, r.namespace, st]), [['patch', 'services', 'status', 'apps', 403]]);
    } finally {
      await s.close();
    }
  });

  it('re-reads the credentials after 10 s, and at once after a 401', async () => {
    let status = 200;
    const s = await server((_x, res) => {
      res.statusCode = status;
      res.end('{}');
    });
    let now = 0;
    try {
      const kc = plain(s.url, 'one');
      const http = new KubeHttp(new KubeTransport(kc, () => now));
      await http.send(patch({}));
      kubeconfig(kc, { server: s.url, 'insecure-skip-tls-verify': true }, { token: 'two' });
      now = 9_000;
      await http.send(patch({}));
      now = 10_001;
      await http.send(patch({}));
      kubeconfig(kc, { server: s.url, 'insecure-skip-tls-verify': true }, { token: 'three' });
      status = 401;
      await assert.rejects(http.send(patch({})), (e: unknown) => apiStatus(e) === 401);
      status = 200;
      await http.send(patch({}));
      assert.deepEqual(s.seen.map((r) => r.headers['authorization']), ['Bearer one', 'Bearer one', 'Bearer two', 'Bearer two', 'Bearer three']);
    } finally {
      await s.close();
    }
  });

  it('list() reads every page with limit and continue, keeps the items that pass the check, and the snapshot\'s resourceVersion', async () => {
    const pages: Record<string, object> = {
      '': { metadata: { resourceVersion: '42', continue: 'c1' }, items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }] },
      c1: { metadata: { resourceVersion: '42', continue: 'c 2' }, items: [{ metadata: { name: 'c' } }, 'not an object'] },
      'c 2': { metadata: { resourceVersion: '42', continue: '' }, items: [{ metadata: { name: 'd' } }] },
    };
    const s = await server((seen, res) => {
      const q = new URL(seen.url, 'http://x').searchParams;
      res.end(JSON.stringify(pages[q.get('continue') ?? ''] ?? {}));
    });
    try {
      const isNamed = (v: unknown): v is { metadata: { name: string } } => typeof v === 'object' && v !== null && 'metadata' in v;
      const list = await new KubeHttp(plain(s.url)).list('/api/v1/services', isNamed, { limit: 2 });
      assert.deepEqual(list.items.map((i) => i.metadata.name), ['a', 'b', 'c', 'd']);
      assert.deepEqual(list.metadata, { resourceVersion: '42' });
      assert.deepEqual(s.seen.map((r) => r.url), ['/api/v1/services?limit=2', '/api/v1/services?limit=2&continue=c1', '/api/v1/services?limit=2&continue=c%202']);
    } finally {
      await s.close();
    }
  });

  it('list() applies keep to each item as its page arrives, before the next page is asked for (issue #10: the whole objects are never all held)', async () => {
    const pages: Record<string, object> = {
      '': { metadata: { continue: 'c1' }, items: [{ metadata: { name: 'a', managedFields: [{}] } }, { metadata: { name: 'b', managedFields: [{}] } }] },
      c1: { metadata: { continue: '' }, items: [{ metadata: { name: 'c', managedFields: [{}] } }, 'not an object'] },
    };
    const s = await server((seen, res) => {
      const q = new URL(seen.url, 'http://x').searchParams;
      res.end(JSON.stringify(pages[q.get('continue') ?? ''] ?? {}));
    });
    try {
      type Named = { metadata: { name: string; managedFields?: unknown[] } };
      const isNamed = (v: unknown): v is Named => typeof v === 'object' && v !== null && 'metadata' in v;
      const keptAt: string[] = [];
      const keep = (o: Named): Named => {
        keptAt.push(`${o.metadata.name}@${s.seen.length}`);
        return { metadata: { name: o.metadata.name } };
      };
      const list = await new KubeHttp(plain(s.url)).list('/api/v1/services', isNamed, { keep, limit: 2 });
      assert.deepEqual(keptAt, ['a@1', 'b@1', 'c@2']);
      assert.deepEqual(list.items, [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }, { metadata: { name: 'c' } }]);
    } finally {
      await s.close();
    }
  });

  it('list(): an expired continue token (410) fails the whole list, as client-go\'s pager does without a fallback', async () => {
    const s = await server((seen, res) => {
      if (seen.url.includes('continue=')) {
        res.statusCode = 410;
        res.end(JSON.stringify({ kind: 'Status', reason: 'Expired', message: 'The provided continue parameter is too old' }));
      } else res.end(JSON.stringify({ metadata: { continue: 'c1' }, items: [] }));
    });
    try {
      await assert.rejects(new KubeHttp(plain(s.url)).list('/api/v1/services', (v): v is object => true), (e: unknown) => apiStatus(e) === 410);
    } finally {
      await s.close();
    }
  });

  it('json() parses a 2xx answer', async () => {
    const s = await server(ok);
    try {
      assert.deepEqual(await new KubeHttp(plain(s.url)).json({ method: 'GET', path: '/api/v1/namespaces/apps/services/web' }), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'apps' } });
    } finally {
      await s.close();
    }
  });
});

describe('KubeHttp failures classify as client-node\'s (differential, one fake server)', () => {
  const answers: [string, number, string][] = [
    ['not found', 404, JSON.stringify({ kind: 'Status', message: 'services "web" not found', reason: 'NotFound', details: { name: 'web', kind: 'services' } })],
    ['conflict', 409, JSON.stringify({ kind: 'Status', message: 'Operation cannot be fulfilled on services "web": the object has been modified', reason: 'Conflict' })],
    ['throttled', 429, JSON.stringify({ kind: 'Status', message: 'Too many requests, please try again later.', reason: 'TooManyRequests' })],
    ['server error', 500, JSON.stringify({ kind: 'Status', message: 'etcdserver: request timed out', reason: 'InternalError' })],
    ['unavailable, text body', 503, 'service unavailable\n'],
    ['forbidden', 403, JSON.stringify({ kind: 'Status', message: 'User "system:serviceaccount:herald-system:herald-controller" cannot patch resource "services/status" in API group "" in the namespace "apps"', reason: 'Forbidden' })],
    ['unauthorized', 401, JSON.stringify({ kind: 'Status', message: 'Unauthorized', reason: 'Unauthorized' })],
  ];
  for (const [what, code, body] of answers) {
    it(`${code} ${what}: same status, message and problem`, async () => {
      const s = await server((_x, res) => {
        res.statusCode = code;
        res.setHeader('content-type', body.startsWith('{') ? 'application/json' : 'text/plain');
        res.end(body);
      });
      try {
        const kc = plain(s.url);
        const viaClientNode = await kc.makeApiClient(CoreV1Api).patchNamespacedServiceStatus({ name: 'web', namespace: 'apps', body: {} }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)).then(() => undefined, (e: unknown) => e);
        const viaLean = await new KubeHttp(kc).send(patch({})).then(() => undefined, (e: unknown) => e);
        const req = describeRequest('PATCH', serviceStatusPath('apps', 'web'));
        const ctx = { server: s.url, rbacFile: 'deploy/controller-rbac.yaml' };
        assert.equal(apiStatus(viaLean), code);
        assert.equal(apiStatus(viaLean), apiStatus(viaClientNode));
        // client-node drops a 401's body ("HTTP 401"); the lean path keeps its message.
        if (code === 401) assert.ok(errorMessage(viaLean).startsWith(errorMessage(viaClientNode)), errorMessage(viaLean));
        else assert.equal(errorMessage(viaLean), errorMessage(viaClientNode));
        assert.deepEqual(classifyThrown(viaLean, req, ctx), classifyThrown(viaClientNode, req, ctx));
      } finally {
        await s.close();
      }
    });
  }

  it('connection refused: no answer, the same API_UNREACHABLE problem', async () => {
    const s = await server(ok);
    const url = s.url;
    await s.close();
    const kc = plain(url);
    const viaClientNode = await kc.makeApiClient(CoreV1Api).readNamespacedService({ name: 'web', namespace: 'apps' }).then(() => undefined, (e: unknown) => e);
    const viaLean = await new KubeHttp(kc).send(patch({})).then(() => undefined, (e: unknown) => e);
    const ctx = { server: url };
    assert.equal(apiStatus(viaLean), undefined);
    assert.equal(classifyThrown(viaLean, undefined, ctx)?.key, 'API_UNREACHABLE:ECONNREFUSED');
    assert.deepEqual(classifyThrown(viaLean, undefined, ctx), classifyThrown(viaClientNode, undefined, ctx));
  });
});

describe('KubeHttp over TLS, with the kubeconfig\'s CA and client certificate', () => {
  it('verifies the server with certificate-authority-data and presents client-certificate-data', async () => {
    const s = await server(ok, { requestCert: true });
    try {
      const kc = kubeconfig(new PooledKubeConfig(), { server: s.url, 'certificate-authority-data': b64('ca.crt') }, { 'client-certificate-data': b64('client.crt'), 'client-key-data': b64('client.key') });
      assert.equal(await new KubeHttp(kc).send(patch({ status: {} })), 200);
      assert.equal(s.seen[0]?.clientCN, 'herald-test-client');
      assert.equal(s.seen[0]?.headers['authorization'], undefined);
    } finally {
      await s.close();
    }
  });

  it('a server signed by another CA fails as API_TLS, as through client-node', async () => {
    const s = await server(ok, { requestCert: false });
    try {
      const kc = kubeconfig(new PooledKubeConfig(), { server: s.url, 'certificate-authority-data': b64('other-ca.crt') }, { token: 't' });
      const viaClientNode = await kc.makeApiClient(CoreV1Api).readNamespacedService({ name: 'web', namespace: 'apps' }).then(() => undefined, (e: unknown) => e);
      const viaLean = await new KubeHttp(kc).send(patch({})).then(() => undefined, (e: unknown) => e);
      const p = classifyThrown(viaLean, undefined, { server: s.url });
      assert.equal(p?.code, 'API_TLS');
      assert.deepEqual(p, classifyThrown(viaClientNode, undefined, { server: s.url }));
      assert.equal(s.seen.length, 0);
    } finally {
      await s.close();
    }
  });

  it('regression (issue #10, a TLS context per connection): the pool\'s connections share one context, made once', async (t) => {
    // Answers wait until all five are in, so the pool opens five connections.
    const waiting: (() => void)[] = [];
    const s = await server((_seen, res) => {
      waiting.push(() => ok(_seen, res));
      if (waiting.length === 5) for (const answer of waiting.splice(0)) answer();
    }, { requestCert: true });
    let made = 0;
    const createSecureContext = tls.createSecureContext;
    tls.createSecureContext = (options) => {
      made++;
      return createSecureContext(options);
    };
    t.after(() => {
      tls.createSecureContext = createSecureContext;
    });
    try {
      const kc = kubeconfig(new PooledKubeConfig(), { server: s.url, 'certificate-authority-data': b64('ca.crt') }, { 'client-certificate-data': b64('client.crt'), 'client-key-data': b64('client.key') });
      const lean = new KubeHttp(kc);
      assert.deepEqual(await Promise.all([1, 2, 3, 4, 5].map(() => lean.send(patch({ status: {} })))), [200, 200, 200, 200, 200]);
      assert.equal(s.connections(), 5);
      assert.deepEqual(s.seen.map((x) => x.clientCN), Array(5).fill('herald-test-client'), 'every connection presented the client certificate');
      assert.equal(made, 1, 'one TLS context for five connections');
    } finally {
      await s.close();
    }
  });

  it('insecure-skip-tls-verify: no CA needed', async () => {
    const s = await server(ok, { requestCert: false });
    try {
      const kc = kubeconfig(new PooledKubeConfig(), { server: s.url, 'insecure-skip-tls-verify': true }, { token: 't' });
      assert.equal(await new KubeHttp(kc).send(patch({})), 200);
    } finally {
      await s.close();
    }
  });
});

describe('PooledKubeConfig without any TLS option', () => {
  it('still sends through its one observed transport (client-node gave no pool and used undici\'s global one, unobserved)', async () => {
    const kc = kubeconfig(new PooledKubeConfig(), { server: 'https://127.0.0.1:1' }, { token: 't' });
    if (!(kc instanceof PooledKubeConfig)) throw new Error('not pooled');
    const failed: ApiRequest[] = [];
    kc.observe({ answered: () => {}, failed: (req) => failed.push(req) });
    await assert.rejects(new KubeHttp(kc).send(patch({})));
    await assert.rejects(kc.makeApiClient(CoreV1Api).readNamespacedService({ name: 'web', namespace: 'apps' }));
    assert.deepEqual(failed.map((r) => [r.verb, r.resource]), [['patch', 'services'], ['get', 'services']]);
  });
});
