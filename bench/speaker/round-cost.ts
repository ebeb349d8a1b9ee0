// The CPU of the L2 protocol alone (issue #10: a speaker at rest should cost ≤ 1 % of a core):
// N speakers' drivers and elections in one process, in virtual time, wired by an in-memory
// "network" that hands every heartbeat to its addressee. No sockets, no API server, no kernel:
// what is left is the JavaScript a speaker runs per heartbeat round (tick, encode, sign, and
// per peer decode, verify, election), which the lab's figures cannot separate from the rest.
//
// Usage: node bench/speaker/round-cost.ts [--nodes 3] [--vips 0] [--seconds 600] [--dual-stack] [--unsigned]
// Prints CPU per simulated second per speaker: µs of CPU per second = a share of a core × 10⁶.
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Election } from '../../src/election/election.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';
import type { NodeStamp } from '../../src/election/peers.ts';
import { L2Driver } from '../../src/speaker/l2-driver.ts';
import { VirtualClock } from '../../test/speaker/driver-world.ts';

const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '600' },
    'dual-stack': { type: 'boolean', default: false },
    unsigned: { type: 'boolean', default: false },
  },
});
const N = Number(args.nodes);
const SECONDS = Number(args.seconds);
const T = DEFAULT_L2_TIMINGS;
const KEY = randomBytes(32);

const clock = new VirtualClock();
const names = Array.from({ length: N }, (_, i) => `node-${String.fromCharCode(97 + i)}`);
const v4 = (i: number): string => `192.0.2.${11 + i}`;
const v6 = (i: number): string => `2001:db8::${11 + i}`;
const endpoints = (i: number): { address: string; port: number }[] => (args['dual-stack'] ? [v4(i), v6(i)] : [v4(i)]).map((address) => ({ address, port: 9425 }));
const drivers = new Map<string, L2Driver>();
let datagrams = 0;

for (const [i, me] of names.entries()) {
  const never = (): Promise<never> => new Promise(() => undefined);
  const election = new Election({ me, incarnation: 1_700_000_000_000 + i, timings: T, startedAt: clock.now(), trustNotes: !args.unsigned });
  const driver = new L2Driver({
    election,
    clock,
    ...(args.unsigned ? {} : { key: KEY }),
    heartbeatIntervalMs: T.heartbeatIntervalMs,
    leases: {
      write: never,
      // A renewal reaches every peer's watch at once.
      renewNodeLease: (stamp: NodeStamp) => {
        for (const [j, other] of names.entries()) if (j !== i) void Promise.resolve().then(() => drivers.get(other)?.onNodeLease(me, stamp, endpoints(i)));
        return Promise.resolve(true);
      },
      listVipLeases: () => Promise.resolve({ leases: new Map(), version: '1' }),
      readVipLease: never,
      cachedVipLeases: () => new Map(),
    },
    heartbeats: {
      send: (bytes, to) => {
        for (const e of to) {
          const j = names.findIndex((_, k) => endpoints(k).some((x) => x.address === e.address));
          datagrams++;
          void Promise.resolve().then(() => drivers.get(names[j] ?? '')?.onDatagram(bytes, { address: e.address.includes(':') ? v6(i) : v4(i), port: 9425 }));
        }
      },
    },
    announcer: { put: () => undefined, remove: () => undefined },
  });
  driver.setNodeAddresses(new Map(names.map((n, k) => [n, endpoints(k).map((e) => e.address)])));
  drivers.set(me, driver);
}
for (const [i, me] of names.entries()) {
  for (const [j, other] of names.entries()) if (i !== j) drivers.get(me)?.onNodeLease(other, { incarnation: 1_700_000_000_000 + j, seq: 0, heard: [], probing: false }, endpoints(j));
}
for (const d of drivers.values()) d.start();

// Warm-up: joins, JIT tiers.
await clock.advance(20_000);
const counted = datagrams;
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
await clock.advance(SECONDS * 1000);
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - wall0;
for (const d of drivers.values()) d.stop();
const perSpeakerUsPerS = (cpu.user + cpu.system) / N / SECONDS;
const peersAlive = Object.values(drivers.get(names[0] ?? '')?.view().peers ?? {}).filter((s) => s === 'alive').length;
console.log(`${N} speakers${args['dual-stack'] ? ', dual-stack' : ''}${args.unsigned ? ', unsigned' : ''}, ${SECONDS} s simulated in ${(wall / 1000).toFixed(1)} s: ${((datagrams - counted) / N / SECONDS).toFixed(1)} datagrams sent per speaker per s, ${peersAlive} of ${N - 1} peers alive at node-a`);
console.log(`CPU per speaker: ${perSpeakerUsPerS.toFixed(0)} µs per second = ${(perSpeakerUsPerS / 1e4).toFixed(3)} % of a core (JavaScript and crypto only; the lab adds sockets, the kernel and the API client)`);
