// What the L2 e2e files share: why they cannot run here, and bounded waits on "who answers".
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import type { L2Lab } from '../../src/lab/l2-lab.ts';
import { pollUntil } from '../../src/lab/poll.ts';
import { listNamespaces } from '../../src/lab/teardown.ts';
import { SPEAKER_HEALTH_PORT } from '../../src/lab/speakers.ts';

export const NODES = ['node-a', 'node-b', 'node-c'];

function missing(program: string, arg: string): boolean {
  const r = spawnSync(program, [arg], { stdio: 'ignore' });
  return r.error !== undefined && 'code' in r.error && r.error.code === 'ENOENT';
}

/** Why the L2 lab cannot run here (not root, a tool missing), or false. */
export function l2SkipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root: ip netns, veth pairs, a bridge and raw ARP/NDP from the client (run as root, as CI does)';
  for (const [program, arg, pkg] of [['ip', '-V', 'iproute2'], ['arping', '--help', 'arping or iputils-arping'], ['ndisc6', '-V', 'ndisc6']] as const) {
    if (missing(program, arg)) return `needs ${program} (Debian: apt-get install -y ${pkg})`;
  }
  return false;
}

/**
 * Closes the lab, then fails if it left namespaces behind or if Herald was refused anything
 * (HTTP 403) on the way: on a real server the speakers and a controller process run with exactly
 * the RBAC of deploy/ (issue #8, point 3), and a permission they lack must not pass unnoticed.
 */
export async function closeL2Lab(lab: L2Lab | undefined, expected: (line: string) => boolean = () => false): Promise<void> {
  if (lab === undefined) return;
  const forbidden = lab.forbidden().filter((l) => !expected(l));
  const prefix = lab.network.prefix;
  await lab.close();
  assert.deepEqual((await listNamespaces()).filter((ns) => ns.startsWith(`${prefix}-`)), [], 'the lab left namespaces behind');
  assert.deepEqual(forbidden, [], 'Herald was refused a request (403): deploy/*-rbac.yaml lacks a permission');
}

/** Waits until `node` holds the VIP's Lease and answers the client for it. */
export async function answeredBy(lab: L2Lab, ip: string, node: string, timeoutMs = 15_000): Promise<void> {
  await pollUntil(
    `${ip} answered by ${node}`,
    async () => {
      const [holder, answer] = [await lab.holderOf(ip), lab.nodeOfMac(await lab.resolve(ip))];
      return holder === node && answer === node ? { done: true, value: node } : { done: false, seen: `holder ${holder}, answered by ${answer}` };
    },
    { timeoutMs, context: () => lab.logTails() },
  );
}

/** Waits until the Lease names a holder and the client's request is answered with its MAC; returns the holder. */
export async function heldAndAnswered(lab: L2Lab, ip: string, timeoutMs = 15_000): Promise<string> {
  const r = await pollUntil(
    `${ip} answered by its Lease holder`,
    async () => {
      const [holder, answer] = [await lab.holderOf(ip), lab.nodeOfMac(await lab.resolve(ip))];
      return holder !== null && answer === holder ? { done: true, value: holder } : { done: false, seen: `holder ${holder}, answered by ${answer}` };
    },
    { timeoutMs, context: () => lab.logTails() },
  );
  return r.value;
}

/**
 * Waits until every node's speaker is Ready and no VIP of `ips` has changed holder for `quietMs`,
 * then until each is answered by its holder: the lab at rest, before a watch that counts every
 * lost round. Regression (l2-rollout flake, first probe round unanswered with nobody before it):
 * held-and-answered alone can pass while a speaker still warms up, and the VIPs its peers took
 * meanwhile are handed to it a moment later, inside the watch's first round, where a lost round
 * has no answerer before it to show it was a handover.
 */
export async function atRest(lab: L2Lab, ips: readonly string[], quietMs = 3000): Promise<void> {
  for (const n of lab.nodes) await speakerReady(lab, n.name);
  let last = '';
  let since = performance.now();
  await pollUntil(`the holders of ${ips.length} VIPs unchanged for ${quietMs} ms`, async () => {
    const each = await Promise.all(ips.map((ip) => lab.holderOf(ip)));
    const holders = each.map((h) => h ?? 'nobody').join(',');
    if (holders !== last) since = performance.now();
    last = holders;
    const quiet = performance.now() - since;
    return quiet >= quietMs && !each.includes(null) ? { done: true, value: holders } : { done: false, seen: `${holders}, unchanged for ${Math.round(quiet)} ms` };
  }, { timeoutMs: 30_000, intervalMs: 250, context: () => lab.logTails() });
  for (const ip of ips) await heldAndAnswered(lab, ip);
}

/** Waits for a node's speaker /readyz, as the kubelet's readiness probe and so a DaemonSet rollout do. */
export async function speakerReady(lab: L2Lab, node: string, timeoutMs = 20_000): Promise<void> {
  const host = lab.nodes.find((n) => n.name === node);
  await pollUntil(`${node}'s speaker ready`, async () => {
    try {
      const res = await fetch(`http://${host?.mgmt?.ipv4 ?? ''}:${SPEAKER_HEALTH_PORT}/readyz`, { signal: AbortSignal.timeout(1000) });
      const body = await res.text();
      return res.status === 200 ? { done: true, value: body } : { done: false, seen: `${res.status} ${body}` };
    } catch (err) {
      return { done: false, seen: String(err) };
    }
  }, { timeoutMs, intervalMs: 100 });
}
