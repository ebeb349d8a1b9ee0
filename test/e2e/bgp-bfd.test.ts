// api-suite: the BGP e2e set with BFD, on the control plane HERALD_APISERVER names (issue #11)
// BFD (RFC 5880, single hop RFC 5881) beside every BGP session, against BIRD 2's bfd protocol and
// FRR's bfdd as the ToR, at 100 ms × 3 on both sides: the sessions come Up and `herald status`
// shows them; a frozen speaker loses its paths because BFD went down at the router (its BGP
// session's recorded cause, long before the 3 s hold time); and when the router stops hearing a
// node's BFD, that node's speaker tears its own BGP session down with Cease / BFD Down (RFC 9384).
// Needs root, iproute2, nft and the routing daemons; skipped otherwise.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startL2Lab } from '../../src/lab/l2-lab.ts';
import type { L2Lab } from '../../src/lab/l2-lab.ts';
import type { LabRouter } from '../../src/lab/bgp-router.ts';
import type { LabHost } from '../../src/lab/netns.ts';
import { pollUntil } from '../../src/lab/poll.ts';
import { isRecord } from '../../src/lab/frr.ts';
import { BGP_SERVICE, closeLab, established, hopsOf, missingTools } from './bgp-suite.ts';
import { counter, metricsOf } from './speaker-metrics.ts';

const execFileAsync = promisify(execFile);
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const BFD = { intervalMs: 100, multiplier: 3 };

/** Polls until the router has a BFD session in `state` with each of `addresses`. */
async function bfdAtRouter(router: LabRouter, addresses: readonly string[], state: string): Promise<void> {
  await pollUntil(`BFD ${state} at the router with ${addresses.join(', ')}`, async () => {
    const s = await router.bfdSessions();
    const ok = addresses.every((a) => s.some((x) => x.address === a && x.state === state));
    return ok ? { done: true, value: s } : { done: false, seen: JSON.stringify(s) };
  }, { timeoutMs: 20_000, intervalMs: 100, context: () => router.logTail(10) });
}

/** Why the router last took the session with `node` down, in its own words. */
async function lastDownCause(router: LabRouter, node: LabHost): Promise<string> {
  if (router.kind === 'bird') {
    const out = await router.query(`show protocols all ${node.name.replaceAll('-', '_')}`);
    return /Last error:\s*(.*)/.exec(out)?.[1] ?? out;
  }
  try {
    const parsed: unknown = JSON.parse(await router.query(`show bgp neighbors ${node.ipv4} json`));
    const peer = isRecord(parsed) ? parsed[node.ipv4] : undefined;
    // FRR sends Cease / BFD Down itself: lastResetDueTo says "BGP Notification send", and the
    // notification's own fields say which one.
    if (!isRecord(peer)) return JSON.stringify(parsed);
    return Object.entries(peer).filter(([k]) => k.startsWith('last')).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  } catch (err) {
    return String(err);
  }
}

function bfdSuite(kind: 'bird' | 'frr', skip: string | null): void {
  describe(`BFD beside BGP against ${kind === 'bird' ? 'BIRD 2' : "FRR's bfdd"}`, { skip: skip ?? false }, () => {
    let lab: L2Lab | undefined;
    const theLab = (): L2Lab => {
      assert.ok(lab !== undefined);
      return lab;
    };
    const routerOf = (l: L2Lab): LabRouter => {
      assert.ok(l.router !== null);
      return l.router;
    };
    const node = (l: L2Lab, name: string): LabHost => {
      const n = l.nodes.find((x) => x.name === name);
      assert.ok(n !== undefined);
      return n;
    };
    /** The BGPPeer a node uses: `tor` with BIRD, `tor-<node>` with FRR. */
    const peerOf = (l: L2Lab, name: string): string => l.bgpPeers.find((p) => p === 'tor' || p.endsWith(name)) ?? '';

    before(async () => {
      lab = await startL2Lab({ bgp: true, router: kind, bfd: BFD });
    });

    after(() => closeLab(lab));

    it('every node\'s BFD session comes Up at the router, and herald status shows it Up', async () => {
      const l = theLab();
      await established(l, 3);
      await bfdAtRouter(routerOf(l), l.nodes.map((n) => n.ipv4), 'up');
      const r = await pollUntil('herald status with BFD Up on three sessions', async () => {
        const { stdout } = await execFileAsync(process.execPath, [CLI, 'status', '--kubeconfig', l.kubeconfig], { encoding: 'utf8', timeout: 10_000 });
        const up = stdout.split('\n').filter((line) => /node-[abc]\s.*\sEstablished\s.*\sUp\s/.test(line));
        return up.length === 3 ? { done: true, value: stdout } : { done: false, seen: stdout };
      }, { timeoutMs: 15_000, intervalMs: 500 });
      assert.match(r.value, /\bBFD\b/);
      const m = await metricsOf(node(l, 'node-a'));
      assert.equal(counter(m, `herald_bfd_session_state{peer="${peerOf(l, 'node-a')}",state="Up"}`), 1);
      assert.ok(counter(m, `herald_bfd_packets_total{peer="${peerOf(l, 'node-a')}",direction="received"}`) > 0);
    });

    it('a frozen speaker loses its paths because BFD went down at the router, not at hold-timer expiry', async () => {
      const l = theLab();
      const router = routerOf(l);
      await l.createService('bfd', BGP_SERVICE);
      const [ip] = await l.waitForIngress('bfd');
      assert.ok(ip !== undefined);
      await hopsOf(l, `${ip}/32`, 3);
      await bfdAtRouter(router, [node(l, 'node-a').ipv4], 'up');
      const pid = l.speakerPid('node-a');
      assert.ok(pid !== undefined);
      process.kill(pid, 'SIGSTOP');
      try {
        await hopsOf(l, `${ip}/32`, ['192.0.2.12', '192.0.2.13']);
        const cause = await lastDownCause(router, node(l, 'node-a'));
        assert.match(cause, /BFD/i, `the router's cause for the session going down: ${cause}`);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      await bfdAtRouter(router, [node(l, 'node-a').ipv4], 'up');
      await hopsOf(l, `${ip}/32`, 3);
    });

    it('when the router stops hearing a node\'s BFD, the node tears its BGP session down with Cease / BFD Down (RFC 9384)', async () => {
      const l = theLab();
      const router = routerOf(l);
      const nodeB = node(l, 'node-b');
      const peer = peerOf(l, 'node-b');
      const nft = (...args: string[]) => l.network.exec(router.host.ns, ['nft', ...args], { timeoutMs: 5000 });
      await bfdAtRouter(router, [nodeB.ipv4], 'up');
      const sent = `herald_bgp_notifications_total{peer="${peer}",direction="sent",code="6",subcode="10"}`;
      const before = counter(await metricsOf(nodeB), sent);
      for (const cmd of [
        ['add', 'table', 'inet', 'herald_bfd_test'],
        ['add', 'chain', 'inet', 'herald_bfd_test', 'input_bfd', '{ type filter hook input priority 0 ; }'],
        ['add', 'rule', 'inet', 'herald_bfd_test', 'input_bfd', 'ip', 'saddr', nodeB.ipv4, 'udp', 'dport', '3784', 'drop'],
      ]) {
        const r = await nft(...cmd);
        assert.equal(r.code, 0, `nft ${cmd.join(' ')}: ${r.stderr}`);
      }
      try {
        const r = await pollUntil('node-b sent Cease / BFD Down', async () => {
          const m = await metricsOf(nodeB);
          return counter(m, sent) > before ? { done: true, value: m } : { done: false, seen: m.split('\n').filter((x) => x.startsWith('herald_bfd_')).join('; ') };
        }, { timeoutMs: 15_000, intervalMs: 100, context: () => l.speakerLog('node-b', 20) });
        assert.ok(counter(r.value, `herald_bfd_session_down_total{peer="${peer}",diag="neighbor-signaled-session-down"}`) >= 1);
      } finally {
        await nft('delete', 'table', 'inet', 'herald_bfd_test');
      }
      await bfdAtRouter(router, [nodeB.ipv4], 'up');
      await established(l, 3);
    });
  });
}

const base = missingTools(['ip', 'nft']);
bfdSuite('bird', base ?? missingTools(['bird', 'birdc']));
bfdSuite('frr', base ?? missingTools(['vtysh', '/usr/lib/frr/bfdd', '/usr/lib/frr/bgpd']));
