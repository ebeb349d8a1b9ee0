// Watches: newline-delimited JSON events over a chunked 200 response
// (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes).
// Filtering follows the watch cache: an object that starts matching a selector arrives as
// ADDED, one that stops matching as DELETED (its previous state with the new resourceVersion).
import type { ServerResponse } from 'node:http';
import { badRequest, expired } from './errors.ts';
import { child, clone, type JsonObject } from './json.ts';
import { external, matches, type ApiContext, type Filter } from './rest-common.ts';
import { apiVersionOf, type ResourceType } from './resource-type.ts';
import type { StoreEvent } from './store.ts';

export interface WatchParams {
  rt: ResourceType;
  filter: Filter;
  resourceVersion: string | undefined;
  allowBookmarks: boolean;
  sendInitialEvents: boolean | undefined;
  timeoutSeconds: number | undefined;
}

/** kube-apiserver's default watch lifetime: --min-request-timeout (1800 s) times [1, 2). */
const DEFAULT_TIMEOUT_S = 1800;

class ActiveWatch {
  readonly rt: ResourceType;
  private readonly res: ServerResponse;
  private readonly filter: Filter;
  readonly allowBookmarks: boolean;
  private readonly ctx: ApiContext;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly onEnd: (w: ActiveWatch) => void;

  constructor(ctx: ApiContext, res: ServerResponse, p: WatchParams, onEnd: (w: ActiveWatch) => void) {
    this.ctx = ctx;
    this.res = res;
    this.rt = p.rt;
    this.filter = p.filter;
    this.allowBookmarks = p.allowBookmarks;
    this.onEnd = onEnd;
  }

  start(p: WatchParams, startRV: number | undefined): void {
    this.res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    this.res.flushHeaders();
    this.res.on('close', () => this.end());
    const timeout = p.timeoutSeconds ?? DEFAULT_TIMEOUT_S * (1 + Math.random());
    this.timer = setTimeout(() => {
      if (this.allowBookmarks) this.bookmark();
      this.end();
    }, timeout * 1000);
    this.timer.unref();
    const store = this.ctx.store;
    if (startRV === undefined) {
      // "Get State and Start at Most Recent": synthetic ADDED for everything that matches now.
      for (const o of store.list(this.rt.storage, this.filter.namespace)) {
        const obj = external(this.rt, o);
        if (matches(this.rt, this.filter, obj)) this.send('ADDED', obj);
      }
      if (p.sendInitialEvents === true && this.allowBookmarks) this.bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else {
      const events = store.since(this.rt.storage, startRV);
      if (events === 'expired') {
        this.write({ type: 'ERROR', object: expired(`too old resource version: ${startRV} (${store.oldestReplayableRV()})`).status() });
        this.end();
        return;
      }
      for (const e of events) this.deliver(e);
    }
    this.unsubscribe = store.subscribe((e) => this.deliver(e));
  }

  private deliver(e: StoreEvent): void {
    if (this.closed || e.storage !== this.rt.storage) return;
    const cur = external(this.rt, e.object);
    if (e.type === 'ADDED') {
      if (matches(this.rt, this.filter, cur)) this.send('ADDED', cur);
      return;
    }
    if (e.type === 'DELETED') {
      if (matches(this.rt, this.filter, cur)) this.send('DELETED', cur);
      return;
    }
    const prev = e.prev === undefined ? undefined : external(this.rt, e.prev);
    const nowIn = matches(this.rt, this.filter, cur);
    const wasIn = prev !== undefined && matches(this.rt, this.filter, prev);
    if (nowIn && wasIn) this.send('MODIFIED', cur);
    else if (nowIn) this.send('ADDED', cur);
    else if (wasIn && prev !== undefined) {
      const gone = clone(prev);
      child(gone, 'metadata')['resourceVersion'] = String(e.rv);
      this.send('DELETED', gone);
    }
  }

  private send(type: string, object: JsonObject): void {
    this.write({ type, object });
  }

  bookmark(annotations?: Record<string, string>): void {
    const metadata: JsonObject = { resourceVersion: String(this.ctx.store.currentRV()) };
    if (annotations !== undefined) metadata['annotations'] = annotations;
    this.write({ type: 'BOOKMARK', object: { kind: this.rt.kind, apiVersion: apiVersionOf(this.rt), metadata } });
  }

  private write(event: JsonObject): void {
    if (this.closed || this.res.destroyed) return;
    this.res.write(`${JSON.stringify(event)}\n`);
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (!this.res.destroyed) this.res.end();
    this.onEnd(this);
  }
}

export class WatchHub {
  private readonly watches = new Set<ActiveWatch>();
  private readonly ctx: ApiContext;
  private readonly bookmarkTimer: NodeJS.Timeout;

  constructor(ctx: ApiContext, bookmarkIntervalMs: number) {
    this.ctx = ctx;
    this.bookmarkTimer = setInterval(() => {
      for (const w of this.watches) if (w.allowBookmarks) w.bookmark();
    }, bookmarkIntervalMs);
    this.bookmarkTimer.unref();
  }

  /** Validates the parameters (BadRequest before any byte is sent), then streams. */
  start(res: ServerResponse, p: WatchParams): void {
    let startRV: number | undefined;
    const rv = p.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== '0') {
      if (!/^[0-9]+$/.test(rv)) throw badRequest(`resourceVersion: Invalid value: ${JSON.stringify(rv)}: strconv.ParseUint: parsing ${JSON.stringify(rv)}: invalid syntax`);
      startRV = Number(rv);
    }
    if (p.sendInitialEvents === true && !p.allowBookmarks) throw badRequest('sendInitialEvents: Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true');
    if (p.sendInitialEvents === true) startRV = undefined;
    const w = new ActiveWatch(this.ctx, res, p, (x) => this.watches.delete(x));
    this.watches.add(w);
    w.start(p, startRV);
  }

  count(): number {
    return this.watches.size;
  }

  /** Ends matching watches (all when no predicate); returns how many. */
  close(pred: (rt: ResourceType) => boolean = () => true): number {
    let n = 0;
    for (const w of [...this.watches]) {
      if (!pred(w.rt)) continue;
      w.end();
      n++;
    }
    return n;
  }

  stop(): void {
    clearInterval(this.bookmarkTimer);
    this.close();
  }
}
