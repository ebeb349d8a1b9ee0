// Each speaker in a memory cgroup of its own, as each node's speaker Pod runs under the DaemonSet's
// `resources.limits.memory` (issue #10). It matters for what the footprint bench measures, not
// only for OOM kills: Node reads the limit (`process.constrainedMemory()`) and V8 sizes its heap
// from it. Outside a cgroup, on this 24 GB host, V8 takes a 4.3 GB heap limit and lets old space
// grow up to 4× what a full collection left; inside any group of a few hundred MiB it takes a 259
// MB limit and a growing factor near 1.3, so a join's garbage grows the heap far less. A speaker
// measured outside a cgroup is therefore not the speaker a Pod runs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createMemoryCgroup, parseMemoryQuantity } from '../ipam/memory-cgroup.ts';
import type { MemoryCgroup } from '../ipam/memory-cgroup.ts';

const SPEAKER_MANIFEST = fileURLToPath(new URL('../../deploy/speaker.yaml', import.meta.url));

/** The speaker container's memory limit in deploy/speaker.yaml, as written there (e.g. `384Mi`). */
export function deployedSpeakerLimit(manifest = readFileSync(SPEAKER_MANIFEST, 'utf8')): string {
  // The only `limits:` block of the DaemonSet is the speaker container's.
  const m = /^\s+limits:\s*\n(?:\s+\w+:.*\n)*?\s+memory:\s*(\S+)/m.exec(manifest);
  if (m?.[1] === undefined) throw new Error('deploy/speaker.yaml has no resources.limits.memory: pass --speaker-memory-limit explicitly');
  return m[1];
}

/**
 * `--speaker-memory-limit`: `deploy` (the DaemonSet's limit), `none` (no cgroup: V8 sizes itself
 * from the host), or a Kubernetes quantity. Returns the limit in bytes and how to name it, or
 * undefined for `none`.
 */
export function speakerLimit(text: string): { bytes: number; what: string } | undefined {
  if (text === 'none') return undefined;
  const quantity = text === 'deploy' ? deployedSpeakerLimit() : text;
  return { bytes: parseMemoryQuantity(quantity), what: text === 'deploy' ? `${quantity} (deploy/speaker.yaml)` : quantity };
}

/**
 * A shell script that joins `group` and `exec`s its arguments. The lab runs each speaker through
 * `ip netns exec`, which mounts a fresh sysfs on /sys in a mount namespace of its own: the cgroup
 * hierarchies are not mounted there, so the script mounts the memory one again first (in that
 * private namespace only; the host's mounts are untouched). Without it the speaker could not join
 * the group, and Node, which reads the limit under /sys/fs/cgroup, would not see it either.
 */
function enterScript(group: MemoryCgroup): string {
  const procs = `${group.path}/cgroup.procs`;
  const mount = group.version === 2
    ? 'mount -t cgroup2 none /sys/fs/cgroup'
    : 'mount -t tmpfs none /sys/fs/cgroup && mkdir -p /sys/fs/cgroup/memory && mount -t cgroup -o memory cgroup /sys/fs/cgroup/memory';
  return `{ [ -e '${procs}' ] || { ${mount}; }; } && echo $$ > '${procs}' && exec "$@"`;
}

/** One memory cgroup per lab node, made when its speaker first starts; a restarted speaker joins its node's group again. */
export class PodCgroups {
  readonly #groups = new Map<string, MemoryCgroup>();
  readonly #prefix: string;
  readonly #bytes: number;

  constructor(prefix: string, bytes: number) {
    this.#prefix = prefix;
    this.#bytes = bytes;
  }

  /** `argv` run inside `node`'s group (the shell `exec`s it: the pid stays the speaker's). */
  wrap(node: string, argv: readonly string[]): string[] {
    let group = this.#groups.get(node);
    if (group === undefined) {
      group = createMemoryCgroup(`${this.#prefix}-${node}`, this.#bytes);
      this.#groups.set(node, group);
    }
    return ['/bin/sh', '-c', enterScript(group), 'sh', ...argv];
  }

  /** Peak memory charged to `node`'s group (MiB) and its OOM kills, since the group was made. */
  figures(node: string): { chargedMb: number; oomKills: number } | undefined {
    const group = this.#groups.get(node);
    if (group === undefined) return undefined;
    return { chargedMb: (group.peakBytes() ?? Number.NaN) / 1024 / 1024, oomKills: group.oomKills() ?? Number.NaN };
  }

  /** Kills what is still inside and removes every group (synchronous: also from an exit handler). */
  removeAll(): void {
    for (const group of this.#groups.values()) group.remove();
    this.#groups.clear();
  }
}
