// A minimal JSON-over-HTTPS client for the harness's own calls to a real kube-apiserver (readiness,
// CRDs, TokenRequest). The code under test uses @kubernetes/client-node; this only sets the stage.
import { request } from 'node:https';

export interface HttpsTarget {
  url: string;
  ca: string;
  token: string;
}

export interface HttpsReply {
  status: number;
  body: string;
}

export function httpsCall(t: HttpsTarget, method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<HttpsReply> {
  const url = new URL(path, t.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: t.ca,
        headers: { authorization: `Bearer ${t.token}`, accept: 'application/json', ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
