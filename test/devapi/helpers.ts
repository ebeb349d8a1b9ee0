// Shared helpers of the devapi tests: a server per test on loopback, a typed fetch wrapper and a
// watch-stream reader. Each helper waits on events, never on wall-clock time.
import { fileURLToPath } from 'node:url';
import { startDevApiServer, type DevApiServer, type DevApiServerOptions } from '../../src/devapi/server.ts';
import { isObject, type Json, type JsonObject } from '../../src/devapi/json.ts';

export const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));

export async function startTestServer(over: Partial<DevApiServerOptions> = {}): Promise<DevApiServer> {
  return startDevApiServer({ host: '127.0.0.1', port: 0, crdDirs: [FIXTURES], includeDeployCrds: false, ...over });
}

export interface Reply {
  status: number;
  body: JsonObject;
  headers: Headers;
}

export async function call(server: DevApiServer, method: string, path: string, body?: Json, contentType = 'application/json'): Promise<Reply> {
  const init: RequestInit = { method, headers: { 'content-type': contentType } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const r = await fetch(server.url + path, init);
  const text = await r.text();
  let parsed: unknown = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { text };
  }
  return { status: r.status, body: isObject(parsed) ? parsed : { value: text }, headers: r.headers };
}

/** Reads a nested field: get(obj, 'metadata', 'name'). */
export function get(v: Json | undefined, ...path: (string | number)[]): Json | undefined {
  let cur: Json | undefined = v;
  for (const k of path) {
    if (typeof k === 'number') cur = Array.isArray(cur) ? cur[k] : undefined;
    else cur = isObject(cur) ? cur[k] : undefined;
  }
  return cur;
}

export function svc(name: string, spec: JsonObject = {}, meta: JsonObject = {}): JsonObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, ...meta }, spec: { ports: [{ port: 80 }], ...spec } };
}

export function widget(name: string, spec: JsonObject = { size: 3 }, meta: JsonObject = {}): JsonObject {
  return { apiVersion: 'devapi.test/v1', kind: 'Widget', metadata: { name, ...meta }, spec };
}

export const WIDGETS = '/apis/devapi.test/v1/namespaces/default/widgets';
export const SERVICES = '/api/v1/namespaces/default/services';

/** A watch response read line by line. */
export class WatchStream {
  private readonly queue: (JsonObject | 'end')[] = [];
  private waiter: (() => void) | undefined;
  private readonly abort: AbortController;
  readonly status: number;

  private constructor(abort: AbortController, status: number) {
    this.abort = abort;
    this.status = status;
  }

  static async open(server: DevApiServer, path: string): Promise<WatchStream> {
    const abort = new AbortController();
    const r = await fetch(server.url + path, { signal: abort.signal });
    const w = new WatchStream(abort, r.status);
    void w.pump(r);
    return w;
  }

  private async pump(r: Response): Promise<void> {
    const body = r.body;
    if (body === null) return this.push('end');
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of body) {
        buf += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const v: unknown = JSON.parse(line);
          if (isObject(v)) this.push(v);
        }
      }
    } catch {
      // aborted or dropped: the stream ends either way
    }
    this.push('end');
  }

  private push(e: JsonObject | 'end'): void {
    this.queue.push(e);
    this.waiter?.();
  }

  /** The next event, or 'end' when the server closed the stream. */
  async next(): Promise<JsonObject | 'end'> {
    while (this.queue.length === 0) await new Promise<void>((r) => (this.waiter = r));
    const e = this.queue.shift() ?? 'end';
    if (e === 'end') this.queue.unshift('end');
    return e;
  }

  /** Next event that is not a BOOKMARK. */
  async nextChange(): Promise<JsonObject | 'end'> {
    for (;;) {
      const e = await this.next();
      if (e === 'end' || e['type'] !== 'BOOKMARK') return e;
    }
  }

  close(): void {
    this.abort.abort();
  }
}

export function eventSummary(e: JsonObject | 'end'): string {
  if (e === 'end') return 'end';
  return `${String(e['type'])} ${String(get(e, 'object', 'metadata', 'name') ?? '')}`;
}

/** A copy of `obj` with `metadata.labels` replaced. */
export function withLabels(obj: JsonObject, labels: Record<string, string>): JsonObject {
  const copy = structuredClone(obj);
  const meta = copy['metadata'];
  if (isObject(meta)) meta['labels'] = labels;
  return copy;
}

/** The `field` of every cause of a Status body, in order. */
export function causeFields(status: JsonObject): string[] {
  const causes = get(status, 'details', 'causes');
  return Array.isArray(causes) ? causes.map((c) => String(get(c, 'field') ?? '')) : [];
}

/** `metadata.name` of every item of a list body. */
export function itemNames(list: JsonObject): string[] {
  const items = list['items'];
  return Array.isArray(items) ? items.map((i) => String(get(i, 'metadata', 'name') ?? '')) : [];
}
