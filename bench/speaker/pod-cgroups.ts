// Each speaker in a memory cgroup of its own, as each node's speaker Pod runs under the DaemonSet's
// `resources.limits.memory` (issue #10). It matters for what the footprint bench measures, not
// only for OOM kills: Node reads the limit (`process.constrainedMemory()`) and V8 sizes its heap
// from it. Outside a cgroup, on this 24 GB host, V8 takes a 4.3 GB heap limit and lets old space
// grow up to 4× what a full collection left; inside any group of a few hundred MiB it takes a 259
// MB limit and a growing factor near 1.3, so a join's garbage grows the heap far less. A speaker
// measured outside a cgroup is therefore not the speaker a Pod runs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { createMemoryCgroup, parseMemoryQuantity } from '../ipam/memory-cgroup.ts';
import type { MemoryCgroup } from '../ipam/memory-cgroup.ts';

const SPEAKER_MANIFEST = fileURLToPath(new URL('../../deploy/speaker.yaml', import.meta.url));

interface Workload {
  kind?: string;
  spec?: { template?: { spec?: { containers?: { resources?: { limits?: { memory?: unknown } } }[] } } };
}

/** The speaker container's memory limit in deploy/speaker.yaml's DaemonSet, as written there (e.g. `384Mi`). */
export function deployedSpeakerLimit(manifest = readFileSync(SPEAKER_MANIFEST, 'utf8')): string {
  const daemonSet = parseAllDocuments(manifest).map((d) => d.toJS() as Workload | null).find((d) => d?.kind === 'DaemonSet');
  const memory = daemonSet?.spec?.template?.spec?.containers?.[0]?.resources?.limits?.memory;
  if (typeof memory !== 'string') throw new Error('deploy/speaker.yaml has no resources.limits.memory: pass --speaker-memory-limit explicitly');
  return memory;
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
    const [command, ...args] = argv;
    if (command === undefined) throw new Error('an empty speaker command line');
    const entered = group.enterCommand(command, args);
    return [entered.command, ...entered.args];
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
