// client-node's generated API clients and its Watch, sent through Herald's transport
// (transport.ts) instead of undici's fetch (issue #10: the speaker's memory). The generated code
// builds the request and reads the answer as before (its ObjectSerializer, its ApiException on
// an error status); only the bytes travel another way. Credentials come with the transport, so
// the configuration has no auth method of its own.
import { STATUS_CODES } from 'node:http';
import { ResponseContext, ServerConfiguration, Watch, createConfiguration, wrapHttpLibrary } from '@kubernetes/client-node';
import type { Configuration, HttpLibrary, KubeConfig, RequestContext, SecurityAuthentication } from '@kubernetes/client-node';
import { pathBelow, readText } from './transport.ts';
import type { KubeTransport } from './transport.ts';

/** The transport adds the kubeconfig's credentials to every request itself. */
const CREDENTIALS_IN_TRANSPORT: SecurityAuthentication = {
  getName: () => 'herald-transport',
  applySecurityAuthentication: () => {},
};

/** The path below the API server of a request the generated code built from the server URL. */
function pathOf(t: KubeTransport, url: string): string {
  const server = t.server();
  const rest = pathBelow(server, url);
  if (rest === undefined) throw new Error(`a request to ${url} is not for the API server ${server}`);
  // A server URL with a trailing slash gave the generated code "…/c-1//api/v1/…".
  return rest.replace(/^\/+/, '/');
}

async function send(t: KubeTransport, ctx: RequestContext): Promise<ResponseContext> {
  const body = ctx.getBody();
  if (body !== undefined && typeof body !== 'string') throw new Error(`${ctx.getHttpMethod()} ${ctx.getUrl()}: only JSON bodies are sent`);
  const signal = ctx.getSignal();
  const a = await t.request({ method: ctx.getHttpMethod(), path: pathOf(t, ctx.getUrl()), headers: ctx.getHeaders(), ...(body === undefined ? {} : { body }), ...(signal === undefined ? {} : { signal }) });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(a.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  // Read at once, whoever asks later: the connection goes back to the pool only once drained.
  const text = a.ok ? readText(a.body) : Promise.resolve(a.text);
  text.catch(() => {}); // a reader that never comes must not leave an unhandled rejection; readers get it
  return new ResponseContext(a.status, headers, {
    text: () => text,
    binary: async () => Buffer.from(await text, 'utf8'),
    stream: () => null,
  });
}

function transportHttpLibrary(t: KubeTransport): HttpLibrary {
  return wrapHttpLibrary({ send: (ctx) => send(t, ctx) });
}

/** What makeApiClient builds, with the transport as its HTTP library. */
export function transportConfiguration(t: KubeTransport): Configuration {
  return createConfiguration({
    baseServer: new ServerConfiguration(t.server(), {}),
    authMethods: { default: CREDENTIALS_IN_TRANSPORT },
    httpApi: transportHttpLibrary(t),
  });
}

type WatchCallback = Parameters<Watch['watch']>[2];
type WatchDone = Parameters<Watch['watch']>[3];
type WatchQuery = Parameters<Watch['watch']>[1];

/**
 * A watch that says nothing this long is restarted. client-node's Watch has 30 s
 * (`requestTimeoutMs`); Herald asks for bookmarks, which kube-apiserver sends on a quiet watch
 * about once a minute (k8s.io/apiserver's cacher, `defaultBookmarkFrequency`), so a live watch is
 * never this silent, and a connection dead without a word is found sooner by TCP keep-alive
 * (transport.ts: probes after 30 s, then ten at 1 s). At 30 s, every quiet resource's watch was
 * aborted twice a minute, each abort took its connection down, and the re-watch took the pool's
 * free connection from the next request: over TLS ~9 handshakes a minute per speaker at rest
 * (issue #10, bench/README.md "Sixteenth session").
 */
export const WATCH_INACTIVITY_MS = 90_000;

/**
 * A watch's `timeoutSeconds`, as client-go's reflector picks it: 5 min × [1, 2), so the server
 * ends the watch in good order (a bookmark, then the end of the stream: the connection goes back
 * to the pool) and the watches of many speakers do not end together.
 */
export function watchTimeoutSeconds(random: () => number = Math.random): number {
  return Math.floor(300 * (1 + random()));
}

function timeoutError(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}

/**
 * client-node's Watch over the transport, with its contract kept: `done` is called once, when
 * the server closes the stream or on any error; no event for WATCH_INACTIVITY_MS (90 s, before the
 * answer and between chunks) aborts it with a TimeoutError; a status other than 200 fails with
 * `statusCode` and the status text; a line that is not JSON is skipped.
 */
export class TransportWatch extends Watch {
  readonly #transport: KubeTransport;
  readonly #inactivityMs: number;

  constructor(kc: KubeConfig, transport: KubeTransport, inactivityMs = WATCH_INACTIVITY_MS) {
    super(kc);
    this.#transport = transport;
    this.#inactivityMs = inactivityMs;
  }

  override async watch(path: string, queryParams: WatchQuery, callback: WatchCallback, done: WatchDone): Promise<AbortController> {
    const query = new URLSearchParams({ watch: 'true' });
    for (const [k, v] of Object.entries(queryParams)) if (v !== undefined) query.set(k, String(v));
    if (!query.has('timeoutSeconds')) query.set('timeoutSeconds', String(watchTimeoutSeconds()));
    // Bookmarks keep a quiet watch from the inactivity timer and carry its resourceVersion forward,
    // which ListWatch restarts from (a version the server has forgotten costs a 410 and a list).
    if (!query.has('allowWatchBookmarks')) query.set('allowWatchBookmarks', 'true');
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    let finished = false;
    const resetTimer = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort(timeoutError());
      }, this.#inactivityMs);
      timer.unref();
    };
    const finish = (err: unknown): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      controller.abort();
      done(err !== null && err !== undefined && timedOut ? timeoutError() : err);
    };
    try {
      resetTimer();
      const a = await this.#transport.request({ method: 'GET', path: `${path}?${query.toString()}`, signal: controller.signal });
      if (!a.ok) throw Object.assign(new Error(STATUS_CODES[a.status] ?? 'Internal Server Error'), { statusCode: a.status });
      // The connect timeout is over; from here on it is an inactivity timeout.
      resetTimer();
      const body = a.body;
      body.setEncoding('utf8');
      let partial = '';
      body.on('data', (chunk: string) => {
        if (finished) return;
        resetTimer();
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (line === '') continue;
          let data: { type?: unknown; object?: unknown };
          try {
            data = JSON.parse(line) as { type?: unknown; object?: unknown };
          } catch {
            continue; // as client-node's Watch: one unreadable line is not the end of the stream
          }
          try {
            callback(String(data.type), data.object, data);
          } catch (err) {
            // client-node's Watch dropped a callback's exception with the line; here it ends the
            // watch, and the informer says so and lists again.
            finish(err);
            return;
          }
        }
      });
      body.on('error', finish);
      body.on('end', () => finish(null));
      body.on('close', () => finish(body.readableEnded ? null : (body.errored ?? Object.assign(new Error('the watch connection closed before its end'), { code: 'ECONNRESET' }))));
    } catch (err) {
      finish(err);
    }
    return controller;
  }
}
