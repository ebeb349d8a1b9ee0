// The API server's floor for a first allocation (issue #10: "10,000 Services cold start ≤ 2 s"):
// the least any controller must send, with no IPAM in it. It lists the Services a page of 500 at
// a time, then sends each the same merge patch Herald's status writer sends (ingress, Herald's
// condition, the resourceVersion as a precondition), 16 in flight on keep-alive connections, with
// addresses the bench planned (no pools, no allocator, no watch, no Events). Its own CPU is a
// bare Node HTTPS client's: what is left of the window is the API server's.
//   node bench/ipam/floor-writer.ts --kubeconfig FILE [--in-flight 16]
// Prints "floor: wrote N statuses in T ms" and then waits to be stopped, as a controller would.
import https from 'node:https';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { CONDITION_IPAM } from '../../src/api/names.ts';
import { plannedAddresses } from './floor-addresses.ts';
import { asRecord } from './observer.ts';

const { values } = parseArgs({ options: { kubeconfig: { type: 'string' }, 'in-flight': { type: 'string', default: '16' } } });
if (values.kubeconfig === undefined) throw new Error('floor-writer: --kubeconfig FILE is required');
const inFlight = Number(values['in-flight']);
const kc = new KubeConfig();
kc.loadFromFile(values.kubeconfig);
const cluster = kc.getCurrentCluster();
if (cluster === null) throw new Error('floor-writer: the kubeconfig names no cluster');
const server = new URL(cluster.server);
const options: https.RequestOptions = {};
await kc.applyToHTTPSOptions(options);
const secure = server.protocol === 'https:';
const agent = secure ? new https.Agent({ keepAlive: true, maxSockets: inFlight, ca: options.ca, cert: options.cert, key: options.key, rejectUnauthorized: options.rejectUnauthorized }) : new http.Agent({ keepAlive: true, maxSockets: inFlight });

function send(method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'application/json', ...(options.headers as Record<string, string> | undefined) };
    if (body !== undefined) headers['content-type'] = 'application/merge-patch+json';
    const req = (secure ? https : http).request({ host: server.hostname, port: server.port, method, path, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Item {
  metadata: { name: string; namespace: string; resourceVersion: string; generation?: number; annotations?: Record<string, string> };
  spec: { type?: string; ipFamilies?: string[] };
}

/** A listed Service with what the writer reads; anything else is skipped, as Herald's lists skip it. */
function isItem(v: unknown): v is Item {
  const m = asRecord(asRecord(v)?.['metadata']);
  const spec = asRecord(asRecord(v)?.['spec']);
  const families = spec?.['ipFamilies'];
  const familiesOk = families === undefined || (Array.isArray(families) && families.every((f) => typeof f === 'string'));
  return m !== undefined && spec !== undefined && familiesOk && typeof m['name'] === 'string' && typeof m['namespace'] === 'string' && typeof m['resourceVersion'] === 'string';
}

const items: Item[] = [];
let cont = '';
do {
  const r = await send('GET', `/api/v1/services?limit=500${cont === '' ? '' : `&continue=${encodeURIComponent(cont)}`}`);
  if (r.status !== 200) throw new Error(`floor-writer: list answered ${r.status}: ${r.text.slice(0, 200)}`);
  const page = asRecord(JSON.parse(r.text));
  const listed: unknown = page?.['items'];
  if (!Array.isArray(listed)) throw new Error(`floor-writer: the list answer has no items: ${r.text.slice(0, 200)}`);
  for (const s of listed) if (isItem(s) && s.spec.type === 'LoadBalancer') items.push(s);
  const next = asRecord(page?.['metadata'])?.['continue'];
  cont = typeof next === 'string' ? next : '';
} while (cont !== '');

const t0 = performance.now();
const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
let next = 0;
let failed = 0;
async function worker(): Promise<void> {
  for (let i = next++; i < items.length; i = next++) {
    const s = items[i];
    if (s === undefined) continue;
    const ips = plannedAddresses(s.metadata.name, s.spec.ipFamilies ?? ['IPv4'], s.metadata.annotations);
    const condition = { type: CONDITION_IPAM, status: 'True', reason: 'Satisfied', message: `allocated ${ips.join(', ')}`, observedGeneration: s.metadata.generation, lastTransitionTime: now };
    const body = JSON.stringify({ metadata: { resourceVersion: s.metadata.resourceVersion }, status: { loadBalancer: { ingress: ips.map((ip) => ({ ip, ipMode: 'VIP' })) }, conditions: [condition] } });
    const r = await send('PATCH', `/api/v1/namespaces/${s.metadata.namespace}/services/${s.metadata.name}/status`, body);
    if (r.status !== 200) failed++;
  }
}
await Promise.all(Array.from({ length: inFlight }, worker));
console.log(`floor: wrote ${items.length - failed} statuses in ${(performance.now() - t0).toFixed(0)} ms (${failed} failed)`);
setInterval(() => {}, 1 << 30);
process.on('SIGTERM', () => process.exit(0));
