// The heartbeat keys read again while the speaker runs (issue #14): the shell around
// LiveHeartbeatKeys (heartbeat-keys.ts), with its metric and its log lines.
import type { Logger } from 'pino';
import { KEY_RELOAD_MS } from './heartbeat-keys.ts';
import type { LiveHeartbeatKeys } from './heartbeat-keys.ts';
import type { SpeakerMetrics } from './metrics.ts';

/**
 * Reads the key files again every KEY_RELOAD_MS: a safe step of a rotation is taken at once, an
 * unsafe change or an unreadable file keeps the keys in use and is said once (issue #14). Key
 * ids only, never key bytes.
 */
export function watchHeartbeatKeys(keys: LiveHeartbeatKeys | null, metrics: SpeakerMetrics, log: Logger, everyMs = KEY_RELOAD_MS): () => void {
  const show = (sign: string, also: string): void => {
    metrics.heartbeatKeyInfo.reset();
    metrics.heartbeatKeyInfo.set({ sign, also }, 1);
  };
  if (keys === null) {
    show('none', 'none');
    log.warn({ code: 'HERALD_INSECURE_HEARTBEATS' }, 'heartbeats are not authenticated (--insecure-heartbeats): any host on the segment can forge them and keep a dead node\'s VIPs dark; mount the heartbeat key instead (docs/l2.md)');
    return () => undefined;
  }
  const first = keys.ids();
  show(first.sign, first.also);
  log.info({ signKey: first.sign, alsoKey: first.also }, 'heartbeats are signed');
  let told = '';
  const timer = setInterval(() => {
    const r = keys.reload();
    if (r.kind === 'same') {
      told = '';
      return;
    }
    if (r.kind === 'rotated') {
      told = '';
      show(r.to.sign, r.to.also);
      log.info({ signKey: r.to.sign, alsoKey: r.to.also, wasSignKey: r.from.sign, wasAlsoKey: r.from.also }, 'heartbeat keys changed');
      return;
    }
    const said = r.kind === 'unsafe' ? `${r.found.sign}/${r.found.also}` : r.error;
    if (said === told) return;
    told = said;
    if (r.kind === 'unsafe') {
      log.warn({ code: 'HERALD_HEARTBEAT_KEY_UNSAFE_CHANGE', signKey: r.kept.sign, alsoKey: r.kept.also, foundSignKey: r.found.sign, foundAlsoKey: r.found.also }, 'the heartbeat key files changed in one step that nodes not yet reloaded could not follow; keeping the keys in use. Rotate in three steps (docs/l2.md, "Rotating the heartbeat key")');
    } else {
      log.warn({ code: 'HERALD_KEY_FILE', signKey: r.kept.sign, alsoKey: r.kept.also }, `heartbeat keys not reloaded: ${r.error}; keeping the keys in use`);
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
