// The heartbeat key flags for the bench's speakers (issue #14: a speaker refuses to start without
// a key). Every speaker of one run reads one key file beside the run's kubeconfig, made by the
// first to need it: written aside, then hard-linked into place, so a speaker never reads half a
// key. Speakers older than the key requirement get no flag (benches also run older commits).
import { randomBytes } from 'node:crypto';
import { linkSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SPEAKER_HELP } from '../../src/speaker/command.ts';

export function heartbeatKeyFlags(kubeconfig: string): string[] {
  if (!SPEAKER_HELP.includes('--insecure-heartbeats')) return [];
  const file = join(dirname(kubeconfig), 'heartbeat-key');
  const aside = `${file}.${process.pid}`;
  writeFileSync(aside, randomBytes(32), { mode: 0o600 });
  try {
    linkSync(aside, file);
  } catch (err) {
    if (!(typeof err === 'object' && err !== null && 'code' in err && err.code === 'EEXIST')) throw err;
  } finally {
    rmSync(aside, { force: true });
  }
  return ['--heartbeat-key-file', file];
}
