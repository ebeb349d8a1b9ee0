// BIRD 2 as the third sender of the origination bench (issue #10: withdraw-all "beside gobgpd and
// BIRD"): a fresh BIRD in the node namespace with the N /32 routes as one static protocol, started
// disabled, and one BGP session to the receiver exporting them with next hop self. The clock
// starts when `enable` is written to its control socket (the routes were parsed with the
// configuration, before the clock, as Herald's table and gobgpd's messages are built before
// theirs) and withdraw-all is `disable` of the static protocol: each speaker's own way to put a
// table on an Established session and to take it away.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabHost, LabNetwork } from '../../src/lab/netns.ts';
import { BirdControl, RECEIVER_ASN, SENDER_ASN, spawnBird } from './bird-receiver.ts';
import { benchPrefix, memoryOf, nowMs, stopChild } from './children.ts';
import type { Sender } from './senders.ts';

/** BIRD's names for the sender's two protocols. */
const STATIC = 'vips';
const SESSION = 'tor';

export function birdSenderConfig(node: LabHost, peer: LabHost, routes: number): string {
  const lines = [
    `router id ${node.ipv4};`,
    'protocol device { scan time 60; }',
    // `blackhole`: a static route needs a destination; the BGP export rewrites the next hop anyway.
    `protocol static ${STATIC} {`,
    '  disabled;',
    '  ipv4;',
  ];
  for (let i = 0; i < routes; i++) lines.push(`  route ${benchPrefix(i)} blackhole;`);
  lines.push(
    '}',
    `protocol bgp ${SESSION} {`,
    `  local ${node.ipv4} as ${SENDER_ASN};`,
    `  neighbor ${peer.ipv4} as ${RECEIVER_ASN};`,
    '  ipv4 { import none; export all; next hop self; };',
    '}',
    '',
  );
  return lines.join('\n');
}

/** The reply line of `enable`/`disable` for a protocol, or an Error with BIRD's words. */
async function toggle(control: BirdControl, verb: 'enable' | 'disable'): Promise<void> {
  const reply = await control.command(`${verb} ${STATIC}`);
  if (!reply.some((l) => /enabled|disabled/i.test(l))) throw new Error(`BIRD sender: "${verb} ${STATIC}" answered ${JSON.stringify(reply)}`);
}

export async function startBird(network: LabNetwork, node: LabHost, peer: LabHost, routes: number, dir: string): Promise<Sender> {
  const conf = join(dir, 'bird-sender.conf');
  const sock = join(dir, 'bird-sender.ctl');
  writeFileSync(conf, birdSenderConfig(node, peer, routes));
  // 100,000 static routes take BIRD a moment to parse before its socket answers.
  const { child, control: c } = await spawnBird(network, node.ns, conf, sock, { who: 'BIRD sender', timeoutMs: 60_000 });
  const pid = child.pid ?? -1;
  return {
    name: 'bird',
    pid,
    established: (timeoutMs) => c.waitEstablished(SESSION, timeoutMs, 'BIRD sender'),
    async announce() {
      const at = nowMs();
      await toggle(c, 'enable');
      return { ev: 'announced', at: nowMs(), sendingAt: at };
    },
    async withdraw() {
      const at = nowMs();
      await toggle(c, 'disable');
      return { ev: 'withdrawn', at: nowMs(), sendingAt: at };
    },
    memory: async () => memoryOf(pid),
    async stop() {
      c.close();
      await stopChild(child, 3000);
    },
  };
}
