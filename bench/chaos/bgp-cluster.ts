// The BGP chaos bench's cluster (bgp.ts): the lab of test/e2e/bgp-suite.ts (`startL2Lab({ bgp:
// true })`: three node namespaces each running `herald speaker`, BIRD or FRR as the ToR), a few
// Services whose wanted routes the bench keeps as a model, so "the router's table is correct"
// has an exact meaning, and a restart of the router daemon in place. The lab's own code is
// imported, never copied; only the router's settings are spelled out again here, because
// startRouter keeps them to itself (src/lab/bgp-router.ts) and a restart needs them.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { BGPPEER_PLURAL, HERALD_GROUP, HERALD_VERSION } from '../../src/api/names.ts';
import { ROUTER_ASN, nodeAsn } from '../../src/lab/bgp-router.ts';
import type { RouterKind } from '../../src/lab/bgp-router.ts';
import { startBird } from '../../src/lab/bird.ts';
import { startFrr } from '../../src/lab/frr.ts';
import { startL2Lab } from '../../src/lab/l2-lab.ts';
import type { L2Lab } from '../../src/lab/l2-lab.ts';
import { SPEAKER_METRICS_PORT } from '../../src/lab/speakers.ts';
import { waitFor } from '../l2/report.ts';
import type { Table } from './bgp-table.ts';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const BGP_CLASS = 'herald.dev/bgp';

/** Short timers keep a run to seconds (issue #14): hold 3 s (the lab's), keepalive 1 s (a third of it), restart time 30 s. */
export const RESTART_TIME_S = 30;

interface WantedService {
  ips: string[];
  /** null: externalTrafficPolicy Cluster, every node; else the nodes with a ready endpoint (Local). */
  endpoints: string[] | null;
}

export class ChaosCluster {
  readonly lab: L2Lab;
  readonly kind: RouterKind;
  readonly nodes: readonly string[];
  readonly #services = new Map<string, WantedService>();
  /** The Service the speaker-restart fault replaces while a speaker is down: churn-<n>. */
  #churn = 0;

  private constructor(lab: L2Lab, kind: RouterKind) {
    this.lab = lab;
    this.kind = kind;
    this.nodes = lab.nodes.map((n) => n.name);
  }

  /**
   * The lab, the BGPPeers' restart time lowered to RESTART_TIME_S (the sessions restart once for
   * it), and the Services: two IPv4 ones, a dual-stack one, a dual-stack one with
   * externalTrafficPolicy Local (endpoints on every node), and churn-0. All of class herald.dev/bgp,
   * so the L2 speakers leave them alone.
   */
  static async start(kind: RouterKind, onStep: (s: string) => void): Promise<ChaosCluster> {
    const lab = await startL2Lab({ bgp: true, router: kind, onStep });
    try {
      const c = new ChaosCluster(lab, kind);
      for (const name of lab.bgpPeers) {
        await lab.clients.custom.patchClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: BGPPEER_PLURAL, name, body: { spec: { gracefulRestart: { enabled: true, restartTimeSeconds: RESTART_TIME_S } } } }, MERGE);
      }
      await c.#create('web-1', false);
      await c.#create('web-2', false);
      await c.#create('dual', true);
      await c.#create('local', true, [...c.nodes]);
      await c.#create('churn-0', false);
      return c;
    } catch (err) {
      await lab.close();
      throw err;
    }
  }

  async #create(name: string, dual: boolean, endpoints: string[] | null = null): Promise<void> {
    await this.lab.createService(name, { loadBalancerClass: BGP_CLASS, ...(dual ? { ipFamilyPolicy: 'RequireDualStack' } : {}), ...(endpoints === null ? {} : { externalTrafficPolicy: 'Local' }) });
    if (endpoints !== null) await this.lab.setEndpoints(name, endpoints);
    const ips = await this.lab.waitForIngress(name);
    this.#services.set(name, { ips, endpoints });
  }

  /** What the router must have: every VIP with every eligible node as next hop, nothing else. */
  expected(): Table {
    const t = new Map<string, string[]>();
    for (const s of this.#services.values()) {
      const hops = [...(s.endpoints ?? this.nodes)].sort();
      if (hops.length > 0) for (const ip of s.ips) t.set(ip, hops);
    }
    return t;
  }

  /**
   * Changes the wanted routes the way a cluster does while a speaker is down: a new Service
   * (created before the old one is deleted, so it cannot be given the old one's address), the
   * old one deleted, and `node` no longer eligible for the Local Service. The restarted speaker
   * then advertises a different set, and the router must drop `node`'s stale paths for the
   * deleted VIP and for the Local one after End-of-RIB.
   */
  async churnWithout(node: string): Promise<string> {
    const old = `churn-${this.#churn}`;
    this.#churn++;
    await this.#create(`churn-${this.#churn}`, false);
    await this.lab.deleteService(old);
    this.#services.delete(old);
    const others = this.nodes.filter((n) => n !== node);
    await this.lab.setEndpoints('local', others);
    const local = this.#services.get('local');
    if (local !== undefined) local.endpoints = others;
    return `created churn-${this.#churn}, deleted ${old}, Local endpoints on ${others.join(',')}`;
  }

  /** Times the node's BGP sessions reached Established (herald_bgp_sessions_established_total, all peers). */
  async establishedCount(node: string): Promise<number | null> {
    const host = this.lab.nodes.find((n) => n.name === node);
    try {
      const res = await fetch(`http://${host?.mgmt?.ipv4 ?? ''}:${SPEAKER_METRICS_PORT}/metrics`, { signal: AbortSignal.timeout(2000) });
      const text = await res.text();
      let sum = 0;
      for (const m of text.matchAll(/^herald_bgp_sessions_established_total\{[^}]*\} (\d+)/gm)) sum += Number(m[1]);
      return sum;
    } catch {
      return null; // the node's link is down, or its speaker restarting
    }
  }

  /**
   * Stops the router's daemons (BIRD; FRR's zebra and bgpd) with `signal`, waits until they are
   * gone, and starts them again with the lab's configuration in the lab's directory, so the
   * lab's router handle (its control socket, vty directory, log files) keeps working.
   */
  async restartRouter(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const host = this.lab.network.router;
    if (host === null) throw new Error('the lab has no router');
    const names = this.kind === 'bird' ? ['bird'] : ['zebra', 'bgpd'];
    const pids = await daemonPids(host.ns, names);
    if (pids.length !== names.length) throw new Error(`router daemons: found ${pids.length} of ${names.join(', ')} in ${host.ns}`);
    for (const pid of pids) process.kill(pid, signal);
    await waitFor(`the router's ${names.join(' and ')} to exit`, async () => {
      const left = pids.filter((p) => existsSync(`/proc/${p}`));
      return left.length === 0 ? { done: true, value: true } : { done: false, seen: `pids ${left.join(',')}` };
    }, 15_000, 20);
    const dir = join(this.lab.dir, this.kind);
    const settings = {
      routerId: host.ipv4,
      asn: ROUTER_ASN,
      ipv6: host.ipv6 !== null,
      neighbors: this.lab.nodes.map((n, i) => ({ name: n.name, address: n.ipv4, asn: nodeAsn(this.kind, i) })),
    };
    if (this.kind === 'bird') {
      startBird(this.lab.network, dir, settings);
    } else {
      // A zebra killed outright leaves its socket behind; without it, startFrr waits for the new one.
      rmSync(join(dir, 'zserv.api'), { force: true });
      await startFrr(this.lab.network, dir, settings);
    }
  }

  close(): Promise<void> {
    return this.lab.close();
  }
}

/** Pids of the processes named `names` (their /proc comm) in the network namespace `ns`. */
async function daemonPids(ns: string, names: readonly string[]): Promise<number[]> {
  // What `ip netns pids` does: a process is in the namespace when its ns/net is the same inode.
  const inode = async (path: string): Promise<bigint> => (await stat(path, { bigint: true })).ino;
  const own = await inode(`/run/netns/${ns}`);
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (names.includes(comm) && (await inode(`/proc/${entry}/ns/net`)) === own) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
