// `herald lab`, the L2 part: real namespaces, one speaker per node, a client that asks who has
// each VIP (arping, ndisc6), then a crash of a holder and how long the client waited.
import { isIP } from 'node:net';
import type { ApiServerKind } from '../controlplane/control-plane.ts';
import { desiredOwner, rankNodes } from '../election/hash.ts';
import { vipLeaseName } from '../election/lease-names.ts';
import { isLabError, messageOf } from './errors.ts';
import { startL2Lab } from './l2-lab.ts';
import type { L2Lab } from './l2-lab.ts';
import type { ServiceOptions } from './l2-objects.ts';
import { pollUntil } from './poll.ts';

type Print = (line: string) => void;

export interface L2DemoOptions {
  readonly speakerLogLevel?: string;
  readonly keepDir?: boolean;
  /** The control plane (default: the stand-in). */
  readonly apiserver?: ApiServerKind;
}

const SERVICES: readonly [string, ServiceOptions, string][] = [
  ['web', {}, 'IPv4'],
  ['api', { ipFamilyPolicy: 'RequireDualStack' }, 'dual stack: one VIP per family, each with its own Lease'],
  ['shop', {}, 'IPv4'],
];

/** Why the L2 part cannot run here, or null. */
export function l2Unavailable(): string | null {
  if (process.getuid?.() !== 0) return 'it needs root (ip netns, veth pairs, a bridge, raw ARP/NDP sockets): run `sudo npx herald lab`';
  return null;
}

/** Waits until `node` holds the VIP's Lease and answers the client's requests for it; returns how long that took. */
async function answeredBy(lab: L2Lab, ip: string, node: string): Promise<number> {
  const r = await pollUntil(
    `${ip} answered by ${node}`,
    async () => {
      // Short probes: a request that gets no answer costs ~0.2 s, so times are measured to that.
      const [holder, answer] = [await lab.holderOf(ip), lab.nodeOfMac(await lab.resolve(ip, 0.2))];
      return holder === node && answer === node ? { done: true, value: node } : { done: false, seen: `Lease holder ${holder}, answered by ${answer}` };
    },
    { timeoutMs: 20_000, intervalMs: 20, context: () => lab.logTails(10) },
  );
  return Math.round(r.elapsedMs);
}

function macOf(lab: L2Lab, node: string): string {
  return lab.nodes.find((n) => n.name === node)?.mac ?? '?';
}

export async function runL2Demo(print: Print, opts: L2DemoOptions = {}): Promise<void> {
  const why = l2Unavailable();
  if (why !== null) {
    print(`\nL2 announcements: skipped, ${why}.`);
    return;
  }
  print('\nL2 announcements in a network of namespaces: three nodes, a client, one segment.');
  let lab: L2Lab;
  try {
    lab = await startL2Lab({ apiserver: opts.apiserver ?? 'dev', speakerLogLevel: opts.speakerLogLevel ?? 'info', keepDir: opts.keepDir, onStep: (s) => print(`  ${s}`) });
  } catch (err) {
    if (isLabError(err, 'CommandNotFound')) {
      print(`L2 announcements: skipped, ${messageOf(err)}.`);
      return;
    }
    throw err;
  }
  try {
    print(`  nodes: ${lab.nodes.map((n) => `${n.name} ${n.ipv4} ${n.mac}`).join(', ')}; client ${lab.network.client.ipv4}`);
    print(`  speaker logs and kubeconfig in ${lab.dir}${opts.keepDir === true ? ' (kept)' : ' (removed at the end)'}`);
    print('\nServices, and who answers for their VIPs (arping / ndisc6 from the client → MAC → node):');
    const vips: [string, string][] = [];
    for (const [name, svcOpts, what] of SERVICES) {
      await lab.createService(name, svcOpts);
      for (const ip of await lab.waitForIngress(name)) vips.push([name, ip]);
      print(`  demo/${name.padEnd(6)} ${what}`);
    }
    const names = lab.nodes.map((n) => n.name);
    const first = (ip: string) => desiredOwner(ip, names) ?? '';
    // A speaker still in its start-up warm-up is no candidate, so the first VIPs may land on the
    // node that started first; they move to their first-ranked node once everyone is stable.
    for (const [name, ip] of vips) {
      await answeredBy(lab, ip, first(ip));
      const lease = vipLeaseName(ip);
      print(`  ${`demo/${name}`.padEnd(10)} ${ip.padEnd(15)} ${isIP(ip) === 6 ? 'NDP' : 'ARP'} answered by ${first(ip)} (${macOf(lab, first(ip))}); Lease ${lease.ok ? lease.name : '?'} names ${first(ip)}`);
    }
    print('  (each VIP goes to the node that ranks first for it by rendezvous hashing of VIP × node)');

    const [name, ip] = vips[0] ?? ['', ''];
    const holder = first(ip);
    const next = rankNodes(ip, names).find((n) => n !== holder) ?? '';
    print(`\nCrash: kill -9 the speaker on ${holder}, which answers for ${ip} (demo/${name}); ${next} ranks next.`);
    const start = performance.now();
    await lab.killSpeaker(holder, 'SIGKILL');
    await answeredBy(lab, ip, next);
    print(`  ${ip} is answered by ${next} (${macOf(lab, next)}) ${Math.round(performance.now() - start)} ms after the kill, and its Lease names ${next}.`);
    print('  (the client probes every ~0.2 s; bench/l2 measures the gap precisely)');
    await lab.restartSpeaker(holder);
    print(`  ${holder}'s speaker restarted; ${await answeredBy(lab, ip, holder)} ms later ${next} has handed ${ip} back to it (after the newcomer's warm-up).`);

    const [other, otherIp] = vips.find(([, v]) => v !== ip && isIP(v) === 4) ?? ['', ''];
    const leaving = first(otherIp);
    await answeredBy(lab, otherIp, leaving);
    const heir = rankNodes(otherIp, names).find((n) => n !== leaving) ?? '';
    print(`\nPlanned: SIGTERM to the speaker on ${leaving}, which answers for ${otherIp} (demo/${other}).`);
    const term = performance.now();
    const exit = await lab.killSpeaker(leaving, 'SIGTERM');
    print(`  it handed the Lease over to ${await lab.holderOf(otherIp)} and exited (code ${exit.code}) within ${Math.round(performance.now() - term)} ms;`);
    print(`  ${otherIp} was answered by ${heir} at the first probe after that, ${await answeredBy(lab, otherIp, heir)} ms later.`);
    await lab.restartSpeaker(leaving);
  } finally {
    await lab.close();
    print('\nL2 lab removed: namespaces, links, speakers, API server.');
  }
}
