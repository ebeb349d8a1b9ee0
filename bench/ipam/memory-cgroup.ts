// A memory cgroup for one child process, as a Pod's `resources.limits.memory` makes one: the
// kernel OOM-kills the process past the limit, and Node sizes V8's heap from the limit it reads
// (`process.constrainedMemory()`). The cold start bench runs the controller in one to show that
// deploy/controller.yaml's limit holds a 10,000-Service cold start (issue #10), which VmHWM
// outside a cgroup cannot tell: V8 sizes itself from the host's 24 GB there.
//
// cgroup v2 (a `memory` controller at /sys/fs/cgroup) and v1 (/sys/fs/cgroup/memory) both work;
// the group is removed when the bench ends.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MemoryCgroup {
  path: string;
  version: 1 | 2;
  limitBytes: number;
  /**
   * A shell prefix that moves the shell into the group, then `exec`s the command; also from inside
   * `ip netns exec` (the lab's speakers), which mounts a fresh sysfs on /sys in a mount namespace
   * of its own, without the cgroup hierarchies: there the shell mounts the memory one again first
   * (in that private namespace only; the host's mounts are untouched), or it could not join the
   * group and Node, which reads the limit under /sys/fs/cgroup, would not see it either.
   */
  enterCommand: (command: string, args: readonly string[]) => { command: string; args: string[] };
  /** Peak memory the kernel charged to the group (RSS, page cache and kernel memory). */
  peakBytes: () => number | undefined;
  /** Processes of the group the kernel OOM-killed; undefined where the kernel does not count them. */
  oomKills: () => number | undefined;
  remove: () => void;
}

const UNITS: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, K: 1e3, M: 1e6, G: 1e9 };

/** Parses a Kubernetes quantity of memory (`256Mi`, `300M`, `268435456`). */
export function parseMemoryQuantity(text: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|K|M|G)?$/.exec(text.trim());
  if (m === null) throw new Error(`a memory limit is a whole number with an optional Ki, Mi, Gi, K, M or G suffix, got "${text}"`);
  return Number(m[1]) * (UNITS[m[2] ?? ''] ?? 1);
}

function readNumber(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

function readKey(file: string, key: string): number | undefined {
  try {
    const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${key} `));
    return line === undefined ? undefined : Number(line.slice(key.length + 1));
  } catch {
    return undefined;
  }
}

const pause = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

export function createMemoryCgroup(name: string, limitBytes: number): MemoryCgroup {
  const v2Root = '/sys/fs/cgroup';
  const v2 = existsSync(join(v2Root, 'cgroup.controllers')) && readFileSync(join(v2Root, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('memory');
  const v1Root = '/sys/fs/cgroup/memory';
  if (!v2 && !existsSync(join(v1Root, 'memory.limit_in_bytes'))) {
    throw new Error('no memory cgroup controller here (neither cgroup v2 with "memory" in /sys/fs/cgroup/cgroup.controllers nor v1 at /sys/fs/cgroup/memory): run without --controller-memory-limit');
  }
  const path = join(v2 ? v2Root : v1Root, name);
  mkdirSync(path, { recursive: true });
  if (v2) {
    writeFileSync(join(path, 'memory.max'), String(limitBytes));
    // A Pod's limit has no swap to spill into either.
    if (existsSync(join(path, 'memory.swap.max'))) writeFileSync(join(path, 'memory.swap.max'), '0');
  } else {
    writeFileSync(join(path, 'memory.limit_in_bytes'), String(limitBytes));
  }
  const procs = join(path, 'cgroup.procs');
  return {
    path,
    version: v2 ? 2 : 1,
    limitBytes,
    enterCommand: (command, args) => {
      const mount = v2 ? 'mount -t cgroup2 none /sys/fs/cgroup' : 'mount -t tmpfs none /sys/fs/cgroup && mkdir -p /sys/fs/cgroup/memory && mount -t cgroup -o memory cgroup /sys/fs/cgroup/memory';
      return { command: '/bin/sh', args: ['-c', `{ [ -e '${procs}' ] || { ${mount}; }; } && echo $$ > '${procs}' && exec "$@"`, 'sh', command, ...args] };
    },
    peakBytes: () => readNumber(join(path, v2 ? 'memory.peak' : 'memory.max_usage_in_bytes')),
    oomKills: () => readKey(join(path, v2 ? 'memory.events' : 'memory.oom_control'), 'oom_kill'),
    // Synchronous, so that it also runs from an exit handler: whatever is still in the group is
    // killed first (a bench that broke before stopping its controller), then the empty group goes.
    remove: () => {
      const members = existsSync(procs) ? readFileSync(procs, 'utf8').split('\n').filter((l) => l !== '').map(Number) : [];
      for (const pid of members) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already (ESRCH): nothing to kill.
        }
      }
      for (let tries = 0; existsSync(path); tries++) {
        try {
          rmdirSync(path);
        } catch (err) {
          // EBUSY until the killed processes have left the group.
          if (tries >= 100) throw new Error(`cannot remove the memory cgroup ${path}: ${err instanceof Error ? err.message : String(err)}`);
          pause(20);
        }
      }
    },
  };
}
