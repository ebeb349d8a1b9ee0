// keepalived VRRP in the same kind of lab, as the failover reference (issue #3): two node
// namespaces and the client on one bridge, one VIP, node-a at priority 150 (master), node-b at
// 100. keepalived binds the VIP on the master's eth0, so the master's kernel answers ARP for it.
// Each instance gets its own pid files and config in the bench's temp dir; the lab network owns
// the processes (its close() and exit hooks kill their process groups).
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLabNetwork } from '../../src/lab/netns.ts';
import type { LabHost, LabNetwork } from '../../src/lab/netns.ts';
import { sleep, waitFor } from './report.ts';

export const KEEPALIVED_VIP = '192.0.2.240';

export interface VrrpVariant {
  readonly name: string;
  readonly version: 2 | 3;
  /** Seconds; VRRPv2 takes whole seconds only (RFC 3768 §5.3.7), VRRPv3 centiseconds (RFC 5798 §5.2.7). */
  readonly advertInt: number;
}

export function keepalivedConfig(node: LabHost, priority: number, v: VrrpVariant): string {
  return [
    'global_defs {',
    `  router_id ${node.name.replace(/-/g, '_')}`,
    `  vrrp_version ${v.version}`,
    '  vrrp_garp_master_delay 0',
    '}',
    'vrrp_instance bench {',
    '  state BACKUP',
    '  interface eth0',
    '  virtual_router_id 51',
    `  priority ${priority}`,
    `  advert_int ${v.advertInt}`,
    '  virtual_ipaddress {',
    `    ${KEEPALIVED_VIP}/32 dev eth0`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export interface KeepalivedLab {
  readonly network: LabNetwork;
  readonly nodes: readonly LabHost[];
  /** Starts keepalived on the node with the variant's config. */
  start(node: string, v: VrrpVariant): void;
  /** SIGTERM (graceful: priority-0 advert) or SIGKILL (its whole process group). */
  kill(node: string, signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** The node whose eth0 has the VIP bound, or null; 'both' for a split brain. */
  master(): Promise<string | null>;
  /** Waits until `node` alone has the VIP bound for `quietMs`. */
  waitMaster(node: string, quietMs: number, timeoutMs: number): Promise<void>;
  /** Removes a VIP left bound on a node whose keepalived was killed. */
  unbind(node: string): Promise<void>;
  logTail(node: string): string;
  close(): Promise<void>;
}

export async function startKeepalivedLab(): Promise<KeepalivedLab> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-vrrp-'));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  let network: LabNetwork;
  try {
    network = await buildLabNetwork({ nodes: 2, ipv6: false, hostLink: false, killGraceMs: 3000 });
  } catch (err) {
    removeDir();
    throw err;
  }
  const procs = new Map<string, { child: ChildProcess; exited: Promise<void> }>();
  let starts = 0;
  const nodeOf = (name: string): LabHost => {
    const n = network.nodes.find((x) => x.name === name);
    if (n === undefined) throw new Error(`no node ${name}`);
    return n;
  };
  const priority = (name: string): number => (name === network.nodes[0]?.name ? 150 : 100);
  const boundOn = async (n: LabHost): Promise<boolean> => {
    const r = await network.exec(n.ns, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
    return r.stdout.includes(`${KEEPALIVED_VIP}/32`);
  };
  const lab: KeepalivedLab = {
    network,
    nodes: network.nodes,
    start(name, v) {
      const n = nodeOf(name);
      const base = join(dir, n.name);
      writeFileSync(`${base}.conf`, keepalivedConfig(n, priority(name), v));
      // Fresh pid files per start: a killed instance's VRRP child can linger as a zombie when
      // nothing reaps orphans, and keepalived refuses to start while its pid file names a live pid.
      const pids = join(dir, `${n.name}-${++starts}`);
      const fd = openSync(`${base}.log`, 'a');
      let child: ChildProcess;
      try {
        child = network.spawnIn(n.ns, ['keepalived', '--dont-fork', '--log-console', '--log-detail', '--vrrp', '-f', `${base}.conf`, '-p', `${pids}.pid`, '-r', `${pids}.vrrp.pid`, '-c', `${pids}.chk.pid`], { stdio: ['ignore', fd, fd] });
      } finally {
        closeSync(fd);
      }
      const exited = new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.once('error', () => resolve());
      });
      procs.set(name, { child, exited });
    },
    async kill(name, signal) {
      const p = procs.get(name);
      if (p === undefined || p.child.pid === undefined) return;
      try {
        // keepalived forks a VRRP child: SIGKILL the whole group (the parent alone would leave it running).
        process.kill(signal === 'SIGKILL' ? -p.child.pid : p.child.pid, signal);
      } catch {
        // already gone
      }
      await Promise.race([p.exited, sleep(10_000)]);
      if (signal === 'SIGKILL') {
        // A VRRP child that outlived its parent would keep answering; make sure the group is gone.
        try {
          process.kill(-p.child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      procs.delete(name);
    },
    async master() {
      const bound = await Promise.all(network.nodes.map(async (n) => ((await boundOn(n)) ? n.name : null)));
      const on = bound.filter((b): b is string => b !== null);
      return on.length === 0 ? null : on.length === 1 ? (on[0] ?? null) : 'both';
    },
    async waitMaster(name, quietMs, timeoutMs) {
      let since = performance.now();
      await waitFor(
        `${name} to be the only VRRP master`,
        async () => {
          const m = await lab.master();
          if (m !== name) since = performance.now();
          return m === name && performance.now() - since >= quietMs ? { done: true, value: m } : { done: false, seen: `master ${m ?? 'none'}` };
        },
        timeoutMs,
        100,
      );
    },
    async unbind(name) {
      const n = nodeOf(name);
      await network.exec(n.ns, ['ip', 'addr', 'del', `${KEEPALIVED_VIP}/32`, 'dev', 'eth0']);
    },
    logTail(name) {
      try {
        return readFileSync(join(dir, `${name}.log`), 'utf8').trimEnd().split('\n').slice(-15).join('\n');
      } catch {
        return '(no log)';
      }
    },
    async close() {
      for (const name of [...procs.keys()]) await lab.kill(name, 'SIGKILL');
      await network.close();
      removeDir();
    },
  };
  return lab;
}
