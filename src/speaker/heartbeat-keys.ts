// The speaker's heartbeat keys, read from files (issue #14; docs/l2.md, "Rotating the heartbeat
// key"). `--heartbeat-key-file` signs and is accepted; `--heartbeat-accept-key-file`, while that
// file exists, is accepted too. The kubelet rewrites a mounted Secret in place, so the files are
// read again every KEY_RELOAD_MS and a rotation needs no restart, hence no failover.
//
// Key bytes go nowhere but into the HMAC: logs and metrics name a key by keyId() (issue #14,
// "no secret in logs, Events, metrics").
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { HeartbeatKeys } from '../election/heartbeat.ts';

/** HMAC-SHA256 keys shorter than this are refused (RFC 2104 §3: at least the tag length). */
export const MIN_KEY_BYTES = 16;
/** The kubelet refreshes a mounted Secret within about a minute; this adds at most 10 s. */
export const KEY_RELOAD_MS = 10_000;

export interface KeyFiles {
  /** Signs, and is accepted. */
  key: string;
  /** Accepted too while the file exists: the key before a rotation, or the next one. */
  accept?: string;
}

export type KeyFileResult = { ok: true; keys: HeartbeatKeys } | { ok: false; error: string };

function errnoOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : '';
}

function readKey(path: string, flag: string, optional: boolean): { ok: true; key: Uint8Array | null } | { ok: false; error: string } {
  let key: Uint8Array;
  try {
    key = new Uint8Array(readFileSync(path));
  } catch (err) {
    const code = errnoOf(err);
    if (optional && code === 'ENOENT') return { ok: true, key: null };
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be read (${err instanceof Error ? err.message : String(err)})`;
    return { ok: false, error: `${flag} "${path}" ${why}; mount the Secret with the heartbeat key there (deploy/speaker.yaml, docs/l2.md)` };
  }
  if (key.length < MIN_KEY_BYTES) return { ok: false, error: `${flag} "${path}" holds ${key.length} bytes; a heartbeat key must hold at least ${MIN_KEY_BYTES} bytes (e.g. \`head -c 32 /dev/urandom\`)` };
  return { ok: true, key };
}

/** Reads both files; the accept file may be absent (no second key). */
export function readHeartbeatKeys(files: KeyFiles): KeyFileResult {
  const sign = readKey(files.key, '--heartbeat-key-file', false);
  if (!sign.ok) return sign;
  if (sign.key === null) return { ok: false, error: `--heartbeat-key-file "${files.key}" does not exist` };
  let also: Uint8Array | null = null;
  if (files.accept !== undefined) {
    const r = readKey(files.accept, '--heartbeat-accept-key-file', true);
    if (!r.ok) return r;
    also = r.key;
  }
  return { ok: true, keys: { sign: sign.key, also } };
}

/**
 * A key's name in logs and metrics: 8 hex digits of HMAC-SHA256(key, "herald heartbeat key id").
 * 32 bits of a keyed hash tell two keys apart and nothing about either.
 */
export function keyId(key: Uint8Array | null): string {
  return key === null ? 'none' : createHmac('sha256', key).update('herald heartbeat key id').digest('hex').slice(0, 8);
}

const equal = (a: Uint8Array | null, b: Uint8Array | null): boolean => (a === null || b === null ? a === b : a.length === b.length && timingSafeEqual(a, b));
const accepts = (k: HeartbeatKeys, key: Uint8Array): boolean => equal(k.sign, key) || equal(k.also, key);

export type ReloadVerdict = 'same' | 'rotate' | 'unsafe';

/**
 * May a node move from `old` to `next` while others are still at `old`? Only when a node at
 * either accepts what a node at the other signs with: then, whichever nodes have reloaded, every
 * node hears every other. The three steps of a rotation pass ({A} → {A, B} → {B, A} → {B});
 * a one-step swap {A} → {B}, or a skipped step, does not, and would have the nodes not yet
 * reloaded declare this one dead (and it them).
 */
export function reloadVerdict(old: HeartbeatKeys, next: HeartbeatKeys): ReloadVerdict {
  if (equal(old.sign, next.sign) && equal(old.also, next.also)) return 'same';
  return accepts(old, next.sign) && accepts(next, old.sign) ? 'rotate' : 'unsafe';
}

export type ReloadResult =
  | { kind: 'same' }
  | { kind: 'rotated'; from: KeyIds; to: KeyIds }
  /** Refused: the node keeps `kept` until the files hold a safe step (or it restarts). */
  | { kind: 'unsafe'; kept: KeyIds; found: KeyIds }
  | { kind: 'unreadable'; kept: KeyIds; error: string };

export interface KeyIds {
  sign: string;
  also: string;
}

export function keyIds(k: HeartbeatKeys): KeyIds {
  return { sign: keyId(k.sign), also: keyId(k.also) };
}

/**
 * The keys the L2 driver signs and checks with: a HeartbeatKeys whose fields change when
 * reload() finds a safe step in the files. The codec reads them at every heartbeat.
 */
export class LiveHeartbeatKeys implements HeartbeatKeys {
  readonly files: KeyFiles;
  #keys: HeartbeatKeys;

  constructor(files: KeyFiles, first: HeartbeatKeys) {
    this.files = files;
    this.#keys = first;
  }

  /** Reads the files at once; the first read's error is a start-up failure (exit 1). */
  static open(files: KeyFiles): { ok: true; keys: LiveHeartbeatKeys } | { ok: false; error: string } {
    const r = readHeartbeatKeys(files);
    return r.ok ? { ok: true, keys: new LiveHeartbeatKeys(files, r.keys) } : r;
  }

  get sign(): Uint8Array {
    return this.#keys.sign;
  }

  get also(): Uint8Array | null {
    return this.#keys.also;
  }

  ids(): KeyIds {
    return keyIds(this.#keys);
  }

  /** Reads the files again and takes the keys when that is a safe step (reloadVerdict). */
  reload(): ReloadResult {
    const r = readHeartbeatKeys(this.files);
    if (!r.ok) return { kind: 'unreadable', kept: this.ids(), error: r.error };
    const verdict = reloadVerdict(this.#keys, r.keys);
    if (verdict === 'same') return { kind: 'same' };
    if (verdict === 'unsafe') return { kind: 'unsafe', kept: this.ids(), found: keyIds(r.keys) };
    const from = this.ids();
    this.#keys = r.keys;
    return { kind: 'rotated', from, to: this.ids() };
  }
}
