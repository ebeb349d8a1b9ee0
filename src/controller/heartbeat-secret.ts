// The heartbeat key, generated, never committed (issue #14, "Security by default"): the leader
// makes the Secret herald-system/herald-heartbeat-key with 32 random bytes when it is missing,
// and never touches one that exists (a rotation edits it; docs/l2.md, "Rotating the heartbeat
// key"). The speaker DaemonSet mounts it (deploy/speaker.yaml).
//
// The key's bytes exist here only in the create request: nothing logs, emits or returns them.
import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { apiStatus, errorMessage } from '../kube/client.ts';
import type { EventSink } from '../kube/events.ts';
import { isKubeObject } from '../kube/http.ts';
import type { KubeHttp } from '../kube/http.ts';

export const HEARTBEAT_SECRET = 'herald-heartbeat-key';
/** The Secret's items, mounted as files of these names: the signing key, and a second accepted one. */
export const HEARTBEAT_KEY_ITEM = 'key';
export const HEARTBEAT_ACCEPT_ITEM = 'accept-key';
export const HEARTBEAT_KEY_BYTES = 32;
/** As the speaker's MIN_KEY_BYTES: a shorter key is refused there. */
const MIN_KEY_BYTES = 16;

/** The two calls made here; CoreV1Api satisfies it, and so does secretApiOver. */
export interface SecretApi {
  readNamespacedSecret(p: { name: string; namespace: string }): Promise<V1Secret>;
  createNamespacedSecret(p: { namespace: string; body: V1Secret }): Promise<unknown>;
}

/** The two calls as plain JSON over the lean path (http.ts; issue #10: no generated clients in the controller). */
export function secretApiOver(http: KubeHttp): SecretApi {
  const secrets = (namespace: string): string => `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
  return {
    readNamespacedSecret: async (p) => {
      const v = await http.json({ method: 'GET', path: `${secrets(p.namespace)}/${encodeURIComponent(p.name)}` });
      if (!isKubeObject<V1Secret>(v)) throw new Error('the API server answered a Secret read with something that is not an object');
      return v;
    },
    // The answer would echo the key: left unread.
    createNamespacedSecret: (p) => http.send({ method: 'POST', path: secrets(p.namespace), body: JSON.stringify(p.body) }),
  };
}

export type SecretOutcome =
  | { kind: 'created' }
  /** Exists with a usable key: left as it is. */
  | { kind: 'exists' }
  /** Exists, but the speakers would refuse its key: left as it is, and said (the fix is a human's). */
  | { kind: 'unusable'; why: string };

export type SecretErrorCode = 'Forbidden' | 'NamespaceMissing' | 'ApiError';
export interface SecretError {
  code: SecretErrorCode;
  message: string;
}

export type SecretResult = { ok: true; value: SecretOutcome } | { ok: false; error: SecretError };

/** The Secret to create (pure). Opaque, so `kubectl edit` can rotate it; labelled as Herald's. */
export function heartbeatSecret(namespace: string, name: string, key: Uint8Array): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      labels: { 'app.kubernetes.io/name': 'herald', 'app.kubernetes.io/component': 'heartbeat-key' },
      annotations: { 'herald.dev/created-by': 'herald controller: the key of the heartbeats between speakers (docs/l2.md); rotate it in three steps, never by deleting this Secret' },
    },
    type: 'Opaque',
    data: { [HEARTBEAT_KEY_ITEM]: Buffer.from(key).toString('base64') },
  };
}

/** Would the speakers accept this Secret's key? null when they would, else why not (pure). */
export function unusableKey(secret: V1Secret): string | null {
  const data = secret.data ?? {};
  const b64 = data[HEARTBEAT_KEY_ITEM];
  if (b64 === undefined) return `it has no item "${HEARTBEAT_KEY_ITEM}"`;
  const n = Buffer.from(b64, 'base64').length;
  if (n < MIN_KEY_BYTES) return `its item "${HEARTBEAT_KEY_ITEM}" holds ${n} bytes, fewer than ${MIN_KEY_BYTES}`;
  const also = data[HEARTBEAT_ACCEPT_ITEM];
  if (also !== undefined && Buffer.from(also, 'base64').length < MIN_KEY_BYTES) return `its item "${HEARTBEAT_ACCEPT_ITEM}" holds fewer than ${MIN_KEY_BYTES} bytes`;
  return null;
}

function secretError(err: unknown, verb: string, namespace: string, name: string): SecretError {
  const status = apiStatus(err);
  const what = `${verb} the Secret ${namespace}/${name}`;
  if (status === 403) return { code: 'Forbidden', message: `cannot ${what}: forbidden (HTTP 403); apply deploy/controller-rbac.yaml, whose Role herald-controller-heartbeat-key grants it` };
  if (status === 404) return { code: 'NamespaceMissing', message: `cannot ${what}: the namespace ${namespace} does not exist; apply deploy/ (\`kubectl apply -k deploy/\`)` };
  return { code: 'ApiError', message: `cannot ${what}: ${errorMessage(err)}` };
}

/** Makes the Secret when it is missing; never overwrites. A lost race with another leader is `exists`. */
export async function ensureHeartbeatSecret(api: SecretApi, namespace: string, name: string, random: () => Uint8Array = () => randomBytes(HEARTBEAT_KEY_BYTES)): Promise<SecretResult> {
  let existing: V1Secret | null = null;
  try {
    existing = await api.readNamespacedSecret({ name, namespace });
  } catch (err) {
    // 404 on a namespaced GET is the Secret; a missing namespace shows at the create.
    if (apiStatus(err) !== 404) return { ok: false, error: secretError(err, 'read', namespace, name) };
  }
  if (existing !== null) {
    const why = unusableKey(existing);
    return { ok: true, value: why === null ? { kind: 'exists' } : { kind: 'unusable', why } };
  }
  try {
    await api.createNamespacedSecret({ namespace, body: heartbeatSecret(namespace, name, random()) });
  } catch (err) {
    if (apiStatus(err) === 409) return { ok: true, value: { kind: 'exists' } };
    return { ok: false, error: secretError(err, 'create', namespace, name) };
  }
  return { ok: true, value: { kind: 'created' } };
}

export interface HeartbeatSecretKeeperOptions {
  api: SecretApi;
  namespace: string;
  name: string;
  log: Logger;
  events?: EventSink;
  /** First retry after a failure; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  random?: () => Uint8Array;
}

/**
 * One per leader term: ensures the Secret once, retrying with backoff until an answer says it
 * exists or was made. Each outcome is logged once (the key never is).
 */
export class HeartbeatSecretKeeper {
  readonly #o: HeartbeatSecretKeeperOptions;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #lastError = '';
  #done: Promise<SecretOutcome | null>;
  #resolve: (v: SecretOutcome | null) => void = () => undefined;

  constructor(o: HeartbeatSecretKeeperOptions) {
    this.#o = o;
    this.#done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  /** Resolves with the outcome, or null when stopped first. */
  get done(): Promise<SecretOutcome | null> {
    return this.#done;
  }

  start(): void {
    void this.#attempt(this.#o.retryMs ?? 1_000);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#resolve(null);
  }

  async #attempt(delayMs: number): Promise<void> {
    if (this.#stopped) return;
    const { api, namespace, name, log, events } = this.#o;
    const r = await ensureHeartbeatSecret(api, namespace, name, this.#o.random);
    if (this.#stopped) return;
    if (!r.ok) {
      if (r.error.message !== this.#lastError) log.warn({ code: `HERALD_HEARTBEAT_SECRET_${r.error.code.toUpperCase()}`, secretName: `${namespace}/${name}` }, `${r.error.message}; the speakers cannot start without it (retrying)`);
      this.#lastError = r.error.message;
      this.#timer = setTimeout(() => void this.#attempt(Math.min(delayMs * 2, this.#o.maxRetryMs ?? 30_000)), delayMs);
      return;
    }
    const target = { kind: 'Secret', apiVersion: 'v1', namespace, name };
    switch (r.value.kind) {
      case 'created':
        log.info({ secretName: `${namespace}/${name}` }, `created the heartbeat key Secret ${namespace}/${name} (${HEARTBEAT_KEY_BYTES} random bytes); the speakers mount it`);
        events?.emit(target, 'Normal', 'HeartbeatKeyCreated', `created with ${HEARTBEAT_KEY_BYTES} random bytes for the heartbeats between speakers; rotate it in three steps (docs/l2.md, "Rotating the heartbeat key")`);
        break;
      case 'exists':
        log.debug({ secretName: `${namespace}/${name}` }, 'the heartbeat key Secret exists; left as it is');
        break;
      case 'unusable':
        log.warn({ code: 'HERALD_HEARTBEAT_KEY_UNUSABLE', secretName: `${namespace}/${name}` }, `the heartbeat key Secret ${namespace}/${name} exists but ${r.value.why}: the speakers will refuse it; put ${HEARTBEAT_KEY_BYTES} random bytes in "${HEARTBEAT_KEY_ITEM}" (docs/l2.md), Herald does not overwrite it`);
        events?.emit(target, 'Warning', 'HeartbeatKeyUnusable', `${r.value.why}: the speakers will refuse it; put ${HEARTBEAT_KEY_BYTES} random bytes in "${HEARTBEAT_KEY_ITEM}" (docs/l2.md)`);
        break;
    }
    this.#resolve(r.value);
  }
}
