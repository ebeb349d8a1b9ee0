// Local control endpoints under /herald-dev/ (documented in the command's help and docs/devapi.md).
// They are not Kubernetes APIs: they exist so tests can break the stand-in on purpose.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultState, RequestCounters, Verb } from './faults.ts';
import { sendJson } from './http-io.ts';
import type { JsonObject } from './json.ts';
import type { WatchHub } from './watch.ts';

export interface HookDeps {
  faults: FaultState;
  watches: WatchHub;
  counters(): RequestCounters;
}

const VERBS: readonly Verb[] = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

function isVerb(v: string): v is Verb {
  return VERBS.some((x) => x === v);
}

function bad(res: ServerResponse, message: string, code = 400): void {
  sendJson(res, code, { error: message });
}

export function handleHook(req: IncomingMessage, res: ServerResponse, url: URL, d: HookDeps): void {
  const route = `${req.method ?? 'GET'} ${url.pathname.replace(/\/+$/, '')}`;
  const q = url.searchParams;
  switch (route) {
    case 'POST /herald-dev/close-watches':
      sendJson(res, 200, { closed: d.watches.close() });
      return;
    case 'POST /herald-dev/fail': {
      const count = Number(q.get('count') ?? '1');
      const code = Number(q.get('code') ?? '500');
      if (!Number.isInteger(count) || count < 0) return bad(res, 'count must be a non-negative integer');
      if (code !== 500 && code !== 429) return bad(res, 'code must be 500 or 429');
      const verb = q.get('verb') ?? undefined;
      if (verb !== undefined && !isVerb(verb)) return bad(res, `verb must be one of ${VERBS.join(', ')}`);
      const resource = q.get('resource') ?? undefined;
      d.faults.failNext(count, code, { verb, resource });
      sendJson(res, 200, { failNext: count, code, ...(verb === undefined ? {} : { verb }), ...(resource === undefined ? {} : { resource }) });
      return;
    }
    case 'POST /herald-dev/unreachable': {
      const seconds = Number(q.get('seconds') ?? '');
      if (!Number.isFinite(seconds) || seconds <= 0) return bad(res, 'seconds must be a positive number');
      // The partition starts now; this connection goes once the answer is out.
      d.faults.unreachable(seconds, req.socket);
      res.once('finish', () => req.socket.destroy());
      sendJson(res, 200, { unreachableSeconds: seconds });
      return;
    }
    case 'GET /herald-dev/counters': {
      const c: JsonObject = { ...d.counters() };
      sendJson(res, 200, c);
      return;
    }
    case 'POST /herald-dev/counters/reset':
      d.faults.reset();
      sendJson(res, 200, { reset: true });
      return;
    default:
      bad(res, `no such hook: ${route}`, 404);
  }
}
