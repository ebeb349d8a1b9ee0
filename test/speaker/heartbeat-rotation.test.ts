// Key rotation without a failover (issue #14; docs/l2.md, "Rotating the heartbeat key"): two
// speakers' heartbeat endpoints — the L2 driver, its election, the UDP transport on loopback and
// the live key files — go through the three steps one node at a time, each step's files written
// as the kubelet rewrites a mounted Secret and taken by reload(). While one node has moved and
// the other not yet, neither ever sees the other as anything but alive, and no heartbeat is
// dropped. The control: a node that swaps its key in one step is not heard, and its peer stops
// counting it alive within D.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Election } from '../../src/election/election.ts';
import type { HeartbeatKey } from '../../src/election/heartbeat.ts';
import { openHeartbeatTransport } from '../../src/election/heartbeat-udp.ts';
import type { HeartbeatTransport } from '../../src/election/heartbeat-udp.ts';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';
import { LiveHeartbeatKeys } from '../../src/speaker/heartbeat-keys.ts';
import { L2Driver } from '../../src/speaker/l2-driver.ts';
import type { Clock } from '../../src/speaker/l2-driver.ts';

const CLOCK: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
const T = DEFAULT_L2_TIMINGS;
const A = Buffer.from('a1'.repeat(32), 'hex');
const B = Buffer.from('b2'.repeat(32), 'hex');

const dir = mkdtempSync(join(tmpdir(), 'herald-rotation-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Node {
  name: string;
  address: string;
  driver: L2Driver;
  election: Election;
  udp: HeartbeatTransport;
  errors: string[];
  heard: number;
}

async function startNode(name: string, address: string, key: HeartbeatKey): Promise<Node> {
  const errors: string[] = [];
  const incarnation = Date.now();
  const election = new Election({ me: name, incarnation, timings: T, startedAt: CLOCK.now(), trustNotes: true });
  let driver: L2Driver | undefined;
  const udp = await openHeartbeatTransport({ port: 0, addresses: [address], onDatagram: (bytes, from) => driver?.onDatagram(bytes, from), onError: (e) => errors.push(`udp ${e.code}`) });
  const node: Node = { name, address, election, udp, errors, heard: 0, driver: undefined as unknown as L2Driver };
  driver = new L2Driver({
    election,
    clock: CLOCK,
    key,
    heartbeatIntervalMs: T.heartbeatIntervalMs,
    leases: {
      write: () => Promise.resolve({ ok: false, conflict: false }),
      renewNodeLease: () => Promise.resolve(true),
      listVipLeases: () => Promise.resolve({ leases: new Map(), version: null }),
      readVipLease: () => Promise.resolve({ kind: 'absent' }),
      cachedVipLeases: () => new Map(),
    },
    heartbeats: { send: (bytes, to) => udp.send(bytes, to) },
    announcer: { put: () => undefined, remove: () => undefined },
    hooks: { onHeartbeatError: (code) => errors.push(code), onHeartbeat: () => void node.heard++ },
  });
  node.driver = driver;
  return node;
}

/** Each learns where the other is, as from its node Lease; no evidence beyond that one stamp. */
function introduce(x: Node, y: Node): void {
  x.driver.setNodeAddresses(new Map([[y.name, [y.address]]]));
  y.driver.setNodeAddresses(new Map([[x.name, [x.address]]]));
  x.driver.onNodeLease(y.name, { incarnation: 1, seq: 0, heard: [], probing: false }, [{ address: y.address, port: y.udp.port }]);
  y.driver.onNodeLease(x.name, { incarnation: 1, seq: 0, heard: [], probing: false }, [{ address: x.address, port: x.udp.port }]);
}

/** Samples both views every 10 ms for `ms`: every state either node gave the other. */
async function watch(x: Node, y: Node, ms: number): Promise<Set<string>> {
  const seen = new Set<string>();
  const end = Date.now() + ms;
  while (Date.now() < end) {
    seen.add(`${x.name} sees ${y.name} ${x.driver.view().peers[y.name] ?? 'unknown'}`);
    seen.add(`${y.name} sees ${x.name} ${y.driver.view().peers[x.name] ?? 'unknown'}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return seen;
}

function files(name: string): { key: string; accept: string } {
  return { key: join(dir, `${name}-key`), accept: join(dir, `${name}-accept-key`) };
}

/** Writes a node's Secret files as one step of the rotation has them, and reloads. */
function step(node: Node, keys: LiveHeartbeatKeys, sign: Uint8Array, also: Uint8Array | null): void {
  const f = files(node.name);
  writeFileSync(f.key, sign);
  if (also === null) rmSync(f.accept, { force: true });
  else writeFileSync(f.accept, also);
  const r = keys.reload();
  assert.equal(r.kind, 'rotated', `${node.name}: ${JSON.stringify(r)}`);
}

test('a rotation one node at a time: neither node ever stops hearing the other, no heartbeat is dropped', async () => {
  const live = new Map<string, LiveHeartbeatKeys>();
  for (const n of ['node-a', 'node-b']) {
    writeFileSync(files(n).key, A);
    const opened = LiveHeartbeatKeys.open(files(n));
    assert.ok(opened.ok);
    live.set(n, opened.keys);
  }
  const keysOf = (n: string): LiveHeartbeatKeys => {
    const k = live.get(n);
    assert.ok(k !== undefined);
    return k;
  };
  const a = await startNode('node-a', '127.0.0.1', keysOf('node-a'));
  const b = await startNode('node-b', '127.0.0.2', keysOf('node-b'));
  try {
    introduce(a, b);
    a.driver.start();
    b.driver.start();
    // Both alive on key A first.
    const deadline = Date.now() + 3_000;
    while ((a.driver.view().peers['node-b'] !== 'alive' || b.driver.view().peers['node-a'] !== 'alive') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual([a.driver.view().peers['node-b'], b.driver.view().peers['node-a']], ['alive', 'alive']);

    // Each step on node-a first; node-b follows after more than D (600 ms), so every pair of
    // adjacent steps runs long enough for a wrong key to show as a dead peer.
    const steps: [Uint8Array, Uint8Array | null][] = [[A, B], [B, A], [B, null]];
    const seen = new Set<string>();
    for (const [sign, also] of steps) {
      for (const n of [a, b]) {
        step(n, keysOf(n.name), sign, also);
        for (const s of await watch(a, b, 2 * T.peerDeadAfterMs)) seen.add(s);
      }
    }
    assert.deepEqual([...seen].sort(), ['node-a sees node-b alive', 'node-b sees node-a alive']);
    assert.deepEqual([a.errors, b.errors], [[], []], 'no heartbeat dropped');
    assert.ok(a.heard > 50 && b.heard > 50, `heard ${a.heard} and ${b.heard}`);
    assert.deepEqual([keysOf('node-a').ids(), keysOf('node-b').ids()].map((i) => i.also), ['none', 'none']);
  } finally {
    for (const n of [a, b]) {
      n.driver.stop();
      await n.udp.close();
    }
  }
});

test('the control: a node that swaps its key in one step is no longer heard, and its peer stops counting it alive within D', async () => {
  // Plain mutable keys, not LiveHeartbeatKeys, which refuses this swap (heartbeat-keys.test.ts).
  const swapped: { sign: Uint8Array; also: Uint8Array | null } = { sign: A, also: null };
  const c = await startNode('node-c', '127.0.0.1', swapped);
  const d = await startNode('node-d', '127.0.0.2', { sign: A, also: null });
  try {
    introduce(c, d);
    c.driver.start();
    d.driver.start();
    const deadline = Date.now() + 3_000;
    while (d.driver.view().peers['node-c'] !== 'alive' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(d.driver.view().peers['node-c'], 'alive');
    swapped.sign = B;
    const at = Date.now();
    while (d.driver.view().peers['node-c'] === 'alive' && Date.now() - at < 3_000) await new Promise((r) => setTimeout(r, 5));
    const ms = Date.now() - at;
    assert.notEqual(d.driver.view().peers['node-c'], 'alive');
    assert.ok(ms <= T.peerDeadAfterMs + 2 * T.heartbeatIntervalMs, `node-d still counted node-c alive after ${ms} ms`);
    assert.ok(d.errors.includes('BadSignature'), d.errors.join(','));
  } finally {
    for (const n of [c, d]) {
      n.driver.stop();
      await n.udp.close();
    }
  }
});
