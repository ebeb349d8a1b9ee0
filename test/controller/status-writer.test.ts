// StatusWriter: Service status writes go the lean path (kube/http.ts) with the same retry rules
// as before (issue #10, bench/README.md IPAM Finding 5).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CoreV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { PooledKubeConfig } from '../../src/kube/client.ts';
import { makeClients } from '../../src/kube/api-clients.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { StatusWriter } from '../../src/controller/status-writer.ts';
import type { ServiceWrite } from '../../src/controller/reconciler.ts';

interface Fake {
  url: string;
  requests: { method: string; url: string; contentType: string | undefined; body: unknown }[];
  maxInFlight: () => number;
  close: () => Promise<void>;
}

/** Answers each status write with the code `codeFor(name)` picks, after `delayMs`. */
async function fakeServer(codeFor: (name: string) => number, delayMs = 0): Promise<Fake> {
  const requests: Fake['requests'] = [];
  let inFlight = 0;
  let max = 0;
  const srv = createServer((req, res) => {
    inFlight++;
    max = Math.max(max, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      const name = /services\/([^/]+)\/status$/.exec(req.url ?? '')?.[1] ?? '';
      setTimeout(() => {
        inFlight--;
        const code = codeFor(name);
        res.statusCode = code;
        res.setHeader('content-type', 'application/json');
        res.end(code < 300 ? '{"kind":"Service"}' : JSON.stringify({ kind: 'Status', code, message: `fake ${code}` }));
      }, delayMs);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    maxInFlight: () => max,
    close: () => {
      srv.closeAllConnections();
      return new Promise((r) => srv.close(() => r()));
    },
  };
}

/** Real clients for `url`, except that client-node's patchNamespacedServiceStatus must not be used. */
function clientsFor(url: string): KubeClients {
  const kc = new PooledKubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  const clients = makeClients(kc);
  const core = new Proxy(clients.core, {
    get(target: CoreV1Api, prop, receiver) {
      if (prop === 'patchNamespacedServiceStatus') throw new Error('status writes must not go through client-node (bench/README.md IPAM Finding 5)');
      return Reflect.get(target, prop, receiver);
    },
  });
  return { ...clients, core };
}

function write(name: string, ips: string[]): ServiceWrite {
  return {
    key: `apps/${name}`,
    service: { metadata: { name, namespace: 'apps', resourceVersion: `rv-${name}` } },
    status: { loadBalancer: { ingress: ips.map((ip) => ({ ip, ipMode: 'VIP' })) }, conditions: [{ type: 'herald.dev/IPAMRequestSatisfied', status: 'True', reason: 'Satisfied', message: '', lastTransitionTime: new Date('2026-01-02T03:04:05Z') }] },
  };
}

function writer(clients: KubeClients, concurrency = 4): { w: StatusWriter; retried: (string | null)[]; errors: string[] } {
  const retried: (string | null)[] = [];
  const errors: string[] = [];
  const w = new StatusWriter({ clients, log: pino({ level: 'silent' }), concurrency, retry: (k) => retried.push(k), onError: (verb, resource) => errors.push(`${verb} ${resource}`) });
  return { w, retried, errors };
}

describe('StatusWriter', () => {
  it('regression (bench/README.md IPAM Finding 5): a Service status is a merge patch on the lean path, with the resourceVersion precondition', async () => {
    const s = await fakeServer(() => 200);
    try {
      const { w, retried, errors } = writer(clientsFor(s.url));
      await w.write([write('web', ['192.0.2.1']), { ...write('gone', []), status: { loadBalancer: {}, conditions: [] } }], []);
      const byName = new Map(s.requests.map((r) => [r.url, r]));
      const web = byName.get('/api/v1/namespaces/apps/services/web/status');
      assert.equal(web?.method, 'PATCH');
      assert.equal(web?.contentType, 'application/merge-patch+json');
      assert.deepEqual(web?.body, {
        metadata: { resourceVersion: 'rv-web' },
        status: { loadBalancer: { ingress: [{ ip: '192.0.2.1', ipMode: 'VIP' }] }, conditions: [{ type: 'herald.dev/IPAMRequestSatisfied', status: 'True', reason: 'Satisfied', message: '', lastTransitionTime: '2026-01-02T03:04:05.000Z' }] },
      });
      // Clearing sends `ingress: null`: a merge patch deletes the list only so.
      assert.deepEqual(byName.get('/api/v1/namespaces/apps/services/gone/status')?.body, { metadata: { resourceVersion: 'rv-gone' }, status: { loadBalancer: { ingress: null }, conditions: [] } });
      assert.deepEqual([retried, errors], [[], []]);
    } finally {
      await s.close();
    }
  });

  it('409: decided again on the newer object, no error counted; 404: deleted meanwhile, nothing to do', async () => {
    const s = await fakeServer((name) => (name === 'moved' ? 409 : 404));
    try {
      const { w, retried, errors } = writer(clientsFor(s.url));
      await w.write([write('moved', ['192.0.2.1']), write('deleted', ['192.0.2.2'])], []);
      assert.deepEqual([retried, errors], [['apps/moved'], []]);
    } finally {
      await s.close();
    }
  });

  it('429 and 5xx: counted as write errors and retried', async () => {
    const s = await fakeServer((name) => (name === 'throttled' ? 429 : 503));
    try {
      const { w, retried, errors } = writer(clientsFor(s.url));
      await w.write([write('throttled', ['192.0.2.1']), write('down', ['192.0.2.2'])], []);
      assert.deepEqual([...retried].sort(), ['apps/down', 'apps/throttled']);
      assert.deepEqual(errors, ['patch services/status', 'patch services/status']);
    } finally {
      await s.close();
    }
  });

  it('no server: counted as a write error and retried', async () => {
    const s = await fakeServer(() => 200);
    await s.close();
    const { w, retried, errors } = writer(clientsFor(s.url));
    await w.write([write('web', ['192.0.2.1'])], []);
    assert.deepEqual([retried, errors], [['apps/web'], ['patch services/status']]);
  });

  it('keeps at most `concurrency` writes in flight', async () => {
    const s = await fakeServer(() => 200, 20);
    try {
      const { w } = writer(clientsFor(s.url), 3);
      await w.write(Array.from({ length: 12 }, (_, i) => write(`s${i}`, [`192.0.2.${i + 1}`])), []);
      assert.equal(s.requests.length, 12);
      assert.ok(s.maxInFlight() <= 3, `max in flight ${s.maxInFlight()}`);
    } finally {
      await s.close();
    }
  });
});
